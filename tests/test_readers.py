import codecs

import pytest

from rag.readers import ReadError, decode_text, extract


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty file"),
        (b"  \n\t\n", "only whitespace"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"caf\xe9 au lait, na\xefve", "not valid UTF-8"),
        (bytes(range(1, 32)) * 20, "control characters"),
    ],
)
def test_bad_bytes_get_a_clear_reason(data, reason):
    with pytest.raises(ReadError, match=reason):
        decode_text(data)


def test_byte_order_marks_are_honoured():
    assert decode_text(codecs.BOM_UTF8 + "Homs – Palmyra".encode()) == "Homs – Palmyra"
    assert decode_text("Raqqa ‘desert’".encode("utf-16")) == "Raqqa ‘desert’"


def test_unsupported_suffix_is_named(tmp_path):
    with pytest.raises(ReadError, match=r"unsupported file type '\.odt'"):
        extract(tmp_path / "report.odt", b"PK\x03\x04")
