"""How well LLM answers are checked: labelled (question, passages, answer) items through the real pipeline.

Each item's passages are ingested as one document; the question is asked over that document with a language
model that replies with the item's answer, as a real model would, and the product checks it. A hallucinated
answer should be flagged (a claim removed, the answer replaced, or an abstention); a supported one should reach
the user intact. Items are JSONL, one per line: ``{"id", "question", "passages": [...], "answer", "label":
"supported" | "hallucinated", "dataset"}``; a HaluEval QA file (``knowledge``, ``right_answer``,
``hallucinated_answer``) is read as two items per line, from the split asked for.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from rag.checker.data import halueval_split
from rag.types import Verification


@dataclass(frozen=True)
class ClaimItem:
    id: str
    question: str
    passages: tuple[str, ...]
    answer: str
    supported: bool
    dataset: str


class ClaimSetError(ValueError):
    """An item set that cannot be read; the message names the file and line."""


def load_items(path: Path, split: str | None = "held_out") -> list[ClaimItem]:
    """The items of a JSONL set; for a HaluEval QA file, those of ``split`` (train, validation, held_out)."""
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            if "knowledge" in raw:  # HaluEval QA
                if split and halueval_split(n) != split:
                    continue
                for label, key in ((True, "right_answer"), (False, "hallucinated_answer")):
                    items.append(
                        ClaimItem(
                            f"halueval-{n}-{key.split('_')[0]}",
                            raw["question"],
                            (raw["knowledge"],),
                            raw[key],
                            label,
                            "halueval-qa",
                        )
                    )
            else:
                label = raw["label"]
                if label not in ("supported", "hallucinated"):
                    raise ValueError(f"label must be 'supported' or 'hallucinated', not {label!r}")
                items.append(
                    ClaimItem(
                        str(raw.get("id", n)),
                        raw["question"],
                        tuple(raw["passages"]),
                        raw["answer"],
                        label == "supported",
                        raw.get("dataset", path.stem),
                    )
                )
        except (ValueError, KeyError, TypeError) as exc:
            raise ClaimSetError(f"{path}, line {n + 1}: {exc}") from exc
    return items


class FixedReply:
    """A language model that replies with a given answer: the labelled answer stands in for a real model's."""

    backend = "labelled"
    model = "labelled-answer"

    def __init__(self, reply: str):
        self.reply = reply

    def stream(self, messages, max_tokens) -> Iterator[str]:
        yield self.reply


@dataclass
class ItemOutcome:
    id: str
    dataset: str
    supported: bool
    intact: bool  # reached the user with every claim kept
    claims: int
    claims_kept: int
    abstained: bool
    fallback: bool
    llm_called: bool
    ms: float  # checking the reply
    answer: str
    weakest: float | None = None  # the lowest P(supported) among its claims (0 for one no passage could hold)
    checks: list[dict] = field(default_factory=list)  # every claim: text, verdict, probability, reason


def _outcome(item: ClaimItem, answer) -> ItemOutcome:
    v = answer.meta.verification or Verification()
    claims = v.checked_claims
    kept = sum(c.verdict in ("kept", "re-cited") for c in claims)
    called = bool(answer.meta.llm_called)
    intact = called and not answer.abstained and not v.fallback and kept == len(claims) and v.dropped == 0
    return ItemOutcome(
        item.id,
        item.dataset,
        item.supported,
        intact,
        len(claims),
        kept,
        answer.abstained,
        v.fallback,
        called,
        v.ms or 0.0,
        answer.answer,
        min((c.probability or 0.0 for c in claims), default=None),
        [c.to_dict() for c in v.claims],
    )


def evaluate(lib, items: list[ClaimItem], corpus: Path, on_item: Callable[[ItemOutcome], None] | None = None):
    """Ingest every item's passages (one document each, under ``corpus``), ask, and score the checking."""
    corpus.mkdir(parents=True, exist_ok=True)
    names = {}
    for item in items:
        key = "\n\n".join(item.passages)
        name = names.setdefault(key, f"item-{len(names):05d}.txt")
        target = corpus / name
        if not target.exists() or target.read_text(encoding="utf-8") != key:
            target.write_text(key, encoding="utf-8")
    report = lib.ingest([corpus])
    if not report.ok:
        failed = [f"{f.path}: {f.reason}" for f in report.files if f.status == "failed"]
        raise ClaimSetError(f"item passages could not be ingested: {failed}")
    outcomes = []
    for item in items:
        answer = lib.ask(item.question, sources=[names["\n\n".join(item.passages)]], llm=FixedReply(item.answer))
        outcomes.append(_outcome(item, answer))
        if on_item:
            on_item(outcomes[-1])
    return summarize(outcomes), outcomes


def summarize(outcomes: list[ItemOutcome]) -> dict:
    by_set: dict[str, list[ItemOutcome]] = {}
    for o in outcomes:
        by_set.setdefault(o.dataset, []).append(o)
    by_set["all"] = outcomes
    out = {}
    for name, rows in by_set.items():
        bad = [o for o in rows if not o.supported]
        good = [o for o in rows if o.supported]
        claims = sum(o.claims for o in good)
        ms = sorted(o.ms for o in rows)
        out[name] = {
            "hallucinated": len(bad),
            "hallucinated_flagged": round(sum(not o.intact for o in bad) / len(bad), 4) if bad else None,
            "supported": len(good),
            "supported_intact": round(sum(o.intact for o in good) / len(good), 4) if good else None,
            "supported_claims_kept": round(sum(o.claims_kept for o in good) / claims, 4) if claims else None,
            "model_not_called": round(sum(not o.llm_called for o in rows) / len(rows), 4) if rows else None,
            "ms_p50": round(statistics.median(ms), 1) if ms else None,
            "ms_p95": round(ms[int(0.95 * (len(ms) - 1))], 1) if ms else None,
        }
    return out


def to_json(summary: dict, outcomes: list[ItemOutcome]) -> dict:
    return {"summary": summary, "items": [asdict(o) for o in outcomes]}


def fit_threshold(outcomes: list[ItemOutcome], used: float) -> tuple[float, dict]:
    """The claim threshold that best tells hallucinated answers from supported ones at the answer level
    (share flagged and share intact weighing the same, and each dataset the same), from outcomes checked at
    threshold ``used`` (run it low, so that every claim's probability is recorded): an answer is flagged at t
    when it was flagged anyway or its weakest claim falls below t."""
    by_set: dict[str, list[ItemOutcome]] = {}
    for o in outcomes:
        by_set.setdefault(o.dataset, []).append(o)

    def flagged(o: ItemOutcome, t: float) -> bool:
        return not o.intact or (o.weakest is not None and o.weakest < t)

    def rates(rows: list[ItemOutcome], t: float) -> tuple[float, float]:
        bad = [o for o in rows if not o.supported]
        good = [o for o in rows if o.supported]
        return (
            sum(flagged(o, t) for o in bad) / max(1, len(bad)),
            sum(not flagged(o, t) for o in good) / max(1, len(good)),
        )

    grid = [t for t in (i / 100 for i in range(1, 100)) if t >= used]
    best = max(grid, key=lambda t: sum(sum(rates(rows, t)) for rows in by_set.values()))
    report = {}
    for name, rows in by_set.items():
        recall, intact = rates(rows, best)
        report[name] = {
            "items": len(rows),
            "hallucinated_flagged": round(recall, 4),
            "supported_intact": round(intact, 4),
        }
    return best, report
