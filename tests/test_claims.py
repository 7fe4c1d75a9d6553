"""Checking an LLM's reply claim by claim (rag/answer/grounded.py), with a scripted checker: the reply's
structure, framing, re-citing and the per-claim record."""

import numpy as np

from rag.answer.grounded import Verifier
from rag.text import content_terms
from rag.types import Paragraph, ScoredParagraph

LONG = "Metoprolol succinate (Toprol) is a long-acting form taken once a day."
SHORT = "Metoprolol tartrate (Lopressor) is a short-acting form taken twice a day."


class WordChecker:
    """Supports a claim when the passage holds every content word of it."""

    threshold = 0.5

    def support(self, question, claims, passages):
        return np.array([float(set(content_terms(c)) <= set(content_terms(p))) for c, p in zip(claims, passages)])


class YesChecker(WordChecker):
    """Supports every claim: what the number-and-name rule removes, it removes before the checker reads it."""

    def support(self, question, claims, passages):
        return np.ones(len(claims))


def verifier():
    def embed(texts):
        return np.ones((len(texts), 4), np.float32)

    def sentence_vectors(paragraphs):
        return [np.ones((1, 4), np.float32) for _ in paragraphs]

    return Verifier(lambda: WordChecker(), None, embed, sentence_vectors)


def evidence(*texts):
    return [ScoredParagraph(Paragraph(f"d{i}.txt", 1, 0, len(t), t), 1.0, 1, 1) for i, t in enumerate(texts)]


def test_a_list_keeps_its_framing_and_order_and_loses_only_the_unsupported_item():
    reply = (
        "Based on the passages, the main differences are:\n"
        "1. Duration: Metoprolol succinate (Toprol) is a long-acting form [1].\n"
        "2. Metoprolol tartrate (Lopressor) is a short-acting form [2].\n"
        "3. Metoprolol cures migraines in children [1]."
    )
    text, citations, abstained, report = verifier().verify("How do they differ?", reply, evidence(LONG, SHORT))
    assert not abstained
    assert text.splitlines() == [
        "The main differences are:",
        "1. Duration: Metoprolol succinate (Toprol) is a long-acting form. [1]",
        "2. Metoprolol tartrate (Lopressor) is a short-acting form. [2]",
    ]
    assert [c.source for c in citations] == ["d0.txt", "d1.txt"]
    verdicts = [(c.verdict, c.paragraph) for c in report.claims]
    assert verdicts == [("framing", None), ("kept", "d0.txt#1"), ("kept", "d1.txt#1"), ("removed", "d0.txt#1")]
    assert report.to_dict()["dropped"] == 1 and report.to_dict()["claims"][3]["reason"] == "no passage supports it"


def test_a_claim_citing_the_wrong_passage_is_recited_to_the_one_that_supports_it():
    text, citations, _, report = verifier().verify(
        "Which is long-acting?", "Metoprolol succinate is a long-acting form [2].", evidence(LONG, SHORT)
    )
    assert text == "Metoprolol succinate is a long-acting form. [1]"
    assert citations[0].source == "d0.txt" and report.fixed == 1


def test_framing_with_nothing_after_it_that_holds_is_not_an_answer():
    text, citations, abstained, report = verifier().verify(
        "How do they differ?", "The differences are:\n- Metoprolol cures migraines [1].", evidence(LONG, SHORT)
    )
    assert text == "" and citations == [] and not abstained
    assert [c.verdict for c in report.claims] == ["framing", "removed"]


def test_a_number_the_passage_does_not_state_is_removed_whatever_the_checker_says():
    v = verifier()
    v._load_checker = lambda: YesChecker()
    text, _, _, report = v.verify("How often?", "Toprol is taken 3 times a day [1].", evidence(LONG))
    assert text == "" and report.claims[0].verdict == "removed"
    assert report.claims[0].reason == 'states "3", which no passage does'


def test_details_stated_in_other_words_go_to_the_checker_not_the_number_and_name_rule():
    v = verifier()
    v._load_checker = lambda: YesChecker()
    passage = "The study followed 1,612 engineers; admins must use multi-factor authentication and 400 gigabytes."
    reply = "About 1,600 engineers took part [1]. Admins need MFA and 400 GB [1]. It lasted two years [1]."
    _, _, _, report = v.verify("What did the study find?", reply, evidence(passage))
    assert [c.verdict for c in report.claims] == ["kept", "kept", "kept"]


def test_clauses_joined_by_while_are_judged_apart_and_rejoined_when_both_stay():
    reply = "Metoprolol succinate is a long-acting form, while metoprolol tartrate is a short-acting form [1]."
    text, citations, _, report = verifier().verify("How do they differ?", reply, evidence(LONG, SHORT))
    assert [(c.text, c.verdict) for c in report.claims] == [
        ("Metoprolol succinate is a long-acting form", "kept"),
        ("metoprolol tartrate is a short-acting form.", "re-cited"),
    ]
    assert text == (
        "Metoprolol succinate is a long-acting form [1], while metoprolol tartrate is a short-acting form. [2]"
    )
    assert [c.source for c in citations] == ["d0.txt", "d1.txt"]


