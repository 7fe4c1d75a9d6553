"""The trained claim checker (rag/checker): its training data, a few training steps, and the committed model."""

from pathlib import Path

import pytest

from rag.checker import data
from rag.checker.check import load_checker

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "benchmarks"
SQUAD_TRAIN = SHARED / "squad2-dev-train" / "data.json"
HALUEVAL = SHARED / "halueval-qa" / "data.jsonl"


def test_unsupported_variants_change_what_the_sentence_claims():
    sentence = "The treaty was signed in 1648 by 12 delegates."
    changed = data._change_number(sentence, __import__("random").Random(1))
    assert changed != sentence and len(changed) == len(sentence)
    assert data._negate(sentence) == "The treaty was not signed in 1648 by 12 delegates."
    assert data._negate("It was not signed.") == "It was signed."


def test_subtle_changes_alter_one_detail_and_looser_wordings_say_less():
    rng = __import__("random").Random(1)
    sentence = "Exports rose 4% in 2020, when the Treasury and the Federal Reserve eased policy (after the crisis)."
    assert data._replace_word(sentence, data._OPPOSITES, rng) == sentence.replace("rose", "fell")
    assert data._swap_roles("Funds went from the Treasury to the Federal Reserve.") == (
        "Funds went from the Federal Reserve to the Treasury."
    )
    added = data._add_detail("Exports rose 4% in 2020.", "Imports grew under the new tariff regime.", rng)
    assert added == "Exports rose 4% in 2020 under the new tariff regime."
    assert data._compress("Exports rose 4% in 2020 (after the crisis), which helped the Treasury.") == (
        "Exports rose 4% in 2020."
    )
    assert data._join("Exports rose 4%.", "Imports fell.") is None  # too short to be a claim of its own
    assert data._join("Exports rose 4%.", "Imports fell by a tenth.") == "Exports rose 4%, and Imports fell by a tenth."
    base = [data.Claim("q1-supported", "What rose?", sentence, sentence + " Imports grew slowly this year.", True, "a")]
    made = data.subtle_claims(base, 3)
    assert {c.supported for c in made} == {True, False} and all(c.group == "a" for c in made)


def test_halueval_splits_are_disjoint_and_the_held_out_items_are_never_trained_on():
    splits = [data.halueval_split(i) for i in range(10000)]
    assert splits.count("held_out") == splits.count("validation") == 1000 and splits.count("train") == 8000
    assert all(data.halueval_split(i) == "held_out" for i in data.HALUEVAL_HELD_OUT)


def test_a_hallucinated_sentence_gets_its_corrected_twin_and_the_invented_name_alone():
    item = {
        "knowledge": "The Oberoi Group is a hotel company with its head office in Delhi.",
        "question": "The Oberoi family is part of a hotel company that has a head office in what city?",
        "right_answer": "Delhi",
        "hallucinated_answer": "The Oberoi family's hotel company is based in Mumbai.",
    }
    assert data.corrected_hallucination(item) == ("The Oberoi family's hotel company is based in Delhi.", "Mumbai")
    # Two invented names: which one the right answer replaces is not known, so no pair is made.
    assert data.corrected_hallucination({**item, "hallucinated_answer": "Mumbai and Pune house its offices."}) is None


@pytest.mark.skipif(not HALUEVAL.exists(), reason="needs ../shared/benchmarks")
def test_claim_length_alone_does_not_tell_supported_from_unsupported():
    import numpy as np

    from rag.checker.train import auc

    claims = data.halueval_claims(HALUEVAL, "validation", 0.5, 13)
    words = np.array([len(c.claim.split()) for c in claims], float)
    assert 0.4 <= auc(-words, np.array([c.supported for c in claims])) <= 0.6  # right vs hallucinated alone: 0.77


