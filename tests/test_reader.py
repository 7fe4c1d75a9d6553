"""The trained reader: its windows and span decoding, the committed weights, and the training code."""

import json

import numpy as np
import pytest

from rag.reader.features import Window, best_spans, windows
from rag.reader.model import CONFIG_FILE, WEIGHTS_DIR, WEIGHTS_FILE, ReaderConfig, load_tokenizer, packaged_base
from rag.reader.read import load_reader
from rag.reader.squad import exact_match, normalize, token_f1
from rag.types import Paragraph, ScoredParagraph

from .conftest import ROOT

SQUAD_TRAIN = ROOT.parent / "shared" / "benchmarks" / "squad2-dev-train" / "data.json"


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer(packaged_base())


def test_squad_normalization_and_scores():
    assert normalize("The  Eight, soldiers!") == "eight soldiers"
    assert exact_match("eight soldiers.", ["Eight soldiers"]) == 1.0
    assert token_f1("the eight soldiers of Division 11", ["eight soldiers"]) == pytest.approx(2 * (2 / 5) / (2 / 5 + 1))
    assert token_f1("anything", []) == 0.0


def test_windows_label_the_answer_tokens_and_cover_long_passages(tokenizer):
    config = ReaderConfig(max_length=48, stride=16)
    passage = " ".join(f"word{i}" for i in range(60)) + " The treaty was signed in 1648 at Westphalia."
    at = passage.index("1648")
    wins = windows(tokenizer, config, ["When was it signed?"], [passage], [(at, at + 4)])
    assert len(wins) > 1 and all(len(w.input_ids) <= 48 for w in wins)
    labelled = [w for w in wins if w.start_label]
    assert labelled, "the window holding the answer is labelled"
    for w in labelled:
        s, e = w.offsets[w.start_label][0], w.offsets[w.end_label][1]
        assert passage[s:e] == "1648"
    assert any(w.start_label == 0 for w in wins), "windows without the answer are no-answer examples"


def test_best_span_is_inside_the_passage_and_no_longer_than_allowed():
    offsets = [None, None, (0, 3), (4, 9), (10, 14), None]
    win = Window(0, [0] * 6, [0] * 6, offsets)
    starts = np.array([[1.0, 9.0, 0.5, 2.0, 0.1, 9.0]])  # question and separator tokens score high: ignored
    ends = np.array([[1.0, 9.0, 0.1, 0.2, 1.0, 9.0]])
    [r] = best_spans([win], starts, ends, 1, max_answer_tokens=30)
    assert (r.start, r.end) == (4, 14) and r.span_score == pytest.approx(3.0) and r.null_score == pytest.approx(2.0)
    assert r.margin == pytest.approx(1.0)
    [short] = best_spans([win], starts, ends, 1, max_answer_tokens=1)
    assert (short.start, short.end) == (4, 9)


def test_committed_weights_are_small_and_described():
    size = (WEIGHTS_DIR / WEIGHTS_FILE).stat().st_size
    assert size <= 25 * 1024 * 1024
    card = (WEIGHTS_DIR / "MODEL_CARD.md").read_text()
    assert "CC BY-SA 4.0" in card and "Apache-2.0" in card and "python -m rag.reader.train" in card
    info = json.loads((WEIGHTS_DIR / CONFIG_FILE).read_text())
    assert info["trained"]["validation_articles"], "the articles held out for calibration are recorded"


def test_the_reader_gives_a_crisp_span_and_knows_when_there_is_none():
    reader = load_reader()
    passage = (
        "The Peace of Westphalia was signed in 1648 in Osnabrück and Münster. It ended the Thirty Years' War, "
        "which had killed about eight million people."
    )
    [when] = reader.read("When was the Peace of Westphalia signed?", [passage])
    [deaths] = reader.read("How many people did the Thirty Years' War kill?", [passage])
    [unrelated] = reader.read("What is the boiling point of mercury?", [passage])
    assert passage[when.start : when.end] == "1648"
    assert "eight million" in passage[deaths.start : deaths.end]
    assert unrelated.margin < min(when.margin, deaths.margin)


def test_the_calibrated_answerer_answers_what_the_passage_says_and_abstains_on_what_it_does_not(tmp_path):
    import rag

    passage = (
        "The Peace of Westphalia was signed in 1648 in Osnabrück and Münster. It ended the Thirty Years' War, "
        "which had killed about eight million people."
    )
    evidence = [ScoredParagraph(Paragraph("history.txt", 1, 0, len(passage), passage), 1 / 61, 1, 1)]
    answerer = rag.Library(rag.Settings(index=tmp_path / "index")).extractive_answerer()
    signed = answerer.answer("When was the Peace of Westphalia signed?", evidence)
    assert not signed.abstained and signed.short_answer == "1648"
    assert signed.answer.startswith("The Peace of Westphalia was signed in 1648")
    assert answerer.answer("What is the boiling point of mercury?", evidence).abstained


@pytest.mark.skipif(not SQUAD_TRAIN.exists(), reason="needs ../shared/benchmarks/squad2-dev-train")
def test_training_runs_a_few_steps_and_writes_a_loadable_reader(tmp_path):
    from rag.reader import train

    out = tmp_path / "weights"
    info = train.train(
        train.arguments(
            ["--squad", str(SQUAD_TRAIN), "--out", str(out), "--limit", "12", "--max-steps", "2", "--batch-size", "4"]
            + ["--dev-qa", str(ROOT / "evals" / "dev_qa.jsonl"), "--reports", str(ROOT / "seeds"), "--device", "cpu"]
        )
    )
    assert info["trained"]["steps"] == 2 and info["validation"]["questions"] == 12
    assert set(info["trained"]["validation_articles"]).isdisjoint(info["trained"]["train_articles"])
    reader = load_reader(str(out))
    [reading] = reader.read("When was it signed?", ["It was signed in 1648."])
    assert 0 <= reading.start < reading.end <= len("It was signed in 1648.")


def test_near_misses_keep_the_words_but_lose_the_answer():
    from rag.reader.data import Example, swapped_questions, without_answer_sentence

    passage = "The Normans came from Normandy. They conquered England in 1066. Their language was French."
    start = passage.index("1066")
    asked = Example("q1", "When did the Normans conquer England?", passage, ("1066",), (start, start + 4), "Normans")
    article = {"Normans": [passage, "The Vikings raided Francia in 845. Rollo became a duke."]}

    [cut] = without_answer_sentence([asked], rate=1.0, seed=0)
    assert cut.answer is None and "1066" not in cut.passage and "Normandy" in cut.passage

    [swap] = swapped_questions([asked], article, rate=1.0, seed=0)
    assert swap.answer is None and swap.passage == passage
    changed = set(swap.question.split()) - set(asked.question.split())
    assert changed and not any(w.strip("?") in passage for w in changed)
    # Never the question word, never a name the passage does not state.
    assert swap.question.startswith("When did")


def test_short_passages_are_the_answer_line_alone_and_a_look_alike_line_without_it():
    from rag.reader.data import Example, short_passages

    passage = "The Normans came from Normandy. They conquered England in 1066. Their language was French."
    start = passage.index("1066")
    asked = Example("q1", "When did the Normans conquer England?", passage, ("1066",), (start, start + 4), "Normans")
    [line, near] = short_passages([asked], rate=1.0, seed=0)
    assert line.passage == "They conquered England in 1066."
    assert line.passage[slice(*line.answer)] == "1066"
    assert near.answer is None and near.passage == "The Normans came from Normandy."
