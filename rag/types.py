"""Domain types. No framework imports: these are what every other layer speaks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Literal


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of a source document, with exact offsets into the document text.

    Invariant: ``document_text[start:end] == text``.
    """

    source: str  # the document's name as ingested, e.g. "004_29b9793b6e886bf8.txt"
    number: int  # 1-based position among the document's indexed paragraphs
    start: int
    end: int
    text: str
    section: str | None = None
    page: int | None = None  # the page it starts on
    # (offset in ``text``, page) where it runs on to another page: a quote from there is on that page.
    page_breaks: tuple[tuple[int, int], ...] = ()

    @property
    def id(self) -> str:
        return paragraph_id(self.source, self.number)

    def page_at(self, offset: int) -> int | None:
        """The page the character at ``offset`` of the text was printed on."""
        page = self.page
        for at, later in self.page_breaks:
            if at <= offset:
                page = later
        return page


def paragraph_id(source: str, number: int) -> str:
    return f"{source}#{number}"


@dataclass(frozen=True)
class Chunk:
    """The unit that gets embedded: a whole paragraph, or a sentence window of a long one.

    ``start``/``end`` are offsets into the document text, inside the paragraph's span.
    """

    paragraph: Paragraph
    index: int  # 0 for a whole-paragraph chunk, 0..n-1 for windows
    start: int
    end: int
    text: str

    @property
    def id(self) -> str:
        return f"{self.paragraph.id}#c{self.index}"


@dataclass(frozen=True)
class SentenceKey:
    """A sentence of a stored paragraph: ``start``/``end`` are offsets inside the paragraph text."""

    paragraph_id: str
    index: int
    source: str
    start: int
    end: int

    @property
    def id(self) -> str:
        return f"{self.paragraph_id}#s{self.index}"


@dataclass(frozen=True)
class Document:
    """A decoded source file split into paragraphs."""

    source: str
    path: str
    sha256: str
    text: str
    paragraphs: tuple[Paragraph, ...]


@dataclass(frozen=True)
class ScoredParagraph:
    paragraph: Paragraph
    score: float  # fused (reciprocal rank) score
    dense_rank: int | None = None
    bm25_rank: int | None = None


@dataclass(frozen=True)
class Citation:
    marker: int
    source: str
    paragraph: int
    start: int
    end: int
    text: str
    quote: str
    section: str | None = None
    page: int | None = None
    score: float | None = None  # retrieval score of the cited paragraph; not part of the JSON contract

    @property
    def location(self) -> str:
        """Where to find it: "p. 3, ¶ 12" for paged formats, "¶ 12" otherwise."""
        return f"p. {self.page}, ¶ {self.paragraph}" if self.page is not None else f"¶ {self.paragraph}"

    def to_dict(self) -> dict:
        return {
            "marker": self.marker,
            "source": self.source,
            "paragraph": self.paragraph,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "quote": self.quote,
            "section": self.section,
            "page": self.page,
        }


@dataclass(frozen=True)
class ShortSpan:
    """Where the short answer lies: inside the text of the citation with this marker."""

    marker: int
    start: int
    end: int

    def to_dict(self) -> dict:
        return {"marker": self.marker, "start": self.start, "end": self.end}


@dataclass
class ClaimCheck:
    """What checking made of one claim of the model's reply."""

    text: str
    # "kept" | "re-cited" | "removed" | "framing" | "restates" (a conclusion of kept claims) | "caveat" (what the
    # passages leave open: "the passages do not say what it cost")
    verdict: str
    probability: float | None = None  # P(supported) by the paragraph it ends up with (or its best, if removed)
    paragraph: str | None = None  # id of that paragraph
    reason: str = ""

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "verdict": self.verdict,
            "probability": None if self.probability is None else round(self.probability, 4),
            "paragraph": self.paragraph,
            "reason": self.reason,
        }


