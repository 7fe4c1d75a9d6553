import pytest

from rag.answer.gated import (
    DATE,
    DAY,
    NAME,
    NUMBER,
    PERSON,
    PLACE,
    YEAR,
    expected_type,
    has_new_answer_of_type,
    number_near_focus,
    question_specifics_supported,
)


@pytest.mark.parametrize(
    "question, kind",
    [
        ("How many soldiers were killed?", NUMBER),
        ("What was the death toll in March?", NUMBER),
        ("In what year did Palmyra fall?", YEAR),
        ("On what exact date did the attack happen?", DAY),
        ("When did Abu Hafs take over?", DATE),
        ("What is the name of the officer who was executed?", PERSON),
        ("Which researcher counted the attacks?", PERSON),
        ("Where did the airstrikes take place?", PLACE),
        ("In which governorate is Mayadin?", PLACE),
        ("Who monitors the war?", NAME),
        ("Which unit arrived in March?", NAME),
        ("Why did the attacks increase?", None),
    ],
)
def test_expected_type(question, kind):
    assert expected_type(question) == kind


def test_a_number_already_in_the_question_is_no_answer():
    q = "How many aircraft were lost in the 30 airstrikes?"
    assert not has_new_answer_of_type(NUMBER, "Russian warplanes conducted over 30 airstrikes.", q)
    assert has_new_answer_of_type(NUMBER, "Two aircraft were lost in the 30 airstrikes.", q)
    assert has_new_answer_of_type(NUMBER, "Hundreds of fighters joined.", "How many fighters joined?")


def test_dates_by_granularity():
    s = "The group attacked a bus in 2024, weeks after the March 5 strikes."
    assert has_new_answer_of_type(YEAR, s, "In what year was the bus attacked?")
    assert not has_new_answer_of_type(YEAR, s, "In what year, 2024, was it?")
    assert has_new_answer_of_type(DAY, s, "On what date were the strikes?")
    assert not has_new_answer_of_type(
        DAY, "The recent attack on a bus in 2024 was severe.", "On what date was the bus hit?"
    )
    assert has_new_answer_of_type(DATE, "It took over in August 2023.", "When did it take over?")


def test_person_needs_a_name_not_an_organization():
    q = "What was the name of the officer among the executed soldiers?"
    org = "The Syrian Observatory for Human Rights confirmed the execution of eight soldiers, including an officer."
    assert not has_new_answer_of_type(PERSON, org, q)
    assert has_new_answer_of_type(PERSON, "The officer, Colonel Ahmad Khalil, was among them.", q)
    assert has_new_answer_of_type(PERSON, "“It is over,” Landis said.", "Which expert said it is over?")
    assert not has_new_answer_of_type(PERSON, "The Iraqi fighters left in March.", "Which leader left?")


def test_numbers_in_the_question_must_be_in_the_evidence():
    assert question_specifics_supported("How many attacks in 2019?", "In 2019 there were 140 attacks.")
    assert not question_specifics_supported("How many attacks in 2019?", "In 2020 there were 286 attacks.")


def test_the_counted_thing_sits_next_to_the_number():
    assert number_near_focus("How many civilians were killed?", "ISIS killed 84 soldiers and 44 civilians.")
    assert not number_near_focus("How many aircraft were lost?", "Russian warplanes conducted over 30 airstrikes.")


def test_a_deputy_is_not_the_head():
    from rag.answer.gated import qualifiers_agree

    assert not qualifiers_agree("Who heads the Center?", "Alexander Karpov, deputy head of the Center, said.")
    assert not qualifiers_agree("Who is the deputy director?", "Joshua Landis, director of the Center, said.")
    assert qualifiers_agree("Who is the deputy head of the Center?", "Alexander Karpov, deputy head of the Center.")


def test_people_are_recognised_by_role_or_speech_not_by_capitals():
    q = "Who led the cell?"
    assert not has_new_answer_of_type(PERSON, "There was an IED attack inside Deir Ez Zor city.", q)
    assert has_new_answer_of_type(PERSON, "Its leader Abu Bakr al-Baghdadi was killed in 2019.", q)
    assert has_new_answer_of_type(PERSON, "The count is by Gregory Waters, a researcher at the Institute.", q)
    assert not has_new_answer_of_type(
        PERSON,
        "The Iraqi Abu Hafs al-Hashemi al-Qurashi took over in 2023.",
        "Who preceded Abu Hafs al-Hashemi al-Qurashi?",
    )


def test_attributions_and_times():
    from rag.answer.gated import question_entities, times_agree

    assert question_entities("According to the Al Mayadeen report, how many attacks?") == [("Al Mayadeen", True)]
    assert question_entities("How many attacks were recorded in Iraq?") == [("Iraq", False)]
    assert question_entities("What did Business Insider report about Homs?") == [
        ("Business Insider", True),
        ("Homs", False),
    ]
    assert not times_agree("How many attacks in Hama in March?", "ISIS conducted three attacks in Hama in February.")
    assert times_agree("How many attacks in Hama in March?", "In March, there were 12 attacks.")
    assert times_agree("How many attacks in Hama in March?", "There were 12 attacks.")
