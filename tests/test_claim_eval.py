"""rag eval-claims: labelled answers through the real pipeline, scored as the LLM-answers issue asks."""

import json

import pytest
from typer.testing import CliRunner

from rag import claim_eval
from rag.cli import app

PASSAGE = "The Peace of Westphalia was signed in 1648 in Osnabrück and Münster. It ended the Thirty Years' War."


def write_items(path):
    items = [
        {
            "id": "a",
            "question": "When was the Peace of Westphalia signed?",
            "passages": [PASSAGE],
            "answer": "The Peace of Westphalia was signed in 1648.",
            "label": "supported",
            "dataset": "toy",
        },
        {
            "id": "b",
            "question": "When was the Peace of Westphalia signed?",
            "passages": [PASSAGE],
            "answer": "The Peace of Westphalia was signed in 1748 in Vienna.",
            "label": "hallucinated",
            "dataset": "toy",
        },
    ]
    path.write_text("\n".join(json.dumps(i) for i in items) + "\n")
    return path


def test_items_load_from_jsonl_and_from_a_halueval_split(tmp_path):
    items = claim_eval.load_items(write_items(tmp_path / "toy.jsonl"))
    assert [(i.id, i.supported, i.dataset) for i in items] == [("a", True, "toy"), ("b", False, "toy")]
    halu = tmp_path / "halu.jsonl"
    line = {"knowledge": PASSAGE, "question": "When?", "right_answer": "1648", "hallucinated_answer": "In 1748."}
    halu.write_text("\n".join(json.dumps(line) for _ in range(9002)))
    held_out = claim_eval.load_items(halu, "held_out")
    assert [i.id for i in held_out] == ["halueval-9000-right", "halueval-9000-hallucinated"] + [
        "halueval-9001-right",
        "halueval-9001-hallucinated",
    ]


def test_a_bad_label_names_the_file_and_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"question": "q", "passages": ["p"], "answer": "a", "label": "maybe"}) + "\n")
    with pytest.raises(claim_eval.ClaimSetError, match=r"bad.jsonl, line 1: label must be"):
        claim_eval.load_items(bad)


def test_eval_claims_flags_the_hallucination_and_passes_the_supported_answer(tmp_path):
    out = tmp_path / "claims.json"
    result = CliRunner().invoke(
        app,
        [
            "eval-claims",
            "--set",
            str(write_items(tmp_path / "toy.jsonl")),
            "--index",
            str(tmp_path / "idx"),
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(out.read_text())["summary"]["toy"]
    assert summary["hallucinated_flagged"] == 1.0 and summary["supported_intact"] == 1.0
    assert summary["ms_p95"] > 0


def test_the_answer_level_threshold_separates_weak_hallucinations_from_supported_answers():
    def outcome(supported, weakest, intact=True):
        return claim_eval.ItemOutcome("x", "toy", supported, intact, 1, 1, False, False, True, 1.0, "a", weakest)

    outcomes = [outcome(True, 0.9), outcome(True, 0.6), outcome(False, 0.3), outcome(False, 0.05, intact=False)]
    threshold, report = claim_eval.fit_threshold(outcomes, used=0.01)
    assert 0.3 < threshold <= 0.6
    assert report == {"toy": {"items": 4, "hallucinated_flagged": 1.0, "supported_intact": 1.0}}


def test_each_answer_set_weighs_the_same_in_the_threshold_whatever_its_size():
    def outcome(dataset, supported, weakest):
        return claim_eval.ItemOutcome("x", dataset, supported, True, 1, 1, False, False, True, 1.0, "a", weakest)

    # A large set whose answers split at 0.5, and a small one (reworded answers) whose supported answers score
    # lower: the threshold serves both, not just the large one.
    big = [outcome("big", True, 0.6)] * 50 + [outcome("big", False, 0.45)] * 50
    small = [outcome("small", True, 0.4), outcome("small", False, 0.1)]
    threshold, report = claim_eval.fit_threshold(big + small, used=0.01)
    assert 0.1 < threshold <= 0.4 and report["small"]["supported_intact"] == 1.0
