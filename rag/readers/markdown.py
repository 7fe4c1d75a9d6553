"""Markdown (markdown-it-py, CommonMark with tables): its blocks rebuilt as the other rich formats are, headings
as "# " lines, list items as "- ", table rows as "cell | cell", block quotes and code as their text; inline
markup goes ("*key* [finding](https://...)" reads "key finding"). Read as plain text, a numbered item
("2. Second") passed for a heading, a table kept its "|---|" rule and a quote its "> " on every line."""

from __future__ import annotations

from rag.readers.base import Extracted, _join_blocks
from rag.readers.text import decode_text_noted


def read_markdown(data: bytes) -> Extracted:
    text, note = decode_text_noted(data)
    return Extracted(markdown_text(text), note=note)


def markdown_text(source: str) -> str:
    from markdown_it import MarkdownIt

    blocks: list[str] = []
    row: list[str] | None = None
    heading = False
    marker = ""  # "- " while a list item's first block is still to come

    def add(text: str) -> None:
        nonlocal marker
        if text:
            blocks.append(marker + text)
            marker = ""

    for token in MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(source):
        kind = token.type
        if kind == "list_item_open":
            marker = "- "
        elif kind in ("heading_open", "heading_close"):
            heading = kind == "heading_open"
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and row is not None:
            if any(row):
                blocks.append(" | ".join(row))
            row = None
        elif kind == "inline":
            text = " ".join(_inline_text(token).split())
            if row is not None:
                row.append(text)
            elif heading and text:
                blocks.append(f"# {text}")
            else:
                add(text)
        elif kind in ("fence", "code_block"):
            add("\n".join(line.rstrip() for line in token.content.splitlines() if line.strip()))
        elif kind == "html_block":
            from bs4 import BeautifulSoup

            add(" ".join(BeautifulSoup(token.content, "lxml").get_text(" ").split()))
    return _join_blocks(blocks)


def _inline_text(token) -> str:
    """The words of an inline token: text and code as written, images by their alt text, line breaks as
    spaces, markup and raw HTML tags dropped."""
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(_inline_text(child))
    return "".join(parts)
