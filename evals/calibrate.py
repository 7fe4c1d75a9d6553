"""Calibrate the reader's abstention on whole-pipeline answers to validation questions.

    .venv/bin/python evals/calibrate.py            # fits, writes rag/reader/weights/calibration.json

The questions are those of the SQuAD 2.0 articles the reader was *not* trained on (their names are in
rag/reader/weights/reader.json), and evals/dev_qa.jsonl on the sample reports, each set weighing the same:
the corpus is ingested, every question is retrieved and read as the product does, and the best span's margin
over "no answer" is recorded with whether its sentence holds a gold answer. A logistic fit turns the margin
into P(right); the threshold, the number of paragraphs read and two language-general rules (a number the
question states must be in the paragraph; an answer may not merely repeat the question) are the ones that
get most questions right (answers right + correct abstentions), among those that keep, on the report
questions, the operating point the product promises (abstention recall and false-abstention rate in
evals/thresholds.json).
The seed set (evals/seed_qa.jsonl) is the test set: never read here.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import rag  # noqa: E402
from rag import evals  # noqa: E402
from rag.answer.extractive import ExtractiveAnswerer, repeats_question, sentence_around  # noqa: E402
from rag.reader.model import CONFIG_FILE, WEIGHTS_DIR  # noqa: E402
from rag.reader.read import CALIBRATION_FILE  # noqa: E402
from rag.text import content_terms, numbers_in, words  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SQUAD_TRAIN = ROOT.parent / "shared" / "benchmarks" / "squad2-dev-train" / "data.json"
DEV_QA = ROOT / "evals" / "dev_qa.jsonl"
THRESHOLDS = ROOT / "evals" / "thresholds.json"
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


def coverage(question: str, sentence: str) -> float:
    """Share of the question's content terms that the answer's sentence states (recorded for analysis)."""
    asked = set(content_terms(question))
    return len(asked & set(content_terms(sentence))) / len(asked) if asked else 0.0


def names_in(question: str) -> set[str]:
    """The question's capitalised words after its first (names, mostly), lowercased (recorded for analysis)."""
    said = re.findall(r"\w+", question)
    return {w.lower() for w in said[1:] if w[0].isupper()}


def collect(set_path: Path, index: Path, weights: Path, limit: int | None = None) -> list[dict]:
    """Per question: for each of the top MAX_READ paragraphs, the reader's margin, whether its sentence is
    right, and whether the paragraph states the numbers the question does."""
    items, corpus = evals.load_set(set_path, ROOT / "seeds", index)
    items = items[:limit] if limit else items
    lib = rag.open(settings=rag.Settings(index=index, reader_weights=weights, answerer="reader"))
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
                    "null_score": reading.null_score,
                    "coverage": coverage(item.question, ev.paragraph.text[s:e]),
                    "names_stated": names_in(item.question) <= set(words(ev.paragraph.text)),
                    "right": item.answerable and evals.is_correct(ev.paragraph.text[s:e], item.answers),
                    "numbers_stated": numbers_in(item.question) <= numbers_in(ev.paragraph.text),
                    "repeats_question": repeats_question(item.question, ev.paragraph.text[reading.start : reading.end]),
                }
            )
        rows.append({"set": set_path.name, "id": item.id, "answerable": item.answerable, "passages": passages})
        if n % 200 == 0:
            print(f"  {n}/{len(items)} questions read", file=sys.stderr, flush=True)
    return rows


def decide(rows: list[dict], k: int, number_rule: bool, repeat_rule: bool):
    """Each question's best margin among the top k paragraphs (minus those failing the rules), whether that
    answer is right, whether the question is answerable, and its weight (each set weighs the same in all);
    questions with no reading get -inf."""
    margins, right, answerable, weights = [], [], [], []
    sizes: dict[str, int] = {}
    for row in rows:
        sizes[row["set"]] = sizes.get(row["set"], 0) + 1
    for row in rows:
        cands = [
            p
            for p in row["passages"]
            if p["rank"] <= k
            and (p["numbers_stated"] or not number_rule)
            and not (repeat_rule and p["repeats_question"])
        ]
        best = max(cands, key=lambda p: p["margin"], default=None)
        margins.append(best["margin"] if best else -np.inf)
        right.append(bool(best and best["right"]))
        answerable.append(row["answerable"])
        weights.append(1.0 / (sizes[row["set"]] * len(sizes)))
    return np.array(margins), np.array(right), np.array(answerable), np.array(weights)


