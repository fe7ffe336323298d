"""Text files as Chinese offices save them: UTF-8 (with or without BOM), UTF-16 with a BOM,
else GB18030, as Excel and WPS save CSV on a Chinese Windows. Pure."""

from __future__ import annotations


def decode(data: bytes) -> str | None:
    """The text of `data`, or None when it is none of those encodings. UTF-16 without its
    BOM may decode, full of NUL characters: the caller says so."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8-sig", "gb18030"]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text
    return None
