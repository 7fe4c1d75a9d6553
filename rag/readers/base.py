"""What every reader shares: the error it raises, what it returns, and how blocks become text."""

from __future__ import annotations

from dataclasses import dataclass


class ReadError(Exception):
    """A file that cannot be ingested; the message says why, in words an analyst can act on."""


@dataclass(frozen=True)
class Extracted:
    text: str
    page_starts: tuple[int, ...] | None = None  # offset in ``text`` where page 1, 2, ... begins
    note: str | None = None  # something the analyst should know about how the file was read


def _join_blocks(blocks: list[str]) -> str:
    text = "\n\n".join(b for b in blocks if b.strip())
    if not text.strip():
        raise ReadError("no text found in the document")
    return text + "\n"
