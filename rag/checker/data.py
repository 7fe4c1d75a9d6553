"""Training and validation claims for the checker, from public data. Each claim is judged as an answer to its
question, against one passage.

- HaluEval QA (``halueval-qa``, MIT over HotpotQA): the right answer is supported, the hallucinated answer is
  not. Hallucinated answers are mostly whole sentences and right answers mostly a name, so length alone would
  tell them apart; each length gets both labels: where the hallucinated sentence invents one name or number,
  that sentence with the right answer in its place is supported and the invented span alone is not (a minimal
  pair); elsewhere the passage sentence holding the right answer is supported and, for a share of items, a
  short name or number of the passage that is not the right answer is not. Split by item: lines 8000-8999
  validate, 9000-9999 are held out for ``rag eval-claims``, the rest train.
- SQuAD 2.0 (``squad2-dev-train``, the reader's training articles only): the gold answer and the sentence that
  holds it are supported; that sentence with the answer swapped for another answer of the same kind from the
  article, with a number changed, or with its verb negated, is not; nor is a sentence of another paragraph of
  the article (true somewhere, but not in this passage: what re-citing must tell apart).

The test set (``evals/seed_qa.jsonl``) is never read here.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from rag.reader import data as reader_data
from rag.reader.data import HALUEVAL_HELD_OUT, HALUEVAL_VALIDATION
from rag.text import sentence_spans

_NUMBER = re.compile(r"\b\d[\d,.]*\b")
_NEGATABLE = re.compile(r"\b(is|are|was|were|has|have|had|can|could|will|would|should|did|does|do)\b")
_NEGATED = re.compile(r"\b(is|are|was|were|has|have|had|can|could|will|would|should|did|does|do) not\b")


@dataclass(frozen=True)
class Claim:
    id: str
    question: str
    claim: str
    passage: str
    supported: bool
    group: str  # article or item (for splitting)


def halueval_split(i: int) -> str:
    if i in HALUEVAL_HELD_OUT:
        return "held_out"
    return "validation" if i in HALUEVAL_VALIDATION else "train"


def halueval_items(path: Path, split: str) -> list[tuple[int, dict]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(i, json.loads(line)) for i, line in enumerate(lines) if line.strip() and halueval_split(i) == split]


def _short_spans(passage: str) -> list[str]:
    return [m.group(0) for m in reader_data._NAME_OR_NUMBER.finditer(passage)]


def corrected_hallucination(item: dict) -> tuple[str, str] | None:
    """The hallucinated answer with the one name or number it invents (found in neither passage nor question)
    replaced by the right answer, and the invented span; None where there is no single such span of the right
    answer's kind and about its size."""
    right, hallucinated = item["right_answer"].strip(), item["hallucinated_answer"]
    known = f"{item['knowledge']} {item['question']}".lower()
    if not right or right.lower() in hallucinated.lower() or len(right.split()) > 5 or _kind(right) == "other":
        return None
    invented = [m for m in reader_data._NAME_OR_NUMBER.finditer(hallucinated) if m.group(0).lower() not in known]
    if len(invented) != 1 or invented[0].start() == 0:  # a sentence's first word is capitalised whatever it is
        return None
    span = invented[0]
    if _kind(span.group(0)) != _kind(right) or len(span.group(0).split()) > len(right.split()) + 2:
        return None
    return hallucinated[: span.start()] + right + hallucinated[span.end() :], span.group(0)


def halueval_claims(path: Path, split: str, wrong_span_rate: float, seed: int) -> list[Claim]:
    rng = random.Random(seed)
    out = []
    for i, item in halueval_items(path, split):
        q, k, right = item["question"], item["knowledge"], item["right_answer"]
        group = f"halueval-{i}"
        out.append(Claim(f"{group}-right", q, right, k, True, group))
        out.append(Claim(f"{group}-hallucinated", q, item["hallucinated_answer"], k, False, group))
        if pair := corrected_hallucination(item):
            out.append(Claim(f"{group}-corrected", q, pair[0], k, True, group))
            out.append(Claim(f"{group}-invented", q, pair[1], k, False, group))
            continue
        at = k.lower().find(right.lower()) if right.strip() else -1
        if at >= 0 and (sentence := _sentence_with(k, at, at + len(right))):
            out.append(Claim(f"{group}-sentence", q, k[sentence[0] : sentence[1]].strip(), k, True, group))
        if rng.random() < wrong_span_rate:
            others = [s for s in _short_spans(k) if s.lower() not in right.lower() and right.lower() not in s.lower()]
            if others:
                out.append(Claim(f"{group}-wrong", q, rng.choice(others), k, False, group))
    return out


def _sentence_with(passage: str, start: int, end: int) -> tuple[int, int] | None:
    return next(((s, e) for s, e in sentence_spans(passage) if s <= start and end <= e), None)


