"""Offline answers with no LLM: the trained reader's short answer, inside its sentence, cited; or an abstention.

The reader (rag/reader) reads the top evidence paragraphs and scores every span of each against "no answer in
this paragraph". The best span over them is the short answer; the sentence that holds it, verbatim, is the
answer with its [1] marker. How far that span beats "no answer" becomes a probability through the calibration
fitted on validation articles (evals/calibrate.py); below the threshold the system says the reports don't say.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from rag.answer import ABSTAIN_MESSAGE
from rag.answer.citations import cite
from rag.answer.injection import looks_like_injection
from rag.paragraphs import paragraph_sentences
from rag.reader.features import PassageReading
from rag.reader.read import Reader
from rag.text import numbers_in, words
from rag.types import Citation, ReaderScore, ScoredParagraph, ShortSpan


@dataclass
class ExtractiveResult:
    answer: str
    citations: list[Citation]
    abstained: bool
    probability: float  # that the answer is right, as calibrated; what abstention is decided on
    short_answer: str | None = None
    short_span: ShortSpan | None = None
    answerer: str = "reader"  # or "gated" (rag/answer/gated.py)

    def score(self, threshold: float) -> ReaderScore:
        return ReaderScore(self.answerer, self.probability, threshold)


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


class ExtractiveAnswerer:
    """Answers with the reader's best span in its sentence; abstains when its calibrated probability is low."""

    def __init__(
        self,
        reader: Reader,
        paragraphs_read: int,
        threshold: float,
        number_rule: bool = False,
        repeat_rule: bool = False,
        title_numbers: Callable[[str], set[str]] = lambda source: set(),
    ):
        self._reader = reader
        self._paragraphs_read = paragraphs_read
        self.threshold = threshold
        self._number_rule = number_rule
        self._repeat_rule = repeat_rule
        self._title_numbers = title_numbers

    def read(self, question: str, evidence: Sequence[ScoredParagraph]) -> list[tuple[ScoredParagraph, PassageReading]]:
        """The reader's best span in each of the top paragraphs, best margin first. A span inside a sentence that
        addresses a language model ("ignore previous instructions...") is never an answer."""
        top = list(evidence[: self._paragraphs_read])
        if self._number_rule:  # "how many died in 2019?" is not answered by a paragraph with no 2019
            # ... but "in NIST SP 800-207, which ..." names the document, not a number its paragraph must state.
            asked = numbers_in(question)
            top = [e for e in top if asked - self._title_numbers(e.paragraph.source) <= numbers_in(e.paragraph.text)]
        readings = self._reader.read(question, [e.paragraph.text for e in top])
        out = []
        for ev, reading in zip(top, readings):
            if reading.end <= reading.start:
                continue
            s, e = sentence_around(ev, reading.start, reading.end)
            if looks_like_injection(ev.paragraph.text[s:e]):
                continue
            if self._repeat_rule and repeats_question(question, ev.paragraph.text[reading.start : reading.end]):
                continue
            out.append((ev, reading))
        out.sort(key=lambda pair: -pair[1].margin)
        return out

    def answer(self, question: str, evidence: Sequence[ScoredParagraph]) -> ExtractiveResult:
        readings = self.read(question, evidence)
        if not readings:
            return ExtractiveResult(ABSTAIN_MESSAGE, [], True, 0.0)
        best_ev, best = readings[0]
        probability = self._reader.calibration.probability(best.margin)
        if probability < self.threshold:
            return ExtractiveResult(ABSTAIN_MESSAGE, [], True, probability)
        text = best_ev.paragraph.text
        s, e = sentence_around(best_ev, best.start, best.end)
        quote = text[s:e]
        return ExtractiveResult(
            f"{quote} [1]",
            [cite(1, best_ev, quote)],
            False,
            probability,
            short_answer=text[best.start : best.end],
            short_span=ShortSpan(1, best.start, best.end),
        )
