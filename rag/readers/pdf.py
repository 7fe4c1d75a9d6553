"""PDF: pdfminer.six's layout analysis (characters -> lines -> text boxes), through pdfplumber, whose table
finder reads the same page objects, rebuilt into the paragraph-per-line text the splitter reads.

pdfminer decides words, lines and boxes; pdfplumber finds tables drawn with rules. The rules here are only
those neither has:

* reading order: a recursive XY-cut over pdfminer's boxes (columns left to right, else bands top to bottom);
  pdfminer's own order read a short last column before two full ones;

* running headers, footers, page numbers and production stamps: a line repeated across pages at the same
  height (digits aside), or a bare page number at the top or bottom of a page, is dropped; so is vertical
  text (a stamp up the margin), but not upright letters pdfminer stacked into a "vertical" line with the
  blanks of empty lines above them: each goes back to the line it starts or ends;
* footnotes: smaller-type boxes below the page's body text, starting with a marker, are taken out of the
  body and kept, each note its own paragraph, after the body paragraph they would interrupt (and so are
  short figure labels printed between the halves of a paragraph);
* paragraphs: a box is split where a line ends a sentence well short of the box's width or the next line
  starts with a first-line indent (not a list item's hanging indent); a paragraph that
  runs on into the next box, column or page (no sentence end) is joined to it, and the next page starts
  inside it (its paragraph's page is the first);
* words: no space where pdfminer guessed one between the letters of a letter-spaced word, and a "^" before
  superscript digits glued to a word or number ("2020^1", not the year 20201; "10^18") (see _line_text);
  NFKC (ligatures, compatibility characters), soft hyphens removed, a line-end hyphen joined unless
  the document writes that compound with its hyphen elsewhere ("end-to-end"), "as- yet" gaps likewise; in
  capitals ("GOR-" "SUCH") only where the document writes the joined word elsewhere;
* tables: ruled ones from pdfplumber, by the rules that show (a shading rectangle inside a larger one of its
  colour draws none); otherwise lines outside running text side by side on shared
  baselines, three rows or more; either way one row a paragraph, "cell | cell | cell";
* a table's caption ("Table 2: Framework Core"), set just above or below it, is the heading over its rows;
* headings: a box set larger than the body, a short bold one, or a short bold, italic or small-caps first
  line over its paragraph, is a "# " line.
"""

from __future__ import annotations

import bisect
import heapq
import io
import itertools
import logging
import math
import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from rag.readers.base import Extracted, ReadError
from rag.readers.ocr import OcrLine, ocr_page, tesseract_available
from rag.text import SUPERSCRIPT_MARK

_PAGE_NUMBER = re.compile(
    r"^(page\s*)?\d{1,4}(\s*(of|/)\s*\d{1,4})?$|^[-–—]\s*\d{1,4}\s*[-–—]$|^[ivxlc]{1,6}$|^\d{1,2}[-–.]\d{1,3}$", re.I
)
_TERMINAL = (".", "!", "?", ":", '"', "”", "’", ")", ";")
_SENTENCE_END = re.compile(r"[.!?:][\"”’]?\s*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u00ad\ufffe\uffff]")
_BULLET = re.compile(r"^[•▪◦●■□‣∙·*–-]\s")
_NUMBER_ITEM = re.compile(r"^\(?\d{1,2}[.)]\s")
_LETTER_ITEM = re.compile(r"^\(?([a-z])[.)]\s")
_FOOTNOTE_START = re.compile(r"^\d{1,3}\s*\S")
_NOTE_RULE = re.compile(r"^\s*[—–_-]{4,}\s*")
_WORD = re.compile(r"\w+(?:-\w+)*")
_BOLD = re.compile(r"bold", re.I)
_ITALIC = re.compile(r"italic|oblique", re.I)
# Small capitals by font name: TeX's CMCSC10 and Latin Modern's LMRomanCaps10, "SmallCaps", a "-SC" cut.
_SMALL_CAPS = re.compile(r"CSC\d|RomanCaps|small-?caps|-SC\b", re.I)
_UNMAPPED_GLYPH = re.compile(r"\(cid:\d+\)")
_HYPHEN_GAP = re.compile(r"(\w+)- (\w[\w-]*)")
# The dots leading a table's row name to its figures ("Violent crime . . . . . | 456,965"): layout, not text. After
# a word only: "t ≡ (μs[2]) . . . . . ." is a formula's ellipsis.
_LEADER = re.compile(r"(?<=[^\W\d_])(?:\s?\.){4,}\s*$")
# A Tesseract line box over the font size: measured 0.93-0.96 on 8, 11 and 13 pt Helvetica scanned at 200 dpi.
OCR_SIZE_RATIO = 0.95
# Points by which a shading rectangle may stick out of the one it lies in (Word's cell and paragraph shading).
FILL_TOLERANCE = 0.5
FILL_BATCH = 512
# Of the page's width and height, a filled rectangle that paints its background.
BACKGROUND_SHARE = 0.95
# Characters up to which a centered line is an outline label ("II", "A 1", "b"), not a line of its own.
OUTLINE_LABEL_CHARS = 4


@dataclass
class _Line:
    text: str
    x0: float
    x1: float
    y0: float
    y1: float
    size: float
    bold: bool
    style: str = ""  # "bold", "italic", "small caps" or "" by most of its characters' font names


@dataclass
class _Box:
    lines: list[_Line]
    x0: float
    x1: float
    y0: float
    y1: float
    order: int
    size: float = 0.0
    bold: bool = False
    kind: str = "body"  # body | heading | footnote | table
    row_cells: list[list[str]] = field(default_factory=list)


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", _CONTROL.sub("", text))
    # A glyph the font maps to no character (a math symbol in a custom font): pdfminer writes "(cid:107)"; the
    # quote shows one replacement character where the symbol stood, not an id that reads as text.
    return " ".join(_UNMAPPED_GLYPH.sub("\ufffd", text).split())


def _line_text(line) -> str:
    """The line's text, without the spaces pdfminer guessed inside letter-spaced words, and with a "^" before
    digits set as a superscript right after other text.

    pdfminer adds a space where two glyphs stand further apart than a tenth of a glyph's size; a heading set
    with tracking (the "MALICIOUS ACTORS" of small capitals spaced 1 pt apart) then reads "MALI CIOUS ACTO RS".
    A guessed space stays only where the gap beyond the line's usual gap between letters is that wide.

    A superscript run glued to what precedes it reads as part of it: footnote 1 after "2020" makes a year
    "20201", "principle25" is no word to search for, and "10^18" Wei reads "1018". The "^" keeps both."""
    from pdfminer.layout import LTAnno, LTChar

    items = list(line)
    glyphs = [c for c in items if isinstance(c, LTChar)]  # the guessed spaces (LTAnno) left out
    # Between two letters of one font and size: a formula's symbols, sub- and superscripts stand apart by design.
    gaps = [
        b.x0 - a.x1
        for a, b in zip(glyphs, glyphs[1:])
        if a.get_text().isalpha() and b.get_text().isalpha() and (a.fontname, a.size) == (b.fontname, b.size)
    ]
    tracking = statistics.median(gaps) if len(gaps) >= TRACKED_LETTERS else 0.0
    raised = _superscript_digits(glyphs)
    if tracking <= 0 and not raised:
        return line.get_text()
    out: list[str] = []
    for i, item in enumerate(items):
        text = item.get_text()
        if tracking > 0 and isinstance(item, LTAnno) and text == " " and 0 < i < len(items) - 1:
            a, b = items[i - 1], items[i + 1]
            if isinstance(a, LTChar) and isinstance(b, LTChar):
                if b.x0 - a.x1 - tracking < _word_gap(b):
                    continue
        if id(item) in raised and out and id(items[i - 1]) not in raised and not out[-1][-1:].isspace():
            out.append(SUPERSCRIPT_MARK)
        out.append(text)
    return "".join(out)


# A superscript against its line's type, measured on the development PDFs (LaTeX, Word, InDesign; 1,043 footnote
# markers and powers): 0.58-0.67 of the size, raised 0.35-0.55 of it. A fraction's numerator ("1⁄4 inch", raised
# 0.11) is not one.
SUPERSCRIPT_SIZE = 0.85
SUPERSCRIPT_RISE = 0.2


