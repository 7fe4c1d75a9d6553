"""The Python API over real Chroma with the hash embedder (no model): ingest bookkeeping and answers."""

from pathlib import Path

import pytest

import rag
from rag.answer import ABSTAIN_MESSAGE
from rag.answer.citations import citation_problems
from tests.contract import ANSWER_KEYS


def statuses(report):
    return {f.source: f.status for f in report.files}


def test_reingesting_an_unchanged_folder_embeds_nothing(hash_settings, seeds_copy):
    lib = rag.Library(hash_settings)
    first = lib.ingest([seeds_copy])
    assert set(statuses(first).values()) == {"added"} and first.chunks_embedded > 90
    second = rag.Library(hash_settings).ingest([seeds_copy])  # a new process, same index
    assert set(statuses(second).values()) == {"unchanged"}
    assert second.chunks_embedded == 0


def test_changed_file_replaces_its_old_paragraphs(hash_settings, seeds_copy):
    lib = rag.Library(hash_settings)
    lib.ingest([seeds_copy])
    target = seeds_copy / "000_3e7f61a464eb352d.txt"
    target.write_text("Completely new text about Deir ez-Zor.\n\nA second paragraph on Palmyra.\n", encoding="utf-8")
    report = lib.ingest([seeds_copy])
    assert statuses(report)["000_3e7f61a464eb352d.txt"] == "updated"
    paras = [p for p in lib._corpus_now().paragraphs if p.source == "000_3e7f61a464eb352d.txt"]
    assert [p.text for p in paras] == ["Completely new text about Deir ez-Zor.", "A second paragraph on Palmyra."]
    assert lib.index.store.count() == sum(len(e.chunk_ids) for e in lib.documents().values())


def test_file_gone_from_folder_is_removed(hash_settings, seeds_copy):
    lib = rag.Library(hash_settings)
    lib.ingest([seeds_copy])
    (seeds_copy / "003_6c0ae818ca7918fe.txt").unlink()
    report = lib.ingest([seeds_copy])
    assert statuses(report)["003_6c0ae818ca7918fe.txt"] == "removed"
    assert "003_6c0ae818ca7918fe.txt" not in lib.sources()
    assert "003_6c0ae818ca7918fe.txt" not in lib.documents()


