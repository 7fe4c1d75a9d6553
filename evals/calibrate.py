"""Calibrate the reader's abstention on whole-pipeline answers to validation questions.

    .venv/bin/python evals/calibrate.py            # fits, writes rag/reader/weights/calibration.json

The questions are those of the SQuAD 2.0 articles the reader was *not* trained on (their names are in
rag/reader/weights/reader.json), and evals/dev_qa.jsonl on the sample reports, each set weighing the same:
the corpus is ingested, every question is retrieved and read as the product does, and each of the top
paragraphs' best span is recorded with its features (rag.answer.extractive.reading_features) and whether its
sentence holds a gold answer. A logistic fit over those features gives P(right); the product answers with
the most probable reading. The number of paragraphs read and the threshold are those that get most questions
right (answers right + correct abstentions), among those that keep, on the report questions, the operating
point the product promises (abstention recall and false-abstention rate in evals/thresholds.json); the real
published reports' development questions (../shared/corpora/real-reports/, when present) weigh in that choice
as a third set, not in the fit.
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
from rag.reader.model import CONFIG_FILE, WEIGHTS_DIR  # noqa: E402
from rag.reader.read import CALIBRATION_FILE, Calibration  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SQUAD_TRAIN = ROOT.parent / "shared" / "benchmarks" / "squad2-dev-train" / "data.json"
DEV_QA = ROOT / "evals" / "dev_qa.jsonl"
REAL_REPORTS = ROOT.parent / "shared" / "corpora" / "real-reports"
REAL_SET = "real-reports"
THRESHOLDS = ROOT / "evals" / "thresholds.json"
MAX_READ = 4
RIDGE = 1.0  # on standardized features: a little shrinkage, for 13 weights over ~1,700 questions


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
    """The rows of one eval set (see read_set), its reports ingested under ``index``."""
    items, corpus = evals.load_set(set_path, ROOT / "seeds", index)
    return read_set(set_path.name, items[:limit] if limit else items, [corpus], index, weights)


def collect_real_reports(index: Path, weights: Path) -> list[dict]:
    """The rows of the real published reports' development questions (../shared/corpora/real-reports/): only
    the PDFs of that folder are ingested."""
    items = evals.load_jsonl_set(REAL_REPORTS / "dev_qa.jsonl")
    return read_set(REAL_SET, items, sorted(REAL_REPORTS.glob("*.pdf")), index, weights)


def read_set(name: str, items: list, files: list[Path], index: Path, weights: Path) -> list[dict]:
    """Per question: for each of the top MAX_READ paragraphs, its best span's features and whether the
    span's sentence holds a gold answer."""
    settings = rag.Settings(index=index, reader_weights=weights, reader_k=MAX_READ)
    lib = rag.open(settings=settings)
    lib.ingest(files)
    answerer = lib.extractive_answerer()
    rows = []
    for n, item in enumerate(items, 1):
        readings = []
        for r in answerer.read(item.question, lib.retrieve(item.question)):
            right = item.answerable and evals.is_correct(r.evidence.paragraph.text[slice(*r.sentence)], item.answers)
            readings.append({**r.features, "rank": r.rank, "right": right})
        rows.append({"set": name, "id": item.id, "answerable": item.answerable, "readings": readings})
        if n % 200 == 0:
            print(f"  {n}/{len(items)} questions read", file=sys.stderr, flush=True)
    return rows


def question_weights(rows: list[dict]) -> np.ndarray:
    """Each set weighs the same in all, its questions equally."""
    sizes: dict[str, int] = {}
    for row in rows:
        sizes[row["set"]] = sizes.get(row["set"], 0) + 1
    return np.array([1.0 / (sizes[row["set"]] * len(sizes)) for row in rows])


def fit_logistic(x: np.ndarray, y: np.ndarray, weights: np.ndarray, steps: int = 50) -> tuple[np.ndarray, float]:
    """P(y) = sigmoid(x @ w + b), weighted, by Newton's method, ridge on standardized features; the weights
    come back on the features' own scale."""
    mean, scale = x.mean(0), x.std(0) + 1e-9
    X = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    weights = weights / weights.mean()
    ridge = np.diag([RIDGE] * x.shape[1] + [0.0])
    w = np.zeros(X.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-X @ w))
        grad = X.T @ (weights * (p - y)) + ridge @ w
        hess = X.T @ (X * (weights * p * (1 - p))[:, None]) + ridge + 1e-9 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    coef = w[:-1] / scale
    return coef, float(w[-1] - coef @ mean)


def fit(rows: list[dict], k: int, names: list[str]) -> Calibration:
    """The logistic model over the readings of the top k paragraphs (each question weighing its set's share)."""
    x, y, w = [], [], []
    for row, weight in zip(rows, question_weights(rows)):
        for r in row["readings"]:
            if r["rank"] <= k:
                x.append([r[n] for n in names])
                y.append(float(r["right"]))
                w.append(weight)
    coef, intercept = fit_logistic(np.array(x), np.array(y), np.array(w))
    return Calibration(dict(zip(names, map(float, coef))), intercept, 0.5, k)


