"""Offline answers with no LLM: the trained reader's short answer, inside its sentence, cited; or an abstention.

The reader (rag/reader) reads the top evidence paragraphs and scores every span of each against "no answer in
this paragraph". Each paragraph's best span is then judged as a whole: how far it beats "no answer", how much
of the question its sentence and paragraph state, whether the paragraph states the names and numbers the
question does, how retrieval ranked it. A logistic model fitted on validation questions (evals/calibrate.py)
turns those into P(this answer is right); the most probable reading is the answer, its sentence verbatim with
its [1] marker, and below the calibrated threshold the system says the reports don't say.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable, Sequence

from rag.answer import ABSTAIN_MESSAGE
from rag.answer.citations import cite
from rag.answer.injection import looks_like_injection
from rag.paragraphs import paragraph_sentences
from rag.reader.features import PassageReading
from rag.reader.read import Reader
from rag.retrieve import NO_TITLE, DocumentTitle
from rag.text import content_terms, numbers_in, words
from rag.types import Citation, ReaderScore, ScoredParagraph, ShortSpan


@dataclass
class ExtractiveResult:
    answer: str
    citations: list[Citation]
    abstained: bool
    probability: float  # that the answer is right, as calibrated; what abstention is decided on
    short_answer: str | None = None
    short_span: ShortSpan | None = None

    def score(self, threshold: float) -> ReaderScore:
        return ReaderScore("reader", self.probability, threshold)


def repeats_question(question: str, span: str) -> bool:
    """An answer whose every word the question already says ("30" for "...the more than 30 airstrikes?")."""
    said = words(span)
    return bool(said) and set(said) <= set(words(question))


def sentence_around(evidence: ScoredParagraph, start: int, end: int) -> tuple[int, int]:
    """The paragraph's sentence(s) holding the span [start, end): from the first one's start to the last one's end."""
    sentences = paragraph_sentences(evidence.paragraph)
    first = next((s for s in sentences if s.start <= start < s.end), None)
    last = next((s for s in sentences if s.start < end <= s.end), None)
    if first is None or last is None:
        return start, end
    return first.start, max(last.end, end)


def coverage(question: str, text: str) -> float:
    """Share of the question's content terms (stemmed, no stopwords) that the text states."""
    asked = set(content_terms(question))
    return len(asked & set(content_terms(text))) / len(asked) if asked else 0.0


def names_in(question: str) -> set[str]:
    """The question's capitalised words after its first (names, mostly), lowercased."""
    said = re.findall(r"\w+", question)
    return {w.lower() for w in said[1:] if w[0].isupper()}


def reading_features(
    question: str,
    evidence: ScoredParagraph,
    rank: int,
    reading: PassageReading,
    sentence: tuple[int, int],
    title: DocumentTitle = NO_TITLE,
) -> dict[str, float]:
    """What the abstention model weighs for one paragraph's best span (``sentence``: the bounds of the
    sentence holding it). Every feature is language-general: the reader's scores, the question's words, names
    and numbers found again, and retrieval's ranks. A name or number that names the paragraph's document ("in
    NIST SP 800-207, which ...") need not be restated."""
    text = evidence.paragraph.text
    s, e = sentence
    span = text[reading.start : reading.end]
    stated = set(words(text))
    return {
        "margin": reading.margin,
        "span_score": reading.span_score,
        "null_score": reading.null_score,
        "sentence_coverage": coverage(question, text[s:e]),
        "paragraph_coverage": coverage(question, text),
        "retrieved_first": float(rank == 1),
        "log_rank": math.log(rank),
        "bm25_found": float(evidence.bm25_rank is not None),
        "dense_first": float(evidence.dense_rank == 1),
        "numbers_stated": float(numbers_in(question) - title.numbers <= numbers_in(text)),
        "names_stated": float(names_in(question) - title.words <= stated),
        "log_span_words": math.log1p(len(words(span))),
    }


@dataclass
class Reading:
    """One paragraph's best span, with what the abstention model weighs and its verdict."""

    evidence: ScoredParagraph
    rank: int  # in the retrieved evidence, from 1
    span: PassageReading
    sentence: tuple[int, int]  # the bounds of the span's sentence(s) in the paragraph
    features: dict[str, float]
    probability: float = 0.0


class ExtractiveAnswerer:
    """Answers with the most probable of the reader's spans, in its sentence; abstains when even that one's
    calibrated probability is below the threshold."""

    def __init__(
        self,
        reader: Reader,
        paragraphs_read: int,
        threshold: float,
        title: Callable[[str], DocumentTitle] = lambda source: NO_TITLE,
    ):
        self._reader = reader
        self._paragraphs_read = paragraphs_read
        self.threshold = threshold
        self._title = title

    def read(self, question: str, evidence: Sequence[ScoredParagraph]) -> list[Reading]:
        """The reader's best span in each of the top paragraphs, most probable first. A span inside a sentence
        that addresses a language model ("ignore previous instructions...") is never an answer."""
        top = list(evidence[: self._paragraphs_read])
        spans = self._reader.read(question, [e.paragraph.text for e in top])
        out = []
        for rank, (ev, span) in enumerate(zip(top, spans), 1):
            if span.end <= span.start:
                continue
            sentence = sentence_around(ev, span.start, span.end)
            if looks_like_injection(ev.paragraph.text[slice(*sentence)]):
                continue
            # An answer never merely restates the question ("17" for "... in field note 17?").
            if repeats_question(question, ev.paragraph.text[span.start : span.end]):
                continue
            features = reading_features(question, ev, rank, span, sentence, self._title(ev.paragraph.source))
            out.append(Reading(ev, rank, span, sentence, features, self._reader.calibration.probability(features)))
        out.sort(key=lambda r: -r.probability)
        return out

    def answer(self, question: str, evidence: Sequence[ScoredParagraph]) -> ExtractiveResult:
        readings = self.read(question, evidence)
        if not readings:
            return ExtractiveResult(ABSTAIN_MESSAGE, [], True, 0.0)
        best = readings[0]
        if best.probability < self.threshold:
            return ExtractiveResult(ABSTAIN_MESSAGE, [], True, best.probability)
        text = best.evidence.paragraph.text
        quote = text[slice(*best.sentence)]
        return ExtractiveResult(
            f"{quote} [1]",
            [cite(1, best.evidence, quote)],
            False,
            best.probability,
            short_answer=text[best.span.start : best.span.end],
            short_span=ShortSpan(1, best.span.start, best.span.end),
        )
