"""Multi-turn chat: a follow-up ("and in Hama?") becomes a standalone question before retrieval."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.answer.llm import LLM, LLMError, complete
from rag.types import Answer


@dataclass
class ChatSession:
    """The turns so far: what was asked, what it was taken to mean, and the answer."""

    turns: list[tuple[str, str, Answer]] = field(default_factory=list)  # (asked, standalone, answer)

    @property
    def last_question(self) -> str | None:
        return self.turns[-1][1] if self.turns else None

    def add(self, asked: str, standalone: str, answer: Answer) -> None:
        self.turns.append((asked, standalone, answer))


_LEAD_IN = re.compile(r"^(?:and|but|also|so|ok(?:ay)?|then)\b[\s,]*|^(?:and\s+)?(?:what|how)\s+about\s+", re.I)
_PRONOUNS = re.compile(r"\b(it|its|they|them|their|he|him|his|she|her|that|those|these|there|this)\b", re.I)
_PREPOSITIONAL = re.compile(r"^(in|at|near|for|during|from|of|on|by|since|before|after)\s+(.+)$", re.I)
_NAME = re.compile(r"[A-Z0-9][\w’'-]*(?:\s+(?:al-|el-|de\s+)?[A-Z0-9][\w’'-]*)*")


_TIME_WORDS = set(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday spring summer autumn fall winter".split()
)


def _is_time(phrase: str) -> bool:
    first = phrase.split()[0].lower() if phrase.split() else ""
    return first in _TIME_WORDS or bool(re.fullmatch(r"(1[89]|20)\d\d", first))


def is_follow_up(question: str) -> bool:
    words = question.split()
    return bool(_LEAD_IN.match(question)) or len(words) <= 3 or (len(words) <= 8 and bool(_PRONOUNS.search(question)))


def rewrite_follow_up(previous: str, follow_up: str) -> str:
    """Rule-based condensing: swap the follow-up's place, time or name into the previous question.

    "How many attacks were there in Homs in July?" + "and in Hama?" -> "How many attacks were there in Hama in July?"
    """
    if not is_follow_up(follow_up):
        return follow_up
    core = _LEAD_IN.sub("", follow_up.strip()).rstrip(" ?.!")
    if not core:
        return previous
    base = previous.rstrip(" ?.!")
    prep = _PREPOSITIONAL.match(core)
    if prep:
        word, thing = prep.group(1).lower(), prep.group(2)
        # Replace the previous question's phrase with that preposition and the same kind (a time for a
        # time, a place or name for a name); the last one if several.
        found = [
            m
            for m in re.finditer(rf"\b((?i:{word}))\s+(?:the\s+)?({_NAME.pattern})", base)
            if _is_time(m.group(2)) == _is_time(thing)
        ]
        if found:
            m = found[-1]
            return f"{base[: m.start()]}{m.group(1)} {thing}{base[m.end() :]}?"
        return f"{base} {word} {thing}?"
    if _NAME.fullmatch(core):  # a bare name: "Hama?" -> swap for the previous question's last name
        names = [m for m in _NAME.finditer(base) if m.start() > 0]
        if names:
            m = names[-1]
            return f"{base[: m.start()]}{core}{base[m.end() :]}?"
    if _PRONOUNS.search(core):
        return follow_up  # "what did they do?" needs a model to resolve; asked as is
    return f"{base}, {core}?"


CONDENSE_PROMPT = """Rewrite the follow-up question so that it can be understood without the conversation.
Keep every name, place and date. Reply with the rewritten question only, on one line."""


def condense(previous: str | None, follow_up: str, llm: LLM | None) -> str:
    """The standalone form of a follow-up question: by the model when there is one, else by rule."""
    if previous is None or not is_follow_up(follow_up):
        return follow_up
    if llm is not None:
        try:
            reply = (
                complete(
                    llm,
                    [
                        {"role": "system", "content": CONDENSE_PROMPT},
                        {"role": "user", "content": f"Previous question: {previous}\nFollow-up: {follow_up}"},
                    ],
                    max_tokens=64,
                )
                .strip()
                .splitlines()
            )
        except LLMError:
            reply = []
        candidate = reply[0].strip().strip('"') if reply else ""
        # A weak model may ramble or drop the topic: take its rewrite only if it is a plausible question.
        if 8 <= len(candidate) <= 300 and candidate.endswith("?") and candidate.lower() != follow_up.lower():
            return candidate
    return rewrite_follow_up(previous, follow_up)
