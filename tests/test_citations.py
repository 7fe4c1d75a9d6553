import pytest

from rag.answer.citations import citation_problems, cite, markers_in
from rag.retrieve import reciprocal_rank_fusion
from rag.types import Answer, Paragraph, ScoredParagraph

PARA = Paragraph("r.txt", 3, 100, 142, "ISIS killed 19 troops. The army responded.", section="Homs")
EV = ScoredParagraph(PARA, 0.03)


def test_cite_copies_the_paragraph_and_checks_the_quote():
    c = cite(1, EV, "ISIS killed 19 troops.")
    assert (c.source, c.paragraph, c.start, c.end, c.section) == ("r.txt", 3, 100, 142, "Homs")
    assert c.to_dict()["text"] == PARA.text and "score" not in c.to_dict()
    with pytest.raises(ValueError, match="not in the cited paragraph"):
        cite(1, EV, "ISIS killed 20 troops.")


def test_a_quote_from_where_the_paragraph_runs_on_to_the_next_page_cites_that_page():
    text = "ISIS killed 19 troops. The army responded."
    running = Paragraph("r.pdf", 3, 100, 142, text, page=11, page_breaks=((23, 12),))
    assert cite(1, ScoredParagraph(running, 0.03), "ISIS killed 19 troops.").page == 11
    assert cite(1, ScoredParagraph(running, 0.03), "The army responded.").page == 12


def test_citation_problems_finds_every_mismatch():
    good = Answer("q", "ISIS killed 19 troops. [1]", False, [cite(1, EV, "ISIS killed 19 troops.")])
    assert citation_problems(good) == []
    dangling = Answer("q", "x [1] y [2]", False, [cite(1, EV, "ISIS killed 19 troops.")])
    assert citation_problems(dangling) == ["[2] has 0 citations"]
    unused = Answer("q", "no markers", False, [cite(1, EV, "ISIS killed 19 troops.")])
    assert citation_problems(unused) == ["citation [1] is not used in the answer"]
    abstained = Answer("q", "The reports don't say. [1]", True, [cite(1, EV, "ISIS killed 19 troops.")])
    assert "an abstention carries citations" in citation_problems(abstained)


def test_markers_in():
    assert markers_in("a [1] b [12][3] c [x]") == [1, 12, 3]


def test_reciprocal_rank_fusion_rewards_agreement():
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["c", "a", "d"]], k=60)
    ids = sorted(fused, key=lambda i: -fused[i])
    assert ids[:2] == ["a", "c"]  # in both lists, near the top
    assert set(ids) == {"a", "b", "c", "d"}
    assert fused["a"] == pytest.approx(1 / 61 + 1 / 62)
    weighted = reciprocal_rank_fusion([["a", "b"], ["b", "c"]], k=60, weights=[0.5, 1.0])
    assert weighted["a"] == pytest.approx(0.5 / 61) and weighted["c"] == pytest.approx(1 / 62)
