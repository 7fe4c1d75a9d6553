"""File bytes -> document text (+ where each page starts). One reader per format, chosen by sniffed
content first and suffix second; a file that cannot be read raises ReadError with a reason.

Text from PDF, DOCX and HTML is rebuilt as one paragraph per line, blank lines between, headings as
Markdown "# " lines: the shape the paragraph splitter reads exactly. That rebuilt text is what is stored
and what citation offsets refer to.
"""

from __future__ import annotations

import codecs
import io
import re
import statistics
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".text")
SUPPORTED_SUFFIXES = (*TEXT_SUFFIXES, ".pdf", ".docx", ".html", ".htm")


class ReadError(Exception):
    """A file that cannot be ingested; the message says why, in words an analyst can act on."""


@dataclass(frozen=True)
class Extracted:
    text: str
    page_starts: tuple[int, ...] | None = None  # offset in ``text`` where page 1, 2, ... begins
    note: str | None = None  # something the analyst should know about how the file was read


def ensure_supported(path: Path) -> None:
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise ReadError(
            f"unsupported file type '{path.suffix or '(none)'}' (supported: {', '.join(SUPPORTED_SUFFIXES)})"
        )


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ReadError(f"cannot read file: {exc.strerror or exc}") from exc


def sniff(path: Path, data: bytes) -> str:
    """The format by content where it is unmistakable, else by suffix: pdf | docx | html | text."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04") and path.suffix.lower() == ".docx":
        return "docx"
    if head.startswith((b"<!doctype html", b"<html")) or (path.suffix.lower() in (".html", ".htm")):
        return "html"
    suffix = path.suffix.lower()
    return {".pdf": "pdf", ".docx": "docx"}.get(suffix, "text")


def extract(path: Path, data: bytes) -> Extracted:
    """The document text that paragraph offsets refer to, and its page starts for paged formats."""
    ensure_supported(path)
    kind = sniff(path, data)
    if kind == "pdf":
        return read_pdf(data)
    if kind == "docx":
        return Extracted(read_docx(data))
    if kind == "html":
        return Extracted(read_html(data))
    text, note = decode_text_noted(data)
    return Extracted(text, note=note)


# --- plain text ------------------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    return decode_text_noted(data)[0]


def decode_text_noted(data: bytes) -> tuple[str, str | None]:
    """UTF-8 (with or without BOM) or UTF-16 with BOM; failing those, Windows-1252 (a superset of Latin-1
    for text), said in the note. Binary data and empty files are refused."""
    note = None
    if not data.strip():
        raise ReadError("empty file" if not data else "file holds only whitespace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ReadError(f"not decodable as UTF-16 despite its byte-order mark ({exc.reason})") from exc
    elif b"\x00" in data:
        raise ReadError("binary file (contains NUL bytes), not text")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                raise ReadError(
                    f"neither UTF-8 nor Windows-1252 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                    "re-save it as UTF-8"
                ) from exc
            note = f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}): read as Windows-1252/Latin-1"
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(8, len(text) // 100):
        raise ReadError("binary file (control characters), not text")
    if not text.strip():
        raise ReadError("file holds only whitespace")
    return text, note


def _join_blocks(blocks: list[str]) -> str:
    text = "\n\n".join(b for b in blocks if b.strip())
    if not text.strip():
        raise ReadError("no text found in the document")
    return text + "\n"


# --- PDF -------------------------------------------------------------------------------------------


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


# --- DOCX ------------------------------------------------------------------------------------------


def read_docx(data: bytes) -> str:
    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError

        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ReadError(f"corrupt DOCX (not a readable Word package: {exc})") from exc
    except PackageNotFoundError as exc:
        raise ReadError("corrupt DOCX (not a Word package)") from exc
    from docx.table import Table
    from docx.text.paragraph import Paragraph as DocxParagraph

    blocks = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = DocxParagraph(child, document)
            text = " ".join(para.text.split())
            style = (para.style.name if para.style is not None else "") or ""
            if text and (style.startswith("Heading") or style == "Title"):
                blocks.append(f"# {text}")
            elif text:
                blocks.append(text)
        elif tag == "tbl":
            for row in Table(child, document).rows:
                cells = [" ".join(c.text.split()) for c in row.cells]
                if any(cells):
                    blocks.append(" | ".join(cells))
    return _join_blocks(blocks)


# --- HTML ------------------------------------------------------------------------------------------

_DROP = [
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "iframe",
    "svg",
    "button",
]
_BLOCKS = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "blockquote", "pre", "figcaption", "td", "th", "dd", "dt"]
_BOILERPLATE = re.compile(
    r"\b(nav|menu|sidebar|footer|header|cookie|banner|share|social|related|comment|promo|subscribe|advert)", re.I
)


def read_html(data: bytes) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "lxml")
    for tag in soup(_DROP):
        tag.decompose()
    for tag in soup.find_all(attrs={"role": ["navigation", "banner", "contentinfo", "complementary"]}):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.attrs is None:
            continue
        marks = " ".join([tag.get("id") or "", *(tag.get("class") or [])])
        if marks.strip() and _BOILERPLATE.search(marks) and tag.name not in ("html", "body", "main", "article"):
            tag.decompose()
    root = soup.find("article") or soup.find("main") or _densest(soup) or soup.body or soup
    blocks = []
    for el in root.find_all(_BLOCKS):
        if el.find(_BLOCKS):  # a container of blocks: its children speak for it
            continue
        text = " ".join(el.get_text(" ").split())
        if not text:
            continue
        blocks.append(f"# {text}" if el.name in ("h1", "h2", "h3", "h4", "h5", "h6") else text)
    return _join_blocks(blocks)


def _densest(soup):
    """Readability's rule of thumb: the element whose own <p> children hold the most text."""
    best, best_len = None, 0
    for el in soup.find_all(["div", "section", "td"]):
        total = sum(len(p.get_text()) for p in el.find_all("p", recursive=False))
        if total > best_len:
            best, best_len = el, total
    return best
