"""Who answers a question, given its evidence: the extractive answerer (the trained reader), or,
with a language model configured, the model over the best evidence, every claim of its reply checked. The
extractive answer is still worked out: it is the short answer's source and stands in when nothing the model
said holds, or when what holds misses the question (see answers_elsewhere)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Iterator, Sequence

from rag.answer import ABSTAIN_MESSAGE
from rag.answer.extractive import ExtractiveAnswerer, ExtractiveResult
from rag.answer.grounded import LLMAnswerer, Verifier
from rag.answer.llm import LLM
from rag.text import normalize_answer
from rag.types import AnswerMeta, Citation, ScoredParagraph, ShortSpan


@dataclass
class Outcome:
    text: str
    citations: list[Citation]
    abstained: bool
    short_answer: str | None
    short_span: ShortSpan | None
    meta: AnswerMeta = field(default_factory=AnswerMeta)
    answer_ms: float = 0.0


NOTHING_HELD = "no claim of the model's answer held"
ANSWERS_ELSEWHERE = "what held does not address the question: the reader's answer is in a paragraph it does not cite"


def answers_elsewhere(found: ExtractiveResult, checked: str, citations: Sequence[Citation]) -> bool:
    """Whether the checked model answer, though every claim of it holds, misses what the question asks: the reader
    answers confidently from a paragraph the model's answer does not cite, and the model's answer does not state
    the reader's short answer either. Supported but beside the point (a weak model copying the wrong passage)
    would otherwise pass verification."""
    if found.abstained or not found.citations or not found.short_answer:
        return False
    read = found.citations[0]
    if any((c.source, c.paragraph) == (read.source, read.paragraph) for c in citations):
        return False
    short = normalize_answer(found.short_answer)
    return bool(short) and f" {short} " not in f" {normalize_answer(checked)} "


class AnswerPolicy:
    def __init__(
        self,
        extractive: ExtractiveAnswerer,
        verifier: Verifier,
        llm_max_tokens: int,
        llm_evidence: int,
    ):
        self._extractive = extractive
        self._verifier = verifier
        self._llm_max_tokens = llm_max_tokens
        self._llm_evidence = llm_evidence

    def stream(self, question: str, evidence: Sequence[ScoredParagraph], llm: LLM | None) -> Iterator[str | Outcome]:
        """Text deltas as they are produced, then the Outcome. With an LLM the deltas are the model's raw
        reply and the Outcome holds only what verification kept; the extractive answer is released word by word."""
        started = time.perf_counter()
        found = self._extractive.answer(question, evidence)
        meta = AnswerMeta(answerer=found.score(self._extractive.threshold))
        if llm is not None:
            meta.backend, meta.model, meta.llm_called = llm.backend, llm.model, False
        outcome = Outcome(found.answer, found.citations, found.abstained, found.short_answer, found.short_span, meta)
        # The model is asked whenever the evidence shares words with the question; it and verification decide
        # whether the reports answer, not the extractive answerer (tuned to short factoid questions).
        relevant = any(e.bm25_rank is not None for e in evidence)
        if llm is not None and relevant:
            answerer = LLMAnswerer(llm, self._verifier, self._llm_max_tokens, self._llm_evidence)
            shown = answerer.prompt_evidence(evidence)
            reply = ""
            for delta in answerer.stream(question, shown):
                reply += delta
                yield delta
            checking = time.perf_counter()
            checked, checked_citations, model_abstained, report = answerer.check(question, reply, shown)
            report.ms = (time.perf_counter() - checking) * 1000
            meta.llm_called, meta.verification = True, report
            if model_abstained:
                outcome = Outcome(ABSTAIN_MESSAGE, [], True, None, None, meta)
            elif not checked_citations:  # nothing held: the extractive answer (or abstention) stands
                report.fallback_reason = NOTHING_HELD
            elif answers_elsewhere(found, checked, checked_citations):
                report.fallback_reason = ANSWERS_ELSEWHERE
            else:  # written: no one span is "the" short answer
                outcome = Outcome(checked, checked_citations, False, None, None, meta)
        else:
            for delta in re.findall(r"\S+\s*", outcome.text):
                yield delta
        outcome.answer_ms = (time.perf_counter() - started) * 1000
        yield outcome
