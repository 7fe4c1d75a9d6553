import pytest

import rag
from rag.chat import condense, is_follow_up, rewrite_follow_up
from tests.fakes import ScriptedLLM


@pytest.mark.parametrize(
    "previous, follow_up, standalone",
    [
        (
            "How many attacks were there in Homs in July?",
            "and in Hama?",
            "How many attacks were there in Hama in July?",
        ),
        (
            "How many attacks were there in Homs in July?",
            "What about in June?",
            "How many attacks were there in Homs in June?",
        ),
        ("Who commands the Ghaith Forces in Deir Ez Zor?", "Raqqa?", "Who commands the Ghaith Forces in Raqqa?"),
        (
            "When did Abu Hafs take over ISIS?",
            "and Abu Bakr al-Baghdadi?",
            "When did Abu Hafs take over Abu Bakr al-Baghdadi?",
        ),
        (
            "How many soldiers died in March?",
            "How many civilians died in Homs in March?",
            "How many civilians died in Homs in March?",
        ),
    ],
)
def test_rule_based_rewrite(previous, follow_up, standalone):
    assert rewrite_follow_up(previous, follow_up) == standalone


def test_what_counts_as_a_follow_up():
    assert is_follow_up("and in Hama?") and is_follow_up("Hama?") and is_follow_up("What did they do there?")
    assert not is_follow_up("How many civilians did ISIS kill in central Syria in March?")


def test_condense_takes_a_sensible_model_rewrite_and_ignores_rambling():
    good = ScriptedLLM("How many attacks were there in Hama in July?")
    assert condense("How many attacks were there in Homs in July?", "and in Hama?", good) == (
        "How many attacks were there in Hama in July?"
    )
    rambling = ScriptedLLM("Sure! Here is the question you asked me to rewrite, it is about Hama")
    assert condense("How many attacks were there in Homs in July?", "and in Hama?", rambling) == (
        "How many attacks were there in Hama in July?"
    )
    assert condense(None, "and in Hama?", good) == "and in Hama?"


def test_chat_keeps_history_and_answers_the_follow_up(hash_settings, seeds_copy):
    lib = rag.Library(hash_settings)
    lib.ingest([seeds_copy])
    session = rag.ChatSession()
    first = lib.chat(session, "On July 8, how many soldiers were killed near the Andarin region of east Hama?")
    follow = lib.chat(session, "and on July 13?")
    assert follow.question == "and on July 13?"
    assert (
        follow.meta.standalone_question
        == "On July 13, how many soldiers were killed near the Andarin region of east Hama?"
    )
    assert [t[0] for t in session.turns] == [first.question, "and on July 13?"]
