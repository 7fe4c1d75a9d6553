"""HTML for the chat UI. Pure functions; every piece of document or user text is escaped here."""

from __future__ import annotations

import html
from dataclasses import dataclass

from rag.answer.citations import MARKER
from rag.types import Answer, Citation


@dataclass
class Turn:
    question: str
    answer: Answer | None = None  # None while the answer is being produced
    partial: str = ""  # streamed text so far
    error: str | None = None


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def chip(turn: int, citation: Citation) -> str:
    where = f"{citation.source}, {citation.location}"
    return (
        f'<button type="button" class="cite-chip" data-turn="{turn}" data-marker="{citation.marker}" '
        f'title="{esc(where)}">{citation.marker}</button>'
    )


def answer_with_chips(turn: int, answer: Answer) -> str:
    """Answer text escaped, each [n] marker replaced by a clickable chip for its citation."""
    by_marker = {c.marker: c for c in answer.citations}
    out, last = [], 0
    for m in MARKER.finditer(answer.answer):
        out.append(esc(answer.answer[last : m.start()]))
        citation = by_marker.get(int(m.group(1)))
        out.append(chip(turn, citation) if citation else esc(m.group(0)))
        last = m.end()
    out.append(esc(answer.answer[last:]))
    return "".join(out).strip()


def highlight(text: str, quote: str, span: tuple[int, int] | None = None) -> str:
    """The paragraph escaped, with the supporting quote wrapped in <mark> (first occurrence) and the short
    answer ``span`` (offsets in ``text``) inside it in <strong class="short-span">."""
    at = text.find(quote) if quote else -1
    if at < 0:
        return esc(text)
    end = at + len(quote)
    if span and at <= span[0] < span[1] <= end:
        s, e = span
        inner = f'{esc(text[at:s])}<strong class="short-span">{esc(text[s:e])}</strong>{esc(text[e:end])}'
    else:
        inner = esc(quote)
    return f"{esc(text[:at])}<mark>{inner}</mark>{esc(text[end:])}"


def answer_meta(answer: Answer) -> str:
    """One line under an answer: how it was read, who answered, what checking did, how long it took."""
    meta, bits = answer.meta, []
    standalone = meta.standalone_question
    if standalone and standalone != answer.question:
        bits.append(f"read as “{esc(standalone)}”")
    bits.append(esc(meta.backend + (f" · {meta.model}" if meta.model else "")))
    if meta.answerer and not meta.llm_called:
        bits.append(f"answer probability {meta.answerer.answer_probability:.2f}")
    checks = meta.verification
    if checks:
        bits.append(f"citations checked {checks.checked}, fixed {checks.fixed}, dropped {checks.dropped}")
        if checks.fallback:
            bits.append(f"{esc(checks.fallback_reason)}; showing the extractive answer")
    total = answer.timings_ms.get("total") or sum(answer.timings_ms.values())
    bits.append(f"{total:.0f} ms")
    return " · ".join(bits)


def claims_html(answer: Answer) -> str:
    """What the model said, claim by claim, and what checking made of it: removed claims struck through with
    why, collapsed under the answer (empty when nothing was checked)."""
    verification = answer.meta.verification
    if verification is None or not verification.checked_claims:
        return ""
    shown = [c for c in verification.claims if c.verdict != "framing"]  # restatements shown, not counted
    checked = verification.checked_claims
    removed = sum(c.verdict == "removed" for c in checked)
    rows = []
    for c in shown:
        p = "" if c.probability is None else f" · P(supported) {c.probability:.2f}"
        if c.verdict == "removed":
            why = esc(c.reason or "not supported")
            rows.append(
                f'<li class="claim removed"><s>{esc(c.text)}</s> <span class="why">removed: {why}{p}</span></li>'
            )
        else:
            where = f" · {esc(c.paragraph)}" if c.paragraph else ""
            rows.append(
                f'<li class="claim kept">{esc(c.text)} <span class="why">{esc(c.verdict)}{where}{p}</span></li>'
            )
    summary = (
        f"{len(checked)} claims checked, {removed} removed" if removed else f"{len(checked)} claims checked, all kept"
    )
    return f'<details class="claims"{" open" if removed else ""}><summary>{summary}</summary><ul>{"".join(rows)}</ul></details>'


