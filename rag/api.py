"""The public Python API: open an index, ingest reports, ask questions."""

from __future__ import annotations

import hashlib
import re
import threading
import time
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from rag.answer.extractive import ExtractiveAnswerer
from rag.answer.grounded import Verifier
from rag.answer.llm import LLM, make_llm
from rag.answer.policy import AnswerPolicy, Outcome
from rag.chat import ChatSession, condense
from rag.checker.check import ClaimChecker, load_checker
from rag.checker.model import WEIGHTS_DIR as CHECKER_WEIGHTS
from rag.checker.model import CheckerMissing
from rag.embeddings import Embedder, load_embedder
from rag.index import Consistency, Index, IngestProgress
from rag.manifest import DocEntry, Manifest
from rag.pages import PageImage, cited_page
from rag.paragraphs import paragraph_sentences
from rag.reader.read import Reader, load_reader
from rag.retrieve import Corpus, fuse
from rag.settings import Settings
from rag.store import DenseHit
from rag.types import Answer, AnswerStream, Citation, IngestReport, Paragraph, ScoredParagraph, SentenceKey

QUERY_CACHE_SIZE = 256
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class _Configured:
    def __repr__(self) -> str:
        return "CONFIGURED"


# Per call, `llm=` may name another model than the settings do (None: the extractive answerer).
CONFIGURED = _Configured()
LLMChoice = LLM | None | _Configured


class InvalidQuestion(ValueError):
    """A question that cannot be asked (empty, too long); the message says which."""


class UnknownDocument(ValueError):
    """A document named to restrict to (or remove) that is not indexed; the message names it."""


class Library:
    """An index of reports. Thread-safe for questions; ingest takes a cross-process write lock."""

    def __init__(self, settings: Settings, llm: LLM | None = None):
        """``llm`` overrides the backend the settings name (any object with the LLM protocol)."""
        self.settings = settings
        self.index = Index(settings, lambda: self.embedder, self._forget_corpus)
        self.fingerprint = self.index.fingerprint
        self._store = self.index.store  # retrieval reads it; only the Index writes
        self._embedder: Embedder | None = None
        self._reader: Reader | None = None
        self._checker: ClaimChecker | None = None
        self._no_checker = False
        self._llm: LLM | None = llm
        self._query_vectors: dict[str, np.ndarray] = {}  # retrieval and sentence scoring share one
        self._corpus: Corpus | None = None
        self._state_lock = threading.Lock()

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
                    folder = str(weights) if weights else str(CHECKER_WEIGHTS)
                    self._checker = load_checker(folder, bf16=self.settings.checker_bf16)
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

    def _forget_corpus(self) -> None:
        with self._state_lock:
            self._corpus = None

    # -- the index (rag/index.py) ---------------------------------------------------------------------

    def manifest(self) -> Manifest:
        return self.index.manifest()

    def documents(self) -> dict[str, DocEntry]:
        return self.index.documents()

    def ingest(
        self,
        paths: Iterable[str | Path],
        progress: Callable[[IngestProgress], None] | None = None,
        wait: bool = True,
        on_wait: Callable[[], None] | None = None,
    ) -> IngestReport:
        """Add new and changed files, drop files gone from ingested folders. One writer at a time: a second
        one waits (telling ``on_wait`` once) or, with ``wait=False``, gets IndexBusy at once."""
        return self.index.ingest(paths, progress, wait, on_wait)

    def remove(self, source: str) -> bool:
        """Take a document out of the index (its file is left alone); False if it was not indexed."""
        return self.index.remove(source)

    def verify(self) -> Consistency:
        """Does the store hold exactly the chunks the manifest lists? (Read-only.)"""
        return self.index.verify()

    def rebuild(self, progress: Callable[[IngestProgress], None] | None = None) -> IngestReport:
        """Re-derive the whole index from the source files the manifest names: everything is embedded again."""
        return self.index.rebuild(progress)

    def document_text(self, source: str) -> str | None:
        """The stored text of a document: ``document_text(c.source)[c.start:c.end] == c.text``."""
        return self.index.document_text(source)

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

        def search(text: str) -> tuple[list[DenseHit], list[str]]:
            return (
                self._store.query(self._embed_query(text), self.settings.dense_k, sources),
                corpus.bm25(text, self.settings.bm25_k, sources),
            )

        dense, bm25 = search(q)
        stripped = corpus.without_names(q)
        unnamed = search(stripped) if stripped is not None else None
        return fuse(corpus, q, dense, bm25, self.settings.rrf_k, self.settings.evidence_k, unnamed=unnamed)

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
        return self._vectors_of(paragraphs, [paragraph_sentences(p) for p in paragraphs])

    def _vectors_of(self, paragraphs: Sequence[Paragraph], keys: Sequence[list[SentenceKey]]) -> list[np.ndarray]:
        """The vectors of these sentences (``keys``: each paragraph's paragraph_sentences), one row each."""
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

    def extractive_answerer(self) -> ExtractiveAnswerer:
        """The answerer without an LLM: the trained reader, with the configured or calibrated abstention threshold."""
        calibration = self.reader.calibration
        threshold = self.settings.answer_threshold
        return ExtractiveAnswerer(
            self.reader,
            self.settings.reader_k or calibration.reader_k,
            calibration.threshold if threshold is None else threshold,
            lambda source: self._corpus_now().title(source),
            self._sentence_similarity,
        )

    def _sentence_similarity(self, question: str, where: Sequence[tuple[Paragraph, tuple[int, int]]]) -> list[float]:
        q = self._embed_query(question)  # retrieval embedded it already: cached
        paragraphs = [p for p, _ in where]
        keys = [paragraph_sentences(p) for p in paragraphs]
        out = []
        for (_, (start, end)), ks, vectors in zip(where, keys, self._vectors_of(paragraphs, keys)):
            inside = (v @ q for k, v in zip(ks, vectors) if k.start < end and start < k.end)
            out.append(float(max(inside, default=0.0)))
        return out

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

    def cited_page(self, citation: Citation) -> PageImage | None:
        """The PDF page a citation points to, rendered with its quote highlighted (rag/pages.py); None when
        the document is not a PDF, or its file is gone or has changed since it was ingested."""
        entry = self.documents().get(citation.source)
        if entry is None or citation.page is None:
            return None
        try:
            data = Path(entry.path).read_bytes()
        except OSError:
            return None
        if b"%PDF-" not in data[:1024] or hashlib.sha256(data).hexdigest() != entry.sha256:
            return None
        return cited_page(data, citation.page, citation.quote)

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