def _change_number(text: str, rng: random.Random) -> str | None:
    found = list(_NUMBER.finditer(text))
    if not found:
        return None
    m = rng.choice(found)
    digits = [i for i, c in enumerate(m.group(0)) if c.isdigit()]
    i = rng.choice(digits)
    old = m.group(0)
    new = old[:i] + rng.choice([d for d in "0123456789" if d != old[i] and not (i == 0 and d == "0")]) + old[i + 1 :]
    return text[: m.start()] + new + text[m.end() :]


def _negate(text: str) -> str | None:
    if _NEGATED.search(text):
        return _NEGATED.sub(lambda m: m.group(1), text, count=1)
    if _NEGATABLE.search(text):
        return _NEGATABLE.sub(lambda m: m.group(1) + " not", text, count=1)
    return None


def _kind(answer: str) -> str:
    if _NUMBER.search(answer):
        return "number"
    return "name" if answer[:1].isupper() else "other"


def squad_claims(path: Path, articles: set[str], seed: int) -> list[Claim]:
    """Per answerable question of the given articles: a supported claim (its gold answer or the sentence that
    holds it) and an unsupported one (a swapped answer, a changed number, a negation, or a sentence of another
    paragraph), each drawn at random."""
    rng = random.Random(seed)
    raw = json.loads(path.read_text(encoding="utf-8"))
    texts = {p["id"]: p["text"] for a in raw["articles"] for p in a["paragraphs"]}
    article_paragraphs = {a["title"]: [p["text"] for p in a["paragraphs"]] for a in raw["articles"]}
    questions = [q for q in raw["questions"] if q["article"] in articles and q["answerable"]]
    answers_by_kind: dict[tuple[str, str], list[str]] = {}
    for q in questions:
        answers_by_kind.setdefault((q["article"], _kind(q["answers"][0])), []).append(q["answers"][0])
    out = []
    for q in questions:
        passage = texts[q["paragraph_id"]]
        at = next((t for a in q["answers"] if (t := reader_data.locate(a, passage, q["question"]))), None)
        if at is None:
            continue
        sentence_at = _sentence_with(passage, *at)
        if sentence_at is None:
            continue
        sentence = passage[sentence_at[0] : sentence_at[1]].strip()
        gold = passage[at[0] : at[1]]
        group, qid, question = q["article"], q["id"], q["question"]
        out.append(Claim(f"{qid}-supported", question, rng.choice([gold, sentence, sentence]), passage, True, group))
        golds = {a.lower() for a in q["answers"]}
        pool = [a for a in answers_by_kind.get((group, _kind(gold)), []) if a.lower() not in golds]
        pool = [a for a in pool if a.lower() not in passage.lower()] or pool
        made = []
        if pool:
            swap = rng.choice(pool)
            made.append(sentence.replace(gold, swap, 1) if rng.random() < 0.7 else swap)
        if (changed := _change_number(sentence, rng)) is not None:
            made.append(changed)
        if (negated := _negate(sentence)) is not None:
            made.append(negated)
        others = [p for p in article_paragraphs[group] if p != passage]
        if others:
            other = rng.choice(others)
            spans = sentence_spans(other)
            if spans:
                s, e = rng.choice(spans)
                made.append(other[s:e].strip())
        if made:
            out.append(Claim(f"{qid}-unsupported", question, rng.choice(made), passage, False, group))
    return out


def squad_split(path: Path, validation: int, seed: int) -> tuple[set[str], set[str]]:
    """The reader's article split (rag/reader/data.py), so neither model trains on the other's validation."""
    examples = reader_data.squad_examples(path)
    return reader_data.split_groups([e.group for e in examples], validation, seed)


# --- subtle changes and looser wordings -----------------------------------------------------------------
# Real models' wrong claims are mostly one small change to a true sentence (a direction reversed, an
# absolute for a hedge, two roles swapped, a plausible detail added), and their right claims rarely quote a
# whole sentence (they drop asides, or join two sentences). Answer swaps and negations alone do not teach either.

_OPPOSITES = dict(
    pair
    for a, b in (
        ("increased", "decreased"),
        ("increase", "decrease"),
        ("increases", "decreases"),
        ("rose", "fell"),
        ("rise", "fall"),
        ("rises", "falls"),
        ("risen", "fallen"),
        ("higher", "lower"),
        ("more", "fewer"),
        ("gained", "lost"),
        ("grew", "shrank"),
        ("growth", "decline"),
        ("above", "below"),
        ("before", "after"),
        ("largest", "smallest"),
        ("most", "least"),
        ("first", "last"),
        ("earlier", "later"),
        ("early", "late"),
        ("expanded", "contracted"),
        ("strengthened", "weakened"),
        ("improved", "worsened"),
        ("won", "lost"),
        ("approved", "rejected"),
        ("accepted", "rejected"),
        ("majority", "minority"),
        ("maximum", "minimum"),
        ("north", "south"),
        ("northern", "southern"),
        ("east", "west"),
        ("eastern", "western"),
        ("up", "down"),
        ("larger", "smaller"),
        ("longer", "shorter"),
        ("older", "younger"),
        ("oldest", "youngest"),
        ("highest", "lowest"),
        ("better", "worse"),
        ("best", "worst"),
        ("success", "failure"),
        ("successful", "unsuccessful"),
        ("allowed", "banned"),
        ("supported", "opposed"),
        ("added", "removed"),
        ("entered", "left"),
        ("opened", "closed"),
        ("began", "ended"),
        ("start", "end"),
        ("inside", "outside"),
    )
    for pair in ((a, b), (b, a))
)
_HEDGES = {
    "some": "all",
    "many": "all",
    "most": "all",
    "often": "always",
    "usually": "always",
    "sometimes": "always",
    "may": "will",
    "might": "will",
    "can": "must",
    "several": "all",
    "few": "no",
    "generally": "always",
    "mostly": "entirely",
    "partly": "entirely",
    "about": "exactly",
    "approximately": "exactly",
    "nearly": "over",
}
_WORD = re.compile(r"\b[A-Za-z]+\b")
_PHRASE = re.compile(r"\b(?:in|at|by|for|with|after|during|under|from|through|against)\s+(?:[\w'’-]+\s+){1,6}[\w'’-]+")


