"""Fit the gated answerer's support model and abstention threshold (rag/answer/gated.py).

    .venv/bin/python evals/calibrate_gated.py                   # fit on dev_qa + SQuAD subset, report seed_qa
    .venv/bin/python evals/calibrate_gated.py --threshold-only  # keep the weights, pick min_support
    .venv/bin/python evals/calibrate_gated.py --report-only     # just score the current weights

The model is a logistic regression over per-sentence features (rag.answer.gated.py): a sentence is a
positive when it states a gold answer and lies in the gold paragraph. The abstention threshold is the
lowest that gets the most questions right (answers right + correct abstentions, the mean over the report
development sets: evals/dev_qa.jsonl and, where it is present, the real published PDFs of
../shared/corpora/real-reports), among those that keep false abstentions on dev_qa within the bound. The seed
set (evals/seed_qa.jsonl) is the held-out test set: it is reported here, never fitted on. Paste the printed
WEIGHTS, BIAS and min_support into rag.answer.gated.py and rag/settings.py.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import rag  # noqa: E402
from rag import evals  # noqa: E402
from rag.answer import gated as extractive  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SQUAD = ROOT.parent / "shared" / "benchmarks" / "squad2-dev-subset" / "data.json"
REAL_REPORTS = ROOT.parent / "shared" / "corpora" / "real-reports"
KEYS = list(extractive.WEIGHTS)


@dataclass
class Question:
    answerable: bool
    features: np.ndarray  # one row per candidate sentence: the weighted features
    gates: np.ndarray  # True where the sentence passes every gate
    labels: np.ndarray  # 1 where the sentence states a gold answer in the gold paragraph


def _questions(lib, asked: list[tuple[str, bool, list[str], Callable[[str], bool]]]) -> list[Question]:
    """Every candidate sentence's features for each (question, answerable, answers, holds-the-evidence) row."""
    scorer = lib.sentence_scorer()
    out = []
    for question, answerable, answers, holds_evidence in asked:
        cands = scorer.features(question, lib.retrieve(question))
        feats = np.array([[c.features[k] for k in KEYS] for c in cands]).reshape(-1, len(KEYS))
        gates = np.array([all(c.features[g] >= 1.0 for g in extractive.GATES) for c in cands], dtype=bool)
        labels = np.array(
            [
                answerable and holds_evidence(c.evidence.paragraph.text) and evals.is_correct(c.text, answers)
                for c in cands
            ],
            dtype=float,
        )
        out.append(Question(answerable, feats, gates, labels))
    return out


def collect(set_path: Path, index: Path) -> list[Question]:
    items, corpus = evals.load_set(set_path, ROOT / "seeds", index)
    lib = rag.open(index)
    lib.ingest([corpus])
    return _questions(
        lib,
        [(i.question, i.answerable, i.answers, lambda text, ev=i.evidence: ev in text) for i in items],
    )


def collect_real_reports(index: Path) -> list[Question]:
    """The real PDFs' development questions; their evidence is raw pypdf text, matched as evals/pdf_text.py
    folds it."""
    sys.path.insert(0, str(ROOT / "evals"))
    from real_reports import holds

    rows = [
        json.loads(line) for line in (REAL_REPORTS / "dev_qa.jsonl").read_text(encoding="utf-8").splitlines() if line
    ]
    lib = rag.open(index)
    lib.ingest(sorted(REAL_REPORTS.glob("*.pdf")))
    return _questions(
        lib,
        [
            (r["question"], r["answerable"], r["answers"], lambda text, ev=r.get("evidence", ""): holds(text, ev))
            for r in rows
        ],
    )


def fit(questions: list[Question], l2: float = 1.0, steps: int = 50) -> tuple[np.ndarray, float]:
    """L2-regularized logistic regression by Newton's method over the sentences that pass the gates;
    positives up-weighted to balance classes."""
    x = np.vstack([q.features[q.gates] for q in questions])
    y = np.concatenate([q.labels[q.gates] for q in questions])
    x1 = np.hstack([x, np.ones((len(x), 1))])
    pos = max(y.sum(), 1.0)
    sample_w = np.where(y > 0, (len(y) - pos) / pos, 1.0)
    w = np.zeros(x1.shape[1])
    reg = np.full(x1.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x1 @ w)))
        grad = x1.T @ (sample_w * (p - y)) + reg * w
        hess = (x1 * (sample_w * p * (1 - p))[:, None]).T @ x1 + np.diag(reg)
        w -= np.linalg.solve(hess, grad)
    return w[:-1], float(w[-1])


