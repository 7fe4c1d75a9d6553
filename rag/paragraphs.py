"""Document text -> paragraphs with exact offsets, and paragraphs -> chunks.

A paragraph is a non-empty line, or several lines of one blank-line-separated block when the lines are
hard-wrapped prose, or a run of table rows or of short list items (with the line leading into the list). Short heading lines become the ``section`` of the paragraphs under them; a line that
repeats an earlier paragraph of the same document (a repeated title) is not indexed twice.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from dataclasses import dataclass
from typing import Sequence

from rag.text import LIST_ITEM, NOTE_MARK, SUPERSCRIPT_MARK, TABLE_CELL, sentence_spans
from rag.types import Chunk, Paragraph, SentenceKey

# Bump when splitting or chunking changes: it is part of the index fingerprint.
# p6: a PDF line's first-line indent starts a paragraph; capitals are joined across a line-end hyphen.
# p7: paragraphs starting inside a PDF footnote are marked as footnotes in their section; a paragraph keeps
# where it runs on to another page.
# p8: a run of short list items (with the line leading into it) or of table rows is one paragraph.
# p9: a PDF's letter-spaced words are no longer split where pdfminer guessed a space between two letters; a
# small-caps line over its paragraph is a heading; a formula, a bare number or a line ending in "-" is none; a
# line's first letter pdfminer stacked into a "vertical" line with blanks above it is put back; text in a
# form XObject is read; boxes are read in XY-cut order.
# p10: plain text: a line underlined with "===" or "---" is a heading, the underline and "* * *" breaks no
# paragraphs; list items and table rows do not count against a document being hard-wrapped prose; a first-line
# indent after a finished sentence starts a paragraph.
CHUNKING_VERSION = "p10"

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
_TERMINAL = tuple('.,;:!"”’)]')
_NOT_IN_HEADING = re.compile(r"\s/\s|\s\|\s|@|\[|\]|^[–—•*-]")  # " | ": a table row, not a heading

# A heading is words: a formula line ("F (H) ≡", "Tt ∈") or a bare number or symbol is none, however short.
_MATH = re.compile(r"[=≡∈∉<>+∀∃∧∨≤≥×÷∑∏√∞→←⇒⊆⊂∪∩\ufffd]")
_WORD = re.compile(r"[^\W\d_]{3}")

# Plain text's markup: a line of "=" or "-" under a line makes it a heading ("Summary\n-------"); a row of one
# such character, spaced or not ("* * *", "___"), breaks sections. Neither is a paragraph. A gapped rule under a
# fixed-width table's header ("-----  ----") is neither and stays a line of the table.
_UNDERLINE = re.compile(r"^(?:={3,}|-{3,})$")
_RULE = re.compile(r"^([*_~=-])(?: ?\1){2,}$")
MAX_UNDERLINED_CHARS = 120
_SENTENCE_END = (".", "!", "?", ":", '"', "”")

MAX_HEADING_CHARS = 60
MAX_HEADING_WORDS = 8
WRAP_MAX_CHARS = 100
WRAP_MIN_CHARS = 40


@dataclass
class _Line:
    start: int
    end: int  # trimmed span into the document text
    text: str
    blank_before: bool
    underlined: bool = False
    indent: int = 0  # leading spaces (a tab counts as four)


def _lines(text: str) -> list[_Line]:
    lines: list[_Line] = []
    blank = True
    for m in _LINE.finditer(text):
        raw_start, raw = m.start(), m.group(0).rstrip("\r\n")
        if not raw.strip():
            blank = True
            if m.end() == len(text):
                break
            continue
        underline = _UNDERLINE.match(raw.strip())
        if underline and lines and not blank:
            lines[-1].underlined = True
        if underline or _RULE.match(raw.strip()):
            blank = True
            if m.end() == len(text):
                break
            continue
        lead = len(raw) - len(raw.lstrip())
        start = raw_start + lead
        end = raw_start + len(raw.rstrip())
        indent = len(raw[:lead].expandtabs(4))
        lines.append(_Line(start, end, text[start:end], blank, indent=indent))
        blank = False
        if m.end() == len(text):
            break
    return lines


def _heading_text(line: str) -> str | None:
    """The section name if this line is shaped like a heading, else None."""
    md = _MD_HEADING.match(line)
    if md:
        return md.group(1) or None
    if len(line) > MAX_HEADING_CHARS or len(line.split()) > MAX_HEADING_WORDS:
        return None
    if (
        line.endswith(_TERMINAL + ("-",))
        or _NOT_IN_HEADING.search(line)
        or _MATH.search(line)
        or not _WORD.search(line)
    ):
        return None
    if not (line[0].isupper() or line[0].isdigit()):
        return None
    return line


def _is_hard_wrapped(lines: list[_Line]) -> bool:
    """Hard-wrapped prose: short lines broken mid-sentence inside blocks. Then a paragraph is a block."""
    if len(lines) < 2:
        return False
    lengths = sorted(len(line.text) for line in lines)
    if lengths[min(len(lengths) - 1, int(len(lengths) * 0.95))] > WRAP_MAX_CHARS:
        return False
    breaks = continued = 0
    for prev, line in zip(lines, lines[1:]):
        # A list's items and a table's rows are lines by design: only prose lines tell whether prose is wrapped.
        if line.blank_before or LIST_ITEM.match(line.text) or TABLE_CELL.search(f"{prev.text} {line.text}"):
            continue
        breaks += 1
        mid_sentence = not prev.text.endswith((".", "!", "?", ":", ";", '"', "”", "’", ")"))
        continued += mid_sentence and (line.text[0].islower() or len(prev.text) >= WRAP_MIN_CHARS)
    return breaks > 0 and continued >= 0.3 * breaks


def _indented_start(prev: _Line, line: _Line, group_opening: str) -> bool:
    """A first-line indent after a finished sentence starts a paragraph in wrapped text set without blank lines
    between paragraphs; not inside a list item (``group_opening``: how the block so far begins), whose wrapped
    lines hang indented under it."""
    return (
        line.indent > prev.indent
        and prev.text.endswith(_SENTENCE_END)
        and line.text[:1].isupper()
        and not LIST_ITEM.match(group_opening)
    )


def split_paragraphs(text: str, source: str) -> list[Paragraph]:
    lines = _lines(text)
    wrapped = _is_hard_wrapped(lines)
    # Group lines into candidate paragraphs first: (start, end, single_line).
    groups: list[tuple[int, int, bool]] = []
    underlined: set[int] = set()  # the groups that are underlined lines
    for i, line in enumerate(lines):
        # In hard-wrapped text a block is one paragraph; headings and list items stand on their own.
        joins = (
            wrapped
            and groups
            and not line.blank_before
            and not LIST_ITEM.match(line.text)
            and not TABLE_CELL.search(line.text)
            and not TABLE_CELL.search(lines[i - 1].text)
            and not _MD_HEADING.match(line.text)
            and not _MD_HEADING.match(lines[i - 1].text)
            and not line.underlined
            and not lines[i - 1].underlined
            and not _indented_start(lines[i - 1], line, text[groups[-1][0] : groups[-1][0] + 16])
        )
        if joins:
            groups[-1] = (groups[-1][0], line.end, False)
        else:
            groups.append((line.start, line.end, True))
            if line.underlined and len(line.text) <= MAX_UNDERLINED_CHARS:
                underlined.add(len(groups) - 1)

    bodies: list[tuple[int, int, str | None]] = []
    seen: set[str] = set()
    section: str | None = None
    for gi, (start, end, single) in enumerate(groups):
        body = text[start:end]
        heading = body if gi in underlined else _heading_text(body) if single else None
        if heading is not None and gi + 1 < len(groups):
            next_start, next_end, _ = groups[gi + 1]
            # A heading-shaped line followed by another one is a short paragraph, not a heading, and so is one
            # between two table rows (a row whose cells were not told apart), unless marked up as a heading.
            following = text[next_start:next_end]
            in_table = (
                gi > 0
                and TABLE_CELL.search(text[groups[gi - 1][0] : groups[gi - 1][1]])
                and TABLE_CELL.search(following)
            )
            if _MD_HEADING.match(body) or gi in underlined or (_heading_text(following) is None and not in_table):
                section = heading
                continue
        if body in seen:
            continue
        seen.add(body)
        bodies.append((start, end, section))
    paragraphs: list[Paragraph] = []
    for start, end, section in _gather_items(text, bodies):
        for s, e in _limit(text, start, end):
            paragraphs.append(
                Paragraph(source=source, number=len(paragraphs) + 1, start=s, end=e, text=text[s:e], section=section)
            )
    return paragraphs


# A short list item or a table row says little alone ("- etcd 3.4.3 (2020)", "ID.SC | Supply Chain Risk
# Management"): a run of them is one paragraph, with the line leading into a list ("Here is a list of sample
# third-party audits...:"), so that retrieval, the reader and the analyst reading a citation see what they are
# items of. Each line stays a sentence of its own (rag.text.sentence_spans), so a quote is still the one line.
# A run is cut where it would outgrow about one reader window.
MAX_ITEM_CHARS = 200
MAX_GATHERED_CHARS = 800


def _gather_items(text: str, bodies: list[tuple[int, int, str | None]]) -> list[tuple[int, int, str | None]]:
    out: list[tuple[int, int, str | None, str | None]] = []  # (start, end, section, what the run is)
    for start, end, section in bodies:
        body = text[start:end]
        run = out[-1][3] if out else None
        if TABLE_CELL.search(body):
            kind = "rows"
        elif run == "rows" and len(body) <= MAX_HEADING_CHARS and not body.endswith(_TERMINAL):
            kind = "rows"  # a short line in a table: a row whose cells were not told apart ("CaP 2 6 32 94")
        elif LIST_ITEM.match(body) and len(body) <= MAX_ITEM_CHARS:
            kind = "items"
        else:
            kind = "lead" if body.endswith(":") and len(body) <= MAX_GATHERED_CHARS // 2 else None
        if out and kind in ("rows", "items"):
            run_start, _, run_section, _ = out[-1]
            continues = run == kind or (kind == "items" and run == "lead")
            if continues and run_section == section and end - run_start <= MAX_GATHERED_CHARS:
                out[-1] = (run_start, end, section, kind)
                continue
        out.append((start, end, section, kind))
    return [(start, end, section) for start, end, section, _ in out]


# A "paragraph" longer than this (a whole file on one line) is cut into paragraphs at sentence ends.
MAX_PARAGRAPH_CHARS = 20_000


def _limit(text: str, start: int, end: int) -> list[tuple[int, int]]:
    if end - start <= MAX_PARAGRAPH_CHARS:
        return [(start, end)]
    out: list[tuple[int, int]] = []
    for s, e in _pieces(text[start:end], MAX_PARAGRAPH_CHARS):
        if out and (start + e) - out[-1][0] <= MAX_PARAGRAPH_CHARS:
            out[-1] = (out[-1][0], start + e)
        else:
            out.append((start + s, start + e))
    return out


def _pieces(text: str, max_chars: int) -> list[tuple[int, int]]:
    """Sentence spans, with any sentence longer than max_chars cut on whitespace."""
    pieces = []
    for s, e in sentence_spans(text):
        while e - s > max_chars:
            cut = text.rfind(" ", s + 1, s + max_chars)
            cut = cut if cut > s else s + max_chars
            pieces.append((s, cut))
            s = cut
            while s < e and text[s].isspace():
                s += 1
        if e > s:
            pieces.append((s, e))
    return pieces


def chunk_paragraph(paragraph: Paragraph, max_chars: int) -> list[Chunk]:
    """One chunk per paragraph, or sentence windows (one sentence of overlap) for a long paragraph."""
    text = paragraph.text
    if len(text) <= max_chars:
        return [Chunk(paragraph, 0, paragraph.start, paragraph.end, text)]
    pieces = _pieces(text, max_chars)
    chunks: list[Chunk] = []
    i = 0
    while i < len(pieces):
        j = i
        while j + 1 < len(pieces) and pieces[j + 1][1] - pieces[i][0] <= max_chars:
            j += 1
        s, e = pieces[i][0], pieces[j][1]
        chunks.append(Chunk(paragraph, len(chunks), paragraph.start + s, paragraph.start + e, text[s:e]))
        if j + 1 >= len(pieces):
            break
        # Overlap by the window's last sentence, unless that sentence cannot share a window with the next.
        overlap = j > i and pieces[j + 1][1] - pieces[j][0] <= max_chars
        i = j if overlap else j + 1
    return chunks


def paragraph_sentences(paragraph: Paragraph) -> list[SentenceKey]:
    """The paragraph's sentences, as the answerer scores them."""
    return [
        SentenceKey(paragraph.id, i, paragraph.source, s, e) for i, (s, e) in enumerate(sentence_spans(paragraph.text))
    ]


