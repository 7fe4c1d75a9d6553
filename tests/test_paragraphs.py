from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from rag.paragraphs import MAX_GATHERED_CHARS, chunk_paragraph, split_paragraphs
from rag.text import sentence_spans
from rag.types import Paragraph

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def seed(name: str) -> tuple[str, list[Paragraph]]:
    text = (SEEDS / name).read_text(encoding="utf-8")
    return text, split_paragraphs(text, name)


# Lines of prose, headings, bullets, blank runs and odd whitespace, joined with mixed line endings.
_line = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=120),
    st.sampled_from(["Homs", "Looking Ahead", "# Title", "## Sub", "• a bullet.", "  indented line.", "", "   ", "\t"]),
    st.from_regex(r"[A-Z][a-z]{2,9}( [a-z]{2,9}){0,12}[.?]?", fullmatch=True),
)
_document = st.tuples(
    st.lists(_line, max_size=30), st.lists(st.sampled_from(["\n", "\r\n", "\n\n", "\r"]), min_size=1)
).map(lambda t: "".join(line + t[1][i % len(t[1])] for i, line in enumerate(t[0])))


@settings(max_examples=300, deadline=None)
@given(_document)
def test_offsets_are_exact_and_ordered(text):
    paragraphs = split_paragraphs(text, "doc.txt")
    last_end = -1
    for i, p in enumerate(paragraphs, start=1):
        assert text[p.start : p.end] == p.text
        assert p.text.strip() == p.text and p.text
        assert p.number == i
        assert p.start > last_end
        last_end = p.end
    texts = [p.text for p in paragraphs]
    assert len(texts) == len(set(texts)), "a repeated paragraph was indexed twice"


@settings(max_examples=200, deadline=None)
@given(_document, st.integers(min_value=40, max_value=400))
def test_chunks_stay_inside_their_paragraph(text, max_chars):
    for p in split_paragraphs(text, "doc.txt"):
        chunks = chunk_paragraph(p, max_chars)
        assert chunks and all(c.paragraph == p for c in chunks)
        for c in chunks:
            assert p.start <= c.start < c.end <= p.end
            assert text[c.start : c.end] == c.text
            assert len(c.text) <= max(max_chars, len(p.text) if len(p.text) <= max_chars else max_chars)
        # Together the windows cover every non-space character of the paragraph.
        covered = set()
        for c in chunks:
            covered.update(range(c.start, c.end))
        assert all(i in covered for i in range(p.start, p.end) if not text[i].isspace())


def test_every_seed_paragraph_has_exact_offsets():
    for path in sorted(SEEDS.glob("*.txt")):
        text, paragraphs = seed(path.name)
        assert paragraphs
        for p in paragraphs:
            assert text[p.start : p.end] == p.text


def test_headings_become_sections_not_paragraphs():
    _, paragraphs = seed("004_29b9793b6e886bf8.txt")
    texts = [p.text for p in paragraphs]
    for heading in ("Homs", "Hama", "Looking Ahead", "Deir Ez Zor and Raqqa"):
        assert heading not in texts
    by_start = {p.text[:20]: p.section for p in paragraphs}
    assert by_start["On July 8, one soldi"] == "Hama"
    assert by_start["On July 13, a member"] == "Homs"
    assert paragraphs[0].section is None

    _, paragraphs = seed("001_08933ac444e6ce74.txt")
    assert "Motives behind the escalation" not in [p.text for p in paragraphs]
    abu_hafs = next(p for p in paragraphs if p.text.startswith("The Iraqi Abu Hafs"))
    assert abu_hafs.section == "Motives behind the escalation"


def test_formulas_numbers_and_broken_lines_are_no_headings():
    text = "\n".join(
        [
            "Appendix G. Fee Schedule",
            "The fee schedule is a tuple of scalar values.",
            "F (H) ≡",
            "The rest follows from the definition above.",
            "1018",
            "Wei is the smallest unit of the currency.",
            "W, being element-wise sequence trans-",
            "formation of the state, is defined below.",
        ]
    )
    paragraphs = split_paragraphs(text, "formulas.txt")
    assert {p.section for p in paragraphs} == {"Appendix G. Fee Schedule"}


