"""DOCX (python-docx): paragraphs in body order, Heading/Title styles as "# " lines, list paragraphs (a List
style or Word numbering) as "- " items, table rows as "cell | cell" lines. Footnotes and endnotes follow the
paragraph that marks them, as notes ("^1" where the body marks one, "1 ..." for the note), as from a PDF."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

from lxml import etree

from rag.readers.base import Extracted, ReadError, _join_blocks
from rag.text import SUPERSCRIPT_MARK

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_NOTE_KINDS = {"footnoteReference": "footnotes", "endnoteReference": "endnotes"}
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
# The text boxes anchored in a paragraph (a report's "Key findings" box, a sidebar): python-docx's text leaves
# them out; they are read after the paragraph. Word writes each box twice, for new readers and as a fallback
# for old ones: the fallback is skipped, and so is a box inside a box (read with its own).
_TEXT_BOXES = etree.XPath(
    ".//w:txbxContent[not(ancestor::mc:Fallback)][not(ancestor::w:txbxContent)]", namespaces={"w": _W, "mc": _MC}
)


def read_docx(data: bytes) -> Extracted:
    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError

        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ReadError(f"corrupt DOCX (not a readable Word package: {exc})") from exc
    except PackageNotFoundError as exc:
        raise ReadError("corrupt DOCX (not a Word package)") from exc
    blocks = list(_Reading(document, _notes(document)).blocks(document.element.body))
    text = _join_blocks([block for block, _ in blocks])
    footnotes, at = [], 0
    for block, is_note in blocks:  # _join_blocks sets blocks two newlines apart
        if is_note:
            footnotes.append((at, at + len(block)))
        at += len(block) + 2
    return Extracted(text, footnotes=tuple(footnotes))


def _notes(document) -> dict[str, dict[str, object]]:
    """The footnotes and endnotes parts' notes by id ({"footnotes": {"2": <w:footnote>}, ...})."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    found: dict[str, dict[str, object]] = {}
    for kind, reltype in (("footnotes", RT.FOOTNOTES), ("endnotes", RT.ENDNOTES)):
        try:
            part = document.part.part_related_by(reltype)
        except KeyError:
            continue
        root = etree.fromstring(part.blob)
        found[kind] = {n.get(f"{{{_W}}}id"): n for n in root if n.get(f"{{{_W}}}type") is None}
    return found


def _run_text(paragraph, number) -> tuple[str, list[tuple[str, str, int]]]:
    """A paragraph's text with "^n" where it marks a note (``number(kind, id)`` gives n), and the (kind, id, n) of
    each note marked, in order. Only for paragraphs that mark notes: python-docx's own text leaves the marks out."""
    parts, marked = [], []
    for run in _runs(paragraph):
        for el in run:
            name = _local(el)
            if name == "t":
                parts.append(el.text or "")
            elif name in ("tab", "br", "cr"):
                parts.append(" ")
            elif name == "noBreakHyphen":
                parts.append("-")
            elif name in _NOTE_KINDS:
                kind, note_id = _NOTE_KINDS[name], el.get(f"{{{_W}}}id")
                marked.append((kind, note_id, number(kind, note_id)))
                parts.append(f"{SUPERSCRIPT_MARK}{marked[-1][2]}")
    return "".join(parts), marked


def _local(element) -> str:
    """An element's tag without its namespace ("" for a comment or processing instruction)."""
    return element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""


# Inside a paragraph, what is not its own text: deleted text, text boxes (read after it) and the fallback copy
# of a drawing.
_NOT_OWN_TEXT = {"del", "txbxContent", "Fallback", "drawing", "pict"}


def _runs(element):
    """The runs of a paragraph's own text, in order, wherever they stand (hyperlinks, fields, content controls)."""
    for child in element:
        name = _local(child)
        if name == "r":
            yield child
        elif name and name not in _NOT_OWN_TEXT:
            yield from _runs(child)


# Word's own mark of a heading, whatever its style is called ("Chapter Title", a house "H1", a localized name):
# an outline level (0-8) set on the paragraph or on its style or a style it is based on, as the table of
# contents and the navigation pane read it. Level 9 is body text.
_OUTLINE = f"{{{_W}}}pPr/{{{_W}}}outlineLvl"
_VAL = f"{{{_W}}}val"


def _outlined(paragraph, style) -> bool:
    level = paragraph.find(_OUTLINE)
    seen = 0
    while level is None and style is not None and seen < 10:  # a loop of styles based on each other ends
        level = style.element.find(_OUTLINE)
        style, seen = style.base_style, seen + 1
    return level is not None and level.get(_VAL, "9").isdigit() and int(level.get(_VAL, "9")) < 9


@dataclass
class _Reading:
    document: object
    notes: dict[str, dict[str, object]]
    _numbers: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> id -> number, in order of marking

    def blocks(self, container):
        """The text blocks of a body or a content control, in order, each with whether it is a note. Word keeps
        cover pages, tables of contents and sometimes whole sections in content controls (w:sdt); XML comments
        and other non-elements are skipped."""
        from docx.table import Table
        from docx.text.paragraph import Paragraph as DocxParagraph

        for child in container.iterchildren():
            tag = _local(child)  # "" for an XML comment or processing instruction
            if tag == "p":
                para = DocxParagraph(child, self.document)
                marks = child.xpath(".//w:footnoteReference | .//w:endnoteReference")
                raw, marked = _run_text(child, self._number) if marks else (para.text, [])
                text = " ".join(raw.split())
                style = (para.style.name if para.style is not None else "") or ""
                if text and (style.startswith("Heading") or style == "Title" or _outlined(child, para.style)):
                    yield f"# {text}", False
                elif text and (style.startswith("List") or child.find(f"{{{_W}}}pPr/{{{_W}}}numPr") is not None):
                    yield f"- {text}", False
                elif text:
                    yield text, False
                for kind, note_id, n in marked:
                    note = self._note_text(kind, note_id)
                    if note:
                        yield f"{n} {note}", True
                for box in _TEXT_BOXES(child):
                    yield from self.blocks(box)
            elif tag == "tbl":
                for row in Table(child, self.document).rows:
                    cells, previous = [], None
                    for cell in row.cells:  # a cell merged across columns is listed once for each column
                        if cell._tc is not previous:
                            cells.append(" ".join(cell.text.split()))
                        previous = cell._tc
                    if any(cells):
                        yield " | ".join(cells), False
            elif tag == "sdt":
                content = child.find(f"{{{_W}}}sdtContent")
                if content is not None:
                    yield from self.blocks(content)

    def _number(self, kind: str, note_id: str) -> int:
        numbered = self._numbers.setdefault(kind, {})
        return numbered.setdefault(note_id, len(numbered) + 1)

    def _note_text(self, kind: str, note_id: str) -> str:
        note = self.notes.get(kind, {}).get(note_id)
        if note is None:
            return ""
        paragraphs = ("".join(t.text or "" for t in p.iter(f"{{{_W}}}t")) for p in note.iter(f"{{{_W}}}p"))
        return " ".join(" ".join(paragraphs).split())
