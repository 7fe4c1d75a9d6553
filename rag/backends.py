"""The answer backends, in one registry that the settings, the CLI's help, the UI's selector and the public API
read. Making a backend's model lives in rag/answer/llm.py (make_llm)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Backend:
    name: str
    summary: str
    needs_url: bool = False  # a server address (and model name) must be given


BACKENDS = (
    Backend("extractive", "the trained reader's sentence, verbatim and cited; no model"),
    Backend("llamacpp", "a local GGUF model through llama.cpp; every claim it writes is checked"),
    Backend(
        "openai-compatible",
        "any OpenAI-compatible server (Ollama, vLLM, llama.cpp server, OpenAI); every claim it writes is checked",
        needs_url=True,
    ),
)
BACKEND_NAMES = tuple(b.name for b in BACKENDS)
