"""HTML (BeautifulSoup + lxml): the article's blocks, navigation and other boilerplate dropped."""

from __future__ import annotations

import re

from rag.readers.base import Extracted, _join_blocks


def read_html(data: bytes) -> Extracted:
    return Extracted(html_text(data))


_DROP = [
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "iframe",
    "svg",
    "button",
]
# A table is read row by row, a row's cells together ("Cost | 3 | 2,200"), and a list item keeps its marker
# ("- ..."): as from a PDF or DOCX, a run of rows or of short items becomes one paragraph (rag.paragraphs).
_BLOCKS = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "blockquote", "pre", "figcaption", "tr", "dd", "dt"]
_CELLS = ["td", "th"]
_BOILERPLATE = re.compile(
    r"\b(nav|menu|sidebar|footer|header|cookie|banner|share|social|related|comment|promo|subscribe|advert)", re.I
)


def html_text(data: bytes) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "lxml")
    for tag in soup(_DROP):
        tag.decompose()
    for tag in soup.find_all(attrs={"role": ["navigation", "banner", "contentinfo", "complementary"]}):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.attrs is None:
            continue
        marks = " ".join([tag.get("id") or "", *(tag.get("class") or [])])
        if marks.strip() and _BOILERPLATE.search(marks) and tag.name not in ("html", "body", "main", "article"):
            tag.decompose()
    root = soup.find("article") or soup.find("main") or _densest(soup) or soup.body or soup
    blocks = []
    for el in root.find_all(_BLOCKS):
        if el.find(_BLOCKS):  # a container of blocks: its children speak for it
            continue
        if el.name == "tr":
            cells = [" ".join(c.get_text(" ").split()) for c in el.find_all(_CELLS)]
            text = " | ".join(c for c in cells if c)
        else:
            text = " ".join(el.get_text(" ").split())
        if not text:
            continue
        if el.name in ("h1", "h2", "h3", "h4", "h5", "h6"):
            text = f"# {text}"
        elif el.name == "li":
            text = f"- {text}"
        blocks.append(text)
    return _join_blocks(blocks)


def _densest(soup):
    """Readability's rule of thumb: the element whose own <p> children hold the most text."""
    best, best_len = None, 0
    for el in soup.find_all(["div", "section", "td"]):
        total = sum(len(p.get_text()) for p in el.find_all("p", recursive=False))
        if total > best_len:
            best, best_len = el, total
    return best
