"""Reading feeds back in tests: the strict byte rules of RFC 5545, icalendar's parse, and the
occurrences a calendar client would show (recurring-ical-events)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import icalendar
import recurring_ical_events


def feeds(exports: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((exports / "feeds").glob("*.ics"))}


def parse(data: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(data)


def by_uid(data: bytes) -> dict[str, icalendar.Event]:
    """Each UID's event on its own or a routine's master (overrides are left out)."""
    return {str(e["UID"]): e for e in parse(data).walk("VEVENT") if "RECURRENCE-ID" not in e}


def overrides(data: bytes, uid: str) -> dict[str, icalendar.Event]:
    """A routine's overrides by the ISO text of their RECURRENCE-ID."""
    return {e.decoded("RECURRENCE-ID").isoformat(): e for e in parse(data).walk("VEVENT")
            if str(e["UID"]) == uid and "RECURRENCE-ID" in e}


def status(event: icalendar.Event) -> str:
    """planned | done | cancelled | moved, as a reader of the feed learns it."""
    if event.get("STATUS") == "CANCELLED":
        return "cancelled"
    record = [line for line in str(event.get("DESCRIPTION", "")).split("\n")
              if line.startswith("记录：")]
    if record and record[0].startswith("记录：已完成"):
        return "done"
    if record and record[0].startswith("记录：已改期"):
        return "moved"
    return "planned"


def expanded(data: bytes, first: date, last: date) -> list[tuple[str, str, str]]:
    """(start, end, status) of every occurrence overlapping [first, last], sorted."""
    found = recurring_ical_events.of(parse(data)).between(first, last + timedelta(days=1))
    return sorted((e.decoded("DTSTART").isoformat(), e.decoded("DTEND").isoformat(), status(e))
                  for e in found)


def listed(ws, unit: str | None, first: date, last: date) -> list[dict]:
    args = ["--unit", unit] if unit else []
    return json.loads(ws.run("events", *args, "--from", first.isoformat(), "--to",
                             last.isoformat(), "--format", "json").output)


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
