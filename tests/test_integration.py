"""The real embedding model and real Chroma over the seed reports."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import rag
from rag import evals
from rag.answer.citations import citation_problems, markers_in

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    lib = rag.open(tmp_path_factory.mktemp("real") / "index")
    report = lib.ingest([ROOT / "seeds"])
    assert report.ok and report.count("added") == 5
    return lib


def test_every_marker_resolves_to_a_real_paragraph_over_the_eval_set(library):
    items = evals.load_jsonl_set(ROOT / "evals" / "seed_qa.jsonl")
    answers = library.ask_many([i.question for i in items])
    texts = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "seeds").glob("*.txt")}
    answered = 0
    for item, answer in zip(items, answers):
        assert answer.error is None, (item.id, answer.error)
        assert citation_problems(answer) == [], item.id
        if answer.abstained:
            assert answer.citations == []
            continue
        answered += 1
        assert answer.citations, item.id
        assert sorted(markers_in(answer.answer)) == sorted(c.marker for c in answer.citations)
        for c in answer.citations:
            assert texts[c.source][c.start : c.end] == c.text, (item.id, c.source, c.paragraph)
            assert c.quote in c.text
            assert library.paragraph(f"{c.source}#{c.paragraph}").text == c.text
    assert answered >= 0.7 * len(
        items
    )  # the loop checked real answers; answer quality is `rag eval`'s (evals/thresholds.json)


def test_unchanged_reingest_loads_no_model_and_embeds_nothing(library):
    again = rag.open(settings=library.settings)
    report = again.ingest([ROOT / "seeds"])
    assert {f.status for f in report.files} == {"unchanged"}
    assert report.chunks_embedded == 0
    assert again._embedder is None, "an unchanged folder must not even load the model"


def test_seed_answers_read_well(library):
    answer = library.ask("Who directs the Center for Middle East Studies at the University of Oklahoma?")
    assert not answer.abstained and "Joshua Landis" in answer.answer
    assert answer.citations[0].source == "002_1842c5b93aa613e8.txt"
    hama = library.ask("On July 8, how many soldiers were killed near the Andarin region?")
    assert hama.citations and hama.citations[0].section == "Hama"
    off_topic = library.ask("What is the population of Reykjavik?")
    assert off_topic.abstained and off_topic.citations == []


def test_source_filter_with_the_real_model(library):
    only = "002_1842c5b93aa613e8.txt"
    answer = library.ask("How many Syrian soldiers did ISIS kill in March?", sources=[only])
    assert all(c.source == only for c in answer.citations)


def test_nothing_reaches_for_the_network(tmp_path):
    """Ingest and ask in a process where any outbound connection is recorded: there must be none."""
    log = tmp_path / "connections.log"
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(
        textwrap.dedent(
            f"""
            import socket
            _connect = socket.socket.connect
            def connect(self, address):
                host = address[0] if isinstance(address, tuple) else str(address)
                if host not in ("127.0.0.1", "::1", "localhost") and not str(host).startswith("/"):
                    with open({str(log)!r}, "a") as fh:
                        fh.write(repr(address) + "\\n")
                    raise OSError("network disabled in this test")
                return _connect(self, address)
            socket.socket.connect = connect
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": str(guard), "RAG_INDEX": str(tmp_path / "index")}
    env.pop("HF_HUB_OFFLINE", None)  # the code itself must not need the caller to set it
    env.pop("TRANSFORMERS_OFFLINE", None)
    env.pop("RAG_EMBEDDING_MODEL", None)
    script = (
        "import rag, json; lib = rag.open(); lib.ingest(['seeds']); "
        "print(json.dumps(lib.ask('When did Abu Hafs take over?').to_dict()))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    assert "August 2023" in json.loads(done.stdout.strip().splitlines()[-1])["answer"]
    assert not log.exists(), log.read_text()
