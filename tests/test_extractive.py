"""The answer policy over the reader's readings, with a scripted reader (the trained one is tested elsewhere)."""

from rag.answer import ABSTAIN_MESSAGE
from rag.answer.extractive import ExtractiveAnswerer, reading_features, reading_pieces, repeats_question
from rag.reader.features import PassageReading
from rag.reader.read import Calibration, load_reader
from rag.retrieve import NO_TITLE, DocumentTitle
from rag.types import Paragraph, ScoredParagraph

FIRST = "ISIS struck a convoy in March. Eight soldiers died in the attack near Palmyra. Two trucks burned."
SECOND = "In 2019 the group lost its last town. Five fighters were captured."


class ScriptedReader:
    """Reads each passage as told: {passage text: (span text, margin)}."""

    def __init__(self, script: dict[str, tuple[str, float]], calibration: Calibration = Calibration()):
        self.script = script
        self.calibration = calibration  # P(right) = sigmoid(margin) unless told

    def read(self, question, passages):
        out = []
        for i, text in enumerate(passages):
            span, margin = self.script[text]
            start = text.index(span)
            out.append(PassageReading(i, start, start + len(span), span_score=margin, null_score=0.0))
        return out


def evidence(*texts):
    return [ScoredParagraph(Paragraph(f"r{i}.txt", 1, 0, len(t), t), 1.0 / (i + 1)) for i, t in enumerate(texts)]


def test_the_short_answer_sits_in_its_sentence_and_cites_its_paragraph():
    reader = ScriptedReader({FIRST: ("Eight soldiers", 3.0), SECOND: ("Five fighters", 1.0)})
    result = ExtractiveAnswerer(reader, 2, 0.5).answer("How many soldiers died?", evidence(FIRST, SECOND))
    assert not result.abstained
    assert result.answer == "Eight soldiers died in the attack near Palmyra. [1]"
    assert result.short_answer == "Eight soldiers"
    [c] = result.citations
    assert c.source == "r0.txt" and c.text[result.short_span.start : result.short_span.end] == "Eight soldiers"
    assert result.probability > 0.9


def test_below_the_threshold_it_abstains_with_no_citation():
    reader = ScriptedReader({FIRST: ("Eight soldiers", -2.0), SECOND: ("Five fighters", -3.0)})
    result = ExtractiveAnswerer(reader, 2, 0.5).answer("How many soldiers died?", evidence(FIRST, SECOND))
    assert result.abstained and result.answer == ABSTAIN_MESSAGE and result.citations == []
    assert result.short_answer is None


def test_only_the_top_paragraphs_are_read():
    reader = ScriptedReader({FIRST: ("Eight soldiers", -2.0), SECOND: ("Five fighters", 4.0)})
    assert ExtractiveAnswerer(reader, 1, 0.5).answer("How many?", evidence(FIRST, SECOND)).abstained


# Abstention weighs a paragraph that lacks the question's numbers or names (a model fitted in evals/calibrate.py;
# here a scripted one that makes each missing one decisive).
STRICT = Calibration({"margin": 1.0, "numbers_stated": 10.0, "names_stated": 10.0}, -20.0)


def test_a_paragraph_lacking_the_questions_numbers_weighs_less():
    reader = ScriptedReader({FIRST: ("Eight soldiers", 3.0), SECOND: ("Five fighters", 1.0)}, STRICT)
    question = "How many fighters were captured in 2019?"
    result = ExtractiveAnswerer(reader, 2, 0.5).answer(question, evidence(FIRST, SECOND))
    assert result.short_answer == "Five fighters"
    loose = ExtractiveAnswerer(ScriptedReader(reader.script), 2, 0.5).answer(question, evidence(FIRST, SECOND))
    assert loose.short_answer == "Eight soldiers"


def test_a_question_may_name_its_document_by_number_or_name():
    reader = ScriptedReader({FIRST: ("Eight soldiers", 3.0), SECOND: ("Five fighters", 1.0)}, STRICT)
    question = "According to Field Report 2024-17, how many soldiers died near Palmyra?"
    assert ExtractiveAnswerer(reader, 2, 0.5).answer(question, evidence(FIRST, SECOND)).abstained
    named = {"r0.txt": DocumentTitle(frozenset({"field", "report"}), frozenset({"2024", "17"}))}
    titled = ExtractiveAnswerer(reader, 2, 0.5, lambda s: named.get(s, NO_TITLE))
    assert titled.answer(question, evidence(FIRST, SECOND)).short_answer == "Eight soldiers"


def test_features_are_what_the_calibration_weighs():
    [ev] = evidence(FIRST)
    span = PassageReading(0, FIRST.index("Eight"), FIRST.index(" died"), span_score=4.0, null_score=1.0)
    sentence = (FIRST.index("Eight"), FIRST.index(" Two"))
    f = reading_features("How many soldiers died near Palmyra in March?", ev, 1, span, sentence)
    assert f["margin"] == 3.0 and f["retrieved_first"] == 1.0 and f["log_rank"] == 0.0
    assert f["sentence_coverage"] == 0.8  # all its terms but "march", which the first sentence states
    assert f["paragraph_coverage"] == 1.0
    assert f["names_stated"] == 1.0 and f["numbers_stated"] == 1.0
    assert set(f) == set(load_reader().calibration.weights), "the committed calibration weighs every feature"