def decide(rows: list[dict], calibration: Calibration) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per question, as the product decides: the most probable reading among the top k paragraphs, whether
    it is right and whether the question is answerable (no reading: probability 0)."""
    probability, right, answerable = [], [], []
    for row in rows:
        readings = [r for r in row["readings"] if r["rank"] <= calibration.reader_k]
        scored = [(calibration.probability(r), r["right"]) for r in readings]
        best = max(scored, default=(0.0, False), key=lambda pr: pr[0])
        probability.append(best[0])
        right.append(bool(best[1]))
        answerable.append(row["answerable"])
    return np.array(probability), np.array(right), np.array(answerable)


def best_cut(
    probability: np.ndarray, right: np.ndarray, answerable: np.ndarray, weights: np.ndarray, contract: np.ndarray
) -> tuple[float, float]:
    """The threshold with most questions right (weighted): answers right at or above it, abstentions on
    unanswerable questions below. Only thresholds that keep the product's promised operating point on the
    report questions (``contract``; evals/thresholds.json: abstention recall and false-abstention rate) are
    taken, if any does."""
    bounds = json.loads(THRESHOLDS.read_text())["seed_qa"]
    best, kept = (-1.0, 1.0), (-1.0, 1.0)
    for cut in np.unique(np.concatenate([probability, [1.0]])):
        answered = probability >= cut
        score = float((np.where(answered, right, ~answerable) * weights).sum())
        best = max(best, (score, float(cut)))
        a, u = answered[contract], answerable[contract]
        if (~a[~u]).mean() >= bounds["abstention_recall"] and (~a[u]).mean() <= bounds["false_abstention_rate_max"]:
            kept = max(kept, (score, float(cut)))
    return kept if kept[0] >= 0 else best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, default=WEIGHTS_DIR)
    parser.add_argument("--index", type=Path, default=ROOT / "build" / "calibrate-index")
    parser.add_argument("--questions", type=int, default=None, help="only the first N questions (a dry run)")
    parser.add_argument("--dry-run", action="store_true", help="print the fit, write nothing")
    parser.add_argument("--reuse-rows", action="store_true", help="refit on the readings the last run recorded")
    args = parser.parse_args()
    sets = [validation_set(args.weights, args.index.parent / "reader-validation.json"), DEV_QA]
    rows_file = args.index.parent / "calibration-rows.json"
    if args.reuse_rows and rows_file.exists():
        rows = json.loads(rows_file.read_text())
    else:
        rows = [row for s in sets for row in collect(s, args.index / s.stem, args.weights, args.questions)]
        if (REAL_REPORTS / "dev_qa.jsonl").exists():
            rows += collect_real_reports(args.index / REAL_SET, args.weights)
        rows_file.write_text(json.dumps(rows))
    counts = {name: sum(r["set"] == name for r in rows) for name in dict.fromkeys(r["set"] for r in rows)}
    print(f"validation questions: {counts}; each set weighs the same in the threshold")
    names = sorted({n for row in rows for r in row["readings"] for n in r} - {"rank", "right"})
    # The model is fitted on the SQuAD and report questions; the real reports' development questions, too few
    # and too varied to fit 13 weights on, weigh only in choosing the threshold and the paragraphs read.
    fit_rows = [r for r in rows if r["set"] != REAL_SET]
    weights = question_weights(rows)
    contract = np.array([r["set"] == DEV_QA.name for r in rows])
    print("paragraphs read | most right (weighted share)")
    results = {}
    for k in range(1, MAX_READ + 1):
        calibration = fit(fit_rows, k, names)
        score, cut = best_cut(*decide(rows, calibration), weights, contract)
        results[k] = (score, Calibration(calibration.weights, calibration.intercept, cut, k))
        print(f"{k:15d} | {score:.4f}")
    # The best; on a tie (within 0.1 point) fewer paragraphs (faster).
    top = max(score for score, _ in results.values())
    k = min(k for k, (score, _) in results.items() if score >= top - 0.001)
    score, calibration = results[k]
    probability, right, answerable = decide(rows, calibration)
    answered = probability >= calibration.threshold

    def outcome(mask: np.ndarray) -> dict:
        a, r, u = answered[mask], right[mask], answerable[mask]
        return {
            "questions": int(mask.sum()),
            "overall_right": round(float(np.where(a, r, ~u).mean()), 4),
            "answers_right": round(float(r[a].mean()) if a.any() else 0.0, 4),
            "abstained_on_answerable": round(float((~a[u]).mean()), 4),
            "abstained_on_unanswerable": round(float((~a[~u]).mean()), 4),
        }

    written = {
        "weights": {name: round(w, 5) for name, w in calibration.weights.items()},
        "intercept": round(calibration.intercept, 5),
        "threshold": round(calibration.threshold, 5),
        "reader_k": k,
        "fitted_on": {
            "squad_articles": sorted(a["title"] for a in json.loads(sets[0].read_text())["articles"]),
            "threshold_also_on": REAL_SET if REAL_SET in counts else None,
            "weighted_overall_right": round(score, 4),
            **{name: outcome(np.array([r["set"] == name for r in rows])) for name in counts},
        },
    }
    if not args.dry_run:
        (args.weights / CALIBRATION_FILE).write_text(json.dumps(written, indent=1) + "\n")
    print(json.dumps(written, indent=1))


if __name__ == "__main__":
    main()
