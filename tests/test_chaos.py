"""The short chaos run: ingest killed with SIGKILL at random moments, re-run, and the index ends exact."""

import pytest

from benchmarks.chaos import run

from .conftest import SEEDS


@pytest.mark.integration
def test_killed_ingests_leave_every_paragraph_exactly_once(tmp_path, monkeypatch):
    monkeypatch.chdir(SEEDS.parent)
    result = run(files=40, kills=6, work=tmp_path / "chaos", seeds=SEEDS, use_hash=True)
    assert result["kills"] == 6
    assert result["final_ingest_exit"] == 0
    assert result["lost"] == 0 and result["duplicates"] == 0
    assert result["extra_or_stale"] == 0 and result["orphan_chunks"] == 0
    assert result["consistent"]
    assert result["same_answers"] == "40/40"