def outcomes(questions: list[Question], w: np.ndarray, b: float, threshold: float) -> dict[str, float]:
    correct = abstained_ans = abstained_unans = n_ans = n_unans = 0
    for q in questions:
        if not len(q.features):
            top_p, top_label = 0.0, 0.0
        else:
            probs = np.where(q.gates, 1 / (1 + np.exp(-(q.features @ w + b))), 0.0)
            i = int(np.argmax(probs))
            top_p, top_label = probs[i], q.labels[i]
        abstain = top_p < threshold
        if q.answerable:
            n_ans += 1
            abstained_ans += abstain
            correct += (not abstain) and top_label > 0
        else:
            n_unans += 1
            abstained_unans += abstain
    return {
        "accuracy": correct / max(n_ans, 1),
        "abstention_recall": abstained_unans / max(n_unans, 1),
        "false_abstention": abstained_ans / max(n_ans, 1),
    }


def overall_right(questions: list[Question], w: np.ndarray, b: float, threshold: float) -> float:
    o = outcomes(questions, w, b, threshold)
    answerable = sum(q.answerable for q in questions)
    right = o["accuracy"] * answerable + o["abstention_recall"] * (len(questions) - answerable)
    return right / max(len(questions), 1)


def pick_threshold(
    bound: list[Question], report_sets: list[list[Question]], w: np.ndarray, b: float, max_false_abstention: float
) -> float:
    """The lowest threshold that gets the most questions right (mean over ``report_sets``) while false
    abstentions on ``bound`` stay within the bound."""
    best, best_key = 0.0, -np.inf
    for t in np.linspace(0.0, 0.99, 100):
        if outcomes(bound, w, b, float(t))["false_abstention"] > max_false_abstention:
            continue
        key = float(np.mean([overall_right(qs, w, b, float(t)) for qs in report_sets]))
        if key > best_key + 1e-9:
            best, best_key = float(t), key
    return best


def report(name: str, questions: list[Question], w: np.ndarray, b: float, t: float) -> None:
    o = outcomes(questions, w, b, t)
    print(f"  {name:10s} " + "  ".join(f"{k}={v:.3f}" for k, v in o.items()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--threshold-only", action="store_true", help="keep the committed weights; pick min_support")
    ap.add_argument("--max-false-abstention", type=float, default=0.07)
    args = ap.parse_args()

    build = ROOT / "build"
    sets = {
        "dev": collect(ROOT / "evals" / "dev_qa.jsonl", build / "eval-index"),
        "squad": collect(SQUAD, build / "squad-index"),
    }
    if (REAL_REPORTS / "dev_qa.jsonl").exists():
        sets["real"] = collect_real_reports(build / "real-reports-index")
    sets["seed"] = collect(ROOT / "evals" / "seed_qa.jsonl", build / "eval-index")
    w = np.array([extractive.WEIGHTS[k] for k in KEYS])
    b = extractive.BIAS
    if args.report_only:
        t = rag.Settings().min_support
    else:
        if not args.threshold_only:
            w, b = fit(sets["dev"] + sets["squad"])
            print("WEIGHTS = {" + ", ".join(f'"{k}": {v:.3f}' for k, v in zip(KEYS, w)) + "}")
            print(f"BIAS = {b:.3f}")
        report_sets = [sets[name] for name in ("dev", "real") if name in sets]
        t = pick_threshold(sets["dev"], report_sets, w, b, args.max_false_abstention)
        print(f"min_support = {t:.2f}")
    print("at this threshold:")
    for name, qs in sets.items():
        report(name + (" (held out)" if name == "seed" else ""), qs, w, b, t)


if __name__ == "__main__":
    sys.exit(main())
