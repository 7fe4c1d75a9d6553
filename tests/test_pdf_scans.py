"""Scanned PDF pages (an image, no text layer): OCR'd by Tesseract when it is installed, skipped with a note
naming the pages when it is not. The scan is made here: a text page rendered to an image PDF."""

import io
import os

import pytest

from rag.readers import ReadError, extract, pdf
from rag.readers.ocr import tesseract_available
from tests.formats import render_pdf

REPORT = """Field report on the northern district

The district council approved the new water treatment plant on 14 March after a long debate.
Construction is expected to cost 2.4 million dollars and to take eighteen months.

Residents asked the council to publish monthly progress reports on the project.
"""

SECOND = """Budget annex

The annex lists the spending of the roads department, which rose by nine percent over the year.
Most of the increase went to the repair of two bridges on the eastern ring road.
"""

# `make test` installs Tesseract and sets RAG_REQUIRE_OCR, so there a missing install fails the run.
needs_tesseract = pytest.mark.skipif(
    not tesseract_available() and not os.environ.get("RAG_REQUIRE_OCR"), reason="Tesseract is not installed"
)


def _scanned(text_pdf: bytes, pages: list[int]) -> bytes:
    """The PDF with the given pages (0-based) replaced by 200 dpi images of themselves, the others as text."""
    import pypdfium2

    src = pypdfium2.PdfDocument(text_pdf)
    out = pypdfium2.PdfDocument.new()
    for i in range(len(src)):
        if i not in pages:
            out.import_pages(src, [i])
            continue
        image = src[i].render(scale=200 / 72, grayscale=True).to_pil()
        buf = io.BytesIO()
        image.save(buf, "PDF", resolution=200)
        out.import_pages(pypdfium2.PdfDocument(buf.getvalue()), [0])
    saved = io.BytesIO()
    out.save(saved)
    return saved.getvalue()


@pytest.fixture
def report_pdf(tmp_path) -> bytes:
    path = tmp_path / "report.pdf"
    render_pdf(REPORT, "report.pdf", path)
    return path.read_bytes()


@pytest.fixture
def two_page_pdf(tmp_path) -> bytes:
    """Page 1 is the report, page 2 its budget annex (to be scanned)."""
    import pypdfium2

    render_pdf(REPORT, "report.pdf", tmp_path / "report.pdf")
    render_pdf(SECOND, "annex.pdf", tmp_path / "annex.pdf")
    doc = pypdfium2.PdfDocument(tmp_path / "report.pdf")
    doc.import_pages(pypdfium2.PdfDocument(tmp_path / "annex.pdf"), [0])
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


@needs_tesseract
def test_a_scanned_page_is_read_by_ocr_and_the_note_says_so(report_pdf, tmp_path):
    scan = _scanned(report_pdf, [0])
    extracted = extract(tmp_path / "scan.pdf", scan)
    assert "water treatment plant on 14 March" in extracted.text
    assert "2.4 million dollars" in extracted.text
    # Tesseract's paragraphs stay paragraphs; its line breaks inside them are joined.
    assert "Residents asked the council to publish monthly progress reports on the project." in extracted.text
    assert extracted.note and "page 1" in extracted.note and "OCR" in extracted.note
    assert extracted.page_marks == ((0, 1),)


@needs_tesseract
def test_a_scanned_page_among_text_pages_keeps_its_page(two_page_pdf, tmp_path):
    extracted = extract(tmp_path / "mixed.pdf", _scanned(two_page_pdf, [1]))
    assert extracted.note and "page 2 " in extracted.note
    [(_, first_page), (second_start, second_page)] = extracted.page_marks
    assert (first_page, second_page) == (1, 2)
    first, second = extracted.text[:second_start], extracted.text[second_start:]
    assert "water treatment plant" in first and "repair of two bridges on the eastern ring road" in second


def test_without_tesseract_a_scanned_page_is_skipped_and_named(two_page_pdf, tmp_path, monkeypatch):
    monkeypatch.setattr(pdf, "tesseract_available", lambda: False)
    extracted = extract(tmp_path / "mixed.pdf", _scanned(two_page_pdf, [1]))
    assert "water treatment plant" in extracted.text and "bridges" not in extracted.text
    assert extracted.note and "page 2 had no text layer and was skipped" in extracted.note
    assert "tesseract" in extracted.note.lower()


def test_without_tesseract_a_wholly_scanned_pdf_fails_saying_what_to_install(report_pdf, tmp_path, monkeypatch):
    monkeypatch.setattr(pdf, "tesseract_available", lambda: False)
    with pytest.raises(ReadError, match="Tesseract"):
        extract(tmp_path / "scan.pdf", _scanned(report_pdf, [0]))


@needs_tesseract
def test_the_cited_page_of_a_scan_highlights_the_quote_from_ocr(report_pdf):
    from rag.pages import cited_page

    image = cited_page(_scanned(report_pdf, [0]), 1, "Construction is expected to cost 2.4 million dollars")
    assert len(image.boxes) == 1 and image.boxes[0].x1 - image.boxes[0].x0 > 200
