"""The eval harness behind `rag eval`: answer accuracy, retrieval, citations, abstention.

Eval sets are JSONL (DESIGN 2.5) or the SQuAD-subset JSON (``{"articles": ..., "questions": ...}``),
whose paragraphs become a corpus of one file per paragraph.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from rag.answer.citations import MARKER, citation_problems
from rag.api import Library
from rag.reader.squad import exact_match, token_f1
from rag.text import normalize_answer
from rag.types import Answer


@dataclass(frozen=True)
class EvalItem:
    id: str
    question: str
    answers: tuple[str, ...]
    answerable: bool
    source: str | None
    evidence: str


class EvalSetError(ValueError):
    pass


def load_jsonl_set(path: Path) -> list[EvalItem]:
    items = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            item = EvalItem(
                id=str(raw["id"]),
                question=raw["question"],
                answers=tuple(raw["answers"]),
                answerable=bool(raw["answerable"]),
                source=raw.get("source"),
                evidence=raw.get("evidence") or "",
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise EvalSetError(f"{path}:{lineno}: not an eval line ({exc})") from exc
        if item.answerable and not (item.answers and item.source and item.evidence):
            raise EvalSetError(f"{path}:{lineno}: answerable item {item.id} needs answers, source and evidence")
        items.append(item)
    return items


def load_squad_set(path: Path) -> tuple[list[EvalItem], dict[str, str]]:
    """The SQuAD-subset format: items, and the corpus as {file name: text} (one file per paragraph)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    corpus: dict[str, str] = {}
    texts: dict[str, str] = {}
    for article in raw["articles"]:
        for para in article["paragraphs"]:
            corpus[f"{para['id']}.txt"] = para["text"]
            texts[para["id"]] = para["text"]
    items = []
    for q in raw["questions"]:
        pid = q["paragraph_id"]
        items.append(
            EvalItem(
                id=q["id"],
                question=q["question"],
                answers=tuple(q["answers"]),
                answerable=bool(q["answerable"]),
                source=f"{pid}.txt",
                # The whole gold paragraph: a citation is right when it points at that paragraph.
                evidence=texts[pid].strip() if q["answerable"] else "",
            )
        )
    return items, corpus


def is_squad_set(path: Path) -> bool:
    return path.suffix == ".json"


def set_name(path: Path) -> str:
    """evals/seed_qa.jsonl -> seed_qa; .../squad2-dev-subset/data.json -> squad2-dev-subset."""
    return path.parent.name if is_squad_set(path) else path.stem


def load_set(path: Path, corpus: Path | None, index: Path) -> tuple[list[EvalItem], Path]:
    """The items of an eval set and the folder of reports they are about.

    A SQuAD-style set carries its own paragraphs: they are written as files under the index folder.
    """
    if is_squad_set(path):
        items, docs = load_squad_set(path)
        folder = index / "eval-corpus" / set_name(path)
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in docs.items():
            target = folder / name
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                target.write_text(text, encoding="utf-8")
        return items, folder
    return load_jsonl_set(path), corpus or Path("seeds")


def is_correct(answer_text: str, aliases: tuple[str, ...]) -> bool:
    normalized = normalize_answer(answer_text)
    return any((alias_n := normalize_answer(a)) and alias_n in normalized for a in aliases)


@dataclass
class ItemResult:
    id: str
    question: str
    answerable: bool
    abstained: bool
    correct: bool
    gold_rank: int | None  # 1-based rank of the gold paragraph in the retrieved evidence
    citations: int
    citations_correct: int
    citation_problems: list[str]
    answer: str
    error: str | None
    ms: float
    short_answer: str | None = None
    # SQuAD 2.0 scoring of the short answer: an abstention on an unanswerable question scores 1
    short_em: float = 0.0
    short_f1: float = 0.0


