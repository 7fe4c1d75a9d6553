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


def read_as(folder, name: str, content: str) -> str:
    """The stored text of ``content`` saved as file ``name``: the reader is chosen as for a real file."""
    path = folder / name
    path.write_text(content, encoding="utf-8")
    return extract(path, path.read_bytes()).text


def test_html_text_outside_paragraph_tags_is_read_in_order(tmp_path):
    # Real pages set text in <div>s, after <br>s, between lists and in a list item above its own sub-list;
    # before, only <p>, <li> and the like were read and such a page was "no text found".
    text = read_as(
        tmp_path,
        "bulletin.html",
        "<html><body><div class='content'><h2>Bulletin</h2><div>Wheat output fell <b>7</b>%.<br>Maize rose.</div>"
        "<ul><li>Exports<ul><li>Down 3%</li></ul></li></ul>Prices held.<div>Stocks: <span>high</span></div>"
        "<!-- an editor's comment --></div></body></html>",
    )
    assert text.split("\n\n") == [
        "# Bulletin",
        "Wheat output fell 7%.\nMaize rose.",  # a <br> breaks the line, not the block
        "- Exports",
        "- Down 3%",
        "Prices held.",
        "Stocks: high\n",
    ]


def test_html_an_articles_own_header_is_kept_and_the_sites_dropped(tmp_path):
    text = read_as(
        tmp_path,
        "post.html",
        "<html><body><header class='site-header'>Audit News</header><article><header class='entry-header'>"
        "<h1>Costs of the programme</h1><p>By the audit office</p></header><p>The programme cost 3m.</p>"
        "<footer>Tags: audit</footer></article></body></html>",
    )
    # Before, every <header> was dropped as the site's banner, and the article's title with it.
    assert text == "# Costs of the programme\n\nBy the audit office\n\nThe programme cost 3m.\n"


def test_html_fragment_and_footnote_marks(tmp_path):
    text = read_as(
        tmp_path,
        "fragment.html",
        "<q>If this is a test,</q> he said in 2020<sup>1</sup>, <q>then E=mc<sup>2</sup> holds</q>.",
    )
    # A footnote mark is no part of the word or number it follows ("2020^1", not a year 20201), as from a PDF.
    assert text == "If this is a test, he said in 2020^1, then E=mc^2 holds.\n"


def test_html_tables_of_wrapped_cells_are_rows_and_layout_tables_are_read_as_their_blocks(tmp_path):
    exported = read_as(  # as word processors export a table: each cell's text in a <p>
        tmp_path,
        "exported.html",
        "<html><body><p>Costs:</p><table><tr><td><p>Item</p></td><td><p>Cost</p></td></tr>"
        "<tr><td><p>Trucks</p></td><td><p>2,200</p></td></tr></table></body></html>",
    )
    assert exported == "Costs:\n\nItem | Cost\n\nTrucks | 2,200\n"
    layout = read_as(  # an older site: the page laid out in one table row
        tmp_path,
        "layout.html",
        "<html><body><table><tr><td><h1>Notice</h1><p>The plant closed in May.</p><p>It reopens in June.</p></td>"
        "</tr></table></body></html>",
    )
    assert layout == "# Notice\n\nThe plant closed in May.\n\nIt reopens in June.\n"


def test_docx_content_controls_merged_cells_and_comments(tmp_path):
    import docx
    from docx.oxml import parse_xml
    from lxml import etree

    from rag.readers.docx import _W

    document = docx.Document()
    document.add_paragraph("Before the control.")
    table = document.add_table(rows=2, cols=3)
    merged = table.cell(0, 0).merge(table.cell(0, 1))
    merged.text, table.cell(0, 2).text = "Total", "5"
    table.cell(1, 0).text, table.cell(1, 1).text, table.cell(1, 2).text = "Trucks", "3", "2"
    body = document.element.body
    # Word keeps cover pages and tables of contents in content controls; an XML comment may sit in the body.
    control = parse_xml(
        f'<w:sdt xmlns:w="{_W}"><w:sdtContent><w:p><w:r><w:t>Inside the control.</w:t></w:r></w:p>'
        "</w:sdtContent></w:sdt>"
    )
    body.insert(1, control)
    body.insert(1, etree.Comment("generated"))
    path = tmp_path / "controls.docx"
    document.save(path)
    assert extract(path, path.read_bytes()).text.split("\n\n") == [
        "Before the control.",
        "Inside the control.",
        "Total | 5",  # a cell merged across two columns is read once
        "Trucks | 3 | 2\n",
    ]