def _superscript_digits(glyphs: list) -> set[int]:
    """The ids of the line's digits (and signs: "10^−3") set smaller than its type and raised above its baseline."""
    full = [g for g in glyphs if g.get_text().isalnum()]
    if len(full) < 2:
        return set()
    size = statistics.median(g.size for g in full)
    base = statistics.median(g.y0 for g in full if g.size >= SUPERSCRIPT_SIZE * size)
    return {
        id(g)
        for g in glyphs
        if (g.get_text().isdigit() or g.get_text() in {"+", "-", "−"})
        and g.size < SUPERSCRIPT_SIZE * size
        and g.y0 > base + SUPERSCRIPT_RISE * size
    }


def _word_gap(glyph) -> float:
    """The gap before a glyph that pdfminer takes for a space between words (LAPARAMS' word_margin)."""
    return LAPARAMS["word_margin"] * max(glyph.width, glyph.height)


# Letter gaps a line needs before its usual gap is taken as its tracking.
TRACKED_LETTERS = 4


def _page_boxes(layout) -> list[_Box]:
    from pdfminer.layout import LTChar, LTFigure, LTTextBox, LTTextBoxVertical, LTTextLine

    boxes: list[_Box] = []

    def found(container, wanted, through):
        """The ``wanted`` items in the container and in the ``through`` items it holds, however deep."""
        for item in container:
            if isinstance(item, wanted):
                yield item
            elif isinstance(item, through):
                yield from found(item, wanted, through)

    def lines_of(box):
        return found(box, LTTextLine, LTTextBox)

    strays: list = []
    # The boxes of the page and of its figures (a slide or a whole page drawn as a form XObject).
    for order, item in enumerate(found(layout, LTTextBox, LTFigure)):
        if isinstance(item, LTTextBoxVertical):  # a stamp up the margin, a rotated title: not body text
            # Unless its glyphs stand upright: then it is a line's first letter that pdfminer stacked with the
            # blank characters of empty lines above it ("I" + "NTRODUCTION"), to be put back.
            glyphs = [c for line in lines_of(item) for c in line if isinstance(c, LTChar)]
            if all(c.upright for c in glyphs):
                strays += [c for c in glyphs if _is_text(c.get_text())]
            continue
        lines = []
        for line in lines_of(item):
            text = _clean(_line_text(line))
            if not text:
                continue
            chars = [c for c in line if isinstance(c, LTChar) and not c.get_text().isspace()]
            size = statistics.median(round(c.size, 1) for c in chars) if chars else 0.0
            bold = _mostly(chars, _BOLD)
            italic = _mostly(chars, _ITALIC)
            small_caps = _mostly(chars, _SMALL_CAPS)
            style = "bold" if bold else "italic" if italic else "small caps" if small_caps else ""
            lines.append(_Line(text, line.x0, line.x1, line.y0, line.y1, size, bold, style))
        if lines:
            box = _Box(lines, item.x0, item.x1, item.y0, item.y1, order)
            box.size = statistics.median(ln.size for ln in lines)
            box.bold = all(ln.bold for ln in lines)
            boxes.append(box)
    for glyph in strays:
        _put_back(glyph, boxes)
    boxes = _reading_order(boxes)
    for order, box in enumerate(boxes):
        box.order = order
    return boxes


def _absorb_contained(boxes: list[_Box]) -> list[_Box]:
    """A box inside another whose lines all stand on that box's rows is words of those rows that pdfminer boxed
    apart ("Iran-backed" alone in the middle of a widely justified line): its lines go back to the box around it."""
    kept: list[_Box] = []
    for box in sorted(boxes, key=lambda b: -(b.x1 - b.x0) * (b.y1 - b.y0)):
        host = next(
            (
                a
                for a in kept
                if a.x0 - 1 <= box.x0
                and box.x1 <= a.x1 + 1
                and a.y0 - 1 <= box.y0
                and box.y1 <= a.y1 + 1
                and all(any(_same_row(ln, other) for other in a.lines) for ln in box.lines)
            ),
            None,
        )
        if host is None:
            kept.append(box)
        else:
            host.lines = sorted(host.lines + box.lines, key=lambda ln: (-ln.y1, ln.x0))
    return sorted(kept, key=lambda b: b.order)


def _rejoin_justified_rows(lines: list[_Line], x0: float, x1: float) -> list[_Line]:
    """A justified line in a narrow column spreads its words far apart ("Meanwhile,   Iran-backed   factions   are"),
    wider than pdfminer's char_margin allows, and pdfminer gives the words as separate lines of the box, in no
    order. In a box of running text (at least two lines fill its width alone), the pieces of a row that together
    span the width are one line again, left to right. Rows of a table keep their cells."""
    rows: list[list[_Line]] = []
    for ln in lines:
        row = next((r for r in rows if _same_row(r[0], ln)), None)
        if row is None:
            rows.append([ln])
        else:
            row.append(ln)
    slack = 0.1 * (x1 - x0)

    def spans(row: list[_Line]) -> bool:
        return min(ln.x0 for ln in row) <= x0 + slack and max(ln.x1 for ln in row) >= x1 - slack

    if all(len(r) == 1 for r in rows) or sum(len(r) == 1 and spans(r) for r in rows) < 2:
        return lines
    out = []
    for row in rows:
        row.sort(key=lambda ln: ln.x0)
        apart = all(a.x1 <= b.x0 + 1 for a, b in zip(row, row[1:]))
        if len(row) == 1 or not spans(row) or not apart:
            out.extend(row)
            continue
        first = row[0]
        out.append(
            _Line(
                " ".join(ln.text for ln in row),
                first.x0,
                row[-1].x1,
                min(ln.y0 for ln in row),
                max(ln.y1 for ln in row),
                statistics.median(ln.size for ln in row),
                all(ln.bold for ln in row),
                first.style,
            )
        )
    return out


# Narrower white space than this between boxes is no gutter between columns or bands.
MIN_GAP = 4.0


def _mostly(chars: list, font: re.Pattern) -> bool:
    """Whether most of the characters are set in a font whose name matches."""
    return sum(font.search(c.fontname) is not None for c in chars) > len(chars) / 2


def _reading_order(boxes: list[_Box]) -> list[_Box]:
    """Recursive XY-cut: columns (a vertical gutter no box crosses) left to right, else the two parts either side
    of the widest horizontal gap top to bottom, each part ordered the same way; pdfminer's order where neither
    cut exists. pdfminer's own order reads a short last column before two full ones."""
    if len(boxes) < 2:
        return boxes
    columns = _bands(boxes, lambda b: (b.x0, b.x1))
    if len(columns) > 1:
        return [box for column in columns for box in _reading_order(column)]
    rows = _bands(boxes, lambda b: (-b.y1, -b.y0))
    if len(rows) > 1:
        gaps = [min(-b.y1 for b in below) - max(-b.y0 for b in above) for above, below in zip(rows, rows[1:])]
        cut = gaps.index(max(gaps)) + 1
        top = [b for band in rows[:cut] for b in band]
        bottom = [b for band in rows[cut:] for b in band]
        return _reading_order(top) + _reading_order(bottom)
    return sorted(boxes, key=lambda b: b.order)


def _bands(boxes: list[_Box], span) -> list[list[_Box]]:
    """Boxes grouped where their spans (along one axis) leave a gap of MIN_GAP or more, in axis order."""
    bands: list[list[_Box]] = []
    end = None
    for box in sorted(boxes, key=lambda b: span(b)[0]):
        start, stop = span(box)
        if end is None or start - end >= MIN_GAP:
            bands.append([box])
            end = stop
        else:
            bands[-1].append(box)
            end = max(end, stop)
    return bands


def _is_text(char: str) -> bool:
    """A letter, digit or punctuation mark: not a blank, nor a piece of a drawn brace (private-use glyphs)."""
    return char.isalnum() or unicodedata.category(char[:1] or " ").startswith("P")


