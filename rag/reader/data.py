"""Training and validation examples for the reader, from public QA data and the project's dev set.

- SQuAD 2.0 (``squad2-dev-train``): each question with the paragraph it was written on; unanswerable
  questions are no-answer examples. Split by article, so validation articles are never seen in training.
- ``evals/dev_qa.jsonl``: questions on the sample reports, with the paragraph holding the evidence (or, for
  unanswerable ones, the paragraph of the named report that shares most words with the question).
- Hard negatives: an answerable question paired with another paragraph of its article, the one sharing most
  words with it, is a no-answer example: the retriever hands the reader such paragraphs all the time.
- Near misses made from answerable questions (SQuAD 2.0's own unanswerable questions are written this way):
  the passage with the answer's sentence cut out, and the question with one of its names or numbers swapped
  for another from the same article. Both say "no answer" where every other word still matches.
- Optionally HaluEval QA passages (HotpotQA) whose right answer occurs in the passage.

The test set (``evals/seed_qa.jsonl``) is never read here.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from rag.text import sentence_spans

_WORD = re.compile(r"\w+")
# A name (capitalised words, possibly joined by "of"/"the"/"de") or a number: the parts of a question a swap
# can change while every other word still matches its paragraph.
_NAME_OR_NUMBER = re.compile(r"\b(?:[A-Z][\w'’-]+(?:\s+(?:(?:of|the|de|von|van)\s+)?[A-Z][\w'’-]+)*|\d[\d,.]*\d|\d)\b")
_STOP = frozenset(
    "a an the of in on at to for by with from and or is are was were be been what which who whom whose when "
    "where why how did do does many much that this these those it its as".split()
)


@dataclass(frozen=True)
class Example:
    id: str
    question: str
    passage: str
    answers: tuple[str, ...]  # gold aliases; empty = no answer in this passage
    answer: tuple[int, int] | None  # the training target's character offsets in the passage
    group: str  # article (for splitting)


def _terms(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def look_alikes(question: str, paragraphs: list[str], n: int) -> list[str]:
    """The ``n`` paragraphs sharing most words with the question, most first (ties in their given order)."""
    asked = _terms(question)
    return sorted(paragraphs, key=lambda p: -len(asked & _terms(p)))[:n]


def locate(answer: str, passage: str, question: str) -> tuple[int, int] | None:
    """The answer's offsets in the passage; among several occurrences, the one nearest the question's words."""
    hits = [m.start() for m in re.finditer(re.escape(answer), passage)]
    if not hits:
        return None
    q = _terms(question)

    def closeness(at: int) -> int:
        return len(q & _terms(passage[max(0, at - 150) : at + len(answer) + 150]))

    best = max(hits, key=lambda at: (closeness(at), -at))
    return best, best + len(answer)


def squad_examples(path: Path) -> list[Example]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    texts = {p["id"]: p["text"] for a in raw["articles"] for p in a["paragraphs"]}
    out = []
    for q in raw["questions"]:
        passage = texts[q["paragraph_id"]]
        target = None
        if q["answerable"]:
            target = next((t for a in q["answers"] if (t := locate(a, passage, q["question"]))), None)
            if target is None:
                continue
        out.append(Example(q["id"], q["question"], passage, tuple(q["answers"]), target, q["article"]))
    return out


def squad_paragraphs(path: Path) -> dict[str, list[str]]:
    """Every paragraph text of each article (hard negatives come from here)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {a["title"]: [p["text"] for p in a["paragraphs"]] for a in raw["articles"]}


