"""Plain text: UTF-8 (BOM or not), UTF-16 with a BOM, else Windows-1252 said in a note."""

from __future__ import annotations

import codecs

from rag.readers.base import Extracted, ReadError


def read_text(data: bytes) -> Extracted:
    text, note = decode_text_noted(data)
    return Extracted(text, note=note)


def decode_text(data: bytes) -> str:
    return decode_text_noted(data)[0]


def decode_text_noted(data: bytes) -> tuple[str, str | None]:
    """UTF-8 (with or without BOM) or UTF-16 with BOM; failing those, Windows-1252 (a superset of Latin-1
    for text), said in the note. Binary data and empty files are refused."""
    note = None
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
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                raise ReadError(
                    f"neither UTF-8 nor Windows-1252 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                    "re-save it as UTF-8"
                ) from exc
            note = f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}): read as Windows-1252/Latin-1"
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(8, len(text) // 100):
        raise ReadError("binary file (control characters), not text")
    if not text.strip():
        raise ReadError("file holds only whitespace")
    return text, note
