import codecs

import pytest

from rag.readers import ReadError, decode_text, extract


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty file"),
        (b"  \n\t\n", "only whitespace"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"\x81\x8d\x8f\x90\x9d" * 3, "neither UTF-8 nor Windows-1252"),
        (bytes(range(1, 32)) * 20, "control characters"),
    ],
)
def test_bad_bytes_get_a_clear_reason(data, reason):
    with pytest.raises(ReadError, match=reason):
        decode_text(data)


def test_latin1_is_read_and_said_so():
    from rag.readers import decode_text_noted

    text, note = decode_text_noted("café au lait, naïve".encode("latin-1"))
    assert text == "café au lait, naïve" and "Windows-1252" in note
    assert decode_text_noted("café".encode())[1] is None


def test_byte_order_marks_are_honoured():
    assert decode_text(codecs.BOM_UTF8 + "Homs – Palmyra".encode()) == "Homs – Palmyra"
    assert decode_text("Raqqa ‘desert’".encode("utf-16")) == "Raqqa ‘desert’"


def test_unsupported_suffix_is_named(tmp_path):
    with pytest.raises(ReadError, match=r"unsupported file type '\.odt'"):
        extract(tmp_path / "report.odt", b"PK\x03\x04")
