"""DOCX (python-docx): paragraphs in body order, Heading/Title styles as "# " lines, list paragraphs (a List
style or Word numbering) as "- " items, table rows as "cell | cell" lines."""

from __future__ import annotations

import io
import zipfile

from rag.readers.base import Extracted, ReadError, _join_blocks

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def read_docx(data: bytes) -> Extracted:
    return Extracted(docx_text(data))


def docx_text(data: bytes) -> str:
    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError

        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ReadError(f"corrupt DOCX (not a readable Word package: {exc})") from exc
    except PackageNotFoundError as exc:
        raise ReadError("corrupt DOCX (not a Word package)") from exc
    return _join_blocks(list(_blocks(document.element.body, document)))


def _blocks(container, document):
    """The text blocks of a body or a content control, in order. Word keeps cover pages, tables of contents and
    sometimes whole sections in content controls (w:sdt); XML comments and other non-elements are skipped."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph as DocxParagraph

    for child in container.iterchildren():
        if not isinstance(child.tag, str):  # an XML comment or processing instruction
            continue
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = DocxParagraph(child, document)
            text = " ".join(para.text.split())
            style = (para.style.name if para.style is not None else "") or ""
            if text and (style.startswith("Heading") or style == "Title"):
                yield f"# {text}"
            elif text and (style.startswith("List") or child.find(f"{{{_W}}}pPr/{{{_W}}}numPr") is not None):
                yield f"- {text}"
            elif text:
                yield text
        elif tag == "tbl":
            for row in Table(child, document).rows:
                cells, previous = [], None
                for cell in row.cells:  # a cell merged across columns is listed once for each column
                    if cell._tc is not previous:
                        cells.append(" ".join(cell.text.split()))
                    previous = cell._tc
                if any(cells):
                    yield " | ".join(cells)
        elif tag == "sdt":
            content = child.find(f"{{{_W}}}sdtContent")
            if content is not None:
                yield from _blocks(content, document)
