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
    from docx.table import Table
    from docx.text.paragraph import Paragraph as DocxParagraph

    blocks = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = DocxParagraph(child, document)
            text = " ".join(para.text.split())
            style = (para.style.name if para.style is not None else "") or ""
            if text and (style.startswith("Heading") or style == "Title"):
                blocks.append(f"# {text}")
            elif text and (style.startswith("List") or child.find(f"{{{_W}}}pPr/{{{_W}}}numPr") is not None):
                blocks.append(f"- {text}")
            elif text:
                blocks.append(text)
        elif tag == "tbl":
            for row in Table(child, document).rows:
                cells = [" ".join(c.text.split()) for c in row.cells]
                if any(cells):
                    blocks.append(" | ".join(cells))
    return _join_blocks(blocks)
