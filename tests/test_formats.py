"""PDF, DOCX and HTML reports, made by real tools (tests/formats.py), read back into the same paragraphs."""

import io
from pathlib import Path

import pytest

import rag
from rag import evals
from rag.paragraphs import assign_pages, split_paragraphs
from rag.readers import extract

from .conftest import ROOT, SEEDS
from .formats import HEADER, render_all, render_pdf

SEED_FILES = sorted(SEEDS.glob("*.txt"))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("formats")
    return out, render_all(SEEDS, out)


def paragraphs_of(path: Path):
    extracted = extract(path, path.read_bytes())
    paragraphs = split_paragraphs(extracted.text, path.name)
    if extracted.page_marks:
        paragraphs = assign_pages(paragraphs, extracted.page_marks)
    return extracted, paragraphs


@pytest.mark.parametrize("fmt", ["pdf", "docx", "html"])
def test_every_format_reads_back_the_same_paragraphs_and_sections(rendered, fmt):
    out, _ = rendered
    total = same = 0
    for seed in SEED_FILES:
        original = split_paragraphs(seed.read_text(encoding="utf-8"), seed.name)
        extracted, got = paragraphs_of(out / fmt / f"{seed.stem}.{fmt}")
        by_text = {p.text: p for p in got}
        for p in original:
            total += 1
            twin = by_text.get(p.text.replace("\n", " ").lstrip("• "))
            if twin is not None:
                same += 1
                assert twin.section == p.section, (seed.name, p.text[:40])
        for p in got:  # offsets are exact against the stored (extracted) text
            assert extracted.text[p.start : p.end] == p.text
    # In the PDF a few may differ: a line the layout wraps apart, a paragraph ending exactly at a page end.
    assert same >= total - 4, f"{same}/{total} paragraphs identical"


def test_pdf_drops_running_headers_footers_and_page_numbers_and_undoes_hyphenation(rendered):
    out, _ = rendered
    hyphenated = 0
    for seed in SEED_FILES:
        pdf = out / "pdf" / f"{seed.stem}.pdf"
        raw = "".join(page.extract_text() for page in __import__("pypdf").PdfReader(str(pdf)).pages)
        hyphenated += sum(1 for line in raw.splitlines() if line.rstrip().endswith("-") and line.rstrip()[-2].isalpha())
        extracted, _ = paragraphs_of(pdf)
        assert HEADER not in extracted.text and "Page 1 of" not in extracted.text
    assert hyphenated >= 5, "the fixture should exercise hyphenated line ends"


def test_pdf_paragraphs_carry_the_page_they_start_on(rendered):
    out, page_maps = rendered
    checked = 0
    for seed in SEED_FILES:
        _, got = paragraphs_of(out / "pdf" / f"{seed.stem}.pdf")
        expected = page_maps[seed.stem]
        for p in got:
            if p.text in expected:
                assert p.page == expected[p.text], (seed.name, p.number, p.text[:40])
                checked += 1
    assert checked >= 90 and max(max(m.values()) for m in page_maps.values()) >= 3


def test_html_boilerplate_is_dropped(rendered):
    out, _ = rendered
    extracted, paragraphs = paragraphs_of(out / "html" / f"{SEED_FILES[0].stem}.html")
    for junk in (
        "Subscribe to our newsletter",
        "Related stories",
        "cookies",
        "All rights reserved",
        "tracking",
        "dataLayer",
    ):
        assert junk not in extracted.text


def test_a_paragraph_running_over_a_page_break_is_one_paragraph(tmp_path):
    long = " ".join(f"Sentence {i} about the convoy that was attacked near Palmyra." for i in range(200))
    text = "Intro paragraph on the desert campaign.\n" + long + "\nClosing remark on Homs.\n"
    pages = render_pdf(text, "long.txt", tmp_path / "long.pdf")
    _, got = paragraphs_of(tmp_path / "long.pdf")
    # A page break inside a sentence never splits it; one between sentences may start a new paragraph.
    assert got[0].text == "Intro paragraph on the desert campaign." and got[-1].text == "Closing remark on Homs."
    assert " ".join(p.text for p in got[1:-1]) == long
    assert got[1].page == 1 and got[-1].page == pages["Closing remark on Homs."] >= 2