def conversation_html(turns: list[Turn]) -> str:
    if not turns:
        return (
            '<div class="rag-empty">Ask a question about the indexed reports. Every claim comes with its '
            "source paragraph; when the reports don't say, you are told so.</div>"
        )
    parts = []
    for i, t in enumerate(turns):
        parts.append(f'<div class="turn" id="turn-{i}"><div class="q">{esc(t.question)}</div>')
        if t.error:
            parts.append(f'<div class="a error">{esc(t.error)}</div>')
        elif t.answer is None:
            parts.append(f'<div class="a pending">{esc(t.partial)}<span class="cursor">▍</span></div>')
        elif t.answer.abstained:
            parts.append(
                f'<div class="a abstained"><span class="abstain-label">No answer in the reports</span>'
                f"{esc(t.answer.answer)}</div>"
            )
        else:
            if t.answer.short_answer:
                parts.append(f'<div class="a short-answer"><strong>{esc(t.answer.short_answer)}</strong></div>')
            parts.append(f'<div class="a answer">{answer_with_chips(i, t.answer)}</div>')
        if t.answer is not None:
            parts.append(claims_html(t.answer))
            parts.append(f'<div class="a-meta">{answer_meta(t.answer)}</div>')
        parts.append("</div>")
    return "".join(parts)


def citation_card(turn: int, c: Citation, file_name: str | None, span: tuple[int, int] | None = None) -> str:
    meta = [esc(c.source)]
    if c.section:
        meta.append(f"section: {esc(c.section)}")
    meta.append(c.location)
    if c.score is not None:
        meta.append(f"score {c.score:.3f}")
    return (
        f'<div class="src-card" id="src-{turn}-{c.marker}" data-marker="{c.marker}">'
        f'<div class="src-head"><span class="src-marker">[{c.marker}]</span> {" · ".join(meta)}</div>'
        f'<div class="src-file">file: {esc(file_name or c.source)} · characters {c.start}–{c.end}</div>'
        f'<p class="src-text">{highlight(c.text, c.quote, span)}</p>{page_button(turn, c)}</div>'
    )


def page_button(turn: int, c: Citation) -> str:
    """For a paged document, a button that shows the cited page with the quote highlighted (see HEAD in app.py)."""
    if c.page is None:
        return ""
    return (
        f'<button class="page-btn" data-turn="{turn}" data-marker="{c.marker}">'
        f"Show page {c.page} with the quote</button>"
    )


def sources_html(turns: list[Turn], files: dict[str, str] | None = None) -> str:
    """Sources of every answered turn; only the latest is shown until a chip selects another."""
    files = files or {}
    answered = [i for i, t in enumerate(turns) if t.answer is not None and t.answer.citations]
    if not answered:
        return '<div class="src-empty">Sources of the answer appear here.</div>'
    parts = []
    for i in answered:
        hidden = "" if i == answered[-1] else " hidden"
        answer = turns[i].answer
        short = answer.short_span
        cards = "".join(
            citation_card(
                i, c, files.get(c.source), (short.start, short.end) if short and short.marker == c.marker else None
            )
            for c in answer.citations
        )
        parts.append(
            f'<div class="turn-sources" data-turn="{i}"{hidden}>'
            f'<div class="src-question">{esc(turns[i].question)}</div>{cards}</div>'
        )
    return "".join(parts)


def conversation_markdown(turns: list[Turn]) -> str:
    """The conversation as Markdown, citations as numbered footnotes (source, paragraph, quote)."""
    lines, notes, n = ["# Conversation", ""], [], 0
    for t in turns:
        if t.answer is None:
            continue
        lines += [f"**Q:** {t.question}", ""]
        if t.answer.abstained:
            lines += [f"**A:** _{t.answer.answer}_", ""]
            continue
        numbers = {}
        for c in t.answer.citations:
            n += 1
            numbers[c.marker] = n
            where = f"{c.source}, {c.location}" + (f" ({c.section})" if c.section else "")
            notes.append(f"[^{n}]: {where}: “{c.quote}”")
        if t.answer.short_answer:
            lines += [f"**{t.answer.short_answer}**", ""]
        lines += [f"**A:** {_footnoted(t.answer.answer, numbers)}", ""]
    return "\n".join(lines + notes) + "\n"


def _footnoted(text: str, numbers: dict[int, int]) -> str:
    """[n] markers as [^k] footnote references."""
    return MARKER.sub(lambda m: f"[^{numbers[int(m.group(1))]}]" if int(m.group(1)) in numbers else m.group(0), text)