@dataclass
class EvalResult:
    name: str
    metrics: dict[str, float | None]
    thresholds: dict[str, float]
    failures: list[str]
    items: list[ItemResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict:
        return {
            "set": self.name,
            "metrics": self.metrics,
            "thresholds": self.thresholds,
            "passed": self.passed,
            "failures": self.failures,
            "items": [asdict(i) for i in self.items],
        }


# Threshold keys ending in "_max" are upper bounds; the rest are lower bounds.
def check_thresholds(metrics: dict[str, float | None], thresholds: dict[str, float]) -> list[str]:
    failures = []
    for key, bound in thresholds.items():
        metric = key[: -len("_max")] if key.endswith("_max") else key
        value = metrics.get(metric)
        if value is None:
            failures.append(f"{metric} was not measured")
        elif key.endswith("_max") and value > bound:
            failures.append(f"{metric} = {value:.3f} is above {bound}")
        elif not key.endswith("_max") and value < bound:
            failures.append(f"{metric} = {value:.3f} is below {bound}")
    return failures


def _gold_rank(lib: Library, item: EvalItem, answer: Answer) -> int | None:
    for rank, pid in enumerate(answer.retrieved, start=1):
        p = lib.paragraph(pid)
        if p is not None and p.source == item.source and item.evidence in p.text:
            return rank
    return None


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def evaluate(
    lib: Library,
    items: list[EvalItem],
    name: str,
    thresholds: dict[str, float],
    on_item: Callable[[ItemResult], None] | None = None,
) -> EvalResult:
    missing = sorted({i.source for i in items if i.answerable and not lib.has_source(i.source or "")})
    if missing:
        raise EvalSetError(f"the index lacks the eval set's documents: {', '.join(missing[:5])}")
    results = []
    for item in items:
        [answer] = lib.ask_many([item.question])
        correct = (
            item.answerable
            and not answer.abstained
            and answer.error is None
            and is_correct(answer.answer, item.answers)
        )
        short_em, short_f1 = _short_scores(item, answer)
        cited_ok = sum(1 for c in answer.citations if item.answerable and item.evidence in c.text)
        res = ItemResult(
            id=item.id,
            question=item.question,
            answerable=item.answerable,
            abstained=answer.abstained,
            correct=correct,
            gold_rank=_gold_rank(lib, item, answer) if item.answerable else None,
            citations=len(answer.citations),
            citations_correct=cited_ok,
            citation_problems=citation_problems(answer),
            answer=answer.answer,
            error=answer.error,
            ms=round(sum(answer.timings_ms.values()), 2),
            short_answer=answer.short_answer,
            short_em=short_em,
            short_f1=short_f1,
        )
        results.append(res)
        if on_item:
            on_item(res)
    metrics = compute_metrics(results)
    return EvalResult(name, metrics, thresholds, check_thresholds(metrics, thresholds), results)


def _short_scores(item: EvalItem, answer: Answer) -> tuple[float, float]:
    """Exact match and token F1 of the short answer (SQuAD normalization); a written answer with no short
    span is scored on its text. Abstaining scores 1 on an unanswerable question, 0 on an answerable one."""
    if answer.error is not None:
        return 0.0, 0.0
    if not item.answerable:
        return float(answer.abstained), float(answer.abstained)
    if answer.abstained:
        return 0.0, 0.0
    said = answer.short_answer or MARKER.sub("", answer.answer)
    return exact_match(said, item.answers), round(token_f1(said, item.answers), 4)


def compute_metrics(results: list[ItemResult]) -> dict[str, float | None]:
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    answered = [r for r in answerable if not r.abstained and r.error is None]
    ranks = [r.gold_rank for r in answerable]
    latencies = sorted(r.ms for r in results)
    return {
        "questions": len(results),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "answer_accuracy": _ratio(sum(r.correct for r in answerable), len(answerable)),
        "overall_accuracy": _ratio(
            sum(r.correct for r in answerable) + sum(r.abstained for r in unanswerable), len(results)
        ),
        # "Answers given that are right": of the questions answered (not abstained), the share answered right.
        "answer_precision": _ratio(
            sum(r.correct for r in results), sum(1 for r in results if not r.abstained and r.error is None)
        ),
        "short_answer_em": round(statistics.fmean(r.short_em for r in results), 4) if results else None,
        "short_answer_f1": round(statistics.fmean(r.short_f1 for r in results), 4) if results else None,
        "short_answer_f1_answerable": round(statistics.fmean(r.short_f1 for r in answerable), 4)
        if answerable
        else None,
        "recall_at_1": _ratio(sum(1 for k in ranks if k is not None and k <= 1), len(answerable)),
        "recall_at_5": _ratio(sum(1 for k in ranks if k is not None and k <= 5), len(answerable)),
        "mrr": round(sum(1.0 / k for k in ranks if k) / len(answerable), 4) if answerable else None,
        "citation_precision": _ratio(sum(r.citations_correct for r in answered), sum(r.citations for r in answered)),
        "abstention_recall": _ratio(sum(r.abstained for r in unanswerable), len(unanswerable)),
        "false_abstention_rate": _ratio(sum(r.abstained for r in answerable), len(answerable)),
        "citation_errors": sum(len(r.citation_problems) for r in results),
        "errors": sum(1 for r in results if r.error),
        "latency_p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "latency_p95_ms": round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 1)
        if latencies
        else None,
    }


def load_thresholds(thresholds_file: Path, set_name: str) -> dict[str, float]:
    if not thresholds_file.exists():
        return {}
    return json.loads(thresholds_file.read_text(encoding="utf-8")).get(set_name, {})