def _put_back(glyph, boxes: list[_Box]) -> None:
    """A stray upright glyph joins the line it touches on its baseline, at its start or its end (a space
    between where the gap is a word's); one touching no line stays out."""
    mid, reach = (glyph.y0 + glyph.y1) / 2, 0.5 * glyph.size
    margin = _word_gap(glyph)
    text = _clean(glyph.get_text())
    for box in boxes:
        for ln in box.lines:
            if not ln.y0 <= mid <= ln.y1:
                continue
            before, after = ln.x0 - glyph.x1, glyph.x0 - ln.x1
            if -1 <= before <= reach:
                ln.text = text + ("" if before < margin else " ") + ln.text
                ln.x0 = box.x0 = min(box.x0, glyph.x0)
                return
            if -1 <= after <= reach:
                ln.text += ("" if after < margin else " ") + text
                ln.x1 = box.x1 = max(box.x1, glyph.x1)
                return


def _furniture_key(line: _Line, height: float) -> tuple[str, int]:
    return re.sub(r"\d+", "#", line.text.lower().replace(" ", "")), round(20 * (line.y0 + line.y1) / 2 / height)


def _furniture(pages: list[tuple[float, list[_Box]]]) -> tuple[set[tuple[str, int]], set[tuple[str, int]]]:
    """Lines that recur at the same height on many pages (running headers, footers, stamps, slide footers), and
    lines that recur at the very rim of the page on just two or more (a running header of a short chapter)."""
    if len(pages) < 2:
        return set(), set()
    counts: Counter[tuple[str, int]] = Counter()
    for height, boxes in pages:
        counts.update({_furniture_key(ln, height) for box in boxes for ln in box.lines})
    # The same text one slot higher or lower (a header that moves slightly) counts as the same place.
    # Anywhere on the page a line must recur on 30% of the pages; in the top or bottom 15% six pages do (a
    # long document of several parts, each with its own running header: the opinions in a court's slip).
    anywhere = max(2, 0.3 * len(pages))
    at_edge = max(2, min(anywhere, 6))
    keys, rim = set(), set()
    for (text, slot), n in counts.items():
        near = n + counts.get((text, slot - 1), 0) + counts.get((text, slot + 1), 0)
        if near >= anywhere or (near >= at_edge and (slot <= 3 or slot >= 17)):
            keys.add((text, slot))
        elif near >= 2 and (slot <= RIM_SLOTS or slot >= 20 - RIM_SLOTS):
            rim.add((text, slot))
    return keys, rim


# The outermost slots (of 20) of a page's height: "Chapter 2: ASN.1 structure handling" over the two pages of a
# short chapter, where body text does not stand alone twice in the same words.
RIM_SLOTS = 1
# The share of the page's height at its top and bottom edge where only furniture is printed.
RIM = 0.05
# Points over the body's size from which a line is display type (a title), never a running header or footer.
TITLE_SIZE_OVER_BODY = 4


def _drop_furniture(
    boxes: list[_Box], height: float, furniture: tuple[set[tuple[str, int]], set[tuple[str, int]]], body_size: float
) -> list[_Box]:
    """Without repeated lines and bare page numbers at the top or bottom, and a line in smaller type above
    everything else at the very top of the page (a running header a short document cannot repeat). A line
    repeated only at the rim (see _furniture) goes when it stands alone in type no larger than the body's: a
    slide's title, larger, stays when the next slide repeats it."""
    repeated, rim = furniture
    top = max((ln.y1 for box in boxes for ln in box.lines), default=0)
    bottom = min((ln.y0 for box in boxes for ln in box.lines), default=0)
    kept = []
    for box in boxes:
        lines = []
        for ln in box.lines:
            at_edge = ln.y0 > 0.9 * height or ln.y1 < 0.1 * height
            header = ln.y1 == top and ln.y0 > 0.92 * height and ln.size < body_size - 1.5 and len(box.lines) == 1
            # Nothing beyond it in the outermost rim, in small type: a browser's date and title over the page, its
            # address under it, on a one-page print where nothing can repeat.
            outermost = (ln.y1 >= top - 1 and ln.y0 > (1 - RIM) * height) or (
                ln.y0 <= bottom + 1 and ln.y1 < RIM * height
            )
            header = header or (outermost and ln.size < body_size - 1.5)
            # A running header stands apart, or is a short first or last line of a box (an opinion's label under
            # the header, merged with the text below); a full line of running text that recurs is text.
            short_end = ln in (box.lines[0], box.lines[-1]) and ln.x1 - ln.x0 < 0.7 * (box.x1 - box.x0)
            near_edge = len(box.lines) <= 2 or short_end
            key = _furniture_key(ln, height)
            # Furniture is set no larger than the body: the title in large type on page 1, over the same words
            # as the running header of the pages after it, is the title.
            plain = ln.size <= body_size + TITLE_SIZE_OVER_BODY or not any(ch.isalnum() for ch in ln.text)
            repeats = near_edge and key in repeated and plain
            repeats = repeats or (key in rim and len(box.lines) == 1 and ln.size <= body_size + 0.5)
            if repeats or header or (at_edge and _PAGE_NUMBER.match(ln.text)):
                continue
            lines.append(ln)
        if lines:
            box.lines = lines
            box.y0, box.y1 = min(ln.y0 for ln in lines), max(ln.y1 for ln in lines)
            kept.append(box)
    return kept


def _split_at_note_rules(boxes: list[_Box]) -> list[_Box]:
    """A box that runs from the body into the notes below a typed separator ("——————" then smaller type),
    as pdfminer groups a page set tightly, becomes two boxes there: the body above, the notes below."""
    out = []
    for box in boxes:
        at = next(
            (
                i
                for i, ln in enumerate(box.lines)
                if i and _NOTE_RULE.match(ln.text) and ln.size < box.lines[i - 1].size - 0.6
            ),
            None,
        )
        out += _cut(box, [] if at is None else [at])
    return out


def _cut(box: _Box, at: list[int]) -> list[_Box]:
    """The box cut before each of these line indexes (itself when there are none), each piece a box of its own."""
    if not at:
        return [box]
    pieces = []
    for a, b in zip([0, *at], [*at, len(box.lines)]):
        piece = _box_of(box.lines[a:b], box.order)
        piece.bold = all(ln.bold for ln in box.lines[a:b])
        pieces.append(piece)
    return pieces


def _split_at_headings(boxes: list[_Box], body_size: float) -> list[_Box]:
    """A box that runs from a heading in display type into the body text under it (pdfminer groups them when the
    heading sits close, as a browser prints an h1 over its paragraph) becomes a box each: the heading is not body
    text, and the body is no heading."""
    out = []
    for box in boxes:
        out += _cut(
            box,
            [
                i
                for i in range(1, len(box.lines))
                if abs(box.lines[i].size - box.lines[i - 1].size) > 1.0
                and max(box.lines[i].size, box.lines[i - 1].size) > body_size + 1.0
            ],
        )
    return out


def _classify(boxes: list[_Box], body_size: float) -> None:
    """Mark headings and footnotes (tables are found by _tables)."""
    body_boxes = [b for b in boxes if abs(b.size - body_size) <= 0.6 and sum(len(ln.text) for ln in b.lines) > 80]
    body_bottom = min((b.y0 for b in body_boxes), default=None)
    for box in boxes:
        chars = sum(len(ln.text) for ln in box.lines)
        last = box.lines[-1].text
        if (box.size > body_size + 1.0 and chars < 200) or (
            box.bold and chars < 100 and not last.endswith((".", ",")) and len(box.lines) <= 2
        ):
            box.kind = "heading"
        elif body_bottom is not None and box.size < body_size - 0.6 and box.y1 <= body_bottom + 1:
            # The notes' separator typed as a run of dashes ("——————"), not drawn: on its own line or
            # run into the first note's. Below it is a note, even one continued from the page before.
            rule = _NOTE_RULE.match(box.lines[0].text)
            if rule and rule.end() == len(box.lines[0].text) and len(box.lines) > 1:
                box.lines = box.lines[1:]
            elif rule and rule.end() < len(box.lines[0].text):
                box.lines[0].text = box.lines[0].text[rule.end() :]
            first = box.lines[0].text
            if rule or _FOOTNOTE_START.match(first) or first.startswith(("*", "†")):
                box.kind = "footnote"


