"""Plain-text tables that line up in a terminal when cells hold Chinese (double-width) text."""

from __future__ import annotations

from wcwidth import wcswidth


def width(text: str) -> int:
    measured = wcswidth(text)
    return measured if measured >= 0 else len(text)


def pad(text: str, size: int) -> str:
    return text + " " * (size - width(text))


def render(headers: list[str], rows: list[list[str]]) -> str:
    """Columns padded by display width, two spaces apart, a rule under the header."""
    sizes = [width(h) for h in headers]
    for row in rows:
        sizes = [max(s, width(c)) for s, c in zip(sizes, row, strict=True)]
    lines = ["  ".join(pad(h, s) for h, s in zip(headers, sizes, strict=True)).rstrip(),
             "  ".join("-" * s for s in sizes)]
    lines += ["  ".join(pad(c, s) for c, s in zip(row, sizes, strict=True)).rstrip()
              for row in rows]
    return "\n".join(lines)