FOOTNOTE = "Footnote"


# A note numbered N ("3 Part of the concepts defined in OASIS XACML 2.0") and the marker "^N" the PDF reader put
# where the body refers to it ("... policy enforcement point (PEP).^3"; rag/readers/pdf.py).
_NOTE_NUMBER = re.compile(r"^(\d{1,3})\s")
NOTE_LOOKBACK = 40  # paragraphs searched back for the marker (a note follows the paragraph it interrupts)
NOTE_CONTEXT_CHARS = 300


def _referring_sentence(body: list[Paragraph], number: str) -> str | None:
    """The body sentence, up to the note's marker, of the nearest paragraph before the note that marks it."""
    mark = re.compile(rf"{re.escape(SUPERSCRIPT_MARK)}{number}(?![\d])")
    for q in reversed(body[-NOTE_LOOKBACK:]):
        found = list(mark.finditer(q.text))
        if not found:
            continue
        at = found[-1].start()
        # From its sentence's start, or from a marker before it in that sentence ("rose in 2020^1 and fell in 2021^2").
        start = max(
            [0]
            + [s for s, _ in sentence_spans(q.text) if s < at]
            + [m.end() for m in NOTE_MARK.finditer(q.text, 0, at)]
        )
        said = " ".join(NOTE_MARK.sub("", q.text[start:at]).split())
        if len(said) > NOTE_CONTEXT_CHARS:  # its end, from a word's start
            said = said[-NOTE_CONTEXT_CHARS:].split(" ", 1)[-1]
        return said or None
    return None


