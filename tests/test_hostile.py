"""Hostile files and questions: each has a defined outcome, and nothing already stored is lost."""

import codecs
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

import rag
from rag.answer.citations import citation_problems
from rag.cli import app
from rag.paragraphs import MAX_PARAGRAPH_CHARS

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00\x1f\xf3\xffa"


@pytest.fixture
def hostile(tmp_path):
    d = tmp_path / "hostile"
    d.mkdir()
    (d / "empty.txt").write_bytes(b"")
    (d / "blank.txt").write_bytes(b"  \n\t\n   \n")
    (d / "image.txt").write_bytes(PNG)
    (d / "nul.txt").write_bytes(b"text\x00with\x00nuls\x00" * 10)
    (d / "latin1.txt").write_bytes("Le convoi a été attaqué près de Deir ez-Zor; 14 soldats tués.\n".encode("latin-1"))
    (d / "utf16.txt").write_bytes(codecs.BOM_UTF16_LE + "Raqqa report: 9 attacks in July.\n".encode("utf-16-le"))
    (d / "crlf.txt").write_bytes(b"First line of a Windows report.\r\nHoms\r\nSecond paragraph, under Homs.\r\n")
    (d / "huge.txt").write_bytes(b"Palmyra desert patrol log entry.\n" * 650_000)  # ~21 MB
    (d / "one-line.txt").write_text(
        " ".join(f"Sentence {i} of a report written on one single line about Hama." for i in range(30_000)),
        encoding="utf-8",
    )  # ~2 MB, no line break
    (d / "rapport été  2024 (final).txt").write_text("Unicode-named report: 5 strikes near Tadmur.\n", encoding="utf-8")
    (d / "   spaces   .md").write_text("# Notes\n\nA space-named report: 3 raids in Mayadin.\n", encoding="utf-8")
    os.symlink(d / "loop-b.txt", d / "loop-a.txt")
    os.symlink(d / "loop-a.txt", d / "loop-b.txt")
    os.mkfifo(d / "pipe.txt")  # reading it would block forever
    (d / "locked.txt").write_text("A report nobody may read.\n", encoding="utf-8")
    (d / "locked.txt").chmod(0)
    return d


def test_every_hostile_file_has_a_defined_outcome(hash_settings, seeds_copy, hostile, monkeypatch):
    if os.geteuid() == 0:  # root reads a mode-000 file anyway: make the kernel's refusal happen regardless
        real_read_bytes = Path.read_bytes

        def read_bytes(self):
            if self.name == "locked.txt":
                raise PermissionError(13, "Permission denied", str(self))
            return real_read_bytes(self)

        monkeypatch.setattr(Path, "read_bytes", read_bytes)
    lib = rag.Library(hash_settings)
    assert lib.ingest([seeds_copy]).ok
    before = set(lib.sources())
    report = lib.ingest([hostile])
    got = {f.source: (f.status, f.reason or "") for f in report.files}
    expected_failures = {
        "empty.txt": "empty file",
        "blank.txt": "only whitespace",
        "image.txt": "binary",
        "nul.txt": "binary",
        "huge.txt": "over the 10 MB limit",
        "loop-a.txt": "not a regular file",
        "loop-b.txt": "not a regular file",
        "pipe.txt": "not a regular file",
        "locked.txt": "cannot read file: Permission denied",
    }
    for name, reason in expected_failures.items():
        assert got[name][0] == "failed" and reason in got[name][1], (name, got[name])
    assert got["latin1.txt"][0] == "added" and "Windows-1252" in got["latin1.txt"][1]
    for name in ("utf16.txt", "crlf.txt", "one-line.txt", "rapport été  2024 (final).txt", "   spaces   .md"):
        assert got[name][0] == "added", (name, got[name])
    assert before <= set(lib.sources()), "nothing stored before is lost"
    assert lib.verify().ok

    latin = lib.paragraph("latin1.txt#1")
    assert latin.text == "Le convoi a été attaqué près de Deir ez-Zor; 14 soldats tués."
    crlf = [lib.paragraph(f"crlf.txt#{n}") for n in (1, 2)]
    assert [p.text for p in crlf] == ["First line of a Windows report.", "Second paragraph, under Homs."]
    assert crlf[1].section == "Homs"
    for source in ("crlf.txt", "one-line.txt", "utf16.txt"):
        text = lib.document_text(source)
        n = 1
        while (p := lib.paragraph(f"{source}#{n}")) is not None:
            assert text[p.start : p.end] == p.text and len(p.text) <= MAX_PARAGRAPH_CHARS
            n += 1
    assert lib.manifest().documents["one-line.txt"].paragraphs >= 90  # ~2 MB in pieces of at most 20k chars


