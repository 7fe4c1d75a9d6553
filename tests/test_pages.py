"""The cited PDF page, rendered with its quote highlighted (rag/pages.py, Library.cited_page)."""

import io
from pathlib import Path

import pytest
from PIL import Image

import rag
from rag.pages import cited_page, render_page
from tests.formats import render_pdf

REAL = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "real-reports"

REPORT = """Water report

The district council approved the new water treatment plant on 14 March after a long debate.

Construction is expected to cost 2.4 million dollars and to take eighteen months.
"""


def _amber_pixels(png: bytes) -> int:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return sum(1 for r, g, b in image.get_flattened_data() if r > 230 and 190 < g < 240 and b < 170)


@pytest.fixture
def report_pdf(tmp_path) -> Path:
    path = tmp_path / "water.pdf"
    render_pdf(REPORT, "water.pdf", path)
    return path


def test_the_quote_is_highlighted_line_by_line_on_its_page(report_pdf):
    quote = "Construction is expected to cost 2.4 million dollars and to take eighteen months."
    image = render_page(report_pdf.read_bytes(), 1, quote)
    assert image.page == 1 and len(image.boxes) == 1
    box = image.boxes[0]
    assert 0 < box.x0 < box.x1 < image.width and 0 < box.top < box.bottom < image.height
    assert _amber_pixels(image.png) > 500
    plain = render_page(report_pdf.read_bytes(), 1, "")
    assert plain.boxes == [] and _amber_pixels(plain.png) == 0


def test_a_quote_not_on_the_page_leaves_it_unmarked_and_a_missing_page_is_refused(report_pdf):
    assert cited_page(report_pdf.read_bytes(), 1, "Nothing like this sentence is printed anywhere.").boxes == []
    with pytest.raises(ValueError, match="page 3 is not in this PDF"):
        render_page(report_pdf.read_bytes(), 3, "x")


def test_library_shows_a_pdf_citation_and_nothing_for_a_changed_file(hash_settings, report_pdf, tmp_path):
    lib = rag.Library(hash_settings)
    lib.ingest([report_pdf])
    [paragraph] = [p for p in lib.paragraphs() if "eighteen months" in p.text]
    citation = rag.Citation(
        1,
        "water.pdf",
        paragraph.number,
        paragraph.start,
        paragraph.end,
        paragraph.text,
        paragraph.text,
        page=paragraph.page,
    )
    image = lib.cited_page(citation)
    assert image is not None and image.page == 1 and image.boxes
    report_pdf.write_bytes(report_pdf.read_bytes() + b"\n% edited\n")
    assert lib.cited_page(citation) is None, "offsets and pages belong to the ingested version"


@pytest.mark.skipif(not REAL.exists(), reason="the development corpus of real reports is not there")
def test_quotes_are_found_on_real_pages_whatever_the_rebuilt_text_joined():
    # A footnote of a two-column page (the Ethereum yellow paper), whose number the stored text keeps.
    data = (REAL / "ethereum-yellow-paper-shanghai-2025.pdf").read_bytes()
    note = cited_page(data, 3, "activated at a given block number (e.g. 15,537,394 for Paris)")
    assert note.page == 3 and note.boxes
    # NIST SP 800-207, p. 5 (printed iii): the quote runs over two printed lines.
    nist = (REAL / "nist-sp-800-207-zero-trust-architecture.pdf").read_bytes()
    two = cited_page(
        nist, 5, "collaboration between multiple federal agencies and is overseen by the Federal CIO Council"
    )
    assert len(two.boxes) == 2 and two.boxes[0].top < two.boxes[1].top
