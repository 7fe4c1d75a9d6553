"""The public Python API: open an index, ingest reports, ask questions."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np
from filelock import FileLock, Timeout

from rag.answer.extractive import ExtractiveAnswerer
from rag.answer.gated import GatedAnswerer, SentenceScorer
from rag.answer.grounded import Verifier
from rag.answer.llm import LLM, make_llm
from rag.answer.policy import AnswerPolicy, Outcome
from rag.chat import ChatSession, condense
from rag.checker.check import ClaimChecker, load_checker
from rag.checker.model import CheckerMissing
from rag.embeddings import Embedder, embedder_name, load_embedder
from rag.manifest import Candidate, DocEntry, Manifest, decide, discover, removed_sources
from rag.paragraphs import CHUNKING_VERSION, assign_pages, chunk_paragraph, paragraph_sentences, split_paragraphs
from rag.reader.read import Reader, load_reader
from rag.readers import ReadError, ensure_supported, extract, read_bytes
from rag.retrieve import Corpus, fuse, indexed_text
from rag.settings import Settings
from rag.store import Store
from rag.types import Answer, AnswerStream, Chunk, FileResult, IngestReport, Paragraph, ScoredParagraph, SentenceKey

QUERY_CACHE_SIZE = 256
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
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


class _Configured:
    def __repr__(self) -> str:
        return "CONFIGURED"


# Per call, `llm=` may name another model than the settings do (None: the extractive answerer).
CONFIGURED = _Configured()
LLMChoice = LLM | None | _Configured


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


class Library:
    """An index of reports. Thread-safe for questions; ingest takes a cross-process write lock."""

    def __init__(self, settings: Settings, llm: LLM | None = None):
        """``llm`` overrides the backend the settings name (any object with the LLM protocol)."""
        self.settings = settings
        self.fingerprint = index_fingerprint(settings)
        self._index = Path(settings.index)
        # Named by what shapes the vectors and by this index, so indexes sharing one Chroma server never mix.
        self._store = Store(self._index, f"rag-{self.fingerprint}-{_index_id(self._index)}", settings.chroma_url)
        # One manifest per store it describes: the embedded one, or each Chroma server this index is kept on.
        where = "local" if not settings.chroma_url else hashlib.sha256(settings.chroma_url.encode()).hexdigest()[:8]
        self._manifest_path = self._index / f"manifest-{self.fingerprint}-{where}.json"
        self._write_lock = FileLock(str(self._index / ".write.lock"))
        self._embedder: Embedder | None = None
        self._reader: Reader | None = None
        self._checker: ClaimChecker | None = None
        self._no_checker = False
        self._llm: LLM | None = llm
        self._query_vectors: dict[str, np.ndarray] = {}  # retrieval and sentence scoring share one
        self._corpus: Corpus | None = None
        self._state_lock = threading.Lock()

    # -- lazily built state ---------------------------------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        with self._state_lock:
            if self._embedder is None:
                self._embedder = load_embedder(self.settings)
            return self._embedder

    @property
    def reader(self) -> Reader:
        """The trained short-answer reader (rag/reader), loaded once per process."""
        with self._state_lock:
            if self._reader is None:
                weights = self.settings.reader_weights
                self._reader = load_reader(str(weights)) if weights else load_reader()
            return self._reader

    @property
    def checker(self) -> ClaimChecker | None:
        """The trained claim checker (rag/checker) for LLM answers, loaded on first use; None while no trained
        weights are there (claims are then judged by word-overlap and meaning rules)."""
        with self._state_lock:
            if self._checker is None and not self._no_checker:
                weights = self.settings.checker_weights
                try:
                    self._checker = load_checker(str(weights)) if weights else load_checker()
                except CheckerMissing:
                    if weights:  # asked for by name: say so
                        raise
                    self._no_checker = True
            return self._checker

    def _corpus_now(self) -> Corpus:
        with self._state_lock:
            if self._corpus is None:
                self._corpus = Corpus(self._store.paragraphs())
            return self._corpus

    def warm_up(self) -> None:
        """Load the model and the in-memory corpus now (a server does this before its first question)."""
        self.embedder, self.reader, self._corpus_now()

    def manifest(self) -> Manifest:
        return Manifest.load(self._manifest_path, self.fingerprint)

    def documents(self) -> dict[str, DocEntry]:
        return dict(self.manifest().documents)

    # -- ingest ---------------------------------------------------------------------------------------

    def ingest(
        self,
        paths: Iterable[str | Path],
        progress: Callable[[IngestProgress], None] | None = None,
        wait: bool = True,
        on_wait: Callable[[], None] | None = None,
    ) -> IngestReport:
        """Add new and changed files, drop files gone from ingested folders. One writer at a time: see
        ``_writing`` for ``wait``/``on_wait``."""
        started = time.perf_counter()
        report = IngestReport()
        candidates, problems, roots = discover([Path(p) for p in paths])
        for path, reason in problems:
            report.files.append(FileResult(str(path), str(path), "failed", reason=reason))
        with self._writing(wait, on_wait):
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
            with self._state_lock:
                self._corpus = None
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
        chunk_vectors, span_vectors = self.embedder.embed_with_spans(texts, spans)
        alone = [k for k, slot in zip(sentences, slots) if slot is None]
        alone_vectors = iter(self.embedder.embed_documents([self._sentence_text(paragraphs, k) for k in alone]))
        sentence_vectors = np.stack(
            [span_vectors[slot[0]][slot[1]] if slot else next(alone_vectors) for slot in slots]
        ).reshape(len(sentences), self.embedder.dim)
        return chunk_vectors, sentences, sentence_vectors

    @staticmethod
    def _sentence_text(paragraphs: list[Paragraph], key: SentenceKey) -> str:
        p = next(p for p in paragraphs if p.id == key.paragraph_id)
        return p.text[key.start : key.end]

    @contextlib.contextmanager
    def _writing(self, wait: bool = True, on_wait: Callable[[], None] | None = None):
        """The one-writer lock of this index. Questions never take it; a second writer waits (telling
        ``on_wait`` once) or, with ``wait=False``, gets IndexBusy at once."""
        try:
            self._write_lock.acquire(timeout=0)
        except Timeout:
            if not wait:
                raise IndexBusy(f"another process is writing to the index at {self._index}; try again later") from None
            if on_wait:
                on_wait()
            self._write_lock.acquire()
        try:
            yield
        finally:
            self._write_lock.release()

    def remove(self, source: str) -> bool:
        """Take a document out of the index (its file is left alone); False if it was not indexed."""
        with self._writing():
            manifest = self.manifest()
            if source not in manifest.documents:
                return False
            self._drop(manifest, source)
        with self._state_lock:
            self._corpus = None
        return True

    def verify(self) -> Consistency:
        """Does the store hold exactly the chunks the manifest lists? (Read-only.)"""
        manifest = self.manifest()
        listed = {cid for e in manifest.documents.values() for cid in e.chunk_ids}
        stored = self._store.chunk_ids()
        missing_docs = sorted(s for s, e in manifest.documents.items() if not set(e.chunk_ids) <= stored)
        texts = sorted(s for s, e in manifest.documents.items() if not self._text_path(e.sha256).exists())
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
        if self._store.count() == listed and all(
            self._text_path(e.sha256).exists() for e in manifest.documents.values()
        ):
            return
        stored = self._store.chunk_ids()
        keep = {cid for e in manifest.documents.values() for cid in e.chunk_ids}
        self._store.delete(sorted(stored - keep))
        self._store.delete_sentences_except(sorted(manifest.documents))
        for source in [
            s
            for s, e in manifest.documents.items()
            if not set(e.chunk_ids) <= stored or not self._text_path(e.sha256).exists()
        ]:
            self._drop(manifest, source)
        manifest.save(self._manifest_path)
        with self._state_lock:
            self._corpus = None

    def rebuild(self, progress: Callable[[IngestProgress], None] | None = None) -> IngestReport:
        """Re-derive the whole index from the source files the manifest names: everything is embedded again."""
        with self._writing():
            paths = [Path(e.path) for e in self.manifest().documents.values()]
            self._store.reset()
            self._manifest_path.unlink(missing_ok=True)
            with self._state_lock:
                self._corpus = None
        return self.ingest(paths, progress=progress)

    def _drop(self, manifest: Manifest, source: str) -> DocEntry:
        entry = manifest.documents.pop(source)
        self._store.delete(entry.chunk_ids)
        self._store.delete_sentences(source)
        manifest.save(self._manifest_path)
        if manifest.source_with_hash(entry.sha256) is None:
            self._text_path(entry.sha256).unlink(missing_ok=True)
        return entry

    # The text each document was read as (for PDF, DOCX, HTML: the rebuilt text), which citation offsets
    # index into. Keyed by the file's content hash.
    def _text_path(self, sha256: str) -> Path:
        return self._index / "texts" / f"{sha256}.txt"

    def _save_text(self, sha256: str, text: str) -> None:
        path = self._text_path(sha256)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8", newline="")
        tmp.replace(path)

    def document_text(self, source: str) -> str | None:
        """The stored text of a document: ``document_text(c.source)[c.start:c.end] == c.text``."""
        entry = self.documents().get(source)
        if entry is None or not self._text_path(entry.sha256).exists():
            return None
        return self._text_path(entry.sha256).read_bytes().decode("utf-8")  # as written: "\r\n" stays

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
                manifest.save(self._manifest_path)
            paragraphs = entry.paragraphs if entry else 0
            return FileResult(cand.source, str(cand.path), "unchanged", paragraphs=paragraphs, reason=reason)
        try:
            extracted = extract(cand.path, data)
        except ReadError as exc:
            return failed(str(exc))
        paragraphs = split_paragraphs(extracted.text, cand.source)
        if extracted.page_starts:
            paragraphs = assign_pages(paragraphs, extracted.page_starts)
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
            self._store.delete_sentences(f.candidate.source)
        self._store.add(chunks, chunk_vectors)
        self._store.add_sentences(sentences, sentence_vectors)
        results = []
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        for f in batch:
            source = f.candidate.source
            new_ids = [c.id for c in f.chunks]
            old = manifest.documents.get(source)
            if old is not None:
                self._store.delete(sorted(set(old.chunk_ids) - set(new_ids)))
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
        manifest.save(self._manifest_path)
        return results

    # -- questions ------------------------------------------------------------------------------------

    def _check_question(self, question: object) -> str:
        if not isinstance(question, str):
            raise InvalidQuestion(f"question must be text, got {type(question).__name__}")
        # Control characters carry no meaning in a question (a pasted NUL, an escape sequence): drop them.
        q = " ".join(_CONTROL_CHARS.sub(" ", question).split())
        if not q:
            raise InvalidQuestion("question is empty")
        if len(q) > self.settings.max_question_chars:
            raise InvalidQuestion(
                f"question is {len(q)} characters long; the limit is {self.settings.max_question_chars}"
            )
        return q

    def retrieve(self, question: str, sources: Sequence[str] | None = None) -> list[ScoredParagraph]:
        """The evidence paragraphs for a question, best first."""
        return self._retrieve(self._check_question(question), sources)

    def _retrieve(self, q: str, sources: Sequence[str] | None) -> list[ScoredParagraph]:
        corpus = self._corpus_now()
        dense = self._store.query(self._embed_query(q), self.settings.dense_k, sources)
        bm25 = corpus.bm25(q, self.settings.bm25_k, sources)
        return fuse(corpus, q, dense, bm25, self.settings.rrf_k, self.settings.evidence_k)

    def _embed_query(self, q: str) -> np.ndarray:
        vector = self._query_vectors.get(q)
        if vector is None:
            vector = self.embedder.embed_query(q)
            with self._state_lock:
                if len(self._query_vectors) >= QUERY_CACHE_SIZE:
                    self._query_vectors.pop(next(iter(self._query_vectors)))
                self._query_vectors[q] = vector
        return vector

    def _sentence_vectors(self, paragraphs: Sequence[Paragraph]) -> list[np.ndarray]:
        """Stored sentence vectors of these paragraphs; any missing are embedded now."""
        keys = [paragraph_sentences(p) for p in paragraphs]
        flat = [k for ks in keys for k in ks]
        found = self._store.sentence_vectors(flat)
        missing = [(k, p) for p, ks in zip(paragraphs, keys) for k in ks if k.id not in found]
        if missing:
            vectors = self.embedder.embed_documents([p.text[k.start : k.end] for k, p in missing])
            found.update((k.id, v) for (k, _), v in zip(missing, vectors))
        return [
            np.stack([found[k.id] for k in ks]) if ks else np.zeros((0, self.embedder.dim), np.float32) for ks in keys
        ]

    @property
    def llm(self) -> LLM | None:
        """The configured language model, loaded on first use; None for the extractive answerer."""
        with self._state_lock:
            if self._llm is None and self.settings.llm != "extractive":
                self._llm = make_llm(self.settings)
            return self._llm

    def language_model(self, backend: str, url: str | None = None, model: str | None = None) -> LLM | None:
        """A model of the given backend (rag.BACKENDS), on this library's other settings; None for extractive."""
        return make_llm(self.settings.model_copy(update={"llm": backend, "llm_url": url, "llm_model": model}))

    def ask(self, question: str, sources: Sequence[str] | None = None, llm: LLMChoice = CONFIGURED) -> Answer:
        return self.ask_stream(question, sources, llm).answer

    def ask_stream(
        self, question: str, sources: Sequence[str] | None = None, llm: LLMChoice = CONFIGURED
    ) -> AnswerStream:
        """The answer as it is produced: iterate for text deltas, then read ``.answer`` (see AnswerStream).
        A bad question raises here, before anything streams."""
        q = self._check_question(question)
        return AnswerStream(self._answer_parts(question, q, sources, llm))

    def _answer_parts(
        self, question: str, q: str, sources: Sequence[str] | None, llm: LLMChoice
    ) -> Iterator[str | Answer]:
        self.warm_up()  # loaded once per process; not part of a question's latency
        t0 = time.perf_counter()
        evidence = self._retrieve(q, sources)
        retrieve_ms = (time.perf_counter() - t0) * 1000
        outcome = None
        for part in self.answer_policy().stream(q, evidence, self.llm if llm is CONFIGURED else llm):
            if isinstance(part, Outcome):
                outcome = part
            else:
                yield part
        yield Answer(
            question=question,
            answer=outcome.text,
            abstained=outcome.abstained,
            citations=outcome.citations,
            short_answer=outcome.short_answer,
            short_span=outcome.short_span,
            timings_ms={"retrieve": retrieve_ms, "answer": outcome.answer_ms},
            retrieved=[e.paragraph.id for e in evidence],
            meta=outcome.meta,
        )

    def sentence_scorer(self) -> SentenceScorer:
        """Scores evidence sentences against a question (the gated answerer's model)."""
        return SentenceScorer(self._embed_query, self._sentence_vectors, self._corpus_now())

    def extractive_answerer(self) -> ExtractiveAnswerer | GatedAnswerer:
        """The answerer without an LLM, as the settings choose."""
        if self.settings.answerer == "gated":
            return GatedAnswerer(self.sentence_scorer(), self.settings.min_support, self.reader)
        return self.reader_answerer()

    def reader_answerer(self) -> ExtractiveAnswerer:
        """The reader-backed answerer, with the configured or calibrated abstention threshold."""
        calibration = self.reader.calibration
        threshold = self.settings.answer_threshold
        return ExtractiveAnswerer(
            self.reader,
            self.settings.reader_k or calibration.reader_k,
            calibration.threshold if threshold is None else threshold,
            calibration.number_rule,
            calibration.repeat_rule,
        )

    def answer_policy(self) -> AnswerPolicy:
        return AnswerPolicy(
            self.extractive_answerer(),
            Verifier(
                lambda: self.checker,
                self.settings.claim_threshold,
                self.embedder.embed_documents,
                self._sentence_vectors,
            ),
            self.settings.llm_max_tokens,
            self.settings.llm_evidence,
        )

    def chat(
        self, session: ChatSession, question: str, sources: Sequence[str] | None = None, llm: LLMChoice = CONFIGURED
    ) -> Answer:
        """Answer a question in a conversation; a follow-up is condensed into a standalone question first."""
        return self.chat_stream(session, question, sources, llm).answer

    def chat_stream(
        self, session: ChatSession, question: str, sources: Sequence[str] | None = None, llm: LLMChoice = CONFIGURED
    ) -> AnswerStream:
        asked = self._check_question(question)
        return AnswerStream(self._chat_parts(session, question, asked, sources, llm))

    def _chat_parts(self, session, question, asked, sources, llm) -> Iterator[str | Answer]:
        model = self.llm if llm is CONFIGURED else llm
        standalone = condense(session.last_question, asked, model)
        stream = self.ask_stream(standalone, sources, model)
        yield from stream
        answer = stream.answer
        answer.question = question
        answer.meta.standalone_question = standalone
        session.add(asked, standalone, answer)
        yield answer

    def ask_many(self, questions: Sequence[str], sources: Sequence[str] | None = None) -> list[Answer]:
        """Answers in input order; a question that fails gets an Answer with ``error`` set, the rest go on."""
        answers = []
        for q in questions:
            try:
                answers.append(self.ask(q, sources))
            except Exception as exc:  # isolate per-question failures, as batch users need
                answers.append(Answer.failed(q if isinstance(q, str) else repr(q), f"{type(exc).__name__}: {exc}"))
        return answers

    def paragraphs(self, source: str | None = None) -> list[Paragraph]:
        """Every indexed paragraph in document order (of one document with ``source``)."""
        found = self._corpus_now().paragraphs
        return [p for p in found if p.source == source] if source else list(found)

    def paragraph(self, paragraph_id: str) -> Paragraph | None:
        return self._corpus_now().by_id.get(paragraph_id)

    def sources(self) -> list[str]:
        """Names of the indexed documents."""
        return self._corpus_now().sources

    def has_source(self, source: str) -> bool:
        return source in self._corpus_now().source_set

    def check_sources(self, sources: Sequence[str] | None) -> list[str] | None:
        """The documents to restrict to, each checked (a misspelt name must not silently search nothing);
        None for all documents."""
        for s in sources or []:
            if not self.has_source(s):
                raise UnknownDocument(f"unknown document: {s!r} is not indexed")
        return list(sources) if sources else None


def open(  # noqa: A001
    index: str | Path | None = None, *, settings: Settings | None = None, llm: LLM | None = None
) -> Library:
    """Open (or create) the index at ``index``, or as ``settings`` say (default: RAG_* env, then ``index/``)."""
    if settings is None:
        settings = Settings()
    if index is not None:
        settings = settings.model_copy(update={"index": Path(index)})
    return Library(settings, llm=llm)