def test_docx_footnotes_follow_the_paragraph_that_marks_them_as_notes(tmp_path):
    import docx
    from docx.opc.constants import CONTENT_TYPE as CT
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from docx.oxml import parse_xml

    from rag.paragraphs import mark_footnotes, split_paragraphs
    from rag.readers.docx import _W

    document = docx.Document()
    document.add_paragraph("Background.")
    marking = document.add_paragraph("Output fell 7% in 2023")
    marking._p.append(parse_xml(f'<w:r xmlns:w="{_W}"><w:footnoteReference w:id="2"/></w:r>'))
    marking.add_run(" and rose in 2024.")
    document.add_paragraph("Later text.")
    notes = (
        f'<w:footnotes xmlns:w="{_W}"><w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r>'
        '</w:p></w:footnote><w:footnote w:id="2"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve">'
        " Ministry of Agriculture,</w:t></w:r></w:p><w:p><w:r><w:t>bulletin 12.</w:t></w:r></w:p></w:footnote>"
        "</w:footnotes>"
    )
    document.part.relate_to(
        Part(PackURI("/word/footnotes.xml"), CT.WML_FOOTNOTES, notes.encode(), document.part.package), RT.FOOTNOTES
    )
    path = tmp_path / "notes.docx"
    document.save(path)
    extracted = extract(path, path.read_bytes())
    paragraphs = mark_footnotes(split_paragraphs(extracted.text, path.name), extracted.footnotes)
    # Before, the note was lost and its mark left no trace; now it is a citable note after the sentence it annotates.
    assert [(p.text, p.section) for p in paragraphs] == [
        ("Background.", None),
        ("Output fell 7% in 2023^1 and rose in 2024.", None),
        ("1 Ministry of Agriculture, bulletin 12.", "Footnote — “Output fell 7% in 2023”"),
        ("Later text.", None),
    ]


def test_markdown_is_read_as_markdown(tmp_path):
    text = read_as(
        tmp_path,
        "notes.md",
        "# Costs\n\nThe *programme* costs, per [the ledger](https://example.org/ledger):\n\n"
        "| Item | Cost |\n|------|-----:|\n| Trucks | 2,200 |\n\n"
        "1. First step\n2. Second step\n\n> A quoted finding\n> on two lines.\n",
    )
    # Read as plain text, "2. Second step" passed for a heading, the table kept its "|---|" rule, the quote its
    # "> " marks and the link its address.
    assert text.split("\n\n") == [
        "# Costs",
        "The programme costs, per the ledger:",
        "Item | Cost",
        "Trucks | 2,200",
        "- First step",
        "- Second step",
        "A quoted finding on two lines.\n",
    ]


def test_docx_text_boxes_are_read_once_after_their_paragraph(tmp_path):
    import docx
    from docx.oxml import parse_xml

    from rag.readers.docx import _MC, _W

    box = "<w:txbxContent><w:p><w:r><w:t>Key finding: exports fell 3%.</w:t></w:r></w:p></w:txbxContent>"
    # As Word writes a text box: a drawing for new readers, the same box again as a VML fallback for old ones.
    run = parse_xml(
        f'<w:r xmlns:w="{_W}" xmlns:mc="{_MC}" xmlns:v="urn:schemas-microsoft-com:vml"><mc:AlternateContent>'
        f'<mc:Choice Requires="wps"><w:drawing>{box}</w:drawing></mc:Choice>'
        f"<mc:Fallback><w:pict><v:shape><v:textbox>{box}</v:textbox></v:shape></w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r>"
    )
    document = docx.Document()
    document.add_paragraph("The report's main text.")._p.append(run)
    document.add_paragraph("Next paragraph.")
    path = tmp_path / "boxed.docx"
    document.save(path)
    assert extract(path, path.read_bytes()).text == (
        "The report's main text.\n\nKey finding: exports fell 3%.\n\nNext paragraph.\n"
    )


def test_docx_headings_by_outline_level_whatever_their_style_is_called(tmp_path):
    import docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml import parse_xml

    from rag.readers.docx import _W

    def outline(level: int):
        return parse_xml(f'<w:outlineLvl xmlns:w="{_W}" w:val="{level}"/>')

    document = docx.Document()
    chapter = document.styles.add_style("Chapter Title", WD_STYLE_TYPE.PARAGRAPH)  # a house style, not "Heading 1"
    chapter.element.get_or_add_pPr().append(outline(0))
    document.styles.add_style("Chapter Subtitle", WD_STYLE_TYPE.PARAGRAPH).base_style = chapter
    document.add_paragraph("Findings", style="Chapter Title")
    document.add_paragraph("Costs rose.")
    document.add_paragraph("Regional detail", style="Chapter Subtitle")
    document.add_paragraph("Body text at level nine.")._p.get_or_add_pPr().append(outline(9))
    path = tmp_path / "house.docx"
    document.save(path)
    assert extract(path, path.read_bytes()).text == (
        "# Findings\n\nCosts rose.\n\n# Regional detail\n\nBody text at level nine.\n"
    )


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