@pytest.mark.skipif(not (SQUAD_TRAIN.exists() and HALUEVAL.exists()), reason="needs ../shared/benchmarks")
def test_training_runs_a_few_steps_and_writes_a_loadable_checker(tmp_path):
    from rag.checker import train

    out = tmp_path / "weights"
    info = train.train(
        train.arguments(
            ["--out", str(out), "--limit", "16", "--max-steps", "2", "--batch-size", "4", "--device", "cpu"]
        )
    )
    assert info["trained"]["steps"] == 2
    # Training on from those weights, with the subtle claims added, works the same way.
    again = tmp_path / "again"
    args = ["--out", str(again), "--init", str(out), "--subtle", "--limit", "16", "--max-steps", "1"]
    again_info = train.train(train.arguments(args + ["--batch-size", "4", "--device", "cpu"]))
    assert again_info["trained"]["init"] == str(out) and "subtle" in again_info["validation"]
    assert set(info["trained"]["validation_articles"]).isdisjoint(info["trained"]["train_articles"])
    assert set(info["validation"]) == {"halueval", "squad"}
    [p] = load_checker(str(out)).support("When was it signed?", ["1648"], ["It was signed in 1648."])
    assert 0.0 <= p <= 1.0


WEIGHTS = ROOT / "rag" / "checker" / "weights"


def test_the_committed_checker_is_small_and_says_where_it_came_from():
    assert (WEIGHTS / "checker.safetensors").stat().st_size <= 25 * 2**20
    card = (WEIGHTS / "MODEL_CARD.md").read_text()
    for needed in ("CC BY-SA 4.0", "MIT", "Apache-2.0", "python -m rag.checker.train", "rag.checker.calibrate"):
        assert needed in card, needed


def test_the_committed_checker_tells_a_stated_fact_from_a_changed_one_whatever_their_length():
    checker = load_checker()
    passage = "The Peace of Westphalia was signed in 1648 in Osnabrück and Münster. It ended the Thirty Years' War."
    question = "When was the Peace of Westphalia signed?"
    claims = [
        "1648",
        "1748",
        "The Peace of Westphalia was signed in 1648.",
        "The Peace of Westphalia was signed in 1748.",
    ]
    short_right, short_wrong, long_right, long_wrong = checker.support(question, claims, [passage] * 4)
    assert short_right >= checker.threshold > short_wrong
    assert long_right >= checker.threshold > long_wrong


def test_a_claim_longer_than_the_checker_reads_is_checked_to_its_last_word():
    checker = load_checker()
    passage = "The Peace of Westphalia was signed in 1648 in Osnabrück and Münster. It ended the Thirty Years' War."
    question = "When was the Peace of Westphalia signed?"
    stated = "The Peace of Westphalia was signed in 1648 in Osnabrück and Münster and ended the Thirty Years' War"
    padding = ", the treaty of Osnabrück and Münster that was signed in 1648 and ended the Thirty Years' War" * 3
    invented = (
        ", after which the Swedish king converted to a new faith, moved the capital of his kingdom to a small island"
        " off the coast of Africa, built a fleet of wooden ships to trade spices with merchants from distant ports,"
        " and wrote a long book of poems about the sea that his grandchildren later translated into many languages."
    )
    assert len((stated + padding).split()) > 60  # the invented part lies beyond what the checker reads at once
    whole, read_at_once = checker.support(question, [stated + padding + invented, stated + padding], [passage] * 2)
    assert read_at_once >= checker.threshold > whole


def test_checking_in_bfloat16_judges_as_float32_does():
    passage = "The Peace of Westphalia was signed in 1648 in Osnabrück and Münster. It ended the Thirty Years' War."
    question = "When was the Peace of Westphalia signed?"
    claims = ["1648", "1748", "It was signed in Münster in 1648.", "It ended the Hundred Years' War."]
    exact = load_checker(str(WEIGHTS), bf16=False).support(question, claims, [passage] * 4)
    fast = load_checker(str(WEIGHTS), bf16=True).support(question, claims, [passage] * 4)
    assert abs(exact - fast).max() < 0.03
    assert ((exact >= 0.6) == (fast >= 0.6)).all()
