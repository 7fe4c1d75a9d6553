"""File bytes -> document text. One reader per format, chosen by suffix; bad files raise ReadError."""

from __future__ import annotations

import codecs
from pathlib import Path

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".text")


class ReadError(Exception):
    """A file that cannot be ingested; the message says why, in words an analyst can act on."""


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


def extract_text(path: Path, data: bytes) -> str:
    """The document text that paragraph offsets refer to."""
    ensure_supported(path)
    return decode_text(data)


def decode_text(data: bytes) -> str:
    if not data.strip():
        raise ReadError("empty file" if not data else "file holds only whitespace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ReadError(f"not decodable as UTF-16 despite its byte-order mark ({exc.reason})") from exc
    elif b"\x00" in data:
        raise ReadError("binary file (contains NUL bytes), not text")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ReadError(
                f"not valid UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); re-save it as UTF-8"
            ) from exc
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(8, len(text) // 100):
        raise ReadError("binary file (control characters), not text")
    if not text.strip():
        raise ReadError("file holds only whitespace")
    return text
