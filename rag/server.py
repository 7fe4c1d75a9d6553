"""HTTP API over the public API (`rag serve`): ask, batch, ingest, documents, and an OpenAI-compatible chat
endpoint so chat front ends (Open WebUI, AnythingLLM, LibreChat) can use the library as a model named "rag".

Every error is JSON, OpenAI style: ``{"error": {"message": ..., "type": ...}}`` with a 4xx/5xx status.
With ``RAG_API_KEY`` set every /v1 route wants ``Authorization: Bearer <key>``; binding beyond loopback
without a key is refused at start.
"""

from __future__ import annotations

import hmac
import json
import time
import uuid
from typing import Any, Iterator, Literal

from fastapi import Depends, FastAPI, File, HTTPException, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

import rag
from rag.uploads import ingest_uploads, remove_document

MODEL_ID = "rag"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_JSON_BYTES = 1024 * 1024  # a JSON request (not an upload) larger than this is refused
MAX_BATCH = 1000


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(description="The question, in plain words.")
    sources: list[str] | None = Field(None, description="Restrict the answer to these documents.")


class BatchItem(BaseModel):
    id: str | None = None
    question: str


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    questions: list[BatchItem] = Field(max_length=MAX_BATCH)
    sources: list[str] | None = None


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):  # content parts: only the text ones mean anything here
            return " ".join(p.get("text", "") for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens, ...: accepted and ignored
    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False


class ApiError(Exception):
    def __init__(self, status: int, message: str, kind: str = "invalid_request_error"):
        self.status, self.message, self.kind = status, message, kind


def _error(status: int, message: str, kind: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind}}, status_code=status)


def check_binding(host: str, api_key: str | None) -> None:
    """Refuse to serve beyond this machine without a key."""
    if host not in LOOPBACK and not api_key:
        raise SystemExit(f"refusing to bind {host} without an API key: set RAG_API_KEY (clients send it as a bearer)")


def create_app(lib: rag.Library, api_key: str | None = None) -> FastAPI:
    app = FastAPI(
        title="rag",
        version="1",
        description="Grounded, cited answers from your reports. Answers follow DESIGN 2.4.",
    )
    bearer = HTTPBearer(auto_error=False)
    upload_limit = lib.settings.max_upload_mb * 1024 * 1024

    def authorized(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
        if api_key is None:
            return
        if credentials is None or not hmac.compare_digest(credentials.credentials.encode(), api_key.encode()):
            raise ApiError(401, "missing or wrong API key: send 'Authorization: Bearer <RAG_API_KEY>'", "auth_error")

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.message, exc.kind)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail), "invalid_request_error")

    @app.exception_handler(RequestValidationError)
    async def invalid_body(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}" for e in exc.errors()
        )
        return _error(422, f"invalid request: {problems}", "invalid_request_error")

    @app.middleware("http")
    async def size_limit(request: Request, call_next):
        declared = request.headers.get("content-length")
        limit = upload_limit * 4 if request.url.path == "/v1/ingest" else MAX_JSON_BYTES
        if declared and declared.isdigit() and int(declared) > limit:
            return _error(413, f"request body of {declared} bytes is over the {limit} byte limit", "request_too_large")
        return await call_next(request)

    def known_sources(sources: list[str] | None) -> list[str] | None:
        try:
            return lib.check_sources(sources)
        except rag.UnknownDocument as exc:
            raise ApiError(404, f"{exc} (GET /v1/documents lists them)") from exc

    def answer(question: str, sources: list[str] | None) -> rag.Answer:
        try:
            return lib.ask(question, sources)
        except rag.InvalidQuestion as exc:
            raise ApiError(400, f"question: {exc}") from exc
        except rag.LLMError as exc:
            raise ApiError(502, f"language model: {exc}", "llm_error") from exc

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok", "documents": len(lib.sources())}

    @app.post("/v1/ask", dependencies=[Depends(authorized)])
    def ask(body: AskRequest) -> dict:
        """One question -> one answer (DESIGN 2.4)."""
        return answer(body.question, known_sources(body.sources)).to_dict()

    @app.post("/v1/batch", dependencies=[Depends(authorized)])
    def batch(body: BatchRequest) -> dict:
        """Answers in input order, each with its ``id``; a failing question gets ``error`` and the rest go on."""
        sources = known_sources(body.sources)
        answers = lib.ask_many([q.question for q in body.questions], sources)
        return {"answers": [{"id": q.id, **a.to_dict()} for q, a in zip(body.questions, answers)]}

    @app.post("/v1/ingest", dependencies=[Depends(authorized)])
    async def ingest(files: list[UploadFile] = File(description="Reports: txt, md, pdf, docx, html")) -> dict:
        uploaded = [(f.filename or "upload", await f.read()) for f in files]
        try:
            results = ingest_uploads(lib, uploaded)
        except rag.IndexBusy as exc:
            raise ApiError(409, f"index busy: {exc}", "conflict") from exc
        return {"files": [r.to_dict() for r in results]}

    @app.get("/v1/documents", dependencies=[Depends(authorized)])
    def documents() -> dict:
        docs = lib.documents()
        return {
            "documents": [
                {"source": s, "paragraphs": d.paragraphs, "ingested_at": d.ingested_at} for s, d in sorted(docs.items())
            ]
        }

    @app.delete("/v1/documents/{source:path}", dependencies=[Depends(authorized)])
    def delete_document(source: str) -> dict:
        known_sources([source])
        try:
            remove_document(lib, source)
        except rag.IndexBusy as exc:
            raise ApiError(409, f"index busy: {exc}", "conflict") from exc
        return {"removed": source}

    @app.get("/v1/models", dependencies=[Depends(authorized)])
    def models() -> dict:
        return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "rag"}]}

    @app.post("/v1/chat/completions", dependencies=[Depends(authorized)])
    def chat_completions(body: ChatRequest):
        """The last user message is the question (a follow-up is read against the one before); the reply is
        the checked answer with its [n] markers and a sources list, the structured citations in ``citations``."""
        if body.model != MODEL_ID:
            raise ApiError(404, f"unknown model {body.model!r}: this server has one model, {MODEL_ID!r}", "not_found")
        asked = [m.text() for m in body.messages if m.role == "user" and m.text().strip()]
        if not asked:
            raise ApiError(400, "messages: no user message with text to answer")
        session = rag.ChatSession()
        if len(asked) > 1:
            session.add(asked[-2], asked[-2], rag.Answer(asked[-2], "", True))
        try:
            result = lib.chat(session, asked[-1])
        except rag.InvalidQuestion as exc:
            raise ApiError(400, f"messages: {exc}") from exc
        except rag.LLMError as exc:
            raise ApiError(502, f"language model: {exc}", "llm_error") from exc
        content = chat_content(result)
        reply_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        as_dict = result.to_dict()
        citations = as_dict["citations"]
        if body.stream:
            return StreamingResponse(
                _chunks(reply_id, created, content, citations, _extras(as_dict)), media_type="text/event-stream"
            )
        return {
            "id": reply_id,
            "object": "chat.completion",
            "created": created,
            "model": MODEL_ID,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "citations": citations,
            "rag": _extras(as_dict),
        }

    return app