@dataclass
class Verification:
    """What checking a language model's reply did, claim by claim."""

    claims: list[ClaimCheck] = field(default_factory=list)
    bad_markers: int = 0  # markers pointing at no passage
    # Why the extractive answer was used instead of the model's ("" when it was not): nothing held, or what held
    # does not address the question.
    fallback_reason: str = ""
    threshold: float = 0.5
    ms: float | None = None  # time spent checking

    @property
    def fallback(self) -> bool:
        return bool(self.fallback_reason)

    @property
    def checked_claims(self) -> list[ClaimCheck]:
        """The claims judged on their own: not framing, caveats, or a conclusion restating kept claims."""
        return [c for c in self.claims if c.verdict not in ("framing", "restates", "caveat")]

    @property
    def checked(self) -> int:
        return len(self.checked_claims)

    @property
    def fixed(self) -> int:
        return sum(c.verdict == "re-cited" for c in self.claims)

    @property
    def dropped(self) -> int:
        return self.bad_markers + sum(c.verdict == "removed" for c in self.claims)

    def to_dict(self) -> dict:
        return {
            "checked": self.checked,
            "fixed": self.fixed,
            "dropped": self.dropped,
            "fallback": self.fallback,
            **({"fallback_reason": self.fallback_reason} if self.fallback_reason else {}),
            "threshold": self.threshold,
            "claims": [c.to_dict() for c in self.claims],
            **({} if self.ms is None else {"ms": round(self.ms, 1)}),
        }


@dataclass
class ReaderScore:
    """The extractive answerer's decision: which answerer, P(its answer is right), and the abstention threshold."""

    answerer: str  # "reader", the only extractive answerer today
    answer_probability: float
    threshold: float

    def to_dict(self) -> dict:
        return {
            "answerer": self.answerer,
            "answer_probability": round(self.answer_probability, 4),
            "threshold": round(self.threshold, 4),
        }


@dataclass
class AnswerMeta:
    """Who answered and how: the backend and model, whether the model was called, the extractive answerer's
    score, what checking the model's reply did, and the standalone question a follow-up was read as."""

    backend: str = "extractive"
    model: str | None = None
    llm_called: bool | None = None  # None: no language model was configured
    answerer: ReaderScore | None = None
    verification: Verification | None = None
    standalone_question: str | None = None

    def to_dict(self) -> dict:
        out: dict = {"backend": self.backend, "model": self.model}
        if self.llm_called is not None:
            out["llm_called"] = self.llm_called
        if self.answerer is not None:
            out["answerer"] = self.answerer.to_dict()
        if self.verification is not None:
            out["verification"] = self.verification.to_dict()
        if self.standalone_question is not None:
            out["standalone_question"] = self.standalone_question
        return out


@dataclass
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    # The crisp answer: a verbatim span of a cited paragraph ("eight soldiers"), or None (abstention, long answer).
    short_answer: str | None = None
    short_span: ShortSpan | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    # Ranked paragraph ids the answer was drawn from; used by the eval harness, not serialized.
    retrieved: list[str] = field(default_factory=list)
    error: str | None = None
    # Which backend and model answered, and what citation checking did.
    meta: AnswerMeta = field(default_factory=AnswerMeta)

    def to_dict(self) -> dict:
        out = {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "short_answer": self.short_answer,
            "short_span": self.short_span.to_dict() if self.short_span else None,
            "citations": [c.to_dict() for c in self.citations],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "meta": self.meta.to_dict(),
        }
        if self.error is not None:
            out["error"] = self.error
        return out

    @classmethod
    def failed(cls, question: str, error: str) -> "Answer":
        return cls(question=question, answer="", abstained=False, error=error)


FileStatus = Literal["added", "unchanged", "updated", "removed", "failed"]


@dataclass(frozen=True)
class FileResult:
    source: str
    path: str
    status: FileStatus
    paragraphs: int = 0
    chunks_embedded: int = 0
    reason: str | None = None


@dataclass
class IngestReport:
    files: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: FileStatus) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def chunks_embedded(self) -> int:
        return sum(f.chunks_embedded for f in self.files)

    @property
    def ok(self) -> bool:
        return self.count("failed") == 0

    def to_dict(self) -> dict:
        return {
            "files": [f.__dict__ for f in self.files],
            "chunks_embedded": self.chunks_embedded,
            "seconds": round(self.seconds, 3),
        }


class AnswerStream:
    """An answer as it is produced: iterate for its text deltas; ``.answer`` is the final checked Answer
    (reading it first consumes the rest of the stream).

    With an LLM the deltas are the model's raw reply, and the Answer holds only what verification kept, so it
    may differ; the extractive answer is released word by word, so every consumer handles both alike."""

    def __init__(self, parts: Iterator[str | Answer]):
        self._parts = parts
        self._answer: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        for part in self._parts:
            if isinstance(part, Answer):
                self._answer = part
            else:
                yield part

    @property
    def answer(self) -> Answer:
        if self._answer is None:
            for _ in self:
                pass
        if self._answer is None:  # pragma: no cover - every stream ends with its Answer
            raise RuntimeError("the answer stream ended without an answer")
        return self._answer