def test_repeated_title_is_indexed_once():
    text, paragraphs = seed("002_1842c5b93aa613e8.txt")
    title = "Killings show ISIS remains a threat in Syria's desert 5 years after losing its caliphate"
    assert text.count(title) == 2
    assert [p.text for p in paragraphs].count(title) == 1


def test_one_line_per_paragraph_even_when_a_line_looks_like_a_title():
    _, paragraphs = seed("001_08933ac444e6ce74.txt")
    assert paragraphs[0].text == "ISIS terrorist attacks in Syrian Desert see uptick: Report"
    assert paragraphs[1].text.startswith("ISIS attacks are seeing an uptick")


def test_hard_wrapped_blocks_are_one_paragraph_and_markdown_headings_are_sections():
    text = (
        "# Annual review\n\nThe group carried out twelve attacks in the first quarter of the\n"
        "year, most of them in the eastern desert near Palmyra.\n\n## Outlook\n\n"
        "- first item of a list\n- second item of a list\n"
    )
    paragraphs = split_paragraphs(text, "r.md")
    assert [p.text for p in paragraphs] == [
        "The group carried out twelve attacks in the first quarter of the\nyear, most of them in the eastern desert near Palmyra.",
        "- first item of a list\n- second item of a list",
    ]
    assert [p.section for p in paragraphs] == ["Annual review", "Outlook"]


def test_plain_text_underlined_headings_rules_and_wrapped_prose_among_lists():
    text = (
        "Summary\n-------\n\nThe group carried out twelve attacks in the first quarter of the\n"
        "year, most of them near Palmyra.\n\nKey steps:\n1. First step taken by the council.\n"
        "2. Second step taken later.\n3. Third.\n\n___\n\nOutlook for the year ahead\n==========================\n\n"
        "Attacks are expected to rise again in the spring, as they did in\nthe two years before.\n"
    )
    paragraphs = split_paragraphs(text, "r.txt")
    # Before, the underlines and the rule were paragraphs, and the list's lines outvoted the wrapped prose, so
    # each wrapped line was a paragraph of its own.
    assert [(p.text, p.section) for p in paragraphs] == [
        (
            "The group carried out twelve attacks in the first quarter of the\nyear, most of them near Palmyra.",
            "Summary",
        ),
        (
            "Key steps:\n1. First step taken by the council.\n2. Second step taken later.\n3. Third.",
            "Summary",
        ),
        (
            "Attacks are expected to rise again in the spring, as they did in\nthe two years before.",
            "Outlook for the year ahead",
        ),
    ]


def test_plain_text_paragraphs_set_apart_by_a_first_line_indent():
    text = (
        "    The committee met on Monday to review the budget for the coming\n"
        "year. It approved the plan with two changes to the capital program.\n"
        "    The second change moves the bridge repair to the spring, when the\n"
        "river is low enough for the crews to work safely.\n\n"
        "1. First point of the list ends here.\n   Its second sentence hangs under it.\n"
    )
    assert [p.text for p in split_paragraphs(text, "r.txt")] == [
        "The committee met on Monday to review the budget for the coming\n"
        "year. It approved the plan with two changes to the capital program.",
        "The second change moves the bridge repair to the spring, when the\n"
        "river is low enough for the crews to work safely.",
        "1. First point of the list ends here.\n   Its second sentence hangs under it.",
    ]


def test_short_list_items_are_one_paragraph_with_their_lead_in_and_each_item_a_sentence():
    items = [f"- {name} ({year})" for name, year in [("Argo", 2021), ("etcd 3.4.3", 2020), ("Flux", 2021)]]
    long_item = "- " + "A list item that is a paragraph of its own, with enough to say about itself. " * 3
    text = "\n\n".join(["Here is a list of sample third-party audits:", *items, long_item.strip(), "After the list."])
    paragraphs = split_paragraphs(text, "audits.pdf")
    assert [p.text for p in paragraphs] == [
        "\n\n".join(["Here is a list of sample third-party audits:", *items]),
        long_item.strip(),
        "After the list.",
    ]
    gathered = paragraphs[0]
    assert [gathered.text[s:e] for s, e in sentence_spans(gathered.text)] == [
        "Here is a list of sample third-party audits:",
        *items,
    ]
    assert text[gathered.start : gathered.end] == gathered.text