def _replace_word(sentence: str, table: dict[str, str], rng: random.Random) -> str | None:
    found = [m for m in _WORD.finditer(sentence) if m.group(0).lower() in table]
    if not found:
        return None
    m = rng.choice(found)
    new = table[m.group(0).lower()]
    new = new.capitalize() if m.group(0)[0].isupper() else new
    return sentence[: m.start()] + new + sentence[m.end() :]


def _swap_roles(sentence: str) -> str | None:
    names = [m for m in reader_data._NAME_OR_NUMBER.finditer(sentence) if not m.group(0)[0].isdigit() and m.start() > 0]
    distinct = list({m.group(0): m for m in names}.values())
    if len(distinct) < 2:
        return None
    a, b = distinct[0], distinct[1]
    return sentence[: a.start()] + b.group(0) + sentence[a.end() : b.start()] + a.group(0) + sentence[b.end() :]


def _add_detail(sentence: str, elsewhere: str, rng: random.Random) -> str | None:
    """The sentence with a phrase of another passage added: plausible, and not what this passage says."""
    phrases = [m.group(0) for m in _PHRASE.finditer(elsewhere) if m.group(0).lower() not in sentence.lower()]
    body = sentence.rstrip().rstrip(".")
    if not phrases or body == sentence.rstrip():
        return None
    return f"{body} {rng.choice(phrases)}."


def _compress(sentence: str) -> str | None:
    """The sentence without its asides: brackets, clauses set off by commas ("which", "who"), a closing
    participle clause. Still supported: it says less."""
    out = re.sub(r"\s*\([^)]*\)", "", sentence)
    out = re.sub(r",\s*(?:which|who|whose|where|when)\b[^,.;]*,", "", out)
    out = re.sub(r",\s*(?:which|who|whose|where|\w+ing)\b[^,;]*\.$", ".", out)
    return out if out != sentence and len(out.split()) >= 5 else None


def _join(sentence: str, following: str) -> str | None:
    """Two sentences of a passage as one claim, as models combine them."""
    if not following or len(following.split()) < 4 or following[:1].isdigit():
        return None
    second = following.strip()  # its capital stays: the checker's tokenizer is uncased
    return f"{sentence.rstrip().rstrip('.')}, and {second}"


SUBTLE_MIN_WORDS, SUBTLE_MAX_WORDS = 6, 45  # a sentence, not a name, nor HaluEval's run-together sentences


def subtle_claims(base: list[Claim], seed: int) -> list[Claim]:
    """For each supported sentence claim of ``base`` (one per group): one subtly changed claim (not supported)
    and one looser wording of it (supported), where the sentence allows."""
    rng = random.Random(seed)
    by_group: dict[str, list[Claim]] = {}
    for c in base:
        if c.supported and SUBTLE_MIN_WORDS <= len(c.claim.split()) <= SUBTLE_MAX_WORDS:
            by_group.setdefault(c.group, []).append(c)
    passages = [c.passage for cs in by_group.values() for c in cs]
    out = []
    for group, claims in by_group.items():
        c = rng.choice(claims)
        elsewhere = rng.choice(passages)
        changed = [
            f
            for f in (
                _replace_word(c.claim, _OPPOSITES, rng),
                _replace_word(c.claim, _HEDGES, rng),
                _swap_roles(c.claim),
                _add_detail(c.claim, elsewhere if elsewhere != c.passage else "", rng),
            )
            if f and f != c.claim
        ]
        if changed:
            out.append(Claim(f"{c.id}-subtle", c.question, rng.choice(changed), c.passage, False, group))
        spans = sentence_spans(c.passage)
        at = c.passage.find(c.claim)
        following = next((c.passage[s:e] for s, e in spans if at >= 0 and s >= at + len(c.claim)), "")
        looser = [f for f in (_compress(c.claim), _join(c.claim, following)) if f]
        if looser:
            out.append(Claim(f"{c.id}-looser", c.question, rng.choice(looser), c.passage, True, group))
    return out
