"""Offline answers with no LLM: the trained reader's short answer, inside its sentence, cited; or an abstention.

The reader (rag/reader) reads the top evidence paragraphs and scores every span of each against "no answer in
this paragraph". Each paragraph's best span is then judged as a whole: how far it beats "no answer", how much
of the question its sentence and paragraph state, whether the paragraph states the names and numbers the
question does, how retrieval ranked it. A logistic model fitted on validation questions (evals/calibrate.py)
turns those into P(this answer is right); the most probable reading is the answer, its sentence verbatim with
its [1] marker, and below the calibrated threshold the system says the reports don't say.
"""

from __future__ import annotations

import dataclasses
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
from rag.text import content_terms, line_units, numbers_in, words
from rag.types import Citation, Paragraph, ReaderScore, ScoredParagraph, ShortSpan


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


def coverage(question: str, text: str, naming: frozenset[str] = frozenset()) -> float:
    """Share of the question's content terms (stemmed, no stopwords) that the text states; words that name the
    document (``naming``: "NIST SP 800-207", "the CNCF supply chain paper") are not asked of its paragraphs."""
    asked = set(content_terms(" ".join(w for w in words(question) if w not in naming)))
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
    lead: tuple[int, int] | None = None,
    similarity: float = 0.0,
) -> dict[str, float]:
    """What the abstention model weighs for one paragraph's best span (``sentence``: the bounds of the
    sentence holding it). Every feature is language-general: the reader's scores, the question's words, names
    and numbers found again, how like the question the sentence reads to the embedding model (``similarity``,
    cosine), and retrieval's ranks. A name or number that names the paragraph's document ("in
    NIST SP 800-207, which ...") need not be restated. A list item or table row read after its ``lead`` line
    (see reading_pieces) is judged as the reader saw it: that line and its own make its sentence and its paragraph."""
    text = evidence.paragraph.text
    s, e = sentence
    span = text[reading.start : reading.end]
    # What the paragraph states includes its section's heading ("Commentary by Justin Cappos" over his words).
    headed = f"{evidence.paragraph.section or ''} {text}"
    stated = set(words(headed))
    said = text[s:e] if lead is None else f"{text[lead[0] : lead[1]]}\n{text[s:e]}"
    naming = title.words | title.numbers
    return {
        "margin": reading.margin,
        "span_score": reading.span_score,
        "null_score": reading.null_score,
        "sentence_coverage": coverage(question, said, naming),
        "paragraph_coverage": coverage(question, text if lead is None else said, naming),
        "similarity": similarity,
        "retrieved_first": float(rank == 1),
        "log_rank": math.log(rank),
        "bm25_found": float(evidence.bm25_rank is not None),
        "dense_first": float(evidence.dense_rank == 1),
        "numbers_stated": float(numbers_in(question) - title.numbers <= numbers_in(headed)),
        "names_stated": float(names_in(question) - title.words <= stated),
        "log_span_words": math.log1p(len(words(span))),
    }


# A run of list items or table rows (rag.paragraphs) is read line by line, each line after the run's first (the
# line leading into the list, the table's header row): the reader, trained on prose, finds "2020" in "Here is a
# list of sample third-party audits...: - etcd 3.4.3 (2020)" but not in the whole list. Only the lines that state
# most of the question are read, so a long table costs a few short passages.
LINES_READ = 6


@dataclass(frozen=True)
class Piece:
    """What the reader reads of a paragraph: spans of it, joined by line breaks."""

    segments: tuple[tuple[int, int], ...]
    text: str

    def in_paragraph(self, reading: PassageReading) -> PassageReading:
        """The reading with its span at its place in the paragraph (a span reaching back into the first line
        from another keeps only its part on that line)."""
        bounds, at = [], 0
        for s, e in self.segments:
            bounds.append((at, at + e - s, s))
            at += e - s + 1

        def where(offset: int, end: bool) -> tuple[int, int]:
            for k, (a, b, s) in enumerate(bounds):
                if a <= offset < b or (end and a < offset <= b):
                    return k, s + offset - a
            return len(bounds) - 1, self.segments[-1][1]

        (ks, start), (ke, end) = where(reading.start, False), where(reading.end, True)
        if ks != ke:
            start = self.segments[ke][0]
        return dataclasses.replace(reading, start=start, end=end)


def reading_pieces(question: str, text: str) -> list[Piece]:
    """The paragraph whole, or for a run of items or rows its first line and its other lines each after it."""
    lines = line_units(text)
    if len(lines) < 2:
        return [Piece(((0, len(text)),), text)]
    first, rest = lines[0], lines[1:]
    rest = sorted(rest, key=lambda se: -coverage(question, text[se[0] : se[1]]))[:LINES_READ]
    pieces = [(first,)] + [(first, line) for line in sorted(rest)]
    return [Piece(segs, "\n".join(text[s:e] for s, e in segs)) for segs in pieces]


# How like the question the sentences at these bounds of these paragraphs are (cosine of their embeddings, the
# best sentence's when the bounds hold several).
Similarity = Callable[[str, Sequence[tuple[Paragraph, tuple[int, int]]]], list[float]]


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
        similarity: Similarity | None = None,
    ):
        self._reader = reader
        self._paragraphs_read = paragraphs_read
        self.threshold = threshold
        self._title = title
        self._similarity = similarity

    def read(self, question: str, evidence: Sequence[ScoredParagraph]) -> list[Reading]:
        """The reader's best span in each of the top paragraphs, most probable first. A span inside a sentence
        that addresses a language model ("ignore previous instructions...") is never an answer."""
        top = list(evidence[: self._paragraphs_read])
        pieces = [reading_pieces(question, e.paragraph.text) for e in top]
        passages = [piece.text for ps in pieces for piece in ps]
        read = iter(self._reader.read(question, passages))
        spans, leads = [], []
        for ps in pieces:  # each paragraph: its best piece's span, at its place in the paragraph
            piece, reading = max(((piece, next(read)) for piece in ps), key=lambda pr: pr[1].margin)
            spans.append(piece.in_paragraph(reading))
            leads.append(piece.segments[0] if len(piece.segments) > 1 else None)
        out, found = [], []
        for rank, (ev, span, lead) in enumerate(zip(top, spans, leads), 1):
            if span.end <= span.start:
                continue
            sentence = sentence_around(ev, span.start, span.end)
            if looks_like_injection(ev.paragraph.text[slice(*sentence)]):
                continue
            # An answer never merely restates the question ("17" for "... in field note 17?").
            if repeats_question(question, ev.paragraph.text[span.start : span.end]):
                continue
            found.append((ev, rank, span, sentence, lead))
        similar = (
            self._similarity(question, [(ev.paragraph, sentence) for ev, _, _, sentence, _ in found])
            if self._similarity and found
            else [0.0] * len(found)
        )
        for (ev, rank, span, sentence, lead), sim in zip(found, similar):
            features = reading_features(question, ev, rank, span, sentence, self._title(ev.paragraph.source), lead, sim)
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
