"""File bytes -> document text (+ where each page starts). One reader per format (a module each: text,
markdown, pdf, docx, html), chosen by sniffed content first and suffix second; a file that cannot be read raises
ReadError with a reason.

Text from PDF, DOCX and HTML is rebuilt as one paragraph per line, blank lines between, headings as
Markdown "# " lines: the shape the paragraph splitter reads exactly. That rebuilt text is what is stored
and what citation offsets refer to.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rag.readers.base import Extracted, ReadError
from rag.readers.docx import read_docx
from rag.readers.html import read_html
from rag.readers.markdown import read_markdown
from rag.readers.pdf import read_pdf
from rag.readers.text import decode_text, decode_text_noted, read_text

__all__ = [
    "READERS",
    "SUPPORTED_SUFFIXES",
    "TEXT_SUFFIXES",
    "Extracted",
    "ReadError",
    "decode_text",
    "decode_text_noted",
    "ensure_supported",
    "extract",
    "read_bytes",
    "sniff",
]

TEXT_SUFFIXES = (".txt", ".text")

# Format name -> (the suffixes it claims, the reader). ``sniff`` picks the format; ``extract`` calls its reader.
READERS: dict[str, tuple[tuple[str, ...], Callable[[bytes], Extracted]]] = {
    "text": (TEXT_SUFFIXES, read_text),
    "markdown": ((".md", ".markdown"), read_markdown),
    "pdf": ((".pdf",), read_pdf),
    "docx": ((".docx",), read_docx),
    "html": ((".html", ".htm"), read_html),
}
SUPPORTED_SUFFIXES = tuple(s for suffixes, _ in READERS.values() for s in suffixes)


def ensure_supported(path: Path) -> None:
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise ReadError(
            f"unsupported file type '{path.suffix or '(none)'}' (supported: {', '.join(SUPPORTED_SUFFIXES)})"
        )


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ReadError(f"cannot read file: {exc.strerror or exc}") from exc


def sniff(path: Path, data: bytes) -> str:
    """The format by content where it is unmistakable, else by suffix: pdf | docx | html | text."""
    suffix = path.suffix.lower()
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04") and suffix == ".docx":
        return "docx"
    if head.startswith((b"<!doctype html", b"<html")):
        return "html"
    return next((kind for kind, (suffixes, _) in READERS.items() if suffix in suffixes), "text")


def extract(path: Path, data: bytes) -> Extracted:
    """The document text that paragraph offsets refer to, and its page starts for paged formats."""
    ensure_supported(path)
    return READERS[sniff(path, data)][1](data)
