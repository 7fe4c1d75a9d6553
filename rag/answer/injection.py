"""Text in a document that addresses a language model instead of a reader."""

import re

_INJECTION = re.compile(
    r"\b(ignore|disregard|forget)\b.{0,40}\b(instructions?|prompts?|rules|context|above)\b"
    r"|\byou are (now )?(an?|the) (ai|assistant|language model|chatbot)\b"
    r"|\b(system prompt|jailbreak)\b"
    r"|\b(answer|reply|respond|say|output)\b.{0,30}\b(only|exactly|with)\b.{0,20}['\"“‘]",
    re.IGNORECASE | re.DOTALL,
)


def looks_like_injection(text: str) -> bool:
    """Text addressed to a model rather than to a reader."""
    return bool(_INJECTION.search(text))