def _is_prose(box: _Box) -> bool:
    """Lines of running text: long, most of them filling the box's width, not row names dotted out to the
    figures."""
    if len(box.lines) < 2 or statistics.median(len(ln.text) for ln in box.lines) < 35:
        return False
    if sum(bool(_LEADER.search(ln.text)) for ln in box.lines) * 2 >= len(box.lines):
        return False
    width = box.x1 - box.x0
    full = sum(ln.x1 >= box.x1 - 0.1 * width for ln in box.lines[:-1])
    return full >= 0.6 * (len(box.lines) - 1)


def _same_row(a: _Line, b: _Line) -> bool:
    overlap = min(a.y1, b.y1) - max(a.y0, b.y0)
    return overlap > 0.5 * min(a.y1 - a.y0, b.y1 - b.y0)


def _cells(row: list[_Line]) -> list[list[_Line]]:
    """A row's lines grouped into cells: lines that overlap horizontally are one cell."""
    cells: list[list[_Line]] = []
    for ln in sorted(row, key=lambda ln: ln.x0):
        if cells and ln.x0 < max(c.x1 for c in cells[-1]) - 1:
            cells[-1].append(ln)
        else:
            cells.append([ln])
    return cells


def _tables(boxes: list[_Box], vocabulary: set[str]) -> list[_Box]:
    """Lines outside running text that stand side by side on shared baselines, three rows or more in a row,
    are a table: regrouped into rows, each row's cells left to right. Where the rows are spaced apart more
    than the lines inside them, lines at the tighter spacing are one multi-line row."""
    lines = sorted(
        (ln for box in boxes if box.kind == "body" and not _is_prose(box) for ln in box.lines), key=lambda ln: -ln.y1
    )
    rows: list[list[_Line]] = []
    for ln in lines:
        if rows and any(_same_row(ln, other) for other in rows[-1]):
            rows[-1].append(ln)
        else:
            rows.append([ln])

    def multi(row: list[_Line]) -> bool:
        cells = _cells(row)
        long = [c for c in cells if sum(len(ln.text) for ln in c) >= 35]
        return len(cells) >= 2 and not (len(cells) == 2 and len(long) == 2)

    runs: list[list[list[_Line]]] = []
    current: list[list[_Line]] = []
    for i, row in enumerate(rows):
        height = max(ln.y1 - ln.y0 for ln in row)
        near = current and min(ln.y0 for ln in current[-1]) - max(ln.y1 for ln in row) < 2.5 * height
        inside = near and not multi(row) and i + 1 < len(rows) and multi(rows[i + 1]) and multi(current[-1])
        if (multi(row) or inside) and (not current or near):
            current.append(row)
        else:
            if sum(multi(r) for r in current) >= 3:
                runs.append(current)
            current = [row] if multi(row) else []
    if sum(multi(r) for r in current) >= 3:
        runs.append(current)
    if not runs:
        return boxes

    for run in runs:
        run = _join_continued_cells(_merge_wrapped_rows(run))
        members = {id(ln) for row in run for ln in row}
        owners = [b for b in boxes if any(id(ln) in members for ln in b.lines)]
        first = min(b.order for b in owners)
        table = _box_of([ln for row in run for ln in row], first)
        table.kind = "table"
        table.row_cells = [
            [_join_lines([ln.text for ln in sorted(cell, key=lambda ln: -ln.y1)], vocabulary) for cell in _cells(row)]
            for row in run
        ]
        kept = []
        for b in boxes:
            if not any(b is owner for owner in owners):  # a ruled table found before has no lines, yet stays
                kept.append(b)
                continue
            if b.order == first:
                kept.append(table)  # what is left of its first box follows it
            b.lines = [ln for ln in b.lines if id(ln) not in members]
            if b.lines:
                kept.append(b)
        boxes = kept
    return boxes


# "Table 2: Framework Core", "Table 3. Costs", "Exhibit 4 — ...", "Table 1" alone; not "Table 1 shows ...".
_TABLE_CAPTION = re.compile(r"^(?:Table|TABLE|Exhibit|EXHIBIT)\s+[A-Z]?\d+[a-z]?(?:\s*[.:—–-](?:\s|$)|$)")
CAPTION_CHARS = 250
# How far (in the caption's line heights) a caption may stand from the table it labels.
CAPTION_GAP_LINES = 3


def _caption_lines(box: _Box) -> list[_Line]:
    """A table caption's lines at the start of a box: its first line, and the next while a line wraps onto it
    (reaches the box's right edge, no sentence ended) close under it. pdfminer may group a caption with the
    paragraph after it, or across the table from it."""
    left, right = min(ln.x0 for ln in box.lines), max(ln.x1 for ln in box.lines)
    lines = [box.lines[0]]
    for ln in box.lines[1:]:
        last = lines[-1]
        wraps = last.x1 >= right - 0.1 * (right - left) and not _SENTENCE_END.search(last.text)
        close = last.y0 - ln.y1 <= 0.5 * (last.y1 - last.y0)
        if not (wraps and close) or sum(len(c.text) for c in lines) + len(ln.text) > CAPTION_CHARS:
            break
        lines.append(ln)
    return lines


def _captions_over_tables(boxes: list[_Box]) -> list[_Box]:
    """A table's caption ("Table 2: Framework Core"), set just above or just below it, becomes the heading its
    rows stand under, placed before them. Set below (NIST's style), it headed the text that follows instead, and
    the table's rows did not say which table they are."""
    tables = [b for b in boxes if b.kind == "table"]
    for box in [
        b for b in boxes if b.kind in ("body", "heading") and b.lines and _TABLE_CAPTION.match(b.lines[0].text)
    ]:
        lines = _caption_lines(box)
        caption = _box_of(lines, box.order)
        caption.kind = "heading"
        height = max(ln.y1 - ln.y0 for ln in lines)
        labelled = []
        for table in tables:
            gap = max(table.y0 - caption.y1, caption.y0 - table.y1)  # the table above the caption, or below it
            if 0 <= gap <= CAPTION_GAP_LINES * height:
                labelled.append((gap, table.order, table))
        if not labelled:
            continue
        table = min(labelled, key=lambda found: found[:2])[2]
        box.lines = box.lines[len(lines) :]
        boxes = [b for b in boxes if b is not box or b.lines]
        boxes.insert(boxes.index(table), caption)
    return boxes


@dataclass
class _RuledTable:
    """A table pdfplumber found from its rules, in PDF coordinates: its box, each row's cell texts, and the words
    beside its outer rules that it took as cells of its rows (see _carried_on), as (x0, y0, x1, y1)."""

    x0: float
    y0: float
    x1: float
    y1: float
    rows: list[list[str]]
    beside: list[tuple[float, float, float, float]] = field(default_factory=list)

    def owns(self, ln: _Line) -> bool:
        """Whether the line's text is the table's: inside its rules, or one of the words it took beside them."""
        cx, cy = (ln.x0 + ln.x1) / 2, (ln.y0 + ln.y1) / 2
        if self.x0 - 1 <= cx <= self.x1 + 1 and self.y0 - 1 <= cy <= self.y1 + 1:
            return True
        return any(
            ln.x0 - 1 <= (x0 + x1) / 2 <= ln.x1 + 1 and ln.y0 - 1 <= (y0 + y1) / 2 <= ln.y1 + 1
            for x0, y0, x1, y1 in self.beside
        )


def _ruled_tables(boxes: list[_Box], tables: list[_RuledTable]) -> list[_Box]:
    """Tables pdfplumber found from their rules replace the lines they own, at the first such line's place."""
    for t in tables:
        owners = {id(b) for b in boxes if b.kind != "table" and any(t.owns(ln) for ln in b.lines)}
        if not owners:
            continue
        first = min(b.order for b in boxes if id(b) in owners)
        table = _Box([], t.x0, t.x1, t.y0, t.y1, first, kind="table", row_cells=t.rows)
        kept = []
        for b in boxes:
            if id(b) in owners:
                if b.order == first:
                    kept.append(table)
                b.lines = [ln for ln in b.lines if not t.owns(ln)]
                if not b.lines:
                    continue
            kept.append(b)
        boxes = kept
    return boxes