def test_bad_pdfs_and_docx_fail_alone(hash_settings, tmp_path, rendered):
    from pypdf import PdfReader, PdfWriter

    out, _ = rendered
    good = out / "pdf" / f"{SEED_FILES[0].stem}.pdf"
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.pdf").write_bytes(good.read_bytes())
    (folder / "truncated.pdf").write_bytes(good.read_bytes()[:300])
    (folder / "garbage.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 4)
    writer = PdfWriter(clone_from=PdfReader(str(good)))
    writer.encrypt(user_password="s3cret", owner_password="owner")
    buf = io.BytesIO()
    writer.write(buf)
    (folder / "locked.pdf").write_bytes(buf.getvalue())
    # Published reports are often AES-encrypted with only an owner password (no printing, no editing): they open.
    writer = PdfWriter(clone_from=PdfReader(str(good)))
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-256")
    buf = io.BytesIO()
    writer.write(buf)
    (folder / "permissions.pdf").write_bytes(buf.getvalue())
    docx_bytes = (out / "docx" / f"{SEED_FILES[0].stem}.docx").read_bytes()
    (folder / "corrupt.docx").write_bytes(docx_bytes[: len(docx_bytes) // 2])
    (folder / "notes.docx").write_bytes(docx_bytes)

    report = rag.Library(hash_settings).ingest([folder])
    got = {f.source: (f.status, f.reason or "") for f in report.files}
    assert got["good.pdf"][0] == "added" and got["notes.docx"][0] == "added"
    assert got["permissions.pdf"][0] == "added"
    assert got["truncated.pdf"][0] == "failed" and "PDF" in got["truncated.pdf"][1]
    assert got["garbage.pdf"][0] == "failed" and "PDF" in got["garbage.pdf"][1]
    assert got["locked.pdf"] == ("failed", "encrypted PDF: it needs a password; save an unprotected copy to ingest it")
    assert got["corrupt.docx"][0] == "failed" and "corrupt DOCX" in got["corrupt.docx"][1]


def test_sniffing_reads_a_pdf_named_txt(rendered, tmp_path):
    out, _ = rendered
    disguised = tmp_path / "report.txt"
    disguised.write_bytes((out / "pdf" / f"{SEED_FILES[0].stem}.pdf").read_bytes())
    extracted, paragraphs = paragraphs_of(disguised)
    assert extracted.page_marks and paragraphs[0].page == 1


@pytest.mark.integration
def test_seed_eval_over_pdf_docx_html_matches_plain_text(rendered, tmp_path):
    """The seed eval set, run over each format of the seeds, within 0.03 of the plain-text run."""
    out, page_maps = rendered
    items = evals.load_jsonl_set(ROOT / "evals" / "seed_qa.jsonl")
    results = {}
    for fmt, folder in [("txt", SEEDS), ("pdf", out / "pdf"), ("docx", out / "docx"), ("html", out / "html")]:
        lib = rag.open(tmp_path / f"index-{fmt}")
        assert lib.ingest([folder]).ok
        renamed = [
            evals.EvalItem(
                i.id, i.question, i.answers, i.answerable, i.source and i.source.replace(".txt", f".{fmt}"), i.evidence
            )
            for i in items
        ]
        result = evals.evaluate(lib, renamed, fmt, {})
        results[fmt] = result.metrics
        assert result.metrics["citation_errors"] == 0
        if fmt == "pdf":
            answer = lib.ask("On July 13, how many soldiers were killed by a mine or IED in southern Raqqa?")
            cited = answer.citations[0]
            assert cited.page == page_maps[cited.source[:-4]][cited.text] >= 2
            for source in lib.sources():
                text = lib.document_text(source)
                stem = source.rsplit(".", 1)[0]
                for p in (lib.paragraph(f"{source}#{n}") for n in range(1, 200)):
                    if p is None:
                        break
                    assert text[p.start : p.end] == p.text
                    if p.text in page_maps[stem]:
                        assert p.page == page_maps[stem][p.text]
    print({f: (m["answer_accuracy"], m["citation_precision"]) for f, m in results.items()})
    for fmt in ("pdf", "docx", "html"):
        assert abs(results[fmt]["answer_accuracy"] - results["txt"]["answer_accuracy"]) <= 0.03, (fmt, results)
        assert abs(results[fmt]["citation_precision"] - results["txt"]["citation_precision"]) <= 0.03, (fmt, results)


def test_damaged_pdf_bytes_fail_with_a_reason_never_a_crash(rendered):
    """Bytes flipped all over a real PDF: the layout engine fails in many ways, each one a ReadError."""
    import random

    from rag.readers import ReadError

    out, _ = rendered
    good = (out / "pdf" / f"{SEED_FILES[0].stem}.pdf").read_bytes()
    rng = random.Random(7)
    for _ in range(12):
        damaged = bytearray(good)
        for _ in range(60):
            damaged[rng.randrange(9, len(damaged))] = rng.randrange(256)
        try:
            extract(Path("damaged.pdf"), bytes(damaged))
        except ReadError as exc:
            assert str(exc)


def one_page_pdf_text(tmp_path, draw) -> str:
    """The text the reader gets from a US Letter page that ``draw(canvas)`` draws."""
    from reportlab.pdfgen import canvas

    path = tmp_path / "page.pdf"
    c = canvas.Canvas(str(path), pagesize=(612, 792), invariant=1)
    draw(c)
    c.save()
    return extract(path, path.read_bytes()).text


def test_letter_spaced_capitals_are_not_split_into_pieces(tmp_path):
    """A heading set with tracking (1.4 pt between letters, more than pdfminer's tenth of a glyph) reads as its
    words; a body line without tracking keeps its spaces."""

    def draw(c):
        heading = c.beginText(72, 700)
        heading.setFont("Helvetica-Bold", 11)
        heading.setCharSpace(1.4)
        heading.textLine("MALICIOUS ACTORS AND CRITICAL INFRASTRUCTURE")
        heading.setCharSpace(0)  # the text state outlives the text object
        c.drawText(heading)
        c.setFont("Helvetica", 10)
        c.drawString(72, 660, "Malicious actors target the systems that critical infrastructure runs on.")

    text = one_page_pdf_text(tmp_path, draw)
    assert "MALICIOUS ACTORS AND CRITICAL INFRASTRUCTURE" in text
    assert "Malicious actors target the systems that critical infrastructure runs on." in text


def test_a_first_letter_under_blank_lines_is_kept(tmp_path):
    """Empty lines typed as a space each (as word processors write them) stand in a column over the next line's
    first letter; pdfminer groups them into a "vertical" line, which is dropped as a stamp. The letter comes back."""

    def draw(c):
        c.setFont("Helvetica-Bold", 11)
        for y in (720, 706, 692):
            c.drawString(72, y, " ")
        c.drawString(72, 678, "INTRODUCTION")
        c.setFont("Helvetica", 10)
        c.drawString(72, 660, "Prostate cancer is increasingly acknowledged as one of the major health issues of men.")

    assert one_page_pdf_text(tmp_path, draw).startswith("# INTRODUCTION\n\nProstate cancer")


def test_text_drawn_inside_a_form_xobject_is_read(tmp_path):
    """A slide or a whole page placed as a form XObject (a figure to pdfminer) keeps its text."""

    def draw(c):
        c.beginForm("slide")
        c.setFont("Helvetica", 10)
        c.drawString(100, 500, "Inside the slide: the agency spent 2,200 dollars on the pilot program.")
        c.endForm()
        c.doForm("slide")
        c.setFont("Helvetica", 10)
        c.drawString(72, 700, "Outside the slide: the pilot program ran for three months in 2024.")

    text = one_page_pdf_text(tmp_path, draw)
    assert "Outside the slide: the pilot program ran for three months in 2024." in text
    assert "Inside the slide: the agency spent 2,200 dollars on the pilot program." in text


def test_three_columns_read_down_each_column_in_turn(tmp_path):
    """A Federal Register-style page: three columns of 8 pt type, the last one half full, paragraphs running on
    from one column into the next."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    paragraphs = [f"Paragraph {i}: " + " ".join(f"term{i}x{j}" for j in range(60)) + "." for i in range(13)]
    columns_used = set()

    def draw(c):
        c.setFont("Times-Roman", 8)
        column, y = 0, 740
        for paragraph in paragraphs:
            line = ""
            for word in paragraph.split() + [None]:
                wider = f"{line} {word}".strip() if word else line
                if word is None or stringWidth(wider, "Times-Roman", 8) > 170:
                    if y < 60:
                        column, y = column + 1, 740
                    c.drawString(40 + 181 * column, y, line)
                    columns_used.add(column)
                    y -= 10
                    line = word or ""
                else:
                    line = wider
            y -= 6

    text = one_page_pdf_text(tmp_path, draw)
    assert columns_used == {0, 1, 2}
    # Every word in order: down the first column, then the second, then the short third (pdfminer alone reads
    # the short column first).
    assert " ".join(text.split()) == " ".join(paragraphs)


def test_running_headers_go_but_titles_stay(tmp_path):
    """A running header over the two pages of a short chapter ("Chapter 2: Field work", as Texinfo sets it at the
    top of each page after the chapter's first) is furniture. A slide title, larger than the body, repeated on the
    next slide is the slide's heading; the title on page 1, in large type, is the title, though the pages after it
    repeat its words as their running header."""
    from reportlab.pdfgen import canvas

    path = tmp_path / "manual.pdf"
    c = canvas.Canvas(str(path), pagesize=(612, 792), invariant=1)
    pages = [
        ("Village Water Survey", "This manual covers the survey of village wells in the dry season."),
        ("Chapter 2: Field work", "The survey teams visited forty villages in the spring."),
        ("Chapter 2: Field work", "Each team carried a satellite phone and two water filters."),
        ("Chapter 3: Findings", "Wells in the northern villages were dry by late August."),
        ("Chapter 3: Findings", "Three clinics had no refrigeration for vaccines."),
        ("Ordering pipeline", "Orders arrive by email and are keyed in by the front desk."),
        ("Ordering pipeline", "Invoices leave the warehouse with the goods they bill."),
    ]
    # Other pages, so that two is few: a line on 30% of the pages is furniture wherever it stands.
    pages += [("", f"Appendix page {word} lists the villages visited.") for word in "abcdefghijklmn"]
    for n, (header, body) in enumerate(pages):
        if n == 0 or header == "Ordering pipeline":  # display type: the title, a slide's title
            c.setFont("Helvetica-Bold", 24)
            c.drawString(72, 750, header)
        else:  # the running header, in body type
            c.setFont("Helvetica", 10)
            c.drawString(72, 750, header or "Village Water Survey")
        c.setFont("Helvetica", 10)
        c.drawString(72, 650, body)
        c.showPage()
    c.save()
    text = extract(path, path.read_bytes()).text
    assert "Chapter" not in text
    assert "The survey teams visited forty villages in the spring." in text
    assert text.count("Ordering pipeline") == 2
    assert text.count("Village Water Survey") == 1 and text.index("Village Water Survey") < text.index("This manual")


def test_a_widely_justified_line_keeps_its_word_order(tmp_path):
    """A justified line in a narrow column spreads its words wider than pdfminer's char_margin allows (as
    Chromium prints text-align: justify); the words, boxed apart or as separate lines of the box, are one line."""

    def draw(c):
        c.setFont("Helvetica", 10)
        c.drawString(72, 700, "Russian planes struck a truck depot near the border")
        c.drawString(72, 688, "crossing last month, the report says, and the damage")
        for x, word in [(72, "Meanwhile,"), (150, "Iran-backed"), (232, "factions"), (300, "are")]:
            c.drawString(x, 676, word)
        c.drawString(72, 664, "strengthening bases in the desert on the Syrian border")
        c.drawString(72, 652, "to secure their influence in the region, it adds.")

    text = one_page_pdf_text(tmp_path, draw)
    assert "the damage Meanwhile, Iran-backed factions are strengthening bases" in text


def justified(c, lines: list[str], y: float, x0: float = 72, x1: float = 400, size: float = 10, indent: float = 0):
    """Lines set justified between x0 and x1 (the last one flush left), 12 pt apart from y down."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    for i, line in enumerate(lines):
        left = x0 + (indent if i == 0 else 0)
        text = c.beginText(left, y - 12 * i)
        text.setFont("Helvetica", size)
        if i < len(lines) - 1:
            text.setWordSpace((x1 - left - stringWidth(line, "Helvetica", size)) / line.count(" "))
        text.textLine(line)
        c.drawText(text)


def test_a_case_name_at_a_line_start_is_no_list_item_and_a_centered_line_ends_its_paragraph(tmp_path):
    """ "v. Wade" and "n. 20" opening a line carry a sentence on (a lettered item is "a." or the letter after the
    last item's), and so does "(24) weeks" (a number before a lower-case word after a line that ends no
    sentence); a docket line set centered over a justified paragraph is a paragraph of its own."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    def draw(c):
        c.setFont("Helvetica", 10)
        docket = "No. 19-1392. Argued December 1, 2021"
        c.drawString(236 - stringWidth(docket, "Helvetica", 10) / 2, 720, docket)
        justified(
            c,
            [
                "The clinic challenged the Act in the District Court, alleging that it",
                "violated the precedents of this Court, as it held in the case of Roe",
                "v. Wade, 410 U. S. 113, and the limit it set there at twenty-four",
                "(24) weeks of gestation, as the opinion of the Court says in its",
                "n. 20 of the opinion. The District Court ruled for the clinic.",
            ],
            700,
            indent=12,
        )
        justified(c, ["(a) The first question is what the Constitution says."], 640)
        justified(c, ["(b) The second is whether precedent settles it."], 620)

    paragraphs = one_page_pdf_text(tmp_path, draw).split("\n\n")
    assert paragraphs[0] == "No. 19-1392. Argued December 1, 2021"
    assert paragraphs[1].startswith("The clinic challenged") and "Roe v. Wade, 410 U. S. 113" in paragraphs[1]
    assert "twenty-four (24) weeks of gestation, as the opinion of the Court says in its n. 20 of the" in paragraphs[1]
    assert [p[:3] for p in paragraphs[2:]] == ["(a)", "(b)"]


def test_a_slide_background_and_footer_bars_make_no_table_and_the_footer_goes(tmp_path):
    """A slide deck paints each slide's background as a page-sized rectangle, and its footer on two coloured
    bars: the table finder took the slide for a table, its footer for a row ("Jane Roe | Passwords Now")."""
    from reportlab.pdfgen import canvas

    path = tmp_path / "slides.pdf"
    width, height = 363, 272
    c = canvas.Canvas(str(path), pagesize=(width, height), invariant=1)
    for title, body in [
        ("Overview", "Why passwords fail"),
        ("The Problem", "Users reuse passwords across sites"),
        ("Common Fixes", "Expiry intervals and complexity rules"),
    ]:
        c.setFillColorRGB(1, 1, 1)
        c.rect(0, 0, width, height, fill=1, stroke=0)
        c.setFillColorRGB(0, 0, 0)
        c.rect(0, 0, width / 2, 10, fill=1, stroke=0)
        c.setFillColorRGB(0.2, 0.2, 0.7)
        c.rect(width / 2, 0, width / 2, 10, fill=1, stroke=0)
        c.setFillColorRGB(1, 1, 1)
        c.setFont("Helvetica", 6)
        c.drawString(120, 3, "Jane Roe")
        c.drawString(220, 3, "Passwords Now")
        c.setFillColorRGB(0, 0, 0)
        c.setFont("Helvetica-Bold", 14)
        c.drawString(14, 240, title)
        c.setFont("Helvetica", 11)
        c.drawString(50, 200, body)
        c.showPage()
    c.save()
    text = extract(path, path.read_bytes()).text
    assert "Jane Roe" not in text and "Passwords Now" not in text and " | " not in text
    assert "Users reuse passwords across sites" in text


def test_a_compound_broken_at_its_hyphen_keeps_it(tmp_path):
    """ "high-" + "quality" over a line end is a compound, "escal-" + "ation" a word broken in two: told apart by
    whether the parts are English words and the joined whole is not."""

    def draw(c):
        c.setFont("Helvetica", 10)
        lines = [
            "The Badia desert in Homs is known for its high-",
            "quality truffles, and the recent escal-",
            "ation of attacks by Russian-",
            "backed units there worries Mr. Han-",
            "cock, who farms near Palmyra.",
        ]
        for k, line in enumerate(lines):
            c.drawString(72, 700 - 12 * k, line)

    text = one_page_pdf_text(tmp_path, draw)
    assert "its high-quality truffles, and the recent escalation of attacks by Russian-backed units" in text
    assert "Mr. Hancock, who farms" in text  # a name breaks at a syllable


def test_a_browser_prints_date_title_and_address_at_the_rim_of_a_one_page_print(tmp_path):
    """Chromium's header (date, title) and footer (address, "1/1") in small type at the page's very rim: nothing
    repeats on one page, but nothing of the report is printed there."""

    def draw(c):
        c.setFont("Helvetica", 8)
        c.drawString(24, 777, "12/5/26, 2:31 AM")
        c.drawString(280, 777, "Situation report")
        c.drawString(24, 10, "file:///home/analyst/reports/situation.html")
        c.drawString(570, 10, "1/1")
        c.setFont("Helvetica-Bold", 20)
        c.drawString(34, 740, "Situation report")
        c.setFont("Helvetica", 10)
        c.drawString(34, 700, "Russian warplanes conducted over 30 airstrikes on ISIS positions in the desert.")
        for k in range(1, 6):  # the body is most of the page's text
            c.drawString(
                34, 700 - 12 * k, f"The strikes on day {k} hit camps, depots and roads in the Badia, officials said."
            )
        c.setFont("Helvetica", 8)
        c.drawString(34, 90, "1 The Observatory counts only deaths it has confirmed with two sources.")

    text = one_page_pdf_text(tmp_path, draw)
    assert "AM" not in text and "file:" not in text and "1/1" not in text
    assert text.count("Situation report") == 1
    assert "Russian warplanes conducted over 30 airstrikes" in text
    assert "The Observatory counts only deaths" in text  # a footnote in small type above the rim stays


def test_a_heading_set_close_over_its_paragraph_is_a_heading_and_the_paragraph_body(tmp_path):
    """pdfminer groups a heading in display type with the paragraph right under it (a browser's h1 over its first
    paragraph): the heading becomes a section, the paragraph stays body text."""

    def draw(c):
        c.setFont("Helvetica-Bold", 20)
        c.drawString(72, 720, "Budget summary")
        c.setFont("Helvetica", 10)
        c.drawString(72, 704, "The table below lists the programme's costs by line item for the two years.")
        c.drawString(72, 660, "Costs were audited in March by the regional office, which found no errors.")

    text = one_page_pdf_text(tmp_path, draw)
    assert text.startswith("# Budget summary\n\nThe table below lists the programme's costs")


def test_a_ruled_table_row_drawn_without_inner_rules_is_split_at_the_columns_but_a_spanning_note_is_not(tmp_path):
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph as Para
    from reportlab.platypus import SimpleDocTemplate, Table, TableStyle

    rows = [
        ["Biomarker", "Group", "Mild", "Mean % reactivity"],
        ["PSA protein", "Benign", "4", "10"],
        ["", "CaP", "2", "94"],  # drawn with no rules between its cells, as in a banded table
        ["Values are percentages of the cases examined in each group.", "", "", ""],
    ]
    table = Table(rows, colWidths=[110, 90, 70, 120])
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.5, colors.black),
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, colors.black),
                ("LINEAFTER", (0, 0), (-2, 1), 0.5, colors.black),
                ("SPAN", (0, 3), (-1, 3)),
            ]
        )
    )
    intro = Para("Table 2 gives the degree of staining for each marker.", getSampleStyleSheet()["Normal"])
    SimpleDocTemplate(str(tmp_path / "table.pdf"), pagesize=A4).build([intro, table])
    extracted, _ = paragraphs_of(tmp_path / "table.pdf")
    lines = extracted.text.splitlines()
    assert "PSA protein | Benign | 4 | 10" in lines
    assert "CaP | 2 | 94" in lines
    assert "Values are percentages of the cases examined in each group." in lines


def test_a_header_cell_shaded_line_by_line_is_one_cell_not_a_row_per_line(tmp_path):
    """Word shades each paragraph of a shaded cell with its own rectangle inside the cell's, in the same colour:
    their edges do not show, and are no rules (NIST CSF 1.1's Table 1 read "Function | Function", "Unique |
    Unique", "Identifier | Identifier" for its header row)."""
    columns = [(72, 172), (172, 322), (322, 392)]
    top, header_bottom, row_height = 700, 658, 18

    def draw(c):
        c.setFillColorRGB(0, 0, 0.5)
        for x0, x1 in columns:
            c.rect(x0, header_bottom, x1 - x0, top - header_bottom, stroke=0, fill=1)
        for y in (686, 672, header_bottom):  # the first cell's three lines, each shaded on its own
            c.rect(76, y, 92, 14, stroke=0, fill=1)
        c.setFillColorRGB(1, 1, 1)
        c.setFont("Helvetica-Bold", 10)
        for text, y in (("Category", 690), ("Unique", 676), ("Identifier", 662)):
            c.drawString(78, y, text)
        c.drawString(176, 690, "Category")
        c.drawString(326, 690, "Count")
        c.setFillColorRGB(0, 0, 0)
        c.setFont("Helvetica", 10)
        rows = [("ID.AM", "Asset Management", "6"), ("ID.SC", "Supply Chain Risk Management", "5")]
        for k, row in enumerate(rows):
            for (x0, _), text in zip(columns, row):
                c.drawString(x0 + 4, header_bottom - (k + 1) * row_height + 5, text)
        c.setLineWidth(0.5)
        bottom = header_bottom - len(rows) * row_height
        for y in [top, header_bottom] + [header_bottom - (k + 1) * row_height for k in range(len(rows))]:
            c.line(72, y, 392, y)
        for x in (72, 172, 322, 392):
            c.line(x, top, x, bottom)

    lines = one_page_pdf_text(tmp_path, draw).splitlines()
    assert "Category Unique Identifier | Category | Count" in lines
    assert "ID.SC | Supply Chain Risk Management | 5" in lines
    assert not any(line.startswith("Unique") for line in lines)


def test_an_unruled_table_with_its_header_set_apart_keeps_one_row_a_line_and_wrapped_cells_whole(tmp_path):
    """The Yellow Paper's fee schedule: the header row stands further from the first row than the rows from each
    other, which is no sign of rows that wrap (it read as one row of all the names and all the values); a cell's
    text that wraps onto a line of its own stays in its row."""
    rows = [
        ("Gzero", "0", "Nothing paid for operations of the zero set."),
        ("Gbase", "2", "Amount of gas to pay for operations of the set"),
        (None, None, "named base in every block."),
        ("Glow", "5", "Amount of gas to pay for operations of the low set."),
        ("Gmid", "8", "Amount of gas to pay for operations of the middle set."),
        ("Ghigh", "10", "Amount of gas to pay for operations of the high set."),
    ]

    def draw(c):
        c.setFont("Helvetica", 10)
        c.drawString(72, 740, "The fee schedule is a tuple of values, one for each operation the machine may run.")
        c.setFont("Helvetica-Bold", 10)
        for x, text in ((80, "Name"), (180, "Value"), (230, "Description")):
            c.drawString(x, 712, text)
        c.setFont("Helvetica", 10)
        for k, row in enumerate(rows):
            for x, text in zip((80, 180, 230), row):
                if text:
                    c.drawString(x, 694 - 11 * k, text)

    lines = one_page_pdf_text(tmp_path, draw).splitlines()
    assert "Name | Value | Description" in lines
    assert "Gzero | 0 | Nothing paid for operations of the zero set." in lines
    assert "Gbase | 2 | Amount of gas to pay for operations of the set named base in every block." in lines
    assert "Ghigh | 10 | Amount of gas to pay for operations of the high set." in lines


def test_a_table_caption_set_below_its_table_heads_the_table_not_the_text_after_it(tmp_path):
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph as Para
    from reportlab.platypus import SimpleDocTemplate, Table, TableStyle

    styles = getSampleStyleSheet()
    table = Table([["Line item", "2023", "2024"], ["Staff", "1,200", "1,350"], ["Travel", "300", "280"]])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
    story = [
        Para("The programme's costs are set out below for the two years of the grant.", styles["Normal"]),
        table,
        Para("Table 1: Costs by line item", styles["Normal"]),
        Para("Travel fell in the second year as more meetings were held online than planned.", styles["Normal"]),
    ]
    SimpleDocTemplate(str(tmp_path / "caption.pdf"), pagesize=A4).build(story)
    extracted, paragraphs = paragraphs_of(tmp_path / "caption.pdf")
    lines = [line for line in extracted.text.splitlines() if line]
    assert lines.index("# Table 1: Costs by line item") == lines.index("Line item | 2023 | 2024") - 1
    [row] = [p for p in paragraphs if "Staff | 1,200 | 1,350" in p.text]
    assert row.section == "Table 1: Costs by line item"


def test_a_ruled_table_without_outer_rules_keeps_its_row_names_and_last_column_beside_an_unruled_table(tmp_path):
    """Rules between the inner columns only (an R or LaTeX table's look): the table pdfplumber finds ends at them,
    yet the row names left of it and the last column right of it are cells of its rows. A table found from text
    alone on the same page leaves it in place."""
    ruled = [
        ("", "mpg", "cyl", "hp", "carb"),
        ("Mazda RX4", "21.0", "6", "110", "4"),
        ("Datsun 710", "22.8", "4", "93", "1"),
        ("Valiant", "18.1", "6", "105", "1"),
    ]
    unruled = [("Region", "Sales", "Share"), ("North", "120", "40%"), ("South", "180", "60%")]

    def draw(c):
        c.setFont("Helvetica", 10)
        c.drawString(72, 740, "Road tests of four cars, as the magazine reported them in its spring issue.")
        top, step = 700, 16
        for k, row in enumerate(ruled):
            y = top - (k + 1) * step + 4
            c.drawString(72, y, row[0])
            for x, cell in zip((225, 275, 325), row[1:4]):
                c.drawCentredString(x, y, cell)
            c.drawString(362, y, row[4])
            c.line(72, top - (k + 1) * step, 400, top - (k + 1) * step)
        c.line(72, top, 400, top)
        for x in (200, 250, 300, 350):
            c.line(x, top, x, top - len(ruled) * step)
        for k, row in enumerate(unruled):
            for x, cell in zip((72, 250, 400), row):
                c.drawString(x, 560 - k * 14, cell)

    lines = one_page_pdf_text(tmp_path, draw).splitlines()
    assert "mpg | cyl | hp | carb" in lines
    assert "Mazda RX4 | 21.0 | 6 | 110 | 4" in lines
    assert "Valiant | 18.1 | 6 | 105 | 1" in lines
    assert "North | 120 | 40%" in lines
    assert "Road tests of four cars, as the magazine reported them in its spring issue." in lines


def test_a_statistical_table_set_in_tight_groups_of_rows_keeps_one_row_a_line(tmp_path):
    """Rows of figures set close in groups, the groups apart: each line is a row, not a group one wrapped row;
    a roster's lines of words in every column still join as cells that wrap. The dots leading a row name to its
    figures go."""
    groups = [
        [("Violent crime", "456,965", "268,346"), ("Murder", "9,739", "4,741"), ("Robbery", "100,496", "43,039")],
        [("Property crime", "1,364,409", "922,139"), ("Burglary", "234,551", "155,994"), ("Arson", "9,466", "7,085")],
    ]

    def draw(c):
        c.setFont("Helvetica", 9)
        y = 700
        for x, head in zip((72, 300, 400), ("Offense charged", "Total", "White")):
            c.drawString(x, y, head)
        y -= 18
        for group in groups:
            for label, total, white in group:
                c.drawString(72, y, label + " ." * (30 - len(label)))  # dots leading to the figures
                c.drawRightString(340, y, total)
                c.drawRightString(440, y, white)
                y -= 10
            y -= 8

    lines = one_page_pdf_text(tmp_path, draw).splitlines()
    assert "Offense charged | Total | White" in lines
    assert "Violent crime | 456,965 | 268,346" in lines
    assert "Murder | 9,739 | 4,741" in lines
    assert "Arson | 9,466 | 7,085" in lines


@pytest.mark.parametrize("rotate", [0, 90, 270])
def test_a_table_set_sideways_on_its_page_is_read_the_way_it_runs(tmp_path, rotate):
    """A table too wide for the page is set sideways (drawn turned, with or without a /Rotate for viewers): its
    lines run up or down the page, and pdfminer's vertical boxes, left out as margin stamps, lost all of it."""
    import pypdf
    from reportlab.pdfgen import canvas

    path = tmp_path / "sideways.pdf"
    c = canvas.Canvas(str(path), pagesize=(612, 792), invariant=1)
    c.translate(612, 0)
    c.rotate(90)
    c.setFont("Helvetica", 10)
    rows = [("Offense", "Total", "Male"), ("Murder", "9,739", "4,741"), ("Robbery", "100,496", "43,039")]
    for k, row in enumerate(rows):
        for x, cell in zip((72, 300, 400), row):
            c.drawString(x, 560 - 14 * k, cell)
    c.drawString(72, 480, "The table above counts arrests made in 2009 by agencies reporting to the program.")
    c.save()
    if rotate:
        writer = pypdf.PdfWriter(clone_from=path)
        writer.pages[0].rotate(rotate)
        writer.write(path)
    lines = extract(path, path.read_bytes()).text.splitlines()
    assert "Murder | 9,739 | 4,741" in lines
    assert "The table above counts arrests made in 2009 by agencies reporting to the program." in lines
