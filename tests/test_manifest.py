import pytest

from rag.manifest import Candidate, DocEntry, Manifest, decide, discover, removed_sources


def entry(path, sha="aaa"):
    return DocEntry(
        path=str(path), sha256=sha, paragraphs=3, chunk_ids=["x#1#c0"], ingested_at="2026-11-22T00:00:00+00:00"
    )


def test_decide_by_content_not_name(tmp_path):
    a = tmp_path / "a.txt"
    a.write_text("x")
    m = Manifest("fp", {"a.txt": entry(a, "h1")})
    cand = Candidate(a, "a.txt", tmp_path)
    assert decide(m, cand, "h1") == ("unchanged", None)
    assert decide(m, cand, "h2") == ("update", None)
    assert decide(m, Candidate(tmp_path / "b.txt", "b.txt", tmp_path), "h9") == ("add", None)


def test_same_content_under_another_name_is_a_duplicate(tmp_path):
    a = tmp_path / "a.txt"
    a.write_text("x")
    m = Manifest("fp", {"a.txt": entry(a, "h1")})
    decision, reason = decide(m, Candidate(tmp_path / "copy.txt", "copy.txt", tmp_path), "h1")
    assert decision == "duplicate" and "a.txt" in reason


def test_renamed_file_is_added_when_the_old_name_is_gone(tmp_path):
    m = Manifest("fp", {"old.txt": entry(tmp_path / "old.txt", "h1")})  # old.txt no longer exists
    assert decide(m, Candidate(tmp_path / "new.txt", "new.txt", tmp_path), "h1")[0] == "add"


def test_name_clash_between_two_live_files(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first, second = tmp_path / "one" / "r.txt", tmp_path / "two" / "r.txt"
    first.write_text("a")
    second.write_text("b")
    m = Manifest("fp", {"r.txt": entry(first, "h1")})
    decision, reason = decide(m, Candidate(second, "r.txt", tmp_path / "two"), "h2")
    assert decision == "clash" and str(first) in reason


def test_moved_file_is_not_a_clash(tmp_path):
    m = Manifest("fp", {"r.txt": entry(tmp_path / "gone" / "r.txt", "h1")})
    assert decide(m, Candidate(tmp_path / "r.txt", "r.txt", tmp_path), "h1")[0] == "unchanged"


def test_removed_only_under_scanned_folders(tmp_path):
    root = tmp_path.resolve()
    inside, outside = root / "in", root / "out"
    inside.mkdir()
    outside.mkdir()
    (inside / "kept.txt").write_text("k")
    m = Manifest(
        "fp",
        {
            "gone.txt": entry(inside / "gone.txt"),  # deleted from the scanned folder
            "kept.txt": entry(inside / "kept.txt"),
            "else.txt": entry(outside / "else.txt"),  # deleted, but its folder was not scanned
        },
    )
    assert removed_sources(m, [inside], {inside / "kept.txt"}) == ["gone.txt"]


def test_discover_names_files_relative_to_the_folder_and_skips_hidden(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("b")
    (tmp_path / "a.md").write_text("a")
    (tmp_path / ".hidden.txt").write_text("h")
    cands, problems, roots = discover([tmp_path, tmp_path / "a.md", tmp_path / "missing"])
    assert [c.source for c in cands] == ["a.md", "sub/b.txt"]
    assert problems == [(tmp_path / "missing", "no such file or folder")]
    assert roots == [tmp_path.resolve()]


def test_manifest_round_trip_and_fingerprint_guard(tmp_path):
    path = tmp_path / "manifest.json"
    m = Manifest("fp1", {"a.txt": entry(tmp_path / "a.txt")})
    m.save(path)
    assert Manifest.load(path, "fp1").documents == m.documents
    assert not list(tmp_path.glob("*.tmp")), "the temp file is renamed into place"
    with pytest.raises(ValueError, match="another index"):
        Manifest.load(path, "fp2")
    path.write_text("{not json")
    with pytest.raises(ValueError, match="unreadable"):
        Manifest.load(path, "fp1")
