"""Reading feeds back in tests: the strict byte rules of RFC 5545, and icalendar's parse."""

from __future__ import annotations

from pathlib import Path

import icalendar


def feeds(exports: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((exports / "feeds").glob("*.ics"))}


def rendered(plan, entries, today) -> dict[str, bytes]:
    """The feeds serialised from scratch (no memo), by file name as `feeds` gives them."""
    from calendar_app.ical import Feeds

    return {rel.rsplit("/", 1)[1]: data for rel, data in Feeds(plan).render(entries, today).items()}


def parse(data: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(data)


def by_uid(data: bytes) -> dict[str, icalendar.Event]:
    return {str(e["UID"]): e for e in parse(data).walk("VEVENT")}


def logical_lines(data: bytes) -> list[str]:
    """Content lines with their folds undone (the CRLF and the one space after it)."""
    return data.replace(b"\r\n ", b"").decode("utf-8").split("\r\n")[:-1]


def check_bytes(data: bytes) -> None:
    """The wire rules of RFC 5545 3.1 that a parser may forgive but a strict client does not."""
    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b""), "a bare LF"
    assert b"\r" not in data.replace(b"\r\n", b""), "a bare CR"
    physical = data.split(b"\r\n")[:-1]
    for line in physical:
        assert len(line) <= 75, line
        line.decode("utf-8")  # each physical line holds whole UTF-8 characters only
        assert line, "an empty line"
    # No fold between a backslash and the character it escapes.
    logical: list[list[bytes]] = []
    for line in physical:
        if line.startswith(b" "):
            logical[-1].append(line[1:])
        else:
            logical.append([line])
    for parts in logical:
        offset, folds = 0, set()
        for part in parts[:-1]:
            offset += len(part)
            folds.add(offset)
        text = b"".join(parts)
        i = 0
        while i < len(text):
            if text[i:i + 1] == b"\\":
                assert i + 1 not in folds, f"fold inside an escape: {text!r}"
                i += 2
            else:
                i += 1


def unescape(text: str) -> str:
    """TEXT unescaping (RFC 5545 3.3.11), for properties icalendar hands back raw."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append("\n" if text[i + 1] in "nN" else text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)
