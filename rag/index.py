"""The index folder's bookkeeping: which documents are in it (the manifest), their stored texts, their
chunks and sentence vectors in the store, and the one-writer lock. Ingest, repair, verify, rebuild and remove
live here; ``rag.Library`` is the public facade over it and answers questions."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
from filelock import FileLock, Timeout

from rag.embeddings import Embedder, embedder_name
from rag.manifest import Candidate, DocEntry, Manifest, decide, discover, removed_sources
from rag.paragraphs import (
    CHUNKING_VERSION,
    assign_pages,
    chunk_paragraph,
    mark_footnotes,
    paragraph_sentences,
    split_paragraphs,
)
from rag.readers import ReadError, ensure_supported, extract, read_bytes
from rag.retrieve import indexed_text
from rag.settings import Settings
from rag.store import Store
from rag.types import Chunk, FileResult, IngestReport, Paragraph, SentenceKey

log = logging.getLogger(__name__)

# Files are embedded together until this many chunks wait: the model pads each batch to its longest text,
# so it wants many texts to sort by length, while a crash should redo little.
EMBED_BATCH_CHUNKS = 2048


@dataclass
class _Prepared:
    """A file read and split, waiting to be embedded."""

    candidate: Candidate
    sha256: str
    update: bool
    text: str
    paragraphs: list[Paragraph]
    chunks: list[Chunk]
    note: str | None = None


class IndexBusy(RuntimeError):
    """Another process holds the index's write lock."""


@dataclass(frozen=True)
class Consistency:
    documents: int
    chunks: int  # listed by the manifest
    stored: int  # in the store
    orphans: int  # stored, listed by no document
    incomplete: list[str]  # documents with chunks missing from the store
    missing_texts: list[str]  # documents whose stored text is gone

    @property
    def ok(self) -> bool:
        return not self.orphans and not self.incomplete and not self.missing_texts and self.chunks == self.stored


class InvalidQuestion(ValueError):
    """A question that cannot be asked (empty, too long); the message says which."""


class UnknownDocument(ValueError):
    """A document named to restrict to (or remove) that is not indexed; the message names it."""


@dataclass(frozen=True)
class IngestProgress:
    done: int  # files handled so far
    total: int
    result: FileResult | None  # the file just handled


def _index_id(index: Path) -> str:
    """A random name for this index folder, made once: its identity on a shared Chroma server."""
    path = index / "index-id"
    if not path.exists():
        index.mkdir(parents=True, exist_ok=True)
        tmp = index / f"index-id.{uuid.uuid4().hex}.tmp"
        tmp.write_text(uuid.uuid4().hex[:12])
        try:
            os.link(tmp, path)  # atomic create-if-absent: two first runs agree on one id
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


def index_fingerprint(settings: Settings) -> str:
    """Everything that shapes the stored vectors; a change means a fresh collection, never mixed vectors."""
    shape = {
        "embedder": embedder_name(settings),
        "chunking": CHUNKING_VERSION,
        "chunk_chars": settings.chunk_chars,
    }
    return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:16]


