"""Fit the claim checker's threshold where it is used: ``python -m rag.checker.calibrate``.

Training fits a threshold on single claims; what matters is whole answers. This runs HaluEval's validation
items (never its held-out ones, never the seed test set), and any other labelled answer sets given (answers
reworded as real models write them), through the real pipeline, as ``rag eval-claims``
does, with every claim's probability recorded, and writes the threshold that best flags hallucinated answers
while passing supported ones intact (each weighing the same, and each set the same) into the weights' config.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from rag.checker.model import CONFIG_FILE, WEIGHTS_DIR
from rag.checker.train import SHARED

RECORDING_THRESHOLD = 0.01  # low enough that every claim is judged and its probability kept


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--halueval", type=Path, default=SHARED / "benchmarks/halueval-qa/data.jsonl")
    p.add_argument("--weights", type=Path, default=WEIGHTS_DIR)
    p.add_argument("--index", type=Path, default=Path("build/checker-calibration"))
    p.add_argument("--limit", type=int, default=None, help="only the first N validation items (smoke tests)")
    p.add_argument(
        "--also",
        type=Path,
        action="append",
        default=[],
        help="another labelled answer set (JSONL, as rag eval-claims reads), weighing the same as HaluEval's",
    )
    args = p.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from rag import claim_eval
    from rag.api import Library
    from rag.settings import Settings

    settings = Settings(index=args.index, checker_weights=args.weights, claim_threshold=RECORDING_THRESHOLD)
    items = claim_eval.load_items(args.halueval, "validation")[: args.limit]
    for extra in args.also:
        items += claim_eval.load_items(extra, None)
    _, outcomes = claim_eval.evaluate(Library(settings), items, args.index / "items")
    threshold, report = claim_eval.fit_threshold(outcomes, RECORDING_THRESHOLD)
    path = args.weights / CONFIG_FILE
    config = json.loads(path.read_text())
    config["claim_threshold"] = config.get("claim_threshold", config["threshold"])  # the claim-level fit, kept
    config["threshold"] = threshold
    config["answer_calibration"] = {"sets": ["halueval validation", *map(str, args.also)], **report}
    path.write_text(json.dumps(config, indent=1) + "\n")
    print(json.dumps({"threshold": threshold, **report}))
    return report


if __name__ == "__main__":
    main()
