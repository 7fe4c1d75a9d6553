"""Calibrate the reader's abstention on whole-pipeline answers to validation questions.

    .venv/bin/python evals/calibrate.py            # fits, writes rag/reader/weights/calibration.json

The questions are those of the SQuAD 2.0 articles the reader was *not* trained on (their names are in
rag/reader/weights/reader.json): each article's paragraphs are ingested as reports, every question is
retrieved and read as the product does, and the best span's margin over "no answer" is recorded with whether
its sentence holds a gold answer. A logistic fit turns the margin into P(right); the threshold and the number
of paragraphs read are the ones that get most questions right (answers right + correct abstentions).
The seed set (evals/seed_qa.jsonl) is the test set: never read here.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import rag  # noqa: E402
from rag import evals  # noqa: E402
from rag.answer.extractive import ExtractiveAnswerer, sentence_around  # noqa: E402
from rag.reader.model import CONFIG_FILE, WEIGHTS_DIR  # noqa: E402
from rag.reader.read import CALIBRATION_FILE  # noqa: E402
from rag.text import numbers_in  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SQUAD_TRAIN = ROOT.parent / "shared" / "benchmarks" / "squad2-dev-train" / "data.json"
MAX_READ = 6


def validation_set(weights: Path, out: Path) -> Path:
    """The validation articles of the reader's training split, as a SQuAD-format eval set file."""
    held_out = set(json.loads((weights / CONFIG_FILE).read_text())["trained"]["validation_articles"])
    raw = json.loads(SQUAD_TRAIN.read_text(encoding="utf-8"))
    subset = {
        "source": raw["source"] + "; the reader's validation articles",
        "articles": [a for a in raw["articles"] if a["title"] in held_out],
        "questions": [q for q in raw["questions"] if q["article"] in held_out],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(subset), encoding="utf-8")
    return out


def collect(set_path: Path, index: Path, weights: Path, limit: int | None = None) -> list[dict]:
    """Per question: for each of the top MAX_READ paragraphs, the reader's margin, whether its sentence is
    right, and whether the paragraph states the numbers the question does."""
    items, corpus = evals.load_set(set_path, ROOT / "seeds", index)
    items = items[:limit] if limit else items
    lib = rag.open(settings=rag.Settings(index=index, reader_weights=weights))
    lib.ingest([corpus])
    answerer = ExtractiveAnswerer(lib.reader, MAX_READ, 0.0, number_rule=False)  # every reading, no rule
    rows = []
    for n, item in enumerate(items, 1):
        evidence = lib.retrieve(item.question)
        rank = {e.paragraph.id: i for i, e in enumerate(evidence, 1)}
        passages = []
        for ev, reading in answerer.read(item.question, evidence):
            s, e = sentence_around(ev, reading.start, reading.end)
            passages.append(
                {
                    "rank": rank[ev.paragraph.id],
                    "margin": reading.margin,
                    "right": item.answerable and evals.is_correct(ev.paragraph.text[s:e], item.answers),
                    "numbers_stated": numbers_in(item.question) <= numbers_in(ev.paragraph.text),
                }
            )
        rows.append({"answerable": item.answerable, "passages": passages})
        if n % 200 == 0:
            print(f"  {n}/{len(items)} questions read", file=sys.stderr, flush=True)
    return rows


def decide(rows: list[dict], k: int, number_rule: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each question's best margin among the top k paragraphs (minus those failing the rule), and whether
    that answer is right; questions with no reading get -inf."""
    margins, right, answerable = [], [], []
    for row in rows:
        cands = [p for p in row["passages"] if p["rank"] <= k and (p["numbers_stated"] or not number_rule)]
        best = max(cands, key=lambda p: p["margin"], default=None)
        margins.append(best["margin"] if best else -np.inf)
        right.append(bool(best and best["right"]))
        answerable.append(row["answerable"])
    return np.array(margins), np.array(right), np.array(answerable)


def best_cut(margins: np.ndarray, right: np.ndarray, answerable: np.ndarray) -> tuple[float, float]:
    """The margin cut with most questions right: answers right above it, abstentions on unanswerable below."""
    best = (-1.0, 0.0)
    for cut in np.unique(np.concatenate([margins[np.isfinite(margins)], [np.inf]])):
        answered = margins >= cut
        score = float((np.where(answered, right, ~answerable)).mean())
        best = max(best, (score, float(cut)))
    return best


def fit_logistic(x: np.ndarray, y: np.ndarray, steps: int = 50) -> tuple[float, float]:
    """P(y) = sigmoid(a x + b) by Newton's method with a little ridge."""
    w = np.zeros(2)
    X = np.stack([x, np.ones_like(x)], 1)
    for _ in range(steps):
        p = 1 / (1 + np.exp(-X @ w))
        grad = X.T @ (p - y) + 1e-3 * w
        hess = X.T @ (X * (p * (1 - p))[:, None]) + 1e-3 * np.eye(2)
        w -= np.linalg.solve(hess, grad)
    return float(w[0]), float(w[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, default=WEIGHTS_DIR)
    parser.add_argument("--index", type=Path, default=ROOT / "build" / "calibrate-index")
    parser.add_argument("--questions", type=int, default=None, help="only the first N questions (a dry run)")
    parser.add_argument("--dry-run", action="store_true", help="print the fit, write nothing")
    args = parser.parse_args()
    set_path = validation_set(args.weights, args.index.parent / "reader-validation.json")
    rows = collect(set_path, args.index, args.weights, args.questions)
    (args.index.parent / "calibration-rows.json").write_text(json.dumps(rows))
    print(f"{len(rows)} validation questions, {sum(r['answerable'] for r in rows)} answerable")
    print("paragraphs read | number rule | most right (share)")
    results = {}
    for k in range(1, MAX_READ + 1):
        for rule in (False, True):
            results[(k, rule)] = best_cut(*decide(rows, k, rule))
            print(f"{k:15d} | {str(rule):11s} | {results[(k, rule)][0]:.4f}")
    # Fewer paragraphs read is faster: take the smallest k within half a point of the best.
    top = max(score for score, _ in results.values())
    k, rule = min((key for key, (score, _) in results.items() if score >= top - 0.005), key=lambda kr: (kr[0], kr[1]))
    margins, right, answerable = decide(rows, k, rule)
    finite = np.isfinite(margins)
    slope, intercept = fit_logistic(margins[finite], right[finite].astype(float))
    score, cut = results[(k, rule)]
    threshold = 1 / (1 + np.exp(-(slope * cut + intercept))) if np.isfinite(cut) else 1.0
    answered = margins >= cut
    calibration = {
        "slope": round(slope, 5),
        "intercept": round(intercept, 5),
        "threshold": round(float(threshold), 5),
        "reader_k": k,
        "number_rule": rule,
        "fitted_on": {
            "questions": len(rows),
            "articles": sorted(a["title"] for a in json.loads(set_path.read_text())["articles"]),
            "overall_right": round(score, 4),
            "answered": round(float(answered.mean()), 4),
            "answers_right": round(float(right[answered].mean()) if answered.any() else 0.0, 4),
            "abstained_on_answerable": round(float((~answered[answerable]).mean()), 4),
            "abstained_on_unanswerable": round(float((~answered[~answerable]).mean()), 4),
        },
    }
    if not args.dry_run:
        (args.weights / CALIBRATION_FILE).write_text(json.dumps(calibration, indent=1) + "\n")
    print(json.dumps(calibration, indent=1))


if __name__ == "__main__":
    main()