def test_bad_files_fail_alone_and_nothing_stored_is_lost(hash_settings, seeds_copy):
    lib = rag.Library(hash_settings)
    lib.ingest([seeds_copy])
    before = lib.index.store.count()
    (seeds_copy / "empty.txt").write_bytes(b"")
    (seeds_copy / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (seeds_copy / "control.txt").write_bytes(bytes(range(1, 32)) * 20)
    (seeds_copy / "new.md").write_text("# Notes\n\nA fresh report on Hama with 7 attacks.\n", encoding="utf-8")
    # A stored file turned to garbage keeps its old paragraphs.
    (seeds_copy / "001_08933ac444e6ce74.txt").write_bytes(b"\x00\x01\x02")
    report = lib.ingest([seeds_copy])
    got = {f.source: (f.status, f.reason) for f in report.files}
    assert got["empty.txt"] == ("failed", "empty file")
    assert got["image.txt"][0] == "failed" and "binary" in got["image.txt"][1]
    assert got["control.txt"][0] == "failed" and "binary" in got["control.txt"][1]
    assert got["001_08933ac444e6ce74.txt"][0] == "failed"
    assert got["new.md"][0] == "added"
    assert not report.ok
    assert lib.index.store.count() == before + 1
    assert "001_08933ac444e6ce74.txt" in lib.sources()


def test_same_content_under_a_new_name_is_not_indexed_twice(hash_settings, seeds_copy):
    lib = rag.Library(hash_settings)
    lib.ingest([seeds_copy])
    (seeds_copy / "copy.txt").write_bytes((seeds_copy / "000_3e7f61a464eb352d.txt").read_bytes())
    report = lib.ingest([seeds_copy])
    copy = next(f for f in report.files if f.source == "copy.txt")
    assert copy.status == "unchanged" and "000_3e7f61a464eb352d.txt" in copy.reason
    assert "copy.txt" not in lib.sources()


def test_answers_cite_real_paragraphs(hash_settings, seeds_copy):
    # The reader answers alone (the gated answerer's sentence features need the real embedding model).
    lib = rag.Library(hash_settings.model_copy(update={"answerer": "reader"}))
    lib.ingest([seeds_copy])
    answer = lib.ask("Which leader of the organization took over in August 2023?")
    assert citation_problems(answer) == []
    for c in answer.citations:
        text = (seeds_copy / c.source).read_text(encoding="utf-8")
        assert text[c.start : c.end] == c.text
        assert c.quote in c.text
    assert answer.citations, "the question is answered in the reports"
    d = answer.to_dict()
    assert set(d) == ANSWER_KEYS
    assert set(d["timings_ms"]) == {"retrieve", "answer"}
    # The short answer is a verbatim span of the cited paragraph, inside the quoted sentence.
    cited = next(c for c in answer.citations if c.marker == answer.short_span.marker)
    assert cited.text[answer.short_span.start : answer.short_span.end] == answer.short_answer
    assert answer.short_answer in cited.quote and "Abu Hafs" in answer.short_answer


def test_source_filter_restricts_evidence(hash_settings, seeds_copy):
    lib = rag.Library(hash_settings)
    lib.ingest([seeds_copy])
    only = "004_29b9793b6e886bf8.txt"
    evidence = lib.retrieve("ISIS attacks in Homs", sources=[only])
    assert evidence and {e.paragraph.source for e in evidence} == {only}


@pytest.mark.parametrize("question", ["", "   \n\t ", None, "x" * 5000])
def test_bad_questions_get_a_clear_error(hash_settings, question):
    lib = rag.Library(hash_settings)
    with pytest.raises(rag.InvalidQuestion):
        lib.ask(question)


def test_ask_many_keeps_order_and_isolates_errors(hash_settings, seeds_copy):
    lib = rag.Library(hash_settings)
    lib.ingest([seeds_copy])
    questions = ["Who is Joshua Landis?", "", "What happened in Palmyra in 2015?"]
    answers = lib.ask_many(questions)
    assert [a.question for a in answers] == questions
    assert answers[1].error and "empty" in answers[1].error
    assert answers[0].error is None and answers[2].error is None
    assert "error" in answers[1].to_dict() and "error" not in answers[0].to_dict()


def test_empty_index_abstains(hash_settings):
    answer = rag.Library(hash_settings).ask("How many attacks were there?")
    assert answer.abstained and answer.answer == ABSTAIN_MESSAGE and answer.citations == []


def test_open_uses_the_given_index(tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_EMBEDDING_MODEL", "hash")
    lib = rag.open(tmp_path / "idx")
    assert lib.settings.index == Path(tmp_path / "idx")
    assert (tmp_path / "idx" / "chroma").is_dir()


def test_remove_takes_a_document_out(hash_settings, seeds_copy):
    lib = rag.Library(hash_settings)
    lib.ingest([seeds_copy])
    assert lib.remove("002_1842c5b93aa613e8.txt")
    assert "002_1842c5b93aa613e8.txt" not in lib.sources() and "002_1842c5b93aa613e8.txt" not in lib.documents()
    assert lib.index.store.count() == sum(len(e.chunk_ids) for e in lib.documents().values())
    assert not lib.remove("002_1842c5b93aa613e8.txt")
    assert (seeds_copy / "002_1842c5b93aa613e8.txt").exists(), "the file itself is left alone"


def test_ask_stream_gives_text_deltas_then_the_answer(hash_settings, seeds_copy):
    lib = rag.Library(hash_settings)
    lib.ingest([seeds_copy])
    stream = lib.ask_stream("Who took over the organization's leadership in August 2023?")
    deltas = list(stream)
    assert deltas and all(isinstance(d, str) for d in deltas)
    assert isinstance(stream.answer, rag.Answer) and "".join(deltas) == stream.answer.answer
    # Reading the answer first consumes the stream.
    assert lib.ask_stream("Who took over the leadership?").answer.question == "Who took over the leadership?"


def test_a_second_writer_waits_or_is_refused(hash_settings, seeds_copy):
    lib = rag.Library(hash_settings)
    other = rag.Library(hash_settings)
    with lib.index.writing():
        with pytest.raises(rag.IndexBusy, match="another process is writing"):
            other.ingest([seeds_copy], wait=False)
        assert other.ask("Who is Joshua Landis?").error is None  # readers are never blocked
    assert other.ingest([seeds_copy], wait=False).ok


def test_verify_and_repair_after_a_simulated_crash(hash_settings, seeds_copy):
    lib = rag.Library(hash_settings)
    lib.ingest([seeds_copy])
    assert lib.verify().ok
    # A killed ingest: new chunks stored for a file the manifest never recorded, and a document whose
    # chunks went missing.
    (seeds_copy / "late.txt").write_text("A late report on Deir ez-Zor with 12 attacks.\n", encoding="utf-8")
    lib.ingest([seeds_copy / "late.txt"])
    manifest = lib.manifest()
    manifest.documents.pop("late.txt")
    manifest.save(lib.index.manifest_path)
    lib.index.store.delete(lib.manifest().documents["003_6c0ae818ca7918fe.txt"].chunk_ids[:2])
    broken = lib.verify()
    assert not broken.ok and broken.orphans >= 1 and broken.incomplete == ["003_6c0ae818ca7918fe.txt"]
    report = lib.ingest([seeds_copy])
    assert {f.source: f.status for f in report.files}["003_6c0ae818ca7918fe.txt"] == "added"
    assert lib.verify().ok
    assert sorted(lib.sources()) == sorted(p.name for p in seeds_copy.glob("*.txt"))


def test_rebuild_rederives_everything(hash_settings, seeds_copy):
    lib = rag.Library(hash_settings)
    lib.ingest([seeds_copy])
    before = sorted(lib.sources())
    report = lib.rebuild()
    assert {f.status for f in report.files} == {"added"} and sorted(lib.sources()) == before
    assert lib.verify().ok
