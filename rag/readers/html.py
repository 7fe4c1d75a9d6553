"""HTML (BeautifulSoup + lxml): the article's blocks, navigation and other boilerplate dropped."""

from __future__ import annotations

import re
import warnings

from rag.readers.base import Extracted, _join_blocks
from rag.text import SUPERSCRIPT_MARK


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
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_CELLS = ["td", "th"]
# Elements a browser lays out as blocks: each ends the text before it and starts its own, so text set loose in
# a <div> or between two lists is a block of its own, never lost or run into its neighbour (a <br> breaks the
# line within its block). Everything else (<span>, <a>, <b>, <q>, ...) is inline: its text joins its block as
# written ("<b>Pa</b>ra" reads "Para").
_BREAKS = frozenset(
    {
        *_HEADINGS,
        "address",
        "article",
        "blockquote",
        "body",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "hr",
        "legend",
        "li",
        "main",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
_SUPERSCRIPT_DIGITS = re.compile(r"\d+(?:[,\u2013-]\d+)*")
_BOILERPLATE = re.compile(
    r"\b(nav|menu|sidebar|footer|header|cookie|banner|share|social|related|comment|promo|subscribe|advert)", re.I
)


def html_text(data: bytes) -> str:
    from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning

    with warnings.catch_warnings():  # XHTML with an <?xml?> prolog reads the same through the HTML parser
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(data, "lxml")
    for tag in soup(_DROP):
        if not _articles_header(tag, {tag.name}):
            tag.decompose()
    for tag in soup.find_all(attrs={"role": ["navigation", "banner", "contentinfo", "complementary"]}):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.attrs is None:
            continue
        marks = " ".join([tag.get("id") or "", *(tag.get("class") or [])])
        found = {m.lower() for m in _BOILERPLATE.findall(marks)}
        if found and tag.name not in ("html", "body", "main", "article") and not _articles_header(tag, found):
            tag.decompose()
    root = soup.find("article") or soup.find("main") or _densest(soup) or soup.body or soup
    return _join_blocks(_Blocks().read(root))


def _articles_header(tag, marks: set[str]) -> bool:
    """An article's own header (<header>, class "entry-header"): its title and byline, kept; the page's header is
    the site's banner."""
    return marks == {"header"} and tag.find_parent(["article", "main"]) is not None


def _collapsed(text: str) -> str:
    return " ".join(text.split())


def _lines_collapsed(text: str) -> str:
    """Whitespace collapsed within each line; the line breaks a <br> made kept, two in a row as a blank line
    (so a paragraph wrapped with <br>s is one block whose lines rag.paragraphs joins as wrapped prose, and one
    set apart by <br><br> is a paragraph of its own)."""
    lines = [_collapsed(line) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


class _Blocks:
    """The blocks of an element's text in document order: headings as "# ...", list items as "- ...", table
    rows as their cells joined by " | ", and every other run of text between two block boundaries as is."""

    def __init__(self):
        self.blocks: list[str] = []
        self._inline: list[str] = []
        self._marker = ""  # "- " while a list item's first text is still to come

    def read(self, root) -> list[str]:
        self._walk(root)
        self._end_block()
        return self.blocks

    def _end_block(self) -> None:
        text = _lines_collapsed("".join(self._inline))
        self._inline.clear()
        if text:
            self.blocks.append(self._marker + text)
            self._marker = ""

    def _walk(self, element) -> None:
        from bs4 import NavigableString, Tag
        from bs4.element import PreformattedString

        for node in element.children:
            if isinstance(node, PreformattedString):  # comments, CDATA, doctype, processing instructions
                continue
            if isinstance(node, NavigableString):
                self._inline.append(str(node).replace("\n", " "))  # source line breaks are spaces
            elif isinstance(node, Tag):
                self._element(node)

    def _raised(self, tag) -> bool:
        """A superscript of digits glued to the text before it: a footnote mark or a power, read as "^1" the
        way the PDF reader writes one ("Mason^1", not a word "Mason1"; "10^18", not 1018)."""
        if tag.name != "sup" or not _SUPERSCRIPT_DIGITS.fullmatch(tag.get_text().strip()):
            return False
        before = next((piece for piece in reversed(self._inline) if piece), "")
        return bool(before) and not before[-1].isspace()

    def _element(self, tag) -> None:
        name = tag.name
        if name == "br":
            self._inline.append("\n")
            return
        if name not in _BREAKS:
            if self._raised(tag):
                self._inline.append(SUPERSCRIPT_MARK + tag.get_text().strip())
            else:
                self._walk(tag)
            return
        self._end_block()
        if name in _HEADINGS:
            text = _collapsed(tag.get_text(" "))
            if text:
                self.blocks.append(f"# {text}")
        elif name == "tr" and _is_data_row(tag):
            cells = [_collapsed(c.get_text(" ")) for c in tag.find_all(_CELLS)]
            row = " | ".join(c for c in cells if c)
            if row:
                self.blocks.append(row)
        else:
            if name == "li":
                self._marker = "- "
            self._walk(tag)
            self._end_block()
            if name == "li":
                self._marker = ""


# A row whose cells hold whole sections (a table used for page layout, as older sites are built) is read as the
# blocks it holds; a row of data is read as one line, even where each cell wraps its text in a <p> (as word
# processors export tables).
_SECTIONS = ["table", "ul", "ol", "dl", *_HEADINGS, "blockquote", "pre"]
_PARAGRAPHS = ["p", "div"]


def _is_data_row(row) -> bool:
    return not any(
        cell.find(_SECTIONS) or len(cell.find_all(_PARAGRAPHS)) > 1 for cell in row.find_all(_CELLS, recursive=False)
    )


# The densest element stands for the page only when it holds at least this share of the page's paragraph text:
# otherwise (a table whose cells wrap their text in <p>, a page of many short sections) the whole page is read.
MAIN_TEXT_SHARE = 0.5


def _densest(soup):
    """Readability's rule of thumb: the element whose own <p> children hold the most text."""
    best, best_len = None, 0
    for el in soup.find_all(["div", "section", "td"]):
        total = sum(len(p.get_text()) for p in el.find_all("p", recursive=False))
        if total > best_len:
            best, best_len = el, total
    page = sum(len(p.get_text()) for p in soup.find_all("p"))
    return best if best_len >= MAIN_TEXT_SHARE * page else None
