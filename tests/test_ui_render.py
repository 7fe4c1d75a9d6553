from rag.answer.citations import cite
from rag.types import Answer, AnswerMeta, ClaimCheck, Paragraph, ScoredParagraph, ShortSpan, Verification
from rag.ui.render import (
    Turn,
    answer_with_chips,
    conversation_html,
    conversation_markdown,
    highlight,
    sources_html,
)
from rag.uploads import safe_file_name

PARA = Paragraph(
    "r<1>.txt", 4, 10, 80, 'Intro <b>bold</b>. ISIS killed 19 troops & 2 "guards". End.', section="Homs & Hama"
)
QUOTE = 'ISIS killed 19 troops & 2 "guards".'


def answer(text=f"{QUOTE} [1]"):
    return Answer("How many <troops>?", text, False, [cite(1, ScoredParagraph(PARA, 0.0321), QUOTE)])


def test_markers_become_chips_and_text_is_escaped():
    html = answer_with_chips(3, answer())
    assert html.startswith("ISIS killed 19 troops &amp; 2 &quot;guards&quot;.")
    assert '<button type="button" class="cite-chip" data-turn="3" data-marker="1"' in html
    assert 'title="r&lt;1&gt;.txt, ¶ 4"' in html
    assert "[1]" not in html


def test_a_marker_without_citation_stays_text():
    assert answer_with_chips(0, answer("Claim [2].")) == "Claim [2]."


def test_highlight_marks_the_quote_at_its_offset_and_escapes_around_it():
    out = highlight(PARA.text, QUOTE)
    assert out == ("Intro &lt;b&gt;bold&lt;/b&gt;. <mark>ISIS killed 19 troops &amp; 2 &quot;guards&quot;.</mark> End.")
    assert highlight("no quote here", "absent") == "no quote here"


def test_the_short_answer_is_bold_above_the_sentence_and_marked_inside_the_quote():
    at = PARA.text.index("19 troops")
    crisp = answer()
    crisp.short_answer, crisp.short_span = "19 troops", ShortSpan(1, at, at + len("19 troops"))
    html = conversation_html([Turn("How many <troops>?", crisp)])
    assert html.index('<div class="a short-answer"><strong>19 troops</strong></div>') < html.index('class="a answer"')
    sources = sources_html([Turn("q", crisp)])
    assert (
        '<mark>ISIS killed <strong class="short-span">19 troops</strong> &amp; 2 &quot;guards&quot;.</mark>' in sources
    )
    assert "**19 troops**" in conversation_markdown([Turn("q", crisp)])
    # A span outside the quote is not marked (the quote alone is).
    assert "short-span" not in highlight(PARA.text, QUOTE, (0, 5))


def test_sources_show_document_section_paragraph_file_and_score():
    turns = [Turn("q0", answer()), Turn("q1", answer())]
    html = sources_html(turns, {"r<1>.txt": "r<1>.txt"})
    assert html.count('class="turn-sources"') == 2
    assert '<div class="turn-sources" data-turn="0" hidden>' in html  # only the latest is open
    assert '<div class="turn-sources" data-turn="1">' in html
    assert 'id="src-1-1"' in html
    assert "section: Homs &amp; Hama" in html and "¶ 4" in html and "score 0.032" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold" not in html


def test_abstention_is_styled_and_worded_apart():
    abstained = Answer("q", "The reports don't say.", True)
    html = conversation_html([Turn("Who?", abstained)])
    assert 'class="a abstained"' in html and "No answer in the reports" in html
    assert "cite-chip" not in html


def test_pending_and_error_turns():
    assert 'class="a pending"' in conversation_html([Turn("q", partial="ISIS <killed>")])
    assert "ISIS &lt;killed&gt;" in conversation_html([Turn("q", partial="ISIS <killed>")])
    assert 'class="a error"' in conversation_html([Turn("q", error="question is empty")])


def test_markdown_export_numbers_footnotes_across_turns():
    md = conversation_markdown(
        [
            Turn("First?", answer()),
            Turn("Second?", answer()),
            Turn("None?", Answer("None?", "The reports don't say.", True)),
        ]
    )
    assert f"**A:** {QUOTE} [^1]" in md and f"**A:** {QUOTE} [^2]" in md
    assert '[^1]: r<1>.txt, ¶ 4 (Homs & Hama): “ISIS killed 19 troops & 2 "guards".”' in md
    assert "[^2]: r<1>.txt" in md
    assert "_The reports don't say._" in md


def test_safe_file_name():
    assert safe_file_name("../../etc/passwd") == "passwd"
    assert safe_file_name("..\\..\\win.ini") == "win.ini"
    assert safe_file_name(".hidden.txt") == "hidden.txt"
    assert safe_file_name("rapport été 2024 (final).txt") == "rapport été 2024 _final_.txt"
    assert safe_file_name("a<b>|c:*?.txt") == "a_b_c_.txt"
    assert safe_file_name("a" * 300 + ".md").endswith(".md") and len(safe_file_name("a" * 300 + ".md")) <= 120
    assert safe_file_name("..") == "upload"


def test_paged_citations_read_page_then_paragraph():
    paged = Paragraph("r.pdf", 12, 0, len(PARA.text), PARA.text, page=3)
    c = cite(1, ScoredParagraph(paged, 0.01), QUOTE)
    assert c.location == "p. 3, ¶ 12"
    html = sources_html([Turn("q", Answer("q", f"{QUOTE} [1]", False, [c]))])
    assert "p. 3, ¶ 12" in html
    assert "r.pdf, p. 3, ¶ 12" in conversation_markdown([Turn("q", Answer("q", f"{QUOTE} [1]", False, [c]))])


def test_removed_claims_are_struck_through_with_why_and_kept_ones_named():
    checked = answer()
    checked.meta = AnswerMeta(
        backend="scripted",
        llm_called=True,
        verification=Verification(
            [
                ClaimCheck("The differences are:", "framing"),
                ClaimCheck(QUOTE, "kept", 0.97, "r<1>.txt#4"),
                ClaimCheck("ISIS killed <50> troops.", "removed", 0.04, "r<1>.txt#4", "no passage supports it"),
                ClaimCheck("In short, ISIS struck.", "restates", None, "r<1>.txt#4"),
            ],
            bad_markers=0,
        ),
    )
    html = conversation_html([Turn("How many?", checked)])
    # A conclusion restating kept claims is listed but not counted as a claim checked.
    assert '<details class="claims" open><summary>2 claims checked, 1 removed</summary>' in html
    assert 'In short, ISIS struck. <span class="why">restates' in html
    assert "<s>ISIS killed &lt;50&gt; troops.</s>" in html and "removed: no passage supports it" in html
    assert "kept · r&lt;1&gt;.txt#4 · P(supported) 0.97" in html
    assert "The differences are:" not in html.split("<details")[1]  # framing is not a claim