def test_words_naming_the_document_are_not_asked_of_its_paragraphs():
    [ev] = evidence(FIRST)
    span = PassageReading(0, FIRST.index("Eight"), FIRST.index(" died"), span_score=4.0, null_score=1.0)
    sentence = (FIRST.index("Eight"), FIRST.index(" Two"))
    question = "According to the Field Report, how many soldiers died near Palmyra?"
    plain = reading_features(question, ev, 1, span, sentence)
    titled = DocumentTitle(frozenset({"field", "report"}), frozenset())
    named = reading_features(question, ev, 1, span, sentence, titled)
    assert plain["sentence_coverage"] == 4 / 6  # soldiers, died, near, Palmyra; not "Field Report"
    assert named["sentence_coverage"] == 1.0  # "Field Report" names the document: not asked


def test_a_name_or_number_in_the_paragraphs_section_heading_is_stated():
    text = "Beware of systems making broad promises due to the use of blockchain."
    span = PassageReading(0, text.index("blockchain"), len(text) - 1, span_score=4.0, null_score=1.0)
    question = "In his 2023 commentary, Justin Cappos warns of systems making broad promises due to the use of what?"
    bare = ScoredParagraph(Paragraph("r0.txt", 1, 0, len(text), text), 1.0)
    headed = ScoredParagraph(Paragraph("r0.txt", 1, 0, len(text), text, "Commentary by Justin Cappos (2023)"), 1.0)
    plain = reading_features(question, bare, 1, span, (0, len(text)))
    under = reading_features(question, headed, 1, span, (0, len(text)))
    assert (plain["names_stated"], plain["numbers_stated"]) == (0.0, 0.0)
    assert (under["names_stated"], under["numbers_stated"]) == (1.0, 1.0)


def test_the_answers_sentence_is_weighed_by_how_like_the_question_it_reads():
    reader = ScriptedReader(
        {FIRST: ("Eight soldiers", 0.0), SECOND: ("Five fighters", 0.0)}, Calibration({"similarity": 10.0}, -5.0)
    )
    asked = []

    def similarity(question, where):
        asked.append([(p.text[s:e]) for p, (s, e) in where])
        return [0.9 if "soldiers" in p.text[s:e] else 0.1 for p, (s, e) in where]

    result = ExtractiveAnswerer(reader, 2, 0.5, similarity=similarity).answer(
        "How many soldiers died?", evidence(SECOND, FIRST)
    )
    assert asked == [["Five fighters were captured.", "Eight soldiers died in the attack near Palmyra."]]
    assert result.short_answer == "Eight soldiers" and result.probability > 0.95
    assert ExtractiveAnswerer(reader, 2, 0.5).answer("How many soldiers died?", evidence(FIRST)).abstained


def test_a_documents_title_comes_from_its_name_and_its_title_lines():
    from rag.retrieve import Corpus

    pdf = [
        Paragraph("nist-sp-800-207.pdf", 1, 0, 34, "NIST Special Publication 800-207", page=1),
        Paragraph("nist-sp-800-207.pdf", 2, 35, 49, "Version 1.1", page=1),
        Paragraph("nist-sp-800-207.pdf", 3, 50, 250, "In 2019 the council met 12 times. " * 5, page=1),
        Paragraph("nist-sp-800-207.pdf", 4, 251, 270, "Revised in 2020.", page=2),
        Paragraph("3e7f61a4_2023.txt", 1, 0, 11, "Field notes", page=None),
    ]
    corpus = Corpus(pdf)
    # Long running text on page one, and anything after it, does not name the document; a hashed name neither.
    nist = corpus.title("nist-sp-800-207.pdf")
    assert nist.numbers == {"800", "207", "1.1"}
    assert {"nist", "sp", "special", "publication", "version"} <= nist.words and "council" not in nist.words
    hashed = corpus.title("3e7f61a4_2023.txt")
    assert hashed.numbers == {"2023"} and hashed.words == {"field", "notes"}


def test_an_answer_never_merely_repeats_the_question():
    assert repeats_question("Who attacked the convoy in March?", "March")
    assert repeats_question("How many aircraft fell in the 30 strikes?", "30")
    assert not repeats_question("Who attacked the convoy in March?", "ISIS")
    reader = ScriptedReader({FIRST: ("March", 3.0), SECOND: ("2019", -1.0)})
    result = ExtractiveAnswerer(reader, 2, 0.5).answer("What happened in March?", evidence(FIRST, SECOND))
    assert result.abstained


AUDITS = "Here is a list of sample third-party audits:\n\n- Argo (2021)\n\n- etcd 3.4.3 (2020)\n\n- Flux (2021)"


def test_a_list_is_read_item_by_item_after_its_lead_in_and_the_item_is_the_quote():
    lead = "Here is a list of sample third-party audits:"
    script = {
        lead: ("sample", -4.0),
        f"{lead}\n- Argo (2021)": ("2021", 0.5),
        f"{lead}\n- etcd 3.4.3 (2020)": ("2020", 3.0),
        f"{lead}\n- Flux (2021)": ("2021", 0.2),
    }
    result = ExtractiveAnswerer(ScriptedReader(script), 1, 0.5).answer(
        "In what year was etcd 3.4.3 audited?", evidence(AUDITS)
    )
    assert result.short_answer == "2020" and result.answer == "- etcd 3.4.3 (2020) [1]"
    [c] = result.citations
    assert c.text[result.short_span.start : result.short_span.end] == "2020"
    assert c.quote == "- etcd 3.4.3 (2020)"


def test_a_span_the_reader_starts_on_the_lead_in_keeps_only_its_part_on_the_item_line():
    piece = next(p for p in reading_pieces("In what year was etcd audited?", AUDITS) if "etcd" in p.text)
    span = PassageReading(0, piece.text.index("audits"), piece.text.index("(2020)"), 1.0, 0.0)
    placed = piece.in_paragraph(span)
    assert AUDITS[placed.start : placed.end] == "- etcd 3.4.3 "
