"""Who answers a question, given its evidence: the extractive answerer (gated sentences or the reader), or a
language model over what that answerer found answer-bearing, every sentence of its reply checked."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Iterator, Sequence

from rag.answer import ABSTAIN_MESSAGE
from rag.answer.extractive import ExtractiveAnswerer
from rag.answer.gated import GatedAnswerer
from rag.answer.grounded import LLMAnswerer, Verifier
from rag.answer.llm import LLM
from rag.types import Citation, ScoredParagraph, ShortSpan


@dataclass
class Outcome:
    text: str
    citations: list[Citation]
    abstained: bool
    short_answer: str | None
    short_span: ShortSpan | None
    meta: dict = field(default_factory=dict)
    answer_ms: float = 0.0


class AnswerPolicy:
    def __init__(
        self,
        extractive: ExtractiveAnswerer | GatedAnswerer,
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
        answerer_meta = found.meta(self._extractive.threshold)
        outcome = Outcome(
            found.answer,
            found.citations,
            found.abstained,
            found.short_answer,
            found.short_span,
            {"backend": "extractive", "model": None, "answerer": answerer_meta},
        )
        if llm is not None:
            outcome.meta = {"backend": llm.backend, "model": llm.model, "llm_called": False, "answerer": answerer_meta}
        if llm is not None and not found.abstained:  # no answer found: the model is not asked
            answerer = LLMAnswerer(llm, self._verifier, self._llm_max_tokens, self._llm_evidence)
            # The model sees, and may cite, only paragraphs where the extractive answerer found an answer.
            shown = answerer.prompt_evidence([e for e in evidence if e.paragraph.id in found.answer_bearing])
            reply = ""
            for delta in answerer.stream(question, shown):
                reply += delta
                yield delta
            checked, checked_citations, model_abstained, report = answerer.check(question, reply, shown)
            outcome.meta.update(llm_called=True, verification=report.to_dict())
            if model_abstained:
                outcome = Outcome(ABSTAIN_MESSAGE, [], True, None, None, outcome.meta)
            elif checked_citations and self._extractive.answers(
                question, checked
            ):  # written: no one span is "the" short answer
                outcome = Outcome(checked, checked_citations, False, None, None, outcome.meta)
            else:  # nothing held, or what held does not answer: the extractive answer stands
                outcome.meta["verification"]["fallback"] = True
        else:
            for delta in re.findall(r"\S+\s*", outcome.text):
                yield delta
        outcome.answer_ms = (time.perf_counter() - started) * 1000
        yield outcome
