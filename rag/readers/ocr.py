"""OCR for PDF pages without a text layer (scans): the page rendered by pypdfium2, read by Tesseract
(Debian ``tesseract-ocr``) through pytesseract. Tesseract's own page segmentation finds the blocks,
paragraphs and lines, columns included; this module only groups its words back into them."""

from __future__ import annotations

import functools
import shutil
from dataclasses import dataclass

# 300 dpi is what Tesseract is tuned for; lower loses small type, higher only costs time.
OCR_DPI = 300
# A poster-sized page is read at a lower resolution rather than as a several-hundred-megapixel image.
MAX_OCR_PIXELS = 6000
# Words Tesseract itself is less sure of than this are mostly specks and rules read as letters.
MIN_WORD_CONFIDENCE = 30


@dataclass(frozen=True)
class OcrLine:
    """A line as Tesseract read it; coordinates in PDF points from the page's top left."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float


@functools.lru_cache(maxsize=1)
def tesseract_available() -> bool:
    if shutil.which("tesseract") is None:
        return False
    try:
        import pytesseract

        pytesseract.get_tesseract_version()
    except Exception:  # noqa: BLE001 - a broken install reads as absent, and the note says so
        return False
    return True


def ocr_page(data: bytes, page_index: int, language: str = "eng") -> list[list[OcrLine]]:
    """The paragraphs Tesseract reads on one page (0-based), in its reading order, each a list of lines."""
    import pypdfium2
    import pytesseract

    pdf = pypdfium2.PdfDocument(data)
    try:
        page = pdf[page_index]
        scale = min(OCR_DPI / 72, MAX_OCR_PIXELS / max(page.get_size()))
        image = page.render(scale=scale, grayscale=True).to_pil()
    finally:
        pdf.close()
    found = pytesseract.image_to_data(image, lang=language, output_type=pytesseract.Output.DICT)
    words: dict[tuple[int, int, int], list[int]] = {}  # (block, paragraph, line): word indexes
    for i, word in enumerate(found["text"]):
        if word.strip() and float(found["conf"][i]) >= MIN_WORD_CONFIDENCE:
            words.setdefault((found["block_num"][i], found["par_num"][i], found["line_num"][i]), []).append(i)
    points = 1 / scale
    paragraphs: dict[tuple[int, int], list[OcrLine]] = {}
    for (block, par, _), ids in sorted(words.items()):
        line = OcrLine(
            " ".join(found["text"][i].strip() for i in ids),
            min(found["left"][i] for i in ids) * points,
            min(found["top"][i] for i in ids) * points,
            max(found["left"][i] + found["width"][i] for i in ids) * points,
            max(found["top"][i] + found["height"][i] for i in ids) * points,
        )
        paragraphs.setdefault((block, par), []).append(line)
    return [lines for _, lines in sorted(paragraphs.items())]
