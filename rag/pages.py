"""A cited PDF page as the analyst would see it: the page rendered as an image (pypdfium2) with the quote's
lines highlighted. The quote's characters are found on the page through pdfminer's layout, in the same
reading order the stored text was rebuilt in, by comparing letters and digits only: the stored text joined
hyphenated words and lines, folded ligatures (NFKC) and dropped furniture, and none of that may stop a
quote being found."""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass

from rag.readers.ocr import tesseract_available

# 1.5 x 72 dpi: body type comes out at a readable size on screen, and a page is a few hundred KB as PNG.
RENDER_SCALE = 1.5
_HIGHLIGHT = (255, 204, 0, 90)  # translucent amber: the type stays readable through it
_OUTLINE = (216, 155, 0, 255)


@dataclass(frozen=True)
class Box:
    """A highlighted line of the quote, in image pixels (left, top, right, bottom)."""

    x0: float
    top: float
    x1: float
    bottom: float


@dataclass(frozen=True)
class PageImage:
    png: bytes
    page: int  # 1-based
    width: int
    height: int
    boxes: list[Box]  # empty when the quote was not found on the page (it is still the cited page)


def _letters(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKC", text).lower() if c.isalnum())


def _page_chars(layout) -> list:
    """The page's characters in reading order (text boxes, then lines), as the PDF reader read them."""
    from pdfminer.layout import LTChar, LTTextBox, LTTextLine

    chars = []

    def walk(item) -> None:
        if isinstance(item, LTChar):
            chars.append(item)
        elif isinstance(item, (LTTextBox, LTTextLine)):
            for child in item:
                walk(child)

    for item in layout:
        if isinstance(item, LTTextBox):
            walk(item)
    return chars


def _ocr_pieces(data: bytes, page: int, height: float):
    """A scanned page's lines as Tesseract reads them (the same reading ingest did), in PDF points."""
    from rag.readers.ocr import ocr_page

    for paragraph in ocr_page(data, page - 1):
        for ln in paragraph:
            yield ln.text, (ln.x0, height - ln.bottom, ln.x1, height - ln.top)


def _match(pieces, quote: str) -> list[tuple[float, float, float, float]]:
    """Where the quote's letters run on the page: one box per printed line, as (x0, y0, x1, y1) in PDF points,
    from (text, box) pieces in reading order (characters of a text page, or OCR lines of a scanned one)."""
    flat, owner = [], []
    for text, box in pieces:
        for c in _letters(text):
            flat.append(c)
            owner.append(box)
    text, target = "".join(flat), _letters(quote)
    # A quote that runs over a page break is found by its half on this page.
    halves = [target[: len(target) // 2], target[len(target) // 2 :]] if len(target) >= 40 else []
    at = -1
    for part in [target, *halves]:
        at = text.find(part) if part else -1
        if at >= 0:
            target = part
            break
    if at < 0:
        return []
    lines: dict[int, list[float]] = {}
    for x0, y0, x1, y1 in owner[at : at + len(target)]:
        key = round(y0)  # one printed line: pieces on the same baseline (give or take a point)
        key = next((k for k in lines if abs(k - key) <= 2), key)
        box = lines.setdefault(key, [x0, y0, x1, y1])
        box[0], box[1], box[2], box[3] = min(box[0], x0), min(box[1], y0), max(box[2], x1), max(box[3], y1)
    return [tuple(b) for b in lines.values()]


def render_page(data: bytes, page: int, quote: str = "") -> PageImage:
    """Page ``page`` (1-based) of a PDF as a PNG, the quote's lines highlighted where found."""
    import pdfplumber
    import pypdfium2
    from PIL import Image, ImageDraw

    from rag.readers.pdf import LAPARAMS

    with pdfplumber.open(io.BytesIO(data), laparams=LAPARAMS, password="") as pdf:
        if not 1 <= page <= len(pdf.pages):
            raise ValueError(f"page {page} is not in this PDF ({len(pdf.pages)} pages)")
        plumbed = pdf.pages[page - 1]
        height = float(plumbed.height)
        chars = _page_chars(plumbed.layout)
        scanned = bool(plumbed.images) and not chars
    found = []
    if quote.strip() and scanned and tesseract_available():  # its text came from OCR at ingest: read it so again
        found = _match(_ocr_pieces(data, page, height), quote)
    elif quote.strip():
        found = _match(((ch.get_text(), (ch.x0, ch.y0, ch.x1, ch.y1)) for ch in chars), quote)
    doc = pypdfium2.PdfDocument(data)
    try:
        image = doc[page - 1].render(scale=RENDER_SCALE).to_pil().convert("RGBA")
    finally:
        doc.close()
    boxes = [
        Box(
            x0 * RENDER_SCALE - 2,
            (height - y1) * RENDER_SCALE - 2,
            x1 * RENDER_SCALE + 2,
            (height - y0) * RENDER_SCALE + 2,
        )
        for x0, y0, x1, y1 in found
    ]
    if boxes:
        overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        for b in boxes:
            draw.rectangle((b.x0, b.top, b.x1, b.bottom), fill=_HIGHLIGHT, outline=_OUTLINE, width=2)
        image = Image.alpha_composite(image, overlay)
    out = io.BytesIO()
    image.convert("RGB").save(out, "PNG", optimize=True)
    return PageImage(out.getvalue(), page, image.width, image.height, boxes)


def cited_page(data: bytes, page: int, quote: str) -> PageImage:
    """The cited page with its quote; the next page when the quote is found only there (a paragraph that
    runs over a page break is cited by the page it starts on)."""
    image = render_page(data, page, quote)
    if not image.boxes and quote.strip():
        try:
            following = render_page(data, page + 1, quote)
        except ValueError:  # the last page
            return image
        if following.boxes:
            return following
    return image
