"""SQuAD's answer normalization, exact match and token F1 (Rajpurkar et al., the official evaluation script)."""

from __future__ import annotations

import collections
import re
import string

_PUNCT = set(string.punctuation)


def normalize(text: str) -> str:
    """Lower case, no punctuation, no articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match(prediction: str, golds: list[str] | tuple[str, ...]) -> float:
    return max((float(normalize(prediction) == normalize(g)) for g in golds), default=0.0)


def token_f1(prediction: str, golds: list[str] | tuple[str, ...]) -> float:
    def f1(pred: str, gold: str) -> float:
        p, g = normalize(pred).split(), normalize(gold).split()
        common = sum((collections.Counter(p) & collections.Counter(g)).values())
        if not p or not g:
            return float(p == g)
        if not common:
            return 0.0
        precision, recall = common / len(p), common / len(g)
        return 2 * precision * recall / (precision + recall)

    return max((f1(prediction, g) for g in golds), default=0.0)
