import codecs

import pytest

from rag.readers import ReadError, decode_text, extract


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty file"),
        (b"  \n\t\n", "only whitespace"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"\x81\x8d\x8f\x90\x9d" * 3, "neither UTF-8 nor Windows-1252"),
        (bytes(range(1, 32)) * 20, "control characters"),
    ],
)
def test_bad_bytes_get_a_clear_reason(data, reason):
    with pytest.raises(ReadError, match=reason):
        decode_text(data)


def test_latin1_is_read_and_said_so():
    from rag.readers import decode_text_noted

    text, note = decode_text_noted("café au lait, naïve".encode("latin-1"))
    assert text == "café au lait, naïve" and "Windows-1252" in note
    assert decode_text_noted("café".encode())[1] is None


def test_byte_order_marks_are_honoured():
    assert decode_text(codecs.BOM_UTF8 + "Homs – Palmyra".encode()) == "Homs – Palmyra"
    assert decode_text("Raqqa ‘desert’".encode("utf-16")) == "Raqqa ‘desert’"


def test_unsupported_suffix_is_named(tmp_path):
    with pytest.raises(ReadError, match=r"unsupported file type '\.odt'"):
        extract(tmp_path / "report.odt", b"PK\x03\x04")


def test_html_tables_are_read_row_by_row_and_list_items_keep_a_marker(tmp_path):
    from rag.paragraphs import split_paragraphs

    page = tmp_path / "costs.html"
    page.write_text(
        "<html><body><article><h1>Costs</h1><p>The programme has these parts:</p>"
        "<ul><li>Training (2021)</li><li>Equipment (2022)</li></ul>"
        "<table><tr><th>Item</th><th>Units</th><th>Cost</th></tr><tr><td>Trucks</td><td>3</td><td>2,200</td></tr>"
        "</table><p>The rest of the report says more.</p></article></body></html>",
        encoding="utf-8",
    )
    extracted = extract(page, page.read_bytes())
    paragraphs = split_paragraphs(extracted.text, page.name)
    assert [p.text for p in paragraphs] == [
        "The programme has these parts:\n\n- Training (2021)\n\n- Equipment (2022)",
        "Item | Units | Cost\n\nTrucks | 3 | 2,200",
        "The rest of the report says more.",
    ]
    assert {p.section for p in paragraphs} == {"Costs"}


def test_docx_list_paragraphs_are_items_gathered_with_their_lead_in(tmp_path):
    import docx

    from rag.paragraphs import split_paragraphs

    document = docx.Document()
    document.add_paragraph("The programme has these parts:")
    document.add_paragraph("Training (2021)", style="List Bullet")
    document.add_paragraph("Equipment (2022)", style="List Number")
    document.add_paragraph("The rest of the report says more.")
    path = tmp_path / "parts.docx"
    document.save(path)
    paragraphs = split_paragraphs(extract(path, path.read_bytes()).text, path.name)
    assert [p.text for p in paragraphs] == [
        "The programme has these parts:\n\n- Training (2021)\n\n- Equipment (2022)",
        "The rest of the report says more.",
    ]