def _merge_wrapped_rows(run: list[list[_Line]]) -> list[list[_Line]]:
    gaps = [min(ln.y0 for ln in a) - max(ln.y1 for ln in b) for a, b in zip(run, run[1:])]
    # The widest space under the first row is a header set apart (by a rule, a little more air), no sign of rows
    # that wrap: the body's spacing decides. (The Yellow Paper's fee schedule read as a header and one row of 28
    # names and 28 values.)
    body = gaps[1:] if len(gaps) > 2 and gaps[0] == max(gaps) else gaps
    if not body or max(body) < 1.6 * max(min(body), 0.5) or max(body) - min(body) < 2:
        return run
    cut = (min(body) + max(body)) / 2
    merged = [list(run[0])]
    cells = [_cells(row) for row in run]
    full = max(map(len, cells))
    for gap, row, row_cells in zip(gaps, run[1:], cells[1:]):
        # A line of figures in every column is a row of its own, however tight: a statistical table sets its rows
        # in groups ("Murder . . . | 9,739 | 4,741" under "Violent crime . . . | 456,965 | 268,346"), the groups
        # apart. A line of words in every column may be the next line of cells that all wrap (a roster's names
        # over their institutions).
        if gap < cut and not (len(row_cells) == full and _figures_row(row_cells)):
            merged[-1].extend(row)
        else:
            merged.append(list(row))
    return merged


_FIGURE = re.compile(r"^[(\[]?[-–—+$€£]?\d[\d.,]*%?[)\]]?$|^[-–—]$|^\(?[A-Z]{1,2}\)?$")


def _figures_row(cells: list[list[_Line]]) -> bool:
    """Whether every cell of a row (its lines grouped by _cells) after the first holds figures only ("1,396.4",
    "(X)", "–", "12%")."""
    later = cells[1:]
    return bool(later) and all(all(_FIGURE.match(token) for ln in cell for token in ln.text.split()) for cell in later)


def _join_continued_cells(run: list[list[_Line]]) -> list[list[_Line]]:
    """A row of one line that carries on the last cell of the row above joins that row: it starts in lower case,
    no further left than that cell, and the cell's last line does not end a sentence (the fee schedule's "Paid for
    an SSTORE operation when the storage value's zeroness remains unchanged or" / "is set to zero.")."""
    joined: list[list[_Line]] = []
    for row in run:
        if joined and len(row) == 1 and row[0].text[:1].islower():
            cells = _cells(joined[-1])
            last = min(cells[-1], key=lambda ln: ln.y0)
            if len(cells) >= 2 and row[0].x0 >= cells[-1][0].x0 - 1 and not _SENTENCE_END.search(last.text):
                joined[-1] = joined[-1] + row
                continue
        joined.append(list(row))
    return joined


class _Items:
    """Which lines open list items, in one document's reading order. A bullet does. A number does unless it
    carries on a sentence in lower case: "(15) weeks.”" on a new page after "...greater than fifteen", "2)
    hosting the resource" after "...between 1) the subject and". A lowercase letter does only as a list's
    first item ("a.", "(i)") or the next after the last letter item ("(b)" after "(a)"): "v. Wade, 410 U. S.
    113" and "n. 20; Bray v. ..." at a line's start carry a sentence on, after "Pa." as after "Roe"."""

    def __init__(self) -> None:
        self._last_letter = ""

    def opens(self, text: str, after_sentence: bool) -> bool:
        if letter := _LETTER_ITEM.match(text):
            letter = letter.group(1)
            if letter in "ai" or (self._last_letter and ord(letter) == ord(self._last_letter) + 1):
                self._last_letter = letter
                return True
            return False
        if number := _NUMBER_ITEM.match(text):
            return after_sentence or not text[number.end() :][:1].islower()
        return bool(_BULLET.match(text))


def _centered_lines(box: _Box) -> list[bool]:
    """Which lines are set centered over the box's justified text (a case caption, a docket line: "No.
    19–1392. Argued December 1, 2021"), clear of both edges by the same amount. Only in a box with justified
    lines (two or more reaching its right edge): in a block that is all centered, its widest line sets the edges."""
    inset = [(ln.x0 - box.x0, box.x1 - ln.x1) for ln in box.lines]
    if sum(right < 0.5 * ln.size for ln, (_, right) in zip(box.lines, inset)) < 2:
        return [False] * len(box.lines)
    centered = [min(left, right) > ln.size and abs(left - right) < 1.0 for ln, (left, right) in zip(box.lines, inset)]
    # A line of ragged text that starts where others do (a hanging indent) is centered only by chance. An outline
    # label ("II", "A 1", "b") stays with the paragraph it numbers: alone it would be a paragraph of nothing.
    starts = [ln.x0 for ln, c in zip(box.lines, centered) if not c]
    return [
        c and len(ln.text.strip()) > OUTLINE_LABEL_CHARS and all(abs(ln.x0 - x) >= 1.0 for x in starts)
        for ln, c in zip(box.lines, centered)
    ]


def _split_box(
    box: _Box, column: float | None, vocabulary: set[str], items: _Items, running: bool
) -> list[tuple[str, bool, bool]]:
    """A body box's lines as paragraphs, each with whether it may run on (its last line reaches the column's
    right edge without ending a sentence) and whether it is a list item. Split where a line ends a sentence
    well short of the box's right edge, or where a list item starts. ``running``: the paragraph before the box
    may run on into it."""
    paras: list[list[_Line]] = []
    is_item: list[bool] = []
    width = box.x1 - box.x0
    # where most lines start: a first-line indent is to the right of it, a hanging indent's lines are at it
    margin = Counter(round(ln.x0) for ln in box.lines).most_common(1)[0][0]
    centered = _centered_lines(box)
    prev: _Line | None = None
    for i, ln in enumerate(box.lines):
        item = items.opens(
            ln.text, after_sentence=not running if prev is None else bool(_SENTENCE_END.search(prev.text))
        )
        new = (
            prev is None
            or item
            # a centered line ends its paragraph ("No. 19–1392. Argued ..." over the syllabus's first one)
            or (centered[i - 1] and not centered[i])
            or (prev.text.endswith(_TERMINAL) and prev.x1 < box.x1 - 0.15 * width)
            # a sentence end followed by a first-line indent ("...of the Court." / "   Abortion presents"), but
            # not a list item's hanging indent
            or (_SENTENCE_END.search(prev.text) and ln.x0 - margin > 0.5 * ln.size and not is_item[-1])
            or abs(prev.size - ln.size) > 1.0
            # a short bold or italic heading over its paragraph, in one box
            or (prev.style and prev.style != ln.style and prev.x1 < box.x1 - 0.15 * width)
        )
        if new:
            paras.append([ln])
            is_item.append(item)
        else:
            paras[-1].append(ln)
        prev = ln
    out = []
    for i, (lines, item) in enumerate(zip(paras, is_item)):
        text = _close_gaps(_join_lines([ln.text for ln in lines], vocabulary), vocabulary)
        if not text:
            continue
        heading_like = all(ln.style for ln in lines) and len(text) < 100 and not text.endswith(_TERMINAL)
        if heading_like and i + 1 < len(paras) and paras[i + 1][0].style != lines[0].style:
            out.append(("# " + text, False, False))
            continue
        last = lines[-1]
        full = (last.x1 - box.x0 >= 0.8 * column) if column else (len(lines) > 1 or len(text) > 40)
        if len(lines) > 1:
            full = full or last.x1 >= box.x1 - 0.15 * width
        out.append((text, full and not text.endswith(_TERMINAL), item))
    return out


def _join_lines(lines: list[str], vocabulary: set[str]) -> str:
    out = lines[0]
    for ln in lines[1:]:
        out = _dehyphenate(out, ln, vocabulary)
    return out


def _split_compound(first: str, rest: str, joined: str) -> bool:
    """Whether "first-" + "rest" broken over a line was a compound: its parts English words, joined none."""
    from simplemma import is_known

    parts = [first, *rest.split("-")]
    return (
        # A name breaks at a short syllable ("Neu-" + "mann", "Han-" + "cock", "Sand-" + "ford"); a capitalized
        # word of five letters or more before a word is a compound ("Russian-" + "backed").
        (first.islower() or (len(first) >= 5 and first[:1].isupper() and first[1:].islower()))
        and not is_known(joined.lower(), lang="en")
        and all(len(p) > 1 and p.isalpha() for p in parts)
        and all(is_known(p.lower(), lang="en") for p in parts)
    )


