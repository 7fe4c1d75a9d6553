"""Two processes, an ingest and a `rag batch`, sharing one real Chroma server (real model)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import SEEDS

pytestmark = pytest.mark.integration
RAG = Path(sys.executable).parent / "rag"


def test_ingest_and_batch_share_one_server(chroma_server, tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RAG_CHROMA_URL": chroma_server, "RAG_INDEX": str(tmp_path / "index")}
    env.pop("RAG_EMBEDDING_MODEL", None)
    first = subprocess.run([RAG, "ingest", str(SEEDS)], env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    assert not (tmp_path / "index" / "chroma").exists(), "vectors live on the server, not in the index folder"

    extra = tmp_path / "extra"
    extra.mkdir()
    for i in range(40):
        (extra / f"note_{i:02d}.txt").write_text(
            f"Field note {i}: patrols near Qaryatayn counted {i + 3} burned trucks on the phosphate road.\n",
            encoding="utf-8",
        )
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        "\n".join(
            json.dumps({"id": f"q{i}", "question": q})
            for i, q in enumerate(
                [
                    "When did Abu Hafs al-Hashemi al-Qurashi take over the organization's leadership?",
                    "How many Syrian soldiers did ISIS kill in central Syria in March?",
                    "Which former US ambassador to Syria said the Islamic State can be contained?",
                ]
                * 4
            )
        )
        + "\n",
        encoding="utf-8",
    )
    writer = subprocess.Popen(
        [RAG, "ingest", str(extra)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    reader = subprocess.run(
        [RAG, "batch", str(questions), "--out", str(tmp_path / "a.jsonl")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out, err = writer.communicate(timeout=600)
    assert writer.returncode == 0, err
    assert reader.returncode == 0, reader.stderr
    rows = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert len(rows) == 12 and all("error" not in r for r in rows)
    assert "August 2023" in rows[0]["answer"] and rows[0]["citations"][0]["source"] == "001_08933ac444e6ce74.txt"

    ask = subprocess.run(
        [RAG, "ask", "How many burned trucks did patrols count in field note 17?", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert ask.returncode == 0, ask.stderr
    assert "20 burned trucks" in json.loads(ask.stdout)["answer"]


def test_unreachable_server_is_a_clear_error(tmp_path):
    from .conftest import free_port

    env = {**os.environ, "RAG_CHROMA_URL": f"http://127.0.0.1:{free_port()}", "RAG_INDEX": str(tmp_path / "index")}
    done = subprocess.run([RAG, "ask", "anything?"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "cannot reach the Chroma server" in done.stderr