class Index:
    """One index folder (and its collection, embedded or on a Chroma server). Reads need no lock; every
    change takes the cross-process write lock. ``on_change`` is told after documents were added or removed."""

    def __init__(self, settings: Settings, embedder: Callable[[], Embedder], on_change: Callable[[], None]):
        self.settings = settings
        self.fingerprint = index_fingerprint(settings)
        self.folder = Path(settings.index)
        # Named by what shapes the vectors and by this index, so indexes sharing one Chroma server never mix.
        self.store = Store(self.folder, f"rag-{self.fingerprint}-{_index_id(self.folder)}", settings.chroma_url)
        # One manifest per store it describes: the embedded one, or each Chroma server this index is kept on.
        where = "local" if not settings.chroma_url else hashlib.sha256(settings.chroma_url.encode()).hexdigest()[:8]
        self.manifest_path = self.folder / f"manifest-{self.fingerprint}-{where}.json"
        self._write_lock = FileLock(str(self.folder / ".write.lock"))
        self._embedder = embedder
        self._on_change = on_change

    def manifest(self) -> Manifest:
        return Manifest.load(self.manifest_path, self.fingerprint)

    def documents(self) -> dict[str, DocEntry]:
        return dict(self.manifest().documents)

    def ingest(
        self,
        paths: Iterable[str | Path],
        progress: Callable[[IngestProgress], None] | None = None,
        wait: bool = True,
        on_wait: Callable[[], None] | None = None,
    ) -> IngestReport:
        """Add new and changed files, drop files gone from ingested folders. One writer at a time: see
        ``writing`` for ``wait``/``on_wait``."""
        started = time.perf_counter()
        report = IngestReport()
        candidates, problems, roots = discover([Path(p) for p in paths])
        for path, reason in problems:
            report.files.append(FileResult(str(path), str(path), "failed", reason=reason))
        with self.writing(wait, on_wait):
            manifest = self.manifest()
            self._repair(manifest)
            gone = removed_sources(manifest, roots, {c.path for c in candidates})
            total = len(candidates) + len(gone)

            def handled(result: FileResult) -> None:
                report.files.append(result)
                if progress:
                    progress(IngestProgress(len(report.files) - len(problems), total, result))

            batch: list[_Prepared] = []
            for cand in candidates:
                prepared = self._prepare(manifest, cand)
                if isinstance(prepared, FileResult):
                    handled(prepared)
                    continue
                batch.append(prepared)
                if sum(len(f.chunks) for f in batch) >= EMBED_BATCH_CHUNKS:
                    for result in self._commit(manifest, batch):
                        handled(result)
                    batch = []
            if batch:
                for result in self._commit(manifest, batch):
                    handled(result)
            for source in gone:
                entry = self._drop(manifest, source)
                handled(FileResult(source, entry.path, "removed", paragraphs=entry.paragraphs))
        if any(f.status in ("added", "updated", "removed") for f in report.files):
            self._on_change()
        report.seconds = time.perf_counter() - started
        return report

    def _embed(
        self, paragraphs: list[Paragraph], chunks: list[Chunk]
    ) -> tuple[np.ndarray, list[SentenceKey], np.ndarray]:
        """Chunk vectors and every sentence's vector from one pass of the model over the chunks: a sentence
        is read inside the first chunk that holds it."""
        texts = [indexed_text(c.paragraph, c.text) for c in chunks]
        spans: list[list[tuple[int, int]]] = [[] for _ in chunks]
        by_paragraph: dict[str, list[int]] = {}
        for i, c in enumerate(chunks):
            by_paragraph.setdefault(c.paragraph.id, []).append(i)
        sentences, slots = [], []
        for p in paragraphs:
            for key in paragraph_sentences(p):
                start, end = p.start + key.start, p.start + key.end
                for i in by_paragraph[p.id]:
                    c = chunks[i]
                    if c.start <= start and end <= c.end:
                        offset = len(texts[i]) - len(c.text) + (start - c.start)  # past the section prefix
                        spans[i].append((offset, offset + end - start))
                        slots.append((i, len(spans[i]) - 1))
                        break
                else:  # a sentence longer than any window: read on its own
                    slots.append(None)
                sentences.append(key)
        embedder = self._embedder()
        chunk_vectors, span_vectors = embedder.embed_with_spans(texts, spans)
        alone = [k for k, slot in zip(sentences, slots) if slot is None]
        alone_vectors = iter(embedder.embed_documents([self._sentence_text(paragraphs, k) for k in alone]))
        sentence_vectors = np.stack(
            [span_vectors[slot[0]][slot[1]] if slot else next(alone_vectors) for slot in slots]
        ).reshape(len(sentences), embedder.dim)
        return chunk_vectors, sentences, sentence_vectors

    @staticmethod
    def _sentence_text(paragraphs: list[Paragraph], key: SentenceKey) -> str:
        p = next(p for p in paragraphs if p.id == key.paragraph_id)
        return p.text[key.start : key.end]

    @contextlib.contextmanager
    def writing(self, wait: bool = True, on_wait: Callable[[], None] | None = None):
        """The one-writer lock of this index. Questions never take it; a second writer waits (telling
        ``on_wait`` once) or, with ``wait=False``, gets IndexBusy at once."""
        try:
            self._write_lock.acquire(timeout=0)
        except Timeout:
            if not wait:
                raise IndexBusy(f"another process is writing to the index at {self.folder}; try again later") from None
            if on_wait:
                on_wait()
            self._write_lock.acquire()
        try:
            yield
        finally:
            self._write_lock.release()

    def remove(self, source: str) -> bool:
        """Take a document out of the index (its file is left alone); False if it was not indexed."""
        with self.writing():
            manifest = self.manifest()
            if source not in manifest.documents:
                return False
            self._drop(manifest, source)
        self._on_change()
        return True

    def verify(self) -> Consistency:
        """Does the store hold exactly the chunks the manifest lists? (Read-only.)"""
        manifest = self.manifest()
        listed = {cid for e in manifest.documents.values() for cid in e.chunk_ids}
        stored = self.store.chunk_ids()
        missing_docs = sorted(s for s, e in manifest.documents.items() if not set(e.chunk_ids) <= stored)
        texts = sorted(s for s, e in manifest.documents.items() if not self.text_path(e.sha256).exists())
        return Consistency(
            documents=len(manifest.documents),
            chunks=len(listed),
            stored=len(stored),
            orphans=len(stored - listed),
            incomplete=missing_docs,
            missing_texts=texts,
        )

    def _repair(self, manifest: Manifest) -> None:
        """Undo what a killed ingest left: chunks no manifest entry lists are deleted, and a document whose
        chunks are not all stored is dropped from the manifest so this run ingests it again. Cheap when
        consistent: one count is compared first."""
        listed = sum(len(e.chunk_ids) for e in manifest.documents.values())
        if self.store.count() == listed and all(self.text_path(e.sha256).exists() for e in manifest.documents.values()):
            return
        stored = self.store.chunk_ids()
        keep = {cid for e in manifest.documents.values() for cid in e.chunk_ids}
        self.store.delete(sorted(stored - keep))
        self.store.delete_sentences_except(sorted(manifest.documents))
        for source in [
            s
            for s, e in manifest.documents.items()
            if not set(e.chunk_ids) <= stored or not self.text_path(e.sha256).exists()
        ]:
            self._drop(manifest, source)
        manifest.save(self.manifest_path)
        self._on_change()

    def rebuild(self, progress: Callable[[IngestProgress], None] | None = None) -> IngestReport:
        """Re-derive the whole index from the source files the manifest names: everything is embedded again."""
        with self.writing():
            paths = [Path(e.path) for e in self.manifest().documents.values()]
            self.store.reset()
            self.manifest_path.unlink(missing_ok=True)
            self._on_change()
        return self.ingest(paths, progress=progress)

    def _drop(self, manifest: Manifest, source: str) -> DocEntry:
        entry = manifest.documents.pop(source)
        self.store.delete(entry.chunk_ids)
        self.store.delete_sentences(source)
        manifest.save(self.manifest_path)
        if manifest.source_with_hash(entry.sha256) is None:
            self.text_path(entry.sha256).unlink(missing_ok=True)
        return entry

    # The text each document was read as (for PDF, DOCX, HTML: the rebuilt text), which citation offsets
    # index into. Keyed by the file's content hash.
    def text_path(self, sha256: str) -> Path:
        return self.folder / "texts" / f"{sha256}.txt"

    def _save_text(self, sha256: str, text: str) -> None:
        path = self.text_path(sha256)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8", newline="")
        tmp.replace(path)

    def document_text(self, source: str) -> str | None:
        """The stored text of a document: ``document_text(c.source)[c.start:c.end] == c.text``."""
        entry = self.documents().get(source)
        if entry is None or not self.text_path(entry.sha256).exists():
            return None
        return self.text_path(entry.sha256).read_bytes().decode("utf-8")  # as written: "\r\n" stays

    def _prepare(self, manifest: Manifest, cand: Candidate) -> FileResult | _Prepared:
        """Read and split one file; a FileResult when there is nothing to embed (unchanged, failed)."""

        def failed(reason: str) -> FileResult:
            return FileResult(cand.source, str(cand.path), "failed", reason=reason)

        try:
            ensure_supported(cand.path)  # before reading: a folder may hold large files of other kinds
            if not cand.path.is_file():
                return failed("not a regular file (a pipe, device or broken link)")
            size_mb = cand.path.stat().st_size / 1_000_000
            if size_mb > self.settings.max_file_mb:
                return failed(f"{size_mb:.1f} MB is over the {self.settings.max_file_mb:g} MB limit (RAG_MAX_FILE_MB)")
            data = read_bytes(cand.path)
        except ReadError as exc:
            return failed(str(exc))
        except OSError as exc:  # a symlink loop, a vanished file
            return failed(f"cannot read file: {exc.strerror or exc}")
        sha = hashlib.sha256(data).hexdigest()
        decision, reason = decide(manifest, cand, sha)
        if decision == "clash":
            return failed(reason or "name clash")
        if decision in ("unchanged", "duplicate"):
            entry = manifest.documents.get(cand.source)
            if entry is not None and entry.path != str(cand.path):  # moved: remember where it lives now
                entry.path = str(cand.path)
                manifest.save(self.manifest_path)
            paragraphs = entry.paragraphs if entry else 0
            return FileResult(cand.source, str(cand.path), "unchanged", paragraphs=paragraphs, reason=reason)
        try:
            extracted = extract(cand.path, data)
        except ReadError as exc:
            return failed(str(exc))
        except Exception as exc:  # a parsing library tripping on a malformed file: that file fails, the rest go on
            log.warning("reading %s failed", cand.path, exc_info=True)
            return failed(f"could not be read ({type(exc).__name__}: {exc})")
        paragraphs = split_paragraphs(extracted.text, cand.source)
        if extracted.page_marks:
            paragraphs = assign_pages(paragraphs, extracted.page_marks)
        paragraphs = mark_footnotes(paragraphs, extracted.footnotes)
        if not paragraphs:
            return failed("no text paragraphs found")
        chunks = [c for p in paragraphs for c in chunk_paragraph(p, self.settings.chunk_chars)]
        return _Prepared(cand, sha, decision == "update", extracted.text, paragraphs, chunks, extracted.note)

    def _commit(self, manifest: Manifest, batch: list[_Prepared]) -> list[FileResult]:
        """Embed a batch of files in one pass (the model batches by length across them), store, record."""
        paragraphs = [p for f in batch for p in f.paragraphs]
        chunks = [c for f in batch for c in f.chunks]
        chunk_vectors, sentences, sentence_vectors = self._embed(paragraphs, chunks)
        # Store first, then drop what new versions no longer have, then the manifest: a crash at any point
        # leaves the old manifest, and the next run redoes these files (same ids, so nothing doubles).
        for f in batch:
            self._save_text(f.sha256, f.text)
            self.store.delete_sentences(f.candidate.source)
        self.store.add(chunks, chunk_vectors)
        self.store.add_sentences(sentences, sentence_vectors)
        results = []
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        for f in batch:
            source = f.candidate.source
            new_ids = [c.id for c in f.chunks]
            old = manifest.documents.get(source)
            if old is not None:
                self.store.delete(sorted(set(old.chunk_ids) - set(new_ids)))
            manifest.documents[source] = DocEntry(str(f.candidate.path), f.sha256, len(f.paragraphs), new_ids, now)
            results.append(
                FileResult(
                    source,
                    str(f.candidate.path),
                    "updated" if f.update else "added",
                    paragraphs=len(f.paragraphs),
                    chunks_embedded=len(f.chunks),
                    reason=f.note,
                )
            )
        manifest.save(self.manifest_path)
        return results