def test_table_rows_are_one_paragraph_each_row_a_sentence_even_one_whose_cells_ran_together():
    rows = [
        "Biomarker | Group | Mean % reactivity",
        "P63 | Benign | 10",
        "CaP 98",  # a row read as one cell: between rows it is neither a heading nor a paragraph of its own
        "BCL-2 | Benign | 0",
        "CaP 92",
    ]
    text = "\n\n".join(["Table 2: Degree of staining.", *rows, "# Discussion", "The markers differ."])
    paragraphs = split_paragraphs(text, "ihc.pdf")
    assert [p.text for p in paragraphs] == ["Table 2: Degree of staining.", "\n\n".join(rows), "The markers differ."]
    assert [p.section for p in paragraphs] == [None, None, "Discussion"]
    table = paragraphs[1]
    assert [table.text[s:e] for s, e in sentence_spans(table.text)] == rows


def test_a_long_table_is_cut_into_paragraphs_of_whole_rows():
    rows = [f"ID.{n:03d} | A category named for what it holds, number {n}" for n in range(40)]
    paragraphs = split_paragraphs("\n".join(rows) + "\n", "csf.txt")
    assert len(paragraphs) > 1 and all(len(p.text) <= MAX_GATHERED_CHARS for p in paragraphs)
    assert [r for p in paragraphs for r in p.text.split("\n")] == rows


def test_crlf_line_ends_keep_exact_offsets():
    text = "First paragraph here.\r\nHoms\r\nSecond paragraph under a heading.\r\n"
    paragraphs = split_paragraphs(text, "crlf.txt")
    assert [p.text for p in paragraphs] == ["First paragraph here.", "Second paragraph under a heading."]
    assert paragraphs[1].section == "Homs"
    assert all(text[p.start : p.end] == p.text for p in paragraphs)


def test_long_paragraph_is_windowed_by_sentence_with_its_id():
    _, paragraphs = seed("004_29b9793b6e886bf8.txt")
    long = paragraphs[0]
    assert len(long.text) > 1000
    chunks = chunk_paragraph(long, 600)
    assert len(chunks) >= 3
    assert {c.id.rsplit("#c", 1)[0] for c in chunks} == {long.id}
    assert all(c.text.rstrip().endswith((".", "”", '"')) for c in chunks[:-1]), "windows end on sentence ends"


def test_a_paragraph_running_over_a_page_keeps_where_and_the_store_keeps_it_too():
    from rag.paragraphs import assign_pages, split_paragraphs
    from rag.store import _chunk_metadata, _paragraph_from
    from rag.types import Chunk

    text = "First page paragraph.\n\nIt runs on to the next page here.\n"
    # Page 2 begins inside the second paragraph, at "the next page".
    marks = ((0, 1), (text.index("the next page"), 2))
    [first, second] = assign_pages(split_paragraphs(text, "r.pdf"), marks)
    assert (first.page, first.page_breaks) == (1, ())
    assert second.page == 1 and second.page_breaks == ((second.text.index("the next page"), 2),)
    assert second.page_at(0) == 1 and second.page_at(len(second.text) - 1) == 2
    stored = _paragraph_from(_chunk_metadata(Chunk(second, 0, second.start, second.end, second.text)), second.text)
    assert stored == second


def test_a_note_is_marked_with_the_sentence_whose_marker_it_explains():
    from rag.paragraphs import FOOTNOTE, mark_footnotes

    text = (
        "# Costs\n\nStaff costs rose in 2023.^1 Travel fell by a third.^2\n\n"
        "1 Includes two posts filled in March.\n\n2 See the travel policy.\n\n3 A note nothing marks.\n"
    )
    paragraphs = split_paragraphs(text, "r.pdf")
    notes = [(text.index(n), text.index(n) + len(n)) for n in ("1 Includes", "2 See the", "3 A note")]
    marked = {p.text[:1]: p.section for p in mark_footnotes(paragraphs, notes)}
    assert marked["S"] == "Costs"  # the body is no note
    assert marked["1"] == f"{FOOTNOTE} — Costs — “Staff costs rose in 2023.”"
    assert marked["2"] == f"{FOOTNOTE} — Costs — “Travel fell by a third.”"
    assert marked["3"] == f"{FOOTNOTE} — Costs"
