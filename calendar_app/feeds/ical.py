"""The RFC 5545 / 7986 writer: feeds, components and properties in, bytes out; it decides
nothing about what a feed holds (`assembly` does, from `contents`, `routines` and `combined`,
in the words of `wording`).

Properties are written as content lines: CRLF, folding at 75 octets between whole characters,
TEXT escaped, `Asia/Shanghai` times with one VTIMEZONE (the only use of icalendar: it reads
tzdata for it). Each event's role-free lines are written once and shared by all its feeds.
tests/reference_ical.py writes the same properties through icalendar's own serialiser, and
the tests hold the two against each other. No clock: identical inputs give identical bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from urllib.parse import quote

import icalendar

from ..errors import CalendarAppError
from ..model import ZONE
from .contents import Component, Feed, Recur, Uri

CRLF = b"\r\n"
LIMIT = 75  # octets per physical line, CRLF not counted (RFC 5545 3.1)

def timezone_years(parts: Iterable[Component]) -> tuple[int, int]:
    """The years the VTIMEZONE must cover: every event's, so it is the same in every feed."""
    years = [y for c in parts for y in c.years]
    return (min(years), max(years)) if years else (2000, 2000)


@lru_cache(maxsize=4)
def vtimezone(first_year: int, last_year: int) -> bytes:
    """Asia/Shanghai as a VTIMEZONE covering those years (icalendar reads tzdata for it)."""
    tz = icalendar.Timezone.from_tzid(ZONE, first_date=date(first_year, 1, 1),
                                      last_date=date(last_year + 1, 1, 1))
    tz.pop("COMMENT", None)  # icalendar's note on the years covered, in English
    return tz.to_ical(sorted=False)


# -- the direct writer ---------------------------------------------------------------------

_ESCAPES = {ord("\\"): "\\\\", ord(";"): "\\;", ord(","): "\\,", ord("\n"): "\\n"}
# TEXT may not hold control characters other than HTAB (RFC 5545 3.3.11): drop them.
_ESCAPES.update({c: None for c in [*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F]})


def escape(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_ESCAPES)


