"""Images for the evidence tests, made without holding their pixels: a PNG of any size is
written row by row through zlib, so a 13000×13000 photo costs the test a few KB of memory
and its file a few hundred KB, as the one that exhausted the server's memory did."""

from __future__ import annotations

import struct
import zlib


def blank_png(width: int, height: int) -> bytes:
    """An RGB PNG of one colour, `width`×`height` pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    squeeze = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * (width * 3)  # filter byte, then black pixels
    data = b"".join(squeeze.compress(row) for _ in range(height)) + squeeze.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data)
            + chunk(b"IEND", b""))