def mark_footnotes(paragraphs: list[Paragraph], footnotes: Sequence[tuple[int, int]]) -> list[Paragraph]:
    """A paragraph that starts inside a footnote is marked as one in its section ("Footnote — 2.1 Tenets"), with
    the sentence whose marker it explains where the body marks it ("Footnote — 2 Zero Trust Basics — “Access is
    granted through a policy decision point (PDP) and corresponding policy enforcement point (PEP).”"): the analyst
    sees it is a note and what it annotates, and a question about "the footnote" on that point finds it."""
    if not footnotes:
        return paragraphs
    starts = [s for s, _ in footnotes]
    out: list[Paragraph] = []
    body: list[Paragraph] = []
    for p in paragraphs:
        i = bisect.bisect_right(starts, p.start) - 1
        if i >= 0 and p.start < footnotes[i][1]:
            section = f"{FOOTNOTE} — {p.section}" if p.section else FOOTNOTE
            number = _NOTE_NUMBER.match(p.text)
            said = _referring_sentence(body, number.group(1)) if number else None
            p = dataclasses.replace(p, section=f"{section} — “{said}”" if said else section)
        else:
            body.append(p)
        out.append(p)
    return out


def assign_pages(paragraphs: list[Paragraph], page_marks: Sequence[tuple[int, int]]) -> list[Paragraph]:
    """Each paragraph gets the page it starts on (the first, when it runs over two) and where it runs on to
    another; ``page_marks`` as in rag.readers.base.Extracted."""
    offsets = [at for at, _ in page_marks]
    out = []
    for p in paragraphs:
        # Marks up to ``first`` are at or before the paragraph's start; those from there to ``last`` inside it.
        first, last = bisect.bisect_right(offsets, p.start), bisect.bisect_left(offsets, p.end)
        breaks = tuple((at - p.start, page) for at, page in page_marks[first:last])
        out.append(dataclasses.replace(p, page=page_marks[max(0, first - 1)][1], page_breaks=breaks))
    return out