def test_an_unsupported_clause_goes_and_the_rest_of_its_sentence_stays():
    reply = "Metoprolol succinate is a long-acting form, but metoprolol cures migraines in children [1]."
    text, _, _, report = verifier().verify("How do they differ?", reply, evidence(LONG, SHORT))
    assert text == "Metoprolol succinate is a long-acting form. [1]"
    assert [c.verdict for c in report.claims] == ["kept", "removed"]
    reply = "Metoprolol cures migraines in children, and metoprolol succinate is a long-acting form [1]."
    text, _, _, _ = verifier().verify("How do they differ?", reply, evidence(LONG, SHORT))
    assert text == "Metoprolol succinate is a long-acting form. [1]"


class SubjectChecker(WordChecker):
    """As WordChecker, but doubts a claim that opens with a pronoun, as the trained checker does."""

    def support(self, question, claims, passages):
        found = super().support(question, claims, passages)
        return np.array([0.0 if c.split()[0].lower() in ("it", "they") else p for c, p in zip(claims, found)])


def test_a_sentence_opening_with_a_pronoun_is_read_with_the_sentence_before_it():
    check = Verifier(lambda: SubjectChecker(), None, verifier()._embed, verifier()._sentence_vectors)
    reply = "Metoprolol succinate is a long-acting form [1]. It is taken once a day [1]."
    text, _, _, report = check.verify("How is succinate taken?", reply, evidence(LONG, SHORT))
    assert text == "Metoprolol succinate is a long-acting form. [1] It is taken once a day. [1]"
    assert [(c.verdict, c.reason) for c in report.claims] == [
        ("kept", ""),
        ("kept", "read with the sentence before it"),
    ]
    reply = "Metoprolol succinate is a long-acting form [1]. It cures migraines in children [1]."
    text, _, _, report = check.verify("How is succinate taken?", reply, evidence(LONG, SHORT))
    assert text == "Metoprolol succinate is a long-acting form. [1]"
    assert [c.verdict for c in report.claims] == ["kept", "removed"]


def test_a_list_of_nouns_is_one_claim():
    reply = "Metoprolol succinate is a long-acting form taken once a day, and tartrate twice [1]."
    _, _, _, report = verifier().verify("How?", reply, evidence(LONG, SHORT))
    assert len(report.claims) == 1


def test_a_conclusion_that_sums_up_kept_claims_stays_and_is_not_counted_against_the_answer():
    reply = (
        "Metoprolol succinate is a long-acting form [1].\n"
        "Metoprolol tartrate is a short-acting form [2].\n"
        "In summary, metoprolol succinate is long-acting while metoprolol tartrate is short-acting."
    )
    text, _, _, report = verifier().verify("How do they differ?", reply, evidence(LONG, SHORT))
    assert text.splitlines()[-1] == (
        "In summary, metoprolol succinate is long-acting while metoprolol tartrate is short-acting. [1] [2]"
    )
    assert [c.verdict for c in report.claims] == ["kept", "kept", "restates"]
    assert (report.checked, report.dropped) == (2, 0)


def test_a_conclusion_that_adds_something_new_is_removed():
    reply = "Metoprolol succinate is a long-acting form [1].\nIn summary, metoprolol succinate is safer for children."
    text, _, _, report = verifier().verify("How do they differ?", reply, evidence(LONG, SHORT))
    assert text == "Metoprolol succinate is a long-acting form. [1]"
    assert [c.verdict for c in report.claims] == ["kept", "removed"]


def test_echoed_prompt_fences_and_talk_about_the_question_are_not_claims():
    reply = "</passage 2> The question asks about the metoprolol forms. Metoprolol succinate is a long-acting form [1]."
    text, _, _, report = verifier().verify("Which is long-acting?", reply, evidence(LONG, SHORT))
    assert text == "Metoprolol succinate is a long-acting form. [1]"
    assert [c.verdict for c in report.claims] == ["kept"]


def test_a_caveat_about_the_passages_stays_beside_kept_claims_uncounted():
    reply = "Metoprolol succinate (Toprol) is a long-acting form [1]. The passages do not mention its price."
    text, citations, abstained, report = verifier().verify("How does it act?", reply, evidence(LONG))
    assert not abstained and len(citations) == 1
    assert text == "Metoprolol succinate (Toprol) is a long-acting form. [1] The passages do not mention its price."
    assert sorted(c.verdict for c in report.claims) == ["caveat", "kept"] and report.checked == 1
    assert report.dropped == 0


def test_a_caveat_alone_is_no_answer_and_a_factual_not_available_is_no_caveat():
    text, citations, _, _ = verifier().verify(
        "What does it cost?", "The passages do not mention its price.", evidence(LONG)
    )
    assert not citations
    _, _, _, report = verifier().verify(
        "Who can take it?", "Toprol is a long-acting form [1]. It is not available to children [1].", evidence(LONG)
    )
    assert sorted(c.verdict for c in report.claims) == ["kept", "removed"]
