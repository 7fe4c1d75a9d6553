"""The one settings object. Read from RAG_* environment variables, passed explicitly everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from rag.backends import BACKEND_NAMES, BACKENDS

PACKAGED_MODEL = "all-MiniLM-L6-v2"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", frozen=True)

    index: Path = Field(Path("index"), description="Folder of the persisted store (and the manifest).")
    chroma_url: str | None = Field(
        None, description="A Chroma server (http://HOST:PORT) to hold the vectors instead of the embedded store."
    )
    embedding_model: str = Field(
        PACKAGED_MODEL,
        description=f"'{PACKAGED_MODEL}' (the packaged model), 'hash' (tests only) or a local model folder.",
    )
    embed_batch_size: int = Field(32, ge=1)
    max_file_mb: float = Field(10, gt=0, description="Larger files are refused, with the reason, at ingest.")
    chunk_chars: int = Field(1000, ge=200, description="Paragraphs longer than this are embedded in sentence windows.")

    dense_k: int = Field(40, ge=1, description="Chunks taken from the vector search before fusion.")
    bm25_k: int = Field(40, ge=1, description="Paragraphs taken from BM25 before fusion.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant.")
    evidence_k: int = Field(8, ge=1, description="Fused paragraphs whose sentences are scored for the answer.")

    reader_k: int | None = Field(
        None, ge=1, description="Top evidence paragraphs the reader reads (default: as calibrated)."
    )
    answer_threshold: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Abstain when the answer's probability of being right is below this "
        "(default: the threshold calibrated on validation data, rag/reader/weights/calibration.json).",
    )
    reader_weights: Path | None = Field(
        None, description="Folder of trained reader weights (default: the committed ones)."
    )
    checker_weights: Path | None = Field(
        None, description="Folder of trained claim-checker weights (default: the committed ones, rag/checker)."
    )
    claim_threshold: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="An LLM's claim is kept when the checker's P(supported) reaches this "
        "(default: the threshold fitted on validation claims, rag/checker/weights/checker.json).",
    )
    checker_bf16: bool | None = Field(
        None,
        description="Check claims in bfloat16 (about 1.7 times faster; probabilities within about 0.01 of "
        "float32). Default: where the CPU computes bfloat16 natively (AVX512-BF16 or AMX).",
    )
    max_question_chars: int = Field(2000, ge=1)

    # Answering with a language model (the extractive answerer needs none).
    llm: Literal[BACKEND_NAMES] = Field(
        "extractive", description="Answer backend: " + "; ".join(f"{b.name}: {b.summary}" for b in BACKENDS)
    )
    llm_url: str | None = Field(None, description="OpenAI-compatible base URL, e.g. http://127.0.0.1:11434/v1")
    llm_model: str | None = Field(None, description="Model name the server knows.")
    llm_api_key: str | None = Field(None, description="Only for servers that want one.")
    gguf: Path | None = Field(None, description="GGUF file for the llamacpp backend (default: packaged SmolLM2).")
    llm_context: int = Field(4096, ge=512, description="llama.cpp context window, tokens.")
    llm_timeout: float = Field(60.0, gt=0, description="Seconds before a server call gives up.")
    llm_retries: int = Field(2, ge=0)
    llm_max_tokens: int = Field(256, ge=16)
    llm_evidence: int = Field(5, ge=1, description="Evidence paragraphs put in the prompt.")

    # The chat UI.
    host: str = Field("127.0.0.1", description="Interface the UI binds to; loopback unless you mean otherwise.")
    port: int = Field(7860, ge=1, le=65535)
    auth: str | None = Field(None, description="'user:password' turns on login for the UI.")
    max_upload_mb: int = Field(20, ge=1, description="Largest report the UI and the HTTP API accept.")
    api_key: str | None = Field(
        None, description="Bearer key the HTTP API (rag serve) requires; needed to bind beyond loopback."
    )

    @property
    def uploads_dir(self) -> Path:
        return self.index / "uploads"