def _dehyphenate(left: str, right: str, vocabulary: set[str]) -> str:
    """Join a line ending in "-" to the next: "escal-" + "ation" -> "escalation", but keep real compounds
    ("end-" + "to-end" stays "end-to-end" when the document writes it so elsewhere, "113-" + "274")."""
    m = re.search(r"(\w+)-$", left)
    if m and right[:1].isalpha():
        tail = re.match(r"[\w-]*", right).group(0)
        word = m.group(1) + re.match(r"\w*", right).group(0)
        compound = f"{m.group(1)}-{tail}".lower()
        if right[:1].islower() and (compound not in vocabulary or word.lower() in vocabulary):
            # Seen neither way in the document: two English words that make no word joined were a compound
            # broken at its hyphen ("high-" + "quality", "de-" + "escalation"), not a word broken by one.
            if word.lower() not in vocabulary and _split_compound(m.group(1), tail, word):
                return left + right
            return left[:-1] + right
        # capitals ("GOR-" + "SUCH"): joined only as a word the document writes whole elsewhere
        if word.isupper() and word.lower() in vocabulary:
            return left[:-1] + right
    return left + right if left.endswith("-") else f"{left} {right}"


def _close_gaps(text: str, vocabulary: set[str]) -> str:
    """'over- rule' (a line-end hyphen the PDF kept with a space after it) -> 'overrule'; 'end- to-end' ->
    'end-to-end'; 'pre- and post-war' stays."""

    def fix(m: re.Match) -> str:
        left, right = m.group(1), m.group(2)
        if right.lower() in ("and", "or", "nor", "to", "und") or not right[0].islower():
            return m.group(0)
        return _dehyphenate(left + "-", right, vocabulary)

    return _HYPHEN_GAP.sub(fix, text)


# pdfminer's defaults but char_margin 3 (justified lines with wide gaps stay one line) and line_margin 1.2
# (lines set with generous leading stay one box); vertical text is grouped so that it can be dropped (a
# rotated stamp up the margin, a rotated divider title); measured on the development corpus by evals/pdf_text.py.
# all_texts: text drawn inside a form XObject (a slide placed in a report, a page wrapped whole) is laid out
# too; pdfminer otherwise leaves it as a figure's loose characters, and it was lost.
LAPARAMS = {
    "char_margin": 3.0,
    "line_margin": 1.2,
    "word_margin": 0.1,
    "boxes_flow": 0.5,
    "detect_vertical": True,
    "all_texts": True,
}


def _group_textboxes(self, laparams, boxes):
    """pdfminer's LTLayoutContainer.group_textboxes (pdfminer.six 20250506) with one change: boxes at equal
    distances are grouped in the order they were made, where pdfminer orders them by ``id()``, a memory address,
    so that the same PDF read twice came out in two orders (an equation's "n =" before or after its lines)."""
    from pdfminer.layout import LTTextBoxVertical, LTTextGroupLRTB, LTTextGroupTBRL
    from pdfminer.utils import Plane

    plane = Plane(self.bbox)
    made = itertools.count()
    key = {id(box): next(made) for box in boxes}

    def dist(a, b) -> float:  # the area of the two boxes' bounding box less theirs
        x0, y0 = min(a.x0, b.x0), min(a.y0, b.y0)
        x1, y1 = max(a.x1, b.x1), max(a.y1, b.y1)
        return (x1 - x0) * (y1 - y0) - a.width * a.height - b.width * b.height

    def isany(a, b) -> set:  # anything else between the two
        return set(plane.find((min(a.x0, b.x0), min(a.y0, b.y0), max(a.x1, b.x1), max(a.y1, b.y1)))) - {a, b}

    dists = [(False, dist(a, b), key[id(a)], key[id(b)], a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :]]
    heapq.heapify(dists)
    plane.extend(boxes)
    vertical = (LTTextBoxVertical, LTTextGroupTBRL)
    done = set()
    while dists:
        skip_isany, d, k1, k2, a, b = heapq.heappop(dists)
        if k1 in done or k2 in done:
            continue
        if not skip_isany and isany(a, b):
            heapq.heappush(dists, (True, d, k1, k2, a, b))
            continue
        group = (
            LTTextGroupTBRL([a, b]) if isinstance(a, vertical) or isinstance(b, vertical) else LTTextGroupLRTB([a, b])
        )
        k = key[id(group)] = next(made)
        plane.remove(a)
        plane.remove(b)
        done.update((k1, k2))
        for other in plane:
            heapq.heappush(dists, (False, dist(group, other), k, key[id(other)], group, other))
        plane.add(group)
    return list(plane)


def _table_rows(page, table) -> list[tuple[list[str], tuple[float, float]]]:
    """A ruled table's rows of cell texts, each with its top and bottom on the page. A row pdfplumber read as one
    cell across the table, its inner rules not drawn (a banded table's "CaP 2 6 32 94"), is split where the other
    rows' rules mark the columns."""
    edges = sorted({x for row in table.rows for cell in row.cells if cell for x in (cell[0], cell[2])})
    rows = []
    for row, texts in zip(table.rows, table.extract()):
        cells = [_clean(t) for t in texts if t]
        spans = [cell for cell in row.cells if cell]
        if len(cells) == 1 and len(spans) == 1:
            cells = _split_at_columns(page, spans[0], edges) or cells
        rows.append((cells, (row.bbox[1], row.bbox[3])))
    return rows


# How far from a ruled table's outer rule (or the word before) a word on a row's band may stand and still be in
# the row, in widths of the table's widest column: row names are set left in a column wider than most of them.
SIDE_GAP_COLUMNS = 3


def _carried_on(
    words: list[dict], found, rows: list[tuple[list[str], tuple[float, float]]], height: float
) -> _RuledTable:
    """The table, its rows carried on past its outer rules where they were not drawn: the words just left or right
    of the table on a row's band and on its cells' lines (a first column of row names, a last column of totals)
    are that row's cells, when half its rows or more have some. The table reaches as far as words chain outward
    from its rules, each within SIDE_GAP_COLUMNS of the one before. A column of text beside the table has lines
    of its own; ``words`` are the page's upright ones (a stamp up the margin is none)."""
    x0, top, x1, bottom = found.bbox
    gap = SIDE_GAP_COLUMNS * max(cell[2] - cell[0] for row in found.rows for cell in row.cells if cell)
    # The baselines of the table's own words.
    lines = sorted({w["bottom"] for w in words if x0 <= w["x0"] and w["x1"] <= x1 and top <= w["top"] <= bottom})

    def in_line(w: dict) -> bool:
        at = bisect.bisect_left(lines, w["bottom"] - 1)
        return at < len(lines) and abs(lines[at] - w["bottom"]) <= 1

    bands = [
        [w for w in words if row_top < (w["top"] + w["bottom"]) / 2 < row_bottom and in_line(w)]
        for _, (row_top, row_bottom) in rows
    ]
    # Each row's words left of the table, and right of it, left to right.
    beside = [
        (
            sorted((w for w in on_band if w["x1"] <= x0 + 1), key=lambda w: w["x0"]),
            sorted((w for w in on_band if w["x0"] >= x1 - 1), key=lambda w: w["x0"]),
        )
        for on_band in bands
    ]
    left_reach, right_reach = x0, x1
    for left, right in beside:
        left_reach = min([left_reach] + [w["x0"] for w in _chain(left[::-1], x0, gap)])
        right_reach = max([right_reach] + [w["x1"] for w in _chain(right, x1, gap)])
    sides = [
        ([w for w in left if w["x0"] >= left_reach - 1], [w for w in right if w["x1"] <= right_reach + 1])
        for left, right in beside
    ]
    table = _RuledTable(x0, height - bottom, x1, height - top, [cells for cells, _ in rows])
    if sum(bool(left or right) for left, right in sides) >= max(2, len(rows) / 2):
        table.rows = [_side_cells(left) + row + _side_cells(right) for row, (left, right) in zip(table.rows, sides)]
        table.beside = [
            (w["x0"], height - w["bottom"], w["x1"], height - w["top"]) for pair in sides for side in pair for w in side
        ]
    return table


