"""The HTTP API through real clients: httpx (FastAPI's TestClient) for every route and its errors, and the
official `openai` client against a real uvicorn server for the OpenAI-compatible endpoints."""

import threading
import time

import pytest
import uvicorn

import rag
from rag.server import build_app, check_binding, create_app

from .conftest import SEEDS, free_port
from .contract import ANSWER_KEYS

KEY = "test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
Q = "When did Abu Hafs al-Hashemi al-Qurashi take over the leadership of ISIS?"


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    lib = rag.Library(rag.Settings(index=tmp_path_factory.mktemp("server") / "index"))
    lib.ingest([SEEDS])
    return lib


@pytest.fixture(scope="module")
def client(library):
    from fastapi.testclient import TestClient

    with TestClient(create_app(library, api_key=KEY)) as c:
        yield c


def test_health_is_open_and_the_rest_wants_the_key(client):
    assert client.get("/healthz").json() == {"status": "ok", "documents": 5}
    r = client.post("/v1/ask", json={"question": Q})
    assert r.status_code == 401 and "Bearer" in r.json()["error"]["message"]
    r = client.post("/v1/ask", json={"question": Q}, headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401


def test_ask_returns_the_answer_schema(client):
    r = client.post("/v1/ask", json={"question": Q}, headers=AUTH)
    assert r.status_code == 200
    body = r.json()
    assert set(body) == ANSWER_KEYS and not body["abstained"] and "August 2023" in body["short_answer"]
    c = body["citations"][0]
    assert c["text"][body["short_span"]["start"] : body["short_span"]["end"]] == body["short_answer"]


def test_bad_requests_get_clear_errors(client):
    r = client.post("/v1/ask", json={"question": Q, "sources": ["nope.txt"]}, headers=AUTH)
    assert r.status_code == 404 and "'nope.txt'" in r.json()["error"]["message"]
    r = client.post("/v1/ask", json={"sources": []}, headers=AUTH)
    assert r.status_code == 422 and "question" in r.json()["error"]["message"]
    r = client.post("/v1/ask", json={"question": "   "}, headers=AUTH)
    assert r.status_code == 400 and r.json()["error"]["message"].startswith("question:")
    r = client.post("/v1/ask", content=b'{"question": "' + b"x" * (2 * 1024 * 1024) + b'"}', headers=AUTH)
    assert r.status_code == 413 and "limit" in r.json()["error"]["message"]


def test_batch_keeps_order_and_isolates_a_bad_question(client):
    r = client.post(
        "/v1/batch", json={"questions": [{"id": "a", "question": Q}, {"id": "b", "question": ""}]}, headers=AUTH
    )
    a, b = r.json()["answers"]
    assert a["id"] == "a" and a["citations"] and b["id"] == "b" and b["error"]


def test_upload_list_and_remove_a_document(client, library):
    files = [("files", ("../../note.txt", b"The depot at Kessel holds 42 trucks.\n", "text/plain"))]
    files.append(("files", ("broken.pdf", b"not a pdf at all", "application/pdf")))
    r = client.post("/v1/ingest", files=files, headers=AUTH)
    results = {f["name"]: f for f in r.json()["files"]}
    assert results["note.txt"]["status"] == "added" and results["broken.pdf"]["status"] == "failed"
    assert not (library.settings.uploads_dir / "broken.pdf").exists()
    listed = [d["source"] for d in client.get("/v1/documents", headers=AUTH).json()["documents"]]
    assert "note.txt" in listed and "broken.pdf" not in listed
    assert client.delete("/v1/documents/note.txt", headers=AUTH).json() == {"removed": "note.txt"}
    r = client.delete("/v1/documents/note.txt", headers=AUTH)
    assert r.status_code == 404 and "note.txt" in r.json()["error"]["message"]


def test_binding_beyond_loopback_needs_a_key():
    with pytest.raises(SystemExit, match="RAG_API_KEY"):
        check_binding("0.0.0.0", None)
    check_binding("0.0.0.0", "k")
    check_binding("127.0.0.1", None)


def test_openapi_docs_are_served(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/ask", "/v1/batch", "/v1/ingest", "/v1/documents", "/v1/chat/completions", "/v1/models"} <= set(paths)


def test_the_chat_ui_can_share_the_server(library):
    from fastapi.testclient import TestClient

    with TestClient(build_app(library, api_key=KEY, with_ui=True)) as c:
        page = c.get("/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert c.get("/healthz").json()["status"] == "ok"
        assert c.post("/v1/ask", json={"question": Q}).status_code == 401


@pytest.fixture(scope="module")
def server_url(library):
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(library, api_key=KEY), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/v1"
    server.should_exit = True
    thread.join(timeout=10)


def test_the_openai_client_chats_with_the_library(server_url):
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=server_url, api_key=KEY)
    assert [m.id for m in client.models.list()] == ["rag"]
    reply = client.chat.completions.create(model="rag", messages=[{"role": "user", "content": Q}])
    content = reply.choices[0].message.content
    assert "[1]" in content and "Sources:" in content and "Abu Hafs" in content
    citations = reply.model_extra["citations"]
    assert citations[0]["marker"] == 1 and citations[0]["quote"] in content

    stream = client.chat.completions.create(model="rag", messages=[{"role": "user", "content": Q}], stream=True)
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == content
    assert chunks[-1].model_extra["citations"] == citations


def test_the_openai_client_sees_clear_errors(server_url):
    openai = pytest.importorskip("openai")
    with pytest.raises(openai.AuthenticationError, match="API key"):
        openai.OpenAI(base_url=server_url, api_key="wrong").models.list()
    client = openai.OpenAI(base_url=server_url, api_key=KEY)
    with pytest.raises(openai.NotFoundError, match="unknown model"):
        client.chat.completions.create(model="gpt-4", messages=[{"role": "user", "content": Q}])
    with pytest.raises(openai.BadRequestError, match="no user message"):
        client.chat.completions.create(model="rag", messages=[{"role": "system", "content": "be brief"}])


def test_a_follow_up_is_read_against_the_question_before(client):
    messages = [
        {"role": "user", "content": "How many soldiers were killed in southern Raqqa on July 13?"},
        {"role": "assistant", "content": "..."},
        {"role": "user", "content": "and in eastern Homs?"},
    ]
    r = client.post("/v1/chat/completions", json={"model": "rag", "messages": messages}, headers=AUTH)
    body = r.json()
    assert r.status_code == 200 and body["object"] == "chat.completion"
    assert body["rag"]["meta"]["standalone_question"] != "and in eastern Homs?"
