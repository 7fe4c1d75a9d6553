from rag.text import content_terms, names_in, normalize_answer, number_words_to_digits, numbers_in, sentence_spans


def test_normalize_answer_treats_number_words_and_digits_alike():
    assert normalize_answer("Twenty-two soldiers") == normalize_answer("22 soldiers") == "22 soldiers"
    assert normalize_answer("The U.S.-led coalition") == "us led coalition"
    assert normalize_answer("one hundred and fifty attacks") == "150 attacks"
    assert normalize_answer("attacks in 2020^1 grabbed") == "attacks in 2020 1 grabbed"
    assert normalize_answer("1,000 fighters") == "1000 fighters"
    assert normalize_answer("an officer, the Army") == "officer army"


def test_number_words():
    assert number_words_to_digits("killed nine civilians and wounded four") == "killed 9 civilians and wounded 4"
    assert numbers_in("at least 286 attacks, more than double, and forty-one civilians") == {"286", "41"}


def test_sentences_respect_abbreviations_and_quotes():
    text = "Mr. Assad said no. He left at 3.5 p.m. yesterday. “It is over,” he said. Then U.S. forces came."
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    assert sentences[0] == "Mr. Assad said no."
    assert "“It is over,” he said." in sentences
    assert sentences[-1] == "Then U.S. forces came."


def test_a_sentence_ends_after_the_note_its_stop_calls():
    # The PDF reader marks superscript note numbers with "^": "design.^12 CaP ..." is two sentences, the mark
    # with the first; a mark inside a sentence ("2020^1") is no end.
    text = "The gland's design varies.^12 CaP and BPH are among these.^13,14 It rose in 2020^1 and fell."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "The gland's design varies.^12",
        "CaP and BPH are among these.^13,14",
        "It rose in 2020^1 and fell.",
    ]


def test_content_terms_stem_and_drop_stopwords():
    assert content_terms("How many soldiers were killed in the attacks?") == ["soldier", "kill", "attack"]
    assert content_terms("ISIS’s attacks") == content_terms("ISIS attacks")


def test_names_are_capitalized_words_that_do_not_open_a_sentence():
    assert names_in("The treaty was signed in Lisbon. Later it lapsed.") == {"lisbon"}
    assert names_in("Succinate (Toprol) is long-acting") == set(content_terms("Toprol"))
    assert names_in("1. Duration: the drug lasts. “Our site” is safe; However, it was NATO’s plan.") == {"nato"}


def test_compounds_are_codes_not_hyphenated_words():
    from rag.text import compounds, search_terms

    text = "ID.SC and M-19-17 (etcd 3.4.3, ISO/IEC 27001:2013) in al-Rasafa, a well-known e-mail"
    assert compounds(text) == ["id.sc", "m-19-17", "3.4.3", "iso/iec", "27001:2013"]
    assert {"id", "sc", "id.sc"} <= set(search_terms("the identifier ID.SC?"))


def test_a_subscript_typed_with_an_underscore_matches_the_word_a_pdf_prints():
    from rag.text import search_terms

    asked, printed = set(search_terms("What is G_transaction?")), set(search_terms("Gtransaction | 21000"))
    assert asked & printed and {"g", "transact"} <= asked  # its parts still count alone
