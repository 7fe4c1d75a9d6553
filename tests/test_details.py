"""The numbers-and-names rule (rag/answer/details.py): what it compares by rule and what it leaves to the checker."""

import pytest

from rag.answer.details import ParagraphDetails, lacking
from rag.text import content_terms

PASSAGE = (
    "The randomized study followed 1,612 software engineers in 2021. Admins must use multi-factor authentication. "
    "The new cell stores 310 watt-hours per kilogram; its cost per kilowatt-hour is unchanged. Logs use SIEM tools. "
    "It enrolled patients with heart failure and reduced ejection fraction. Waits fell in the second quarter, and "
    "the nine Sentinel MR2 aircraft will be replaced."
)

ASKED = set(content_terms("What did the study find?"))


@pytest.mark.parametrize(
    "claim",
    [
        "About 1,600 engineers took part.",  # rounded: fewer significant digits, within 5%
        "Admins need MFA.",  # an abbreviation of the paragraph's phrase
        "It stores 310 Wh/kg at the same cost per kWh.",  # unit symbols
        "Logs go to Security Information and Event Management tools.",  # spelled out: the paragraph says SIEM
        "It had three reasons and a one-click report button.",  # numbers in words: the checker reads them
        "It enrolled HFrEF patients.",  # an abbreviation passing over "and"
        "Waits fell in Q2.",  # a quarter by its number
        "The Sentinel MR2s go.",  # an abbreviation's plural
    ],
)
def test_details_reworded_are_left_to_the_checker(claim):
    assert lacking(claim, ParagraphDetails.of(PASSAGE, ASKED)) == set()


@pytest.mark.parametrize(
    "claim, missing",
    [
        ("The study followed 1,712 engineers.", {"1712"}),  # a changed figure: the same precision, not a rounding
        ("About 1,400 engineers took part.", {"1400"}),  # too far from 1,612 to be a rounding of it
        ("It ran in 2022.", {"2022"}),
        ("Admins must use FBI tools.", {"fbi"}),  # no phrase of the paragraph abbreviates to it
        ("The study was run by Stanford.", {"stanford"}),
        ("Waits fell in Q3.", {"q3"}),  # the paragraph says the second quarter
        ("It enrolled HFpEF patients.", {"hfpef"}),
    ],
)
def test_details_the_paragraph_lacks_are_named(claim, missing):
    assert lacking(claim, ParagraphDetails.of(PASSAGE, ASKED)) == missing


def test_a_name_the_question_states_is_known():
    assert (
        lacking(
            "Engineers at Acme worked from home.",
            ParagraphDetails.of(PASSAGE, set(content_terms("What did Acme find?"))),
        )
        == set()
    )


WORDED = (
    "The league dominated Baltic trade for three centuries and declined in the 15th century. The chain would control "
    "more than half of the market. Sunday opening returns from noon to 5 p.m.; two thirds of branches keep their hours."
)


@pytest.mark.parametrize(
    "claim",
    [
        "It controlled Baltic trade for about 300 years.",  # three centuries
        "Its power faded in the 1400s.",  # the 15th century
        "It would hold over 50% of the market.",  # more than half
        "Sunday hours are 12 to 5 p.m.",  # noon
        "67% of branches keep their hours.",  # two thirds
    ],
)
def test_numbers_the_paragraph_says_in_words_are_stated(claim):
    assert lacking(claim, ParagraphDetails.of(WORDED, ASKED)) == set()


@pytest.mark.parametrize(
    "claim, missing",
    [
        ("It controlled Baltic trade for 200 years.", {"200"}),
        ("Its power faded in the 1500s.", {"1500"}),
        ("It would hold 60% of the market.", {"60"}),
    ],
)
def test_a_number_other_than_the_one_said_in_words_is_lacking(claim, missing):
    assert lacking(claim, ParagraphDetails.of(WORDED, ASKED)) == missing