def best_cut(
    margins: np.ndarray,
    right: np.ndarray,
    answerable: np.ndarray,
    weights: np.ndarray,
    contract: np.ndarray | None = None,
) -> tuple[float, float]:
    """The margin cut with most questions right (weighted): answers right above it, abstentions on
    unanswerable questions below. Where ``contract`` marks the report questions, only cuts that keep the
    product's promised operating point on them (evals/thresholds.json: abstention recall and false-abstention
    rate) are taken, if any does."""
    bounds = json.loads(THRESHOLDS.read_text())["seed_qa"]
    best, kept = (-1.0, 0.0), (-1.0, 0.0)
    for cut in np.unique(np.concatenate([margins[np.isfinite(margins)], [np.inf]])):
        answered = margins >= cut
        score = float((np.where(answered, right, ~answerable) * weights).sum())
        best = max(best, (score, float(cut)))
        if contract is not None and contract.any():
            a, u = answered[contract], answerable[contract]
            if (~a[~u]).mean() >= bounds["abstention_recall"] and (~a[u]).mean() <= bounds["false_abstention_rate_max"]:
                kept = max(kept, (score, float(cut)))
    return kept if kept[0] >= 0 else best


def fit_logistic(x: np.ndarray, y: np.ndarray, weights: np.ndarray, steps: int = 50) -> tuple[float, float]:
    """P(y) = sigmoid(a x + b), weighted, by Newton's method with a little ridge."""
    w = np.zeros(2)
    X = np.stack([x, np.ones_like(x)], 1)
    weights = weights / weights.mean()
    for _ in range(steps):
        p = 1 / (1 + np.exp(-X @ w))
        grad = X.T @ (weights * (p - y)) + 1e-3 * w
        hess = X.T @ (X * (weights * p * (1 - p))[:, None]) + 1e-3 * np.eye(2)
        w -= np.linalg.solve(hess, grad)
    return float(w[0]), float(w[1])


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
        rows_file.write_text(json.dumps(rows))
    counts = {s.name: sum(r["set"] == s.name for r in rows) for s in sets}
    print(f"validation questions: {counts}; each set weighs the same")
    contract = np.array([r["set"] == DEV_QA.name for r in rows])
    print("paragraphs read | number rule | repeat rule | most right (weighted share)")
    results = {}
    for k in range(1, MAX_READ + 1):
        for rules in itertools.product((False, True), repeat=2):
            results[(k, *rules)] = best_cut(*decide(rows, k, *rules), contract)
            print(f"{k:15d} | {str(rules[0]):11s} | {str(rules[1]):11s} | {results[(k, *rules)][0]:.4f}")
    # The best; on a tie (within 0.1 point) fewer paragraphs (faster) and fewer rules (simpler).
    top = max(score for score, _ in results.values())
    k, number_rule, repeat_rule = min(key for key, (score, _) in results.items() if score >= top - 0.001)
    margins, right, answerable, weights = decide(rows, k, number_rule, repeat_rule)
    finite = np.isfinite(margins)
    slope, intercept = fit_logistic(margins[finite], right[finite].astype(float), weights[finite])
    score, cut = results[(k, number_rule, repeat_rule)]
    threshold = 1 / (1 + np.exp(-(slope * cut + intercept))) if np.isfinite(cut) else 1.0
    answered = margins >= cut

    def outcome(mask: np.ndarray) -> dict:
        a, r, u = answered[mask], right[mask], answerable[mask]
        return {
            "questions": int(mask.sum()),
            "overall_right": round(float(np.where(a, r, ~u).mean()), 4),
            "answers_right": round(float(r[a].mean()) if a.any() else 0.0, 4),
            "abstained_on_answerable": round(float((~a[u]).mean()), 4),
            "abstained_on_unanswerable": round(float((~a[~u]).mean()), 4),
        }

    calibration = {
        "slope": round(slope, 5),
        "intercept": round(intercept, 5),
        "threshold": round(float(threshold), 5),
        "reader_k": k,
        "number_rule": number_rule,
        "repeat_rule": repeat_rule,
        "fitted_on": {
            "squad_articles": sorted(a["title"] for a in json.loads(sets[0].read_text())["articles"]),
            "weighted_overall_right": round(score, 4),
            **{name: outcome(np.array([r["set"] == name for r in rows])) for name in counts},
        },
    }
    if not args.dry_run:
        (args.weights / CALIBRATION_FILE).write_text(json.dumps(calibration, indent=1) + "\n")
    print(json.dumps(calibration, indent=1))


if __name__ == "__main__":
    main()