def report_examples(path: Path, reports: Path) -> list[Example]:
    """The project's dev set on its sample reports: one line of a report is one paragraph."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        if not item.get("source"):  # a question about no report in particular: no paragraph to pair it with
            continue
        doc = (reports / item["source"]).read_text(encoding="utf-8")
        paragraphs = [p for p in doc.splitlines() if p.strip()]
        if item["answerable"]:
            passage = next((p for p in paragraphs if item["evidence"] in p), None)
            if passage is None:
                continue
            target = next((t for a in item["answers"] if (t := locate(a, passage, item["question"]))), None)
            if target is None:
                continue
        else:
            [passage], target = look_alikes(item["question"], paragraphs, 1), None
        out.append(Example(item["id"], item["question"], passage, tuple(item["answers"]), target, item["source"]))
    return out


# HaluEval lines that validate and test the claim checker (rag/checker/data.py); the reader trains on none of them.
HALUEVAL_VALIDATION = range(8000, 9000)
HALUEVAL_HELD_OUT = range(9000, 10000)


def halueval_examples(path: Path, limit: int | None = None) -> list[Example]:
    """HaluEval QA passages whose right answer occurs verbatim: extra answerable examples of another style."""
    out = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if i >= HALUEVAL_VALIDATION.start:
            break
        item = json.loads(line)
        target = locate(item["right_answer"], item["knowledge"], item["question"])
        if target is not None:
            out.append(
                Example(
                    f"halueval-{i}",
                    item["question"],
                    item["knowledge"],
                    (item["right_answer"],),
                    target,
                    f"halueval-{i}",
                )
            )
        if limit and len(out) >= limit:
            break
    return out


def hard_negatives(examples: list[Example], paragraphs: dict[str, list[str]], rate: float, seed: int) -> list[Example]:
    """For a share ``rate`` of answerable questions: the other paragraph of the article most like the question,
    as a no-answer example (skipped when that paragraph holds a gold answer too)."""
    rng = random.Random(seed)
    out = []
    for ex in examples:
        if ex.answer is None or ex.group not in paragraphs or rng.random() >= rate:
            continue
        others = [p for p in paragraphs[ex.group] if p != ex.passage]
        if not others:
            continue
        [best] = look_alikes(ex.question, others, 1)
        if any(a.lower() in best.lower() for a in ex.answers):
            continue
        out.append(Example(ex.id + "-neg", ex.question, best, (), None, ex.group))
    return out


def split_groups(groups: list[str], validation: int, seed: int) -> tuple[set[str], set[str]]:
    """Articles for training and for validation, drawn by a seeded shuffle."""
    ordered = sorted(set(groups))
    random.Random(seed).shuffle(ordered)
    return set(ordered[validation:]), set(ordered[:validation])


def _names_and_numbers(text: str, skip_first: bool) -> list[re.Match]:
    found = list(_NAME_OR_NUMBER.finditer(text))
    # A question's first word is capitalised whatever it is; a name there ("Who ...") is no name.
    return [m for m in found if not (skip_first and m.start() == 0 and " " not in m.group(0))]


def without_answer_sentence(examples: list[Example], rate: float, seed: int) -> list[Example]:
    """For a share ``rate`` of answerable questions: the passage with the sentence holding the answer cut
    out, as a no-answer example (skipped when a gold answer still occurs or under two sentences remain)."""
    rng = random.Random(seed + 1)
    out = []
    for ex in examples:
        if ex.answer is None or rng.random() >= rate:
            continue
        spans = sentence_spans(ex.passage)
        kept = [(s, e) for s, e in spans if e <= ex.answer[0] or s >= ex.answer[1]]
        if len(kept) < 2 or len(kept) == len(spans):
            continue
        passage = " ".join(ex.passage[s:e] for s, e in kept)
        if any(a.lower() in passage.lower() for a in ex.answers):
            continue
        out.append(Example(ex.id + "-cut", ex.question, passage, (), None, ex.group))
    return out


def swapped_questions(
    examples: list[Example], paragraphs: dict[str, list[str]], rate: float, seed: int
) -> list[Example]:
    """For a share ``rate`` of answerable questions: one name or number of the question that its passage
    states, swapped for another of the same kind from elsewhere in the article that the passage never
    mentions, as a no-answer example ("When did the Franks conquer England?" on a paragraph about Normans)."""
    rng = random.Random(seed + 2)
    pools: dict[str, tuple[list[str], list[str]]] = {}
    for group, texts in paragraphs.items():
        found = {m.group(0) for t in texts for m in _names_and_numbers(t, skip_first=False)}
        numbers = sorted(f for f in found if f[0].isdigit())
        names = sorted(f for f in found if not f[0].isdigit())
        pools[group] = (names, numbers)
    out = []
    for ex in examples:
        if ex.answer is None or ex.group not in pools or rng.random() >= rate:
            continue
        lowered = ex.passage.lower()
        stated = [
            m
            for m in _names_and_numbers(ex.question, skip_first=True)
            if m.group(0).lower() in lowered and not any(m.group(0).lower() in a.lower() for a in ex.answers)
        ]
        if not stated:
            continue
        target = rng.choice(stated)
        names, numbers = pools[ex.group]
        pool = numbers if target.group(0)[0].isdigit() else names
        candidates = [c for c in pool if c.lower() not in lowered and c.lower() not in ex.question.lower()]
        if not candidates:
            continue
        swap = rng.choice(candidates)
        question = ex.question[: target.start()] + swap + ex.question[target.end() :]
        out.append(Example(ex.id + "-swap", question, ex.passage, (), None, ex.group))
    return out


def short_passages(examples: list[Example], rate: float, seed: int) -> list[Example]:
    """For a share ``rate`` of answerable questions: the sentence holding the answer alone, as a passage that
    answers (a table row, a slide line, a list item is all the reader gets in a real report), and the
    passage's other sentence most like the question alone, as one that does not."""
    rng = random.Random(seed + 3)
    out = []
    for ex in examples:
        if ex.answer is None or rng.random() >= rate:
            continue
        spans = sentence_spans(ex.passage)
        holding = [(s, e) for s, e in spans if s <= ex.answer[0] and ex.answer[1] <= e]
        if len(spans) < 2 or not holding:
            continue
        s, e = holding[0]
        a, b = ex.answer
        out.append(Example(ex.id + "-line", ex.question, ex.passage[s:e], ex.answers, (a - s, b - s), ex.group))
        others = [ex.passage[s2:e2] for s2, e2 in spans if (s2, e2) != (s, e)]
        [near] = look_alikes(ex.question, others, 1)
        if not any(ans.lower() in near.lower() for ans in ex.answers):
            out.append(Example(ex.id + "-line-neg", ex.question, near, (), None, ex.group))
    return out
