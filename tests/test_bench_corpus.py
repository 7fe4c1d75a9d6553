"""The bench's distractor generator keeps its promise: gold paragraphs stay the only ones stating their facts."""

from benchmarks.bench import _sentence_pool, eval_evidence, make_corpus

from .conftest import ROOT, SEEDS


def _distractors(corpus) -> list[str]:
    return [p for f in sorted(corpus.glob("distractor_*.txt")) for p in f.read_text(encoding="utf-8").split("\n\n")]


def test_no_distractor_repeats_a_seed_sentence_or_holds_eval_evidence(tmp_path):
    evidence = eval_evidence(ROOT / "evals" / "seed_qa.jsonl")
    corpus = make_corpus(2000, tmp_path / "c", SEEDS, protected=evidence)
    distractors = _distractors(corpus)
    assert len(distractors) == 2000
    seed_sentences = _sentence_pool(SEEDS, None)
    # Without the check, about a quarter of distractors held a seed sentence word for word (measured at 50k).
    assert not [d for d in distractors if any(s in d for s in seed_sentences)]
    assert not [d for d in distractors if any(e in d for e in evidence)]


def test_same_arguments_same_bytes_and_a_changed_argument_remakes(tmp_path):
    a = make_corpus(300, tmp_path / "a", SEEDS, seed=5)
    b = make_corpus(300, tmp_path / "b", SEEDS, seed=5)
    assert _distractors(a) == _distractors(b)
    before = _distractors(a)
    make_corpus(300, tmp_path / "a", SEEDS, seed=6)
    assert _distractors(a) != before, "a corpus made with other arguments must not be reused"
