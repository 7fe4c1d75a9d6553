"""PDF."""

from __future__ import annotations

import io
import re
import statistics
from collections import Counter
from dataclasses import dataclass

from rag.readers.base import Extracted, ReadError, _join_blocks


@dataclass
class _Line:
    y: float
    x: float
    size: float
    bold: bool
    text: str


_PAGE_NUMBER = re.compile(r"^(page\s*)?\d{1,4}(\s*(of|/)\s*\d{1,4})?$|^[-–—]\s*\d{1,4}\s*[-–—]$", re.I)
_TERMINAL = (".", "!", "?", ":", '"', "”", "’", ")")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _page_lines(page) -> list[_Line]:
    chunks: list[tuple[float, float, float, bool, str]] = []

    def visit(text, cm, tm, font, size):
        if not text.strip():
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = abs(tm[3] * cm[3]) or 1.0
        name = str((font or {}).get("/BaseFont", ""))
        for i, piece in enumerate(text.split("\n")):
            if piece.strip():
                chunks.append((y - i * size * scale, x, size * scale, "bold" in name.lower(), piece))

    page.extract_text(visitor_text=visit)
    lines: list[_Line] = []
    for y, x, size, bold, piece in sorted(chunks, key=lambda c: (-round(c[0]), c[1])):
        if lines and abs(lines[-1].y - y) < max(2.0, size * 0.3):
            last = lines[-1]
            gap = "" if last.text.endswith(" ") or piece.startswith(" ") else " "
            last.text = f"{last.text}{gap}{piece}"
            last.bold = last.bold and bold
        else:
            lines.append(_Line(y, x, size, bold, piece))
    for line in lines:
        # Control characters are glyphs a font mapped badly (a bullet read back as DEL), never text.
        line.text = " ".join(_CONTROL.sub(" ", line.text).split())
    return [line for line in lines if line.text]


def _furniture(pages: list[list[_Line]]) -> set[str]:
    """Running headers and footers: the same line (digits aside) at the top or bottom of most pages."""
    if len(pages) < 2:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        edge = {re.sub(r"\d+", "#", line.text) for line in lines[:2] + lines[-2:]}
        counts.update(edge)
    return {text for text, n in counts.items() if n >= max(2, len(pages) // 2)}


def _is_furniture(line: _Line, page: list[_Line], repeated: set[str], body_size: float) -> bool:
    """A running header or footer, or a page number: repeated at the page edges across pages, or set
    smaller than the body text at the very top or bottom of the page."""
    if re.sub(r"\d+", "#", line.text) in repeated or _PAGE_NUMBER.match(line.text):
        return True
    at_edge = line is page[0] or line is page[-1]
    return at_edge and line.size < body_size - 1.5 and len(page) > 1


def _dehyphenate(left: str, right: str, vocabulary: set[str]) -> str:
    """Join a line ending in "-" to the next: "escal-" + "ation" -> "escalation", but keep real compounds
    ("two-" + "thirds" stays "two-thirds" when the document writes it so elsewhere, "al-" + "Quds")."""
    m = re.search(r"(\w+)-$", left)
    if m and right[:1].islower():
        tail = re.match(r"[\w-]*", right).group(0)
        word = m.group(1) + re.match(r"\w*", right).group(0)
        compound = f"{m.group(1)}-{tail}".lower()
        if compound not in vocabulary or word.lower() in vocabulary:
            return left[:-1] + right
    return left + right if left.endswith("-") else f"{left} {right}"


def read_pdf(data: bytes) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception as exc:  # pypdf raises several kinds for unsupported encryption
                raise ReadError(f"encrypted PDF that cannot be opened ({exc})") from exc
            if not opened:
                raise ReadError("encrypted PDF: it needs a password; save an unprotected copy to ingest it")
        pages = [_page_lines(p) for p in reader.pages]
    except ReadError:
        raise
    except DependencyError as exc:  # e.g. AES encryption without the cryptography package
        raise ReadError(f"encrypted PDF that cannot be opened ({exc})") from exc
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise ReadError(f"malformed PDF: {exc}") from exc
    if not any(pages):
        raise ReadError("no text in this PDF (a scan needs OCR first)")

    furniture = _furniture(pages)
    body_sizes = [line.size for lines in pages for line in lines]
    body_size = statistics.median(body_sizes)
    vocabulary = {w.lower() for lines in pages for line in lines for w in re.findall(r"\w+(?:-\w+)*", line.text)}
    blocks: list[str] = []  # paragraphs and "# " headings, in reading order
    block_pages: list[int] = []
    for page_no, lines in enumerate(pages, start=1):
        body = [ln for ln in lines if not _is_furniture(ln, lines, furniture, body_size)]
        gaps = [a.y - b.y for a, b in zip(body, body[1:]) if 0 < a.y - b.y < 3 * body_size]
        line_gap = statistics.median(gaps) if gaps else body_size * 1.2
        full = max((len(ln.text) for ln in body), default=0)
        prev: _Line | None = None
        for i, line in enumerate(body):
            heading = line.size > body_size + 0.9 or (line.bold and len(line.text) < 80 and not line.text.endswith("."))
            if heading:
                blocks.append(f"# {line.text}")
                block_pages.append(page_no)
                prev = None
                continue
            starts_block = (
                prev is None
                or prev.y - line.y > 1.4 * line_gap
                or abs(prev.size - line.size) > 0.9
                or (prev.text.endswith(_TERMINAL) and len(prev.text) < 0.8 * full)
            )
            continues_page = (
                i == 0
                and blocks
                and not blocks[-1].startswith("# ")
                and not blocks[-1].endswith(_TERMINAL)  # an unfinished sentence runs on to this page
            )
            if continues_page or (not starts_block and blocks):
                blocks[-1] = _dehyphenate(blocks[-1], line.text, vocabulary)
            else:
                blocks.append(line.text)
                block_pages.append(page_no)
            prev = line
    text = _join_blocks(blocks)
    # Where each page starts: the offset of its first block (a block carried over belongs to the earlier page).
    starts, offset, by_page = [], 0, {}
    for block, page_no in zip(blocks, block_pages):
        by_page.setdefault(page_no, offset)
        offset += len(block) + 2
    # A page on which no block starts (one paragraph runs across it) takes the next start, so that no
    # paragraph is said to start there.
    following = len(text)
    for page_no in range(len(pages), 0, -1):
        following = by_page.get(page_no, following)
        starts.append(following)
    starts.reverse()
    return Extracted(text, tuple(starts))