def test_a_reader_failing_unexpectedly_fails_that_file_only(hash_settings, tmp_path, monkeypatch):
    # A parsing library may trip on a malformed file in a way no reader foresaw: that file is reported failed,
    # with the error, and the files after it in the same ingest are still read.

    def broken(data: bytes):
        raise AttributeError("'NoneType' object has no attribute 'children'")

    monkeypatch.setitem(rag.readers.READERS, "html", ((".html", ".htm"), broken))
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "a-page.html").write_text("<p>Unreadable here.</p>", encoding="utf-8")
    (folder / "b-notes.txt").write_text("Notes: 4 convoys reached Deir ez-Zor.\n", encoding="utf-8")
    report = rag.Library(hash_settings).ingest([folder])
    got = {f.source: (f.status, f.reason or "") for f in report.files}
    assert got["a-page.html"] == (
        "failed",
        "could not be read (AttributeError: 'NoneType' object has no attribute 'children')",
    )
    assert got["b-notes.txt"][0] == "added"


@pytest.mark.parametrize(
    "question",
    [
        "x" * 50_000,
        "\x00\x01\x02",
        "   ",
    ],
)
def test_impossible_questions_are_clear_errors(hash_settings, question):
    with pytest.raises(rag.InvalidQuestion):
        rag.Library(hash_settings).ask(question)


@pytest.mark.parametrize(
    "question",
    [
        "How many\x00 attacks\x1b[31m in July?\x07",
        "كم عدد الهجمات التي شنها تنظيم الدولة في تموز؟",
        "伊斯兰国在七月发动了多少次袭击？",
        "Сколько атак ИГИЛ совершило в июле?",
        "🙂🙂🙂 ???",
        "'; DROP TABLE paragraphs; --",
        "<script>alert(1)</script> who leads ISIS?",
    ],
)
def test_odd_questions_get_an_answer_or_an_abstention_never_a_traceback(hash_settings, seeds_copy, question):
    lib = rag.Library(hash_settings)
    lib.ingest([seeds_copy])
    answer = lib.ask(question)
    assert answer.error is None and citation_problems(answer) == []
    assert answer.abstained or answer.citations


def test_batch_line_limits(tmp_path, monkeypatch, seeds_copy):
    monkeypatch.setenv("RAG_EMBEDDING_MODEL", "hash")
    monkeypatch.setenv("RAG_INDEX", str(tmp_path / "index"))
    runner = CliRunner()
    runner.invoke(app, ["ingest", str(seeds_copy)])
    infile = tmp_path / "in.jsonl"
    with infile.open("wb") as fh:
        fh.write(json.dumps({"id": "ok", "question": "Who is Joshua Landis?"}).encode() + b"\n")
        fh.write(json.dumps({"id": "big", "question": "x" * 100_000}).encode() + b"\n")
        fh.write(b'{"id": "bad", "question": "caf\xe9?"}\n')
        fh.write(b"\n")
        fh.write(json.dumps({"id": "long", "question": "why " * 1000}).encode() + b"\n")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["batch", str(infile), "--out", str(out)])
    assert result.exit_code == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["ok", None, None, None, "long"]
    assert "error" not in rows[0]
    assert "byte limit" in rows[1]["error"] and "not UTF-8" in rows[2]["error"] and "empty line" in rows[3]["error"]
    assert "limit is 2000" in rows[4]["error"]
