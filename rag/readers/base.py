"""What every reader shares: the error it raises, what it returns, and how blocks become text."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Sequence


class ReadError(Exception):
    """A file that cannot be ingested; the message says why, in words an analyst can act on."""


@dataclass(frozen=True)
class Extracted:
    text: str
    # (offset, page), offsets rising: the text from ``offset`` to the next mark was printed on ``page``. Pages
    # need not rise: a paragraph running on to page 12 comes whole before page 11's footnotes.
    page_marks: tuple[tuple[int, int], ...] | None = None
    note: str | None = None  # something the analyst should know about how the file was read
    footnotes: tuple[tuple[int, int], ...] = ()  # (start, end) in ``text`` of each footnote block
    page_count: int | None = None

    def page_at(self, offset: int) -> int | None:
        """The page the character at ``offset`` was printed on (None without pages)."""
        return page_at(self.page_marks, offset) if self.page_marks else None


def page_at(page_marks: Sequence[tuple[int, int]], offset: int) -> int:
    i = bisect.bisect_right([o for o, _ in page_marks], offset) - 1
    return page_marks[max(0, i)][1]


def _join_blocks(blocks: list[str]) -> str:
    text = "\n\n".join(b for b in blocks if b.strip())
    if not text.strip():
        raise ReadError("no text found in the document")
    return text + "\n"
