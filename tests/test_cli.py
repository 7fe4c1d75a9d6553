"""The `rag` CLI through typer's runner (hash embedder), and the installed console script (real model)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rag.cli import app
from tests.contract import ANSWER_KEYS, CITATION_KEYS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_EMBEDDING_MODEL", "hash")
    monkeypatch.setenv("RAG_INDEX", str(tmp_path / "index"))
    runner = CliRunner()

    def run(*args):
        return runner.invoke(app, list(args), catch_exceptions=False)

    return run


def test_ingest_reports_each_file_and_reingest_embeds_nothing(cli, seeds_copy):
    first = cli("ingest", str(seeds_copy), "--json")
    assert first.exit_code == 0
    report = json.loads(first.stdout)
    assert {f["status"] for f in report["files"]} == {"added"} and report["chunks_embedded"] > 0
    second = cli("ingest", str(seeds_copy))
    assert second.exit_code == 0
    assert "5 unchanged" in second.stdout and "0 chunks embedded" in second.stdout


def test_ingest_exits_1_when_a_file_fails_but_stores_the_rest(cli, seeds_copy):
    (seeds_copy / "broken.txt").write_bytes(b"\x00\x00binary")
    result = cli("ingest", str(seeds_copy), "--json")
    assert result.exit_code == 1
    files = {f["source"]: f for f in json.loads(result.stdout)["files"]}
    assert files["broken.txt"]["status"] == "failed" and "binary" in files["broken.txt"]["reason"]
    assert sum(f["status"] == "added" for f in files.values()) == 5


def test_ask_json_follows_the_answer_schema(cli, seeds_copy):
    cli("ingest", str(seeds_copy))
    result = cli("ask", "When did Abu Hafs al-Hashemi al-Qurashi take over the leadership?", "--json")
    assert result.exit_code == 0
    answer = json.loads(result.stdout)
    assert set(answer) == ANSWER_KEYS
    assert answer["meta"]["backend"] == "extractive" and answer["meta"]["model"] is None
    assert 0.0 <= answer["meta"]["answerer"]["answer_probability"] <= 1.0
    assert not answer["abstained"] and "August 2023" in answer["short_answer"]
    span = answer["short_span"]
    cited = next(c for c in answer["citations"] if c["marker"] == span["marker"])
    assert cited["text"][span["start"] : span["end"]] == answer["short_answer"]
    assert answer["short_answer"] in cited["quote"]
    for c in answer["citations"]:
        assert set(c) == CITATION_KEYS
        assert (seeds_copy / c["source"]).read_text(encoding="utf-8")[c["start"] : c["end"]] == c["text"]
        assert f"[{c['marker']}]" in answer["answer"]


def test_ask_rejects_an_empty_question(cli):
    result = cli("ask", "   ")
    assert result.exit_code == 2
    assert "question is empty" in result.stderr


def test_batch_keeps_order_and_isolates_bad_lines(cli, seeds_copy, tmp_path):
    cli("ingest", str(seeds_copy))
    infile = tmp_path / "in.jsonl"
    infile.write_text(
        "\n".join(
            [
                json.dumps({"id": "a", "question": "Who is Joshua Landis?"}),
                "{not json",
                json.dumps({"id": "c", "question": ""}),
                json.dumps({"id": "d", "answer": "no question field"}),
                json.dumps({"id": "e", "question": "What happened in Palmyra in 2015?"}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    result = cli("batch", str(infile), "--out", str(out))
    assert result.exit_code == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", None, "c", "d", "e"]
    assert "error" not in rows[0] and "error" not in rows[4]
    assert "not JSON" in rows[1]["error"]
    assert "empty" in rows[2]["error"]
    assert "'question'" in rows[3]["error"]
    assert rows[0]["question"] == "Who is Joshua Landis?" and "citations" in rows[0]


def test_eval_exits_by_thresholds(cli, seeds_copy, tmp_path):
    eval_set = tmp_path / "tiny.jsonl"
    eval_set.write_text(
        json.dumps(
            {
                "id": "t1",
                "question": "When did the Iraqi Abu Hafs al-Hashemi al-Qurashi take over the organization's leadership?",
                "answers": ["August 2023"],
                "answerable": True,
                "source": "001_08933ac444e6ce74.txt",
                "evidence": "took over the organization's leadership in August 2023",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    thresholds = tmp_path / "thresholds.json"
    out = tmp_path / "result.json"
    thresholds.write_text(json.dumps({"tiny": {"recall_at_5": 0.5}}))
    ok = cli(
        "eval", "--set", str(eval_set), "--corpus", str(seeds_copy), "--thresholds", str(thresholds), "--json", str(out)
    )
    assert ok.exit_code == 0, ok.stdout
    result = json.loads(out.read_text())
    assert result["metrics"]["recall_at_5"] == 1.0 and result["passed"]
    thresholds.write_text(json.dumps({"tiny": {"recall_at_5": 0.5, "errors_max": -1}}))
    failing = cli("eval", "--set", str(eval_set), "--corpus", str(seeds_copy), "--thresholds", str(thresholds))
    assert failing.exit_code == 1
    assert "errors = 0.000 is above -1" in failing.stdout


@pytest.mark.integration
def test_console_script_with_the_real_model(tmp_path, seeds_copy):
    """The installed `rag` entry point: real model, real Chroma, offline."""
    rag_bin = Path(sys.executable).parent / "rag"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RAG_INDEX": str(tmp_path / "index")}
    env.pop("RAG_EMBEDDING_MODEL", None)
    ingest = subprocess.run([rag_bin, "ingest", str(seeds_copy)], env=env, capture_output=True, text=True, timeout=600)
    assert ingest.returncode == 0, ingest.stderr
    assert "5 added" in ingest.stdout
    ask = subprocess.run(
        [rag_bin, "ask", "Which former US ambassador to Syria said the Islamic State can be contained?", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert ask.returncode == 0, ask.stderr
    answer = json.loads(ask.stdout)
    assert "Robert Ford" in answer["answer"] and answer["citations"][0]["source"] == "003_6c0ae818ca7918fe.txt"
