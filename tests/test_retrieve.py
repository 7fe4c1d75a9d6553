from rag.retrieve import Corpus, fuse
from rag.store import DenseHit
from rag.types import Paragraph

ARTICLE = "ijsr-2024-prostate-article.pdf"


def _corpus() -> Corpus:
    texts = [
        "Assessing P63, PSA and BCL-2 in prostate tissues",  # the title line
        "P63 and PSA were stained; BCL-2 reactivity in P63 positive prostate cases was high.",
        "P63, PSA and BCL-2 expression in 2024 samples of prostate tissue.",
        "The study was conducted on eighty tissue blocks from the archive.",
    ]
    paragraphs, at = [], 0
    for n, text in enumerate(texts, start=1):
        paragraphs.append(Paragraph(ARTICLE, n, at, at + len(text), text, page=1 if n == 1 else 2))
        at += len(text) + 1
    paragraphs.append(Paragraph("notes.txt", 1, 0, 11, "Field notes", page=None))
    paragraphs.append(Paragraph("notes.txt", 2, 12, 43, "Dyes were used on tissue blocks.", page=None))
    return Corpus(paragraphs)


def test_the_words_naming_a_document_are_taken_out_of_the_question():
    corpus = _corpus()
    stripped = corpus.without_names("How many tissue blocks were studied in the IJSR 2024 article on P63 and PSA?")
    assert stripped is not None
    assert "tissue blocks were studied" in stripped
    assert not {"IJSR", "2024", "P63", "PSA", "article"} & set(stripped.replace("?", "").split())
    # Nothing names a document, or nothing else would be left to search for: no second query.
    assert corpus.without_names("How many dyes were used?") is None
    assert corpus.without_names("What is in the IJSR 2024 article?") is None


def test_the_question_without_the_document_names_finds_what_they_drown():
    corpus = _corpus()
    q = "How many tissue blocks were studied in the IJSR 2024 article on P63 and PSA?"
    # The full question's rankings favour the paragraphs full of the title's words ...
    dense = [DenseHit(f"{ARTICLE}#{n}:0", f"{ARTICLE}#{n}", 0.5) for n in (2, 3, 4)]
    bm25 = [f"{ARTICLE}#3", f"{ARTICLE}#2", f"{ARTICLE}#4"]
    assert fuse(corpus, q, dense, bm25, rrf_k=1, limit=3)[0].paragraph.number != 4
    # ... the question without them ranks the one that answers first, and the fused ranking follows.
    unnamed = ([DenseHit(f"{ARTICLE}#4:0", f"{ARTICLE}#4", 0.7)], [f"{ARTICLE}#4", "notes.txt#1"])
    top = fuse(corpus, q, dense, bm25, rrf_k=1, limit=3, unnamed=unnamed)[0]
    assert top.paragraph.number == 4
    assert top.dense_rank == 3 and top.bm25_rank == 3, "ranks stay those of the question as asked"


def test_bm25_ranks_the_paragraph_stating_a_quoted_identifier_whole():
    # A framework's table: every row says "ID" and most say "SC"; only one states the identifier ID.SC.
    texts = [
        "ID.AM | Asset Management: devices and systems in the SC inventory are identified",
        "ID.RA | Risk Assessment: the SC threat and ID risk are understood",
        "ID.SC | Supply Chain Risk Management",
        "ID.GV | Governance: the SC policies and ID processes are understood",
    ]
    paragraphs, at = [], 0
    for n, text in enumerate(texts, start=1):
        paragraphs.append(Paragraph("csf.pdf", n, at, at + len(text), text, page=1))
        at += len(text) + 2
    corpus = Corpus(paragraphs)
    assert corpus.bm25("Which category has the unique identifier ID.SC?", k=4)[0] == "csf.pdf#3"
