"""Citation markers: building them from evidence, and checking that every one resolves."""

from __future__ import annotations

import re

from rag.types import Answer, Citation, ScoredParagraph

MARKER = re.compile(r"\[(\d+)\]")


def cite(marker: int, evidence: ScoredParagraph, quote: str) -> Citation:
    p = evidence.paragraph
    if quote not in p.text:
        raise ValueError(f"quote is not in the cited paragraph {p.id}")
    return Citation(
        marker=marker,
        source=p.source,
        paragraph=p.number,
        start=p.start,
        end=p.end,
        text=p.text,
        quote=quote,
        section=p.section,
        page=p.page_at(p.text.index(quote)),  # where the quote is, for a paragraph running over two pages
        score=evidence.score,
    )


def markers_in(text: str) -> list[int]:
    return [int(m) for m in MARKER.findall(text)]


def citation_problems(answer: Answer) -> list[str]:
    """Everything wrong with an answer's citations; empty when each marker has exactly one citation,
    each citation's marker is used, and each quote lies in its paragraph text."""
    problems = []
    used = set(markers_in(answer.answer))
    by_marker: dict[int, int] = {}
    for c in answer.citations:
        by_marker[c.marker] = by_marker.get(c.marker, 0) + 1
        if c.quote not in c.text:
            problems.append(f"[{c.marker}] quote is not in its paragraph")
        if c.end - c.start != len(c.text):
            problems.append(f"[{c.marker}] offsets span {c.end - c.start} chars, text has {len(c.text)}")
    for m in sorted(used):
        if by_marker.get(m, 0) != 1:
            problems.append(f"[{m}] has {by_marker.get(m, 0)} citations")
    for m in sorted(by_marker):
        if m not in used:
            problems.append(f"citation [{m}] is not used in the answer")
    if answer.abstained and answer.citations:
        problems.append("an abstention carries citations")
    return problems