def duration(span: timedelta) -> str:
    """RFC 5545 dur-value: P1D, PT15M, -P1D, PT1H0M30S (a minute is never skipped)."""
    sign = "-" if span < timedelta(0) else ""
    span = abs(span)
    hours, rest = divmod(span.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{span.days}D" if span.days else ""
    if span.seconds:
        text += "T" + (f"{hours}H" if hours else "")
        text += f"{minutes}M" if minutes or (hours and seconds) else ""
        text += f"{seconds}S" if seconds else ""
    return f"{sign}P{text or '0D'}"


URI_SAFE = ":/?#[]@!$&'()*+,;=%~"  # reserved characters and % itself stay as written


def uri(text: str) -> str:
    """A URI value, percent-encoding whatever a URI may not hold (controls, spaces, quotes,
    non-ASCII): the loader checks base_url, and a feed must be safe even so."""
    return quote(text, safe=URI_SAFE)


def value(name: str, val, params: dict) -> tuple[str, dict]:
    """A typed value as text, with the parameters its type needs."""
    if isinstance(val, Uri):
        return uri(val), params
    if isinstance(val, Recur):
        return str(val), params
    if isinstance(val, str):
        return escape(val), params
    if isinstance(val, bool):
        raise TypeError(f"{name}: no boolean properties here")
    if isinstance(val, int):
        return str(val), params
    if isinstance(val, list) and val and isinstance(val[0], date):
        texts = [value(name, v, {}) for v in val]
        return ",".join(t for t, _ in texts), {**texts[0][1], **params}
    if isinstance(val, datetime):
        if val.tzinfo is UTC:
            return val.strftime("%Y%m%dT%H%M%SZ"), params
        if getattr(val.tzinfo, "key", None) != ZONE:
            raise ValueError(f"{name}: {val} is neither UTC nor {ZONE}; floating times are not written")
        return val.strftime("%Y%m%dT%H%M%S"), {"TZID": ZONE, **params}
    if isinstance(val, date):
        return val.strftime("%Y%m%d"), {"VALUE": "DATE", **params}
    if isinstance(val, timedelta):
        return duration(val), params
    if isinstance(val, list):
        return ",".join(escape(v) for v in val), params
    raise TypeError(f"{name}: cannot write {type(val).__name__}")


def fold(line: bytes) -> bytes:
    """One content line, folded so no physical line exceeds 75 octets, ended with CRLF.

    Folds fall between characters, never inside a UTF-8 sequence, and never between a
    backslash and the character it escapes (some parsers unescape before unfolding).
    """
    if len(line) <= LIMIT:
        return line + CRLF
    parts, begin, room = [], 0, LIMIT
    while len(line) - begin > room:
        cut = begin + room
        while line[cut] & 0xC0 == 0x80:  # a UTF-8 continuation byte: back to the lead byte
            cut -= 1
        # An odd run of backslashes before the cut ends with one that escapes line[cut].
        # (A run always starts on an escape boundary: the byte before it is not a backslash.)
        run = 0
        while run < cut and line[cut - 1 - run] == 0x5C:
            run += 1
        if run % 2:
            cut -= 1
        parts.append(line[begin:cut])
        begin, room = cut, LIMIT - 1  # a continuation line starts with one space
    parts.append(line[begin:])
    return b"\r\n ".join(parts) + CRLF


def content_line(name: str, val, params: dict) -> bytes:
    text, params = value(name, val, params)
    head = name + "".join(f";{k}={v}" for k, v in params.items())
    return fold(f"{head}:{text}".encode())


def lines(props: list[tuple]) -> bytes:
    out: list[bytes] = []
    for name, val, params in props:
        if name == "VALARM":
            out += (b"BEGIN:VALARM\r\n", lines(val), b"END:VALARM\r\n")
        else:
            out.append(content_line(name, val, params))
    return b"".join(out)


def _part_bytes(part: Component, domain: str) -> dict[str | None, bytes]:
    """The VEVENT of each role it appears in: role-free lines written once."""
    head, tail = lines(part.head), lines(part.tail)
    alarm = b"BEGIN:VALARM\r\n" + lines(part.alarm) + b"END:VALARM\r\n" if part.alarm else b""
    out = {}
    for role in part.summaries:
        out[role] = b"".join([
            b"BEGIN:VEVENT\r\n", content_line("UID", part.uid(role, domain), {}), head,
            content_line("SUMMARY", part.summaries[role], {}), tail,
            alarm if role in part.alarm_roles else b"", b"END:VEVENT\r\n"])
    return out


def write(feeds: list[Feed], parts: list[Component], props: Callable[[Feed], list[tuple]],
          domain: str) -> dict[str, bytes]:
    """Feed path under exports/ -> bytes: each feed's calendar properties (`props`), the
    VTIMEZONE where it holds a timed event, and the VEVENTs of `parts` that name it."""
    bodies: dict[str, list[bytes]] = {f.key: [] for f in feeds}
    uids: dict[str, set[str]] = {f.key: set() for f in feeds}
    timed: set[str] = set()
    for part in parts:
        written = _part_bytes(part, domain)
        for key, role in part.feeds:
            bodies[key].append(written[role])
            if part.timed:
                timed.add(key)
            if not part.override:
                uid = part.uid(role, domain)
                if uid in uids[key]:
                    raise CalendarAppError(f"two events would share the UID {uid} in {key}.ics; "
                                           "rename one of their obligations")
                uids[key].add(uid)
    zone = vtimezone(*timezone_years(parts)) if timed else b""
    out = {}
    for feed in feeds:
        top = b"BEGIN:VCALENDAR\r\n" + lines(props(feed))
        out[feed.path] = b"".join(
            [top, zone if feed.key in timed else b"", *bodies[feed.key], b"END:VCALENDAR\r\n"])
    return out
