"""`rag bench` at a smoke size, with the llama-index baseline: every number the issue asks for is there and
sane. The real sizes (1k, 10k, 50k) run outside CI: `make bench`."""

import json
import os
import subprocess

import pytest

from .conftest import ROOT, SEEDS

pytestmark = pytest.mark.integration

RAG = str(ROOT / ".venv" / "bin" / "rag")


def test_bench_smoke_with_baseline(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    env.pop("RAG_EMBEDDING_MODEL", None)
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [
            RAG,
            "bench",
            "--paragraphs",
            "100",
            "--baseline",
            "--json",
            str(out),
            "--work",
            str(tmp_path / "work"),
            "--seeds",
            str(SEEDS),
            "--set",
            str(ROOT / "evals" / "seed_qa.jsonl"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    for key in (
        "embed_only_per_s",
        "ingest_per_s",
        "retrieve_p50_ms",
        "retrieve_p95_ms",
        "answer_p50_ms",
        "answer_p95_ms",
        "recall_at_5",
        "rss_mb",
        "ingest_vs_embed_only",
        "text_embedded_share",
        "check_p95_ms",
    ):
        assert result[key] > 0, key
    assert result["check_claims_per_answer"] >= 4, "the checking benchmark checks five-claim answers"
    assert result["paragraphs"] > 100, "the distractors surround the five seed reports"
    assert result["retrieve_p50_ms"] <= result["retrieve_p95_ms"]
    assert result["recall_at_5"] >= 0.9, "a hundred distractors must not hide the gold paragraphs"
    assert result["text_embedded_share"] >= 0.99, "our chunks fit the model: next to no text goes unembedded"
    baseline = result["baseline"]
    for key in ("ingest_per_s", "retrieve_p50_ms", "retrieve_p95_ms", "recall_at_5", "rss_mb", "text_embedded_share"):
        assert baseline[key] > 0, f"baseline {key}"
