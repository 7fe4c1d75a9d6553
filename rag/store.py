"""The persisted index: chunk vectors and paragraph records in Chroma. The only chromadb importer."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence
from urllib.parse import urlparse

import numpy as np

from rag.types import Chunk, Paragraph, SentenceKey

# Chroma logs telemetry failures loudly when offline; telemetry is off, keep its logger quiet too.
logging.getLogger("chromadb.telemetry").setLevel(logging.CRITICAL)


# HNSW build effort for the id-only sentence collection (Chroma's defaults: 100 and 16).
SENTENCE_GRAPH = {"ef_construction": 10, "max_neighbors": 4}


class StoreUnavailable(RuntimeError):
    """The Chroma server cannot be reached; the message names it."""


def _client(path: Path, server_url: str | None):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if server_url is None:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=settings)
    url = urlparse(server_url if "://" in server_url else f"http://{server_url}")
    if not url.hostname:
        raise StoreUnavailable(f"not a Chroma server URL: {server_url!r} (expected http://HOST:PORT)")
    try:
        return chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=settings,
        )
    except Exception as exc:  # chromadb raises plain ValueError/ConnectionError kinds here
        raise StoreUnavailable(f"cannot reach the Chroma server at {server_url}: {exc}") from exc


@dataclass(frozen=True)
class DenseHit:
    chunk_id: str
    paragraph_id: str
    similarity: float


class Store:
    """One Chroma collection per index fingerprint, so vectors from different models never mix."""

    def __init__(self, index_dir: Path, collection_name: str, server_url: str | None = None):
        """Embedded Chroma under ``index_dir/chroma``, or the Chroma server at ``server_url``."""
        self._client = _client(index_dir / "chroma", server_url)
        # embedding_function=None: Chroma must never embed (its default would download a model).
        self._collection = self._client.get_or_create_collection(
            collection_name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
        # Sentence vectors for answer-time scoring, looked up by id (never searched): a cache that the
        # answerer refills itself when an entry is missing. Chroma indexes every collection, so this one
        # gets the cheapest graph it allows: a full one cost 2.6x the CPU to insert, for searches never made.
        self._sentences = self._client.get_or_create_collection(
            f"{collection_name}-sentences",
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine", **SENTENCE_GRAPH}},
        )

    def count(self) -> int:
        return self._collection.count()

    def reset(self) -> None:
        """Empty both collections (for a rebuild)."""
        for collection in (self._collection, self._sentences):
            ids = collection.get(include=[])["ids"]
            for i in range(0, len(ids), 5000):
                collection.delete(ids=ids[i : i + 5000])

    def add(self, chunks: Sequence[Chunk], embeddings: np.ndarray) -> None:
        _upsert(
            self._collection,
            ids=[c.id for c in chunks],
            embeddings=embeddings,
            documents=[c.text for c in chunks],
            metadatas=[_chunk_metadata(c) for c in chunks],
        )

    def delete(self, chunk_ids: Sequence[str]) -> None:
        if chunk_ids:
            self._collection.delete(ids=list(chunk_ids))

    def add_sentences(self, sentences: Sequence[SentenceKey], embeddings: np.ndarray) -> None:
        _upsert(
            self._sentences,
            ids=[k.id for k in sentences],
            embeddings=embeddings,
            metadatas=[{"source": k.source, "start": k.start, "end": k.end} for k in sentences],
        )

    def delete_sentences(self, source: str) -> None:
        self._sentences.delete(where={"source": source})

    def delete_sentences_except(self, sources: Sequence[str]) -> None:
        """Drop sentence vectors of documents no longer indexed (left by a killed ingest)."""
        where = {"source": {"$nin": list(sources)}} if sources else None
        ids = self._sentences.get(where=where, include=[])["ids"]
        for i in range(0, len(ids), 5000):
            self._sentences.delete(ids=ids[i : i + 5000])

    def sentence_vectors(self, keys: Sequence[SentenceKey]) -> dict[str, np.ndarray]:
        """Stored vectors for these sentences; a key whose stored span differs is left out."""
        if not keys:
            return {}
        wanted = {k.id: k for k in keys}
        res = self._sentences.get(ids=list(wanted), include=["embeddings", "metadatas"])
        out = {}
        for sid, vec, meta in zip(res["ids"], res["embeddings"], res["metadatas"]):
            key = wanted[sid]
            if meta.get("start") == key.start and meta.get("end") == key.end:
                out[sid] = np.asarray(vec, dtype=np.float32)
        return out

    def query(self, embedding: np.ndarray, k: int, sources: Sequence[str] | None = None) -> list[DenseHit]:
        n = self.count()
        if n == 0:
            return []
        where = None
        if sources:
            where = {"source": sources[0]} if len(sources) == 1 else {"source": {"$in": list(sources)}}
        res = self._collection.query(
            query_embeddings=[embedding.tolist()], n_results=min(k, n), where=where, include=["metadatas", "distances"]
        )
        return [
            DenseHit(cid, meta["paragraph_id"], 1.0 - float(dist))
            for cid, meta, dist in zip(res["ids"][0], res["metadatas"][0], res["distances"][0])
        ]

    def paragraphs(self, page_size: int = 5000) -> Iterable[Paragraph]:
        """Every stored paragraph once (from its first chunk)."""
        offset = 0
        while True:
            res = self._collection.get(
                where={"chunk": 0}, include=["metadatas", "documents"], limit=page_size, offset=offset
            )
            if not res["ids"]:
                return
            for meta, doc in zip(res["metadatas"], res["documents"]):
                yield _paragraph_from(meta, doc)
            offset += len(res["ids"])

    def chunk_ids(self) -> set[str]:
        return set(self._collection.get(include=[])["ids"])


def _upsert(collection, ids: list[str], embeddings: np.ndarray, batch: int = 1000, **columns: list) -> None:
    """Upsert in batches: Chroma caps the size of one call."""
    for i in range(0, len(ids), batch):
        collection.upsert(
            ids=ids[i : i + batch],
            embeddings=embeddings[i : i + batch],
            **{name: values[i : i + batch] for name, values in columns.items()},
        )


def _chunk_metadata(chunk: Chunk) -> dict:
    p = chunk.paragraph
    meta = {
        "source": p.source,
        "paragraph": p.number,
        "paragraph_id": p.id,
        "start": p.start,
        "end": p.end,
        "chunk": chunk.index,
        "chunk_start": chunk.start,
        "chunk_end": chunk.end,
    }
    if p.section is not None:
        meta["section"] = p.section
    if p.page is not None:
        meta["page"] = p.page
    if p.page_breaks:  # metadata values are scalars: "812:12;1500:13"
        meta["page_breaks"] = ";".join(f"{at}:{page}" for at, page in p.page_breaks)
    if chunk.index == 0 and chunk.text != p.text:
        meta["paragraph_text"] = p.text  # windows hold only part of the paragraph
    return meta


def _paragraph_from(meta: dict, document: str) -> Paragraph:
    return Paragraph(
        source=meta["source"],
        number=int(meta["paragraph"]),
        start=int(meta["start"]),
        end=int(meta["end"]),
        text=meta.get("paragraph_text", document),
        section=meta.get("section"),
        page=meta.get("page"),
        page_breaks=tuple(
            (int(at), int(page))
            for at, page in (pair.split(":") for pair in str(meta.get("page_breaks") or "").split(";") if pair)
        ),
    )