def _extras(answer: dict) -> dict:
    """What the chat reply carries beside its text: from the answer's DESIGN 2.4 dict."""
    return {k: answer.get(k) for k in ("abstained", "short_answer", "short_span", "meta")}


def chat_content(answer: rag.Answer) -> str:
    """The answer with its markers, then one line per source: document, paragraph, page, quote."""
    if answer.abstained or not answer.citations:
        return answer.answer
    lines = [answer.answer, "", "Sources:"]
    for c in answer.citations:
        page = f", page {c.page}" if c.page else ""
        lines.append(f"[{c.marker}] {c.source}, paragraph {c.paragraph}{page}: “{c.quote}”")
    return "\n".join(lines)


def _chunks(reply_id: str, created: int, content: str, citations: list, extras: dict) -> Iterator[str]:
    """The checked answer as server-sent chat.completion.chunk events. The answer is complete before the first
    chunk: a language model's raw reply is never streamed, only what verification kept."""

    def event(delta: dict, finish: str | None = None, **extra) -> str:
        chunk = {
            "id": reply_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

    yield event({"role": "assistant", "content": ""})
    for i in range(0, len(content), 48):
        yield event({"content": content[i : i + 48]})
    yield event({}, "stop", citations=citations, rag=extras)
    yield "data: [DONE]\n\n"


def build_app(lib: rag.Library, api_key: str | None, with_ui: bool = False) -> FastAPI:
    """The API, and with ``with_ui`` the chat UI mounted at / beside it."""
    app = create_app(lib, api_key)
    if with_ui:
        import gradio as gr

        from rag.ui.app import build

        app = gr.mount_gradio_app(app, build(lib), path="/")
    return app


def serve(lib: rag.Library, host: str, port: int, api_key: str | None, with_ui: bool = False) -> None:
    """Run the API (and, with ``with_ui``, the chat UI at /) until interrupted."""
    import uvicorn

    check_binding(host, api_key)
    lib.warm_up()
    uvicorn.run(build_app(lib, api_key, with_ui), host=host, port=port, log_level="info")