def _chain(words: list[dict], edge: float, gap: float) -> list[dict]:
    """The words, nearest the edge first, up to the first that stands more than ``gap`` from the one before."""
    chained, at = [], edge
    for w in words:
        if min(abs(w["x0"] - at), abs(at - w["x1"])) > gap:
            break
        chained.append(w)
        at = w["x0"] if w["x1"] <= edge + 1 else w["x1"]
    return chained


def _side_cells(words: list[dict]) -> list[str]:
    """Words left to right, a cell where the gap before a word is wider than a word's height."""
    cells: list[list[dict]] = []
    for w in words:
        if cells and w["x0"] - cells[-1][-1]["x1"] <= w["bottom"] - w["top"]:
            cells[-1].append(w)
        else:
            cells.append([w])
    return [_clean(" ".join(w["text"] for w in c)) for c in cells]


def _split_at_columns(page, bbox, edges: list[float]) -> list[str] | None:
    """The words inside ``bbox`` grouped by the column (between two ``edges``) each one's middle falls in, or
    None unless they fall in two columns or more, each set apart from the next by more than a word's height: the
    words of one sentence spanning the table stand a space apart."""
    words = sorted(page.crop(bbox, strict=False).extract_words(), key=lambda w: (w["x0"], w["top"]))
    columns: dict[int, list[dict]] = {}
    for word in words:
        columns.setdefault(bisect.bisect(edges, (word["x0"] + word["x1"]) / 2), []).append(word)
    groups = [columns[k] for k in sorted(columns)]
    if len(groups) < 2:
        return None
    for left, right in zip(groups, groups[1:]):
        height = max(w["bottom"] - w["top"] for w in left + right)
        if right[0]["x0"] - max(w["x1"] for w in left) <= height:
            return None
    return [_clean(" ".join(w["text"] for w in sorted(g, key=lambda w: (w["top"], w["x0"])))) for g in groups]


def _hidden_fills(rects: list[dict]) -> set[tuple[float, float, float, float]]:
    """The filled, unstroked rectangles that lie inside a larger one of the same colour: nothing of them shows
    on the page, so their edges are no rules. Word shades each paragraph of a shaded cell this way, and
    pdfplumber would cut the cell at every line of a "Function / Unique / Identifier" header."""
    groups: dict[str, list[dict]] = {}
    for r in rects:
        if r.get("fill") and not r.get("stroke"):
            groups.setdefault(repr(r.get("non_stroking_color")), []).append(r)
    hidden = set()
    for group in groups.values():
        if len(group) < 2:
            continue
        box = np.array([[r["x0"], r["top"], r["x1"], r["bottom"]] for r in group])
        area = (box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1])
        for at in range(0, len(box), FILL_BATCH):  # a chart's thousands of bars: memory stays bounded
            part = box[at : at + FILL_BATCH]
            inside = (
                (part[:, None, :2] >= box[None, :, :2] - FILL_TOLERANCE).all(axis=2)
                & (part[:, None, 2:] <= box[None, :, 2:] + FILL_TOLERANCE).all(axis=2)
                & (area[None, :] > area[at : at + FILL_BATCH, None])
            )
            hidden.update(tuple(b) for b, covered in zip(part.tolist(), inside.any(axis=1)) if covered)
    return hidden


def _page_backgrounds(page) -> set[tuple[float, float, float, float]]:
    """Filled rectangles as large as the page: its background (a slide's), whose edges are the page's own. With
    a slide's footer bars they made a table of the whole slide, its footer a row of it."""
    return {
        (r["x0"], r["top"], r["x1"], r["bottom"])
        for r in page.rects
        if r.get("fill")
        and r["x1"] - r["x0"] >= BACKGROUND_SHARE * page.width
        and r["bottom"] - r["top"] >= BACKGROUND_SHARE * page.height
    }


def _without_hidden_fills(page):
    """The page as pdfplumber's table finder should see it: without the rectangles _hidden_fills names and the
    page's background."""
    hidden = _hidden_fills(page.rects) | _page_backgrounds(page)
    if not hidden:
        return page
    return page.filter(
        lambda obj: obj.get("object_type") != "rect" or (obj["x0"], obj["top"], obj["x1"], obj["bottom"]) not in hidden
    )


# Glyphs a page needs before the way most of them run decides how it is read.
TURN_MIN_GLYPHS = 20


def _text_turn(chars: list[dict]) -> int:
    """By how many degrees clockwise the page must turn for most of its text (pdfplumber's ``chars``) to run left
    to right: 0 for a page as printed; 90 for a table set sideways to fit its width (its lines run up the page),
    270 for one a viewer shows sideways (/Rotate 90 over upright content). pdfminer reads text that does not run
    left to right as vertical boxes, and those are left out as margin stamps: a sideways page would read as no
    text at all."""
    ways = Counter(round(math.degrees(math.atan2(c["matrix"][1], c["matrix"][0])) / 90) % 4 for c in chars)
    total = sum(ways.values())
    if total < TURN_MIN_GLYPHS:
        return 0
    way, count = ways.most_common(1)[0]
    return 90 * way if way and count * 2 > total else 0


def _turned(pdf, page, turn: int):
    """The page read again turned ``turn`` degrees clockwise more than its /Rotate says."""
    from pdfplumber.page import Page

    rotate = (page.page_obj.rotate + turn) % 360
    page.close()
    page.page_obj.rotate = rotate
    page.page_obj.attrs["Rotate"] = rotate
    return Page(pdf, page.page_obj, page_number=page.page_number, initial_doctop=page.initial_doctop)


def _layouts(data: bytes):
    """(LTPage, ruled tables, has images) for each page: pdfminer's layout analysis done, through pdfplumber,
    whose table finder reads the same page objects. Its tables are _RuledTables, in PDF coordinates."""
    import pdfplumber
    from pdfminer.layout import LTLayoutContainer
    from pdfminer.pdfdocument import PDFPasswordIncorrect
    from pdfplumber.utils.exceptions import PdfminerException

    # pdfplumber makes pdfminer's pages itself, so the deterministic grouping goes in through their class.
    LTLayoutContainer.group_textboxes = _group_textboxes
    try:
        pdf = pdfplumber.open(io.BytesIO(data), laparams=LAPARAMS, password="")
    except PdfminerException as wrapped:  # pdfplumber wraps what pdfminer raised
        exc = wrapped.args[0] if wrapped.args and isinstance(wrapped.args[0], Exception) else wrapped
        if isinstance(exc, PDFPasswordIncorrect):
            raise ReadError("encrypted PDF: it needs a password; save an unprotected copy to ingest it") from exc
        raise exc from wrapped
    with pdf:
        for page in pdf.pages:
            layout = page.layout
            if turn := _text_turn(page.chars):
                page = _turned(pdf, page, turn)
                layout = page.layout
            tables = []
            if page.rects or page.lines:
                ruled = _without_hidden_fills(page)
                words: list[dict] | None = None  # the page's upright words, read once if a table needs them
                for found in ruled.find_tables():
                    rows = [(cells, band) for cells, band in _table_rows(ruled, found) if any(cells)]
                    if len(rows) >= 2 and max(len(cells) for cells, _ in rows) >= 2:
                        if words is None:
                            words = [w for w in ruled.extract_words() if w["upright"]]  # not a stamp up the margin
                        tables.append(_carried_on(words, found, rows, layout.height))
            has_images = bool(page.images)
            page.close()
            yield layout, tables, has_images


