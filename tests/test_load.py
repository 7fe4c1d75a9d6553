"""Concurrent clients against the Python API (threads) and the running UI (gradio_client): no errors,
memory flat. The full 32-client, 60-second run is `python -m benchmarks.load` (see README)."""

import os
import subprocess
import sys

import pytest

import rag
from benchmarks.load import api_load, ui_load

from .conftest import ROOT, SEEDS, free_port, wait_until_serving

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    path = tmp_path_factory.mktemp("load") / "index"
    assert rag.open(path).ingest([SEEDS]).ok
    return path


def test_api_threads(index):
    result = api_load(index, clients=16, seconds=10, eval_set=ROOT / "evals" / "seed_qa.jsonl", min_questions=300)
    print(result)
    assert result["errors"] == 0, result["first_errors"]
    assert result["questions"] >= 300
    assert result["rss_growth"] < 0.10


def test_ui_clients(index):
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RAG_INDEX": str(index), "RAG_PORT": str(port)}
    server = subprocess.Popen(
        [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_serving(url, server, 180, "the app")
        result = ui_load(
            url,
            clients=8,
            seconds=15,
            eval_set=ROOT / "evals" / "seed_qa.jsonl",
            min_questions=150,
            server_pid=server.pid,
        )
        print(result)
        assert result["errors"] == 0, result["first_errors"]
        assert result["rss_growth"] < 0.10
    finally:
        server.terminate()
        server.wait(timeout=30)