def read_pdf(data: bytes) -> Extracted:
    from pdfminer.pdfdocument import PDFEncryptionError
    from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # a damaged operator per page is not news
    try:
        pages, ruled, scanned = [], [], []
        for layout, tables, has_images in _layouts(data):
            boxes = _page_boxes(layout)
            pages.append((layout.height or 1.0, boxes))
            ruled.append(tables)
            scanned.append(has_images and not boxes)
    except ReadError:
        raise
    except Exception as wrapped:  # a parser over untrusted bytes fails in many ways; one file fails alone
        exc = wrapped
        if isinstance(wrapped, (PdfminerException, MalformedPDFException)) and wrapped.args:
            exc = wrapped.args[0] if isinstance(wrapped.args[0], Exception) else wrapped
        if isinstance(exc, PDFEncryptionError):
            raise ReadError(f"encrypted PDF that cannot be opened ({exc})") from wrapped
        raise ReadError(f"malformed PDF: {exc or type(exc).__name__}") from wrapped
    if not pages:
        raise ReadError("malformed PDF: no pages found")
    ocr = _read_scans(data, scanned)
    pages = [(h, _ocr_boxes(ocr[i + 1], h) if i + 1 in ocr else boxes) for i, (h, boxes) in enumerate(pages)]
    if not any(boxes for _, boxes in pages):
        raise ReadError(_no_text_reason(scanned))

    sizes = Counter(ln.size for _, boxes in pages for b in boxes for ln in b.lines for _ in range(len(ln.text)))
    body_size = sizes.most_common(1)[0][0] if sizes else 10.0
    furniture = _furniture(pages)
    pages = [(h, _drop_furniture(boxes, h, furniture, body_size)) for h, boxes in pages]
    for _, boxes in pages:
        boxes[:] = _absorb_contained(boxes)
        for box in boxes:  # after furniture is gone: a running header beside a label is not one line with it
            box.lines = _rejoin_justified_rows(box.lines, box.x0, box.x1)
    vocabulary = {w.lower() for _, boxes in pages for b in boxes for ln in b.lines for w in _WORD.findall(ln.text)}

    blocks: list[_Block] = []  # in reading order; a body paragraph may still grow by joining
    items = _Items()
    held: list[_Block] = []  # footnotes and labels waiting for the body paragraph they interrupt to end

    def flush_held() -> None:
        blocks.extend(held)
        held.clear()

    for page_no, (_, boxes) in enumerate(pages, start=1):
        boxes = _split_at_headings(_split_at_note_rules(boxes), body_size)
        _classify(boxes, body_size)
        boxes = _captions_over_tables(_tables(_ruled_tables(boxes, ruled[page_no - 1]), vocabulary))
        multi = [b.x1 - b.x0 for b in boxes if b.kind == "body" and len(b.lines) >= 3]
        column = statistics.median(multi) if multi else None
        for box in boxes:
            if box.kind == "footnote":
                notes: list[list[str]] = []
                for ln in box.lines:
                    if not notes or (_FOOTNOTE_START.match(ln.text) and notes[-1][-1].endswith(_TERMINAL)):
                        notes.append([ln.text])
                    else:
                        notes[-1].append(ln.text)
                held.extend(_Block(_join_lines(n, vocabulary), page_no, "footnote") for n in notes)
                continue
            if box.kind == "heading":
                flush_held()
                blocks.append(_Block("# " + _join_lines([ln.text for ln in box.lines], vocabulary), page_no, "heading"))
                continue
            if box.kind == "table":
                flush_held()
                rows = ([_LEADER.sub("", cell) for cell in cells] for cells in box.row_cells)
                blocks.extend(_Block(" | ".join(c for c in cells if c), page_no, "table") for cells in rows)
                continue
            paras = _split_box(box, column, vocabulary, items, running=bool(blocks) and blocks[-1].open)
            label = len(paras) == 1 and len(box.lines) == 1 and len(paras[0][0]) < 40
            for i, (para, open_end, item) in enumerate(paras):
                last = blocks[-1] if blocks else None
                if para.startswith("# "):
                    flush_held()
                    blocks.append(_Block(para, page_no, "heading"))
                    continue
                running = i == 0 and last is not None and last.open and not item
                if running and label and not para[:1].islower():
                    # A figure label or a caption fragment between the halves of a paragraph: after it.
                    held.append(_Block(para, page_no, "body"))
                    continue
                joins = running
                if joins:
                    joined = _dehyphenate(last.text, para, vocabulary)
                    if last.page != page_no:
                        last.continued.append((len(joined) - len(para), page_no))
                    last.text = joined
                    last.open = open_end
                    continue
                flush_held()
                blocks.append(_Block(para, page_no, "body", open_end))
        # Footnotes stay held only while a body paragraph runs on to the next page.
        if not (blocks and blocks[-1].open):
            flush_held()
    flush_held()

    texts: list[str] = []
    page_marks: list[tuple[int, int]] = []  # (offset, page) where the text of a page begins or continues
    footnotes: list[tuple[int, int]] = []
    offset = 0
    for block in blocks:
        texts.append(block.text)
        if block.kind == "footnote":
            footnotes.append((offset, offset + len(block.text)))
        page_marks.append((offset, block.page))
        page_marks.extend((offset + at, p) for at, p in block.continued)
        offset += len(block.text) + 2
    if not texts:
        raise ReadError(_no_text_reason(scanned))
    full = "\n\n".join(texts) + "\n"
    return Extracted(full, _compact(page_marks), _scan_note(scanned, ocr), tuple(footnotes), len(pages))


def _read_scans(data: bytes, scanned: list[bool]) -> dict[int, list[list[OcrLine]]]:
    """OCR of every page that is an image with no text layer (1-based page: its paragraphs), when Tesseract
    is installed; empty otherwise."""
    pages = [i for i, s in enumerate(scanned) if s]
    if not pages or not tesseract_available():
        return {}
    return {i + 1: ocr_page(data, i) for i in pages}


def _pages_had(pages: list[int]) -> str:
    listed = ", ".join(map(str, pages))
    return (
        f"page {listed} had no text layer and was" if len(pages) == 1 else f"pages {listed} had no text layer and were"
    )


def _ocr_boxes(paragraphs: list[list[OcrLine]], height: float) -> list[_Box]:
    """Tesseract's paragraphs as the boxes pdfminer would give, so that furniture, headings, footnotes and
    paragraph joins are decided for scanned pages as for text ones. A line's type size is its height (the
    measured ratio of Tesseract's line box to the font size, OCR_SIZE_RATIO); a paragraph whose type size
    changes (a heading Tesseract ran into the text below it) becomes two boxes."""
    boxes: list[_Box] = []
    for paragraph in paragraphs:
        run: list[_Line] = []
        for ocr in paragraph:
            line = _Line(
                ocr.text,
                ocr.x0,
                ocr.x1,
                height - ocr.bottom,
                height - ocr.top,
                round((ocr.bottom - ocr.top) / OCR_SIZE_RATIO, 1),
                False,
            )
            if run and abs(line.size - run[-1].size) > 0.2 * run[-1].size:
                boxes.append(_box_of(run, len(boxes)))
                run = []
            run.append(line)
        if run:
            boxes.append(_box_of(run, len(boxes)))
    return boxes


def _box_of(lines: list[_Line], order: int) -> _Box:
    box = _Box(
        lines,
        min(ln.x0 for ln in lines),
        max(ln.x1 for ln in lines),
        min(ln.y0 for ln in lines),
        max(ln.y1 for ln in lines),
        order,
    )
    box.size = statistics.median(ln.size for ln in lines)
    return box


def _scan_note(scanned: list[bool], ocr: dict[int, list[list[OcrLine]]]) -> str | None:
    pages = [i + 1 for i, s in enumerate(scanned) if s]
    if not pages:
        return None
    if ocr:
        return f"{_pages_had(pages)} read by OCR (Tesseract); quotes from OCR may hold misread words"
    return f"{_pages_had(pages)} skipped: install Tesseract (tesseract-ocr) to OCR, then ingest again"


def _no_text_reason(scanned: list[bool]) -> str:
    if any(scanned) and not tesseract_available():
        return "no text layer in this PDF (a scan): install Tesseract (tesseract-ocr) to OCR it, then ingest again"
    return "no text in this PDF"


@dataclass
class _Block:
    text: str
    page: int
    kind: str  # body | heading | footnote | table
    open: bool = False  # a body paragraph whose last line runs to the column's edge without ending a sentence
    continued: list[tuple[int, int]] = field(default_factory=list)  # (offset in text, page) where it goes on


def _compact(marks: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """The marks in text order, each one where the page changes; the first at offset 0."""
    out: list[tuple[int, int]] = []
    for offset, page in sorted(marks):
        if out and out[-1][0] == offset:
            out[-1] = (offset, page)
        elif not out or out[-1][1] != page:
            out.append((offset, page))
    if out:
        out[0] = (0, out[0][1])
    return tuple(out)
