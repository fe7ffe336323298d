"""Stored events -> RFC 5545 / 7986 feeds: one per unit, one for the county, one per category.

What a feed says is decided once, as lists of typed properties (`calendar_props`,
`event_props`, `summary`). `Feeds` writes content lines directly and serialises each event
only once: its lines before and after SUMMARY are kept as bytes and spliced around the
SUMMARY of the feed's role (牵头 / 配合 / none), so an event shared by six feeds costs one
serialisation, not six. The tests hold it against icalendar's own serialiser of the same
properties (tests/reference_ical.py), which the benchmarks use as the floor to beat.

No clock here: `today` (for the grace period of cancelled events) is an argument, and every
time stamp comes from the stored revision, so identical inputs give identical bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

import icalendar

from . import exports
from .errors import CalendarAppError
from .model import ROLE_CN, STATUS_CN, TZ, ZONE, Entry, Plan

PRODID = "-//Chongyang County//calendar_app//ZH"
CRLF = b"\r\n"
LIMIT = 75  # octets per physical line, CRLF not counted (RFC 5545 3.1)



class Uri(str):
    """A URI value: written as is, never TEXT-escaped."""


# -- what the feeds hold ----------------------------------------------------------------------

@dataclass(frozen=True)
class Feed:
    key: str  # a unit id, exports.COUNTY_FEED or exports.CATEGORY + a category code
    kind: str  # unit | county | category
    label: str  # who or what it is for: 全县, a category, a unit
    name: str  # NAME and X-WR-CALNAME: the plan and the label
    description: str
    subject: str = ""  # the unit id or category code it selects

    @property
    def path(self) -> str:
        return exports.feed(self.key)


def feeds_of(plan: Plan) -> list[Feed]:
    """Every feed of the plan: the county, each category, each unit, in that order."""
    out = [Feed(exports.COUNTY_FEED, "county", "全县", f"{plan.name} · 全县", f"{plan.name}：全县所有活动")]
    for code in sorted(plan.categories):
        cat = plan.categories[code]
        out.append(Feed(exports.CATEGORY + code, "category", cat.name, f"{plan.name} · {cat.name}",
                        f"{plan.name}：{cat.name}的所有活动", code))
    for unit in plan.units.values():
        out.append(Feed(unit.id, "unit", unit.name, f"{plan.name} · {unit.name}",
                        f"{plan.name}：{unit.name}牵头或配合的活动", unit.id))
    seen: dict[str, Feed] = {}
    for feed in out:
        if feed.key in seen:
            raise CalendarAppError(f"unit id {feed.subject!r} would write {feed.path}, the "
                                   f"feed of {seen[feed.key].label}; give the unit another id")
        seen[feed.key] = feed
    return out


def shown(entry: Entry, today: date, grace_days: int) -> bool:
    """Live events always; cancelled or removed ones until their grace period is over.

    A subscriber only learns that an event is off by seeing it as CANCELLED, so it stays that
    way for `grace_days` after the change before it may leave the feed.
    """
    if entry.live:
        return True
    return entry.revised.astimezone(TZ).date() + timedelta(days=grace_days) >= today


def calendar_props(plan: Plan, feed: Feed, source: str) -> list[tuple]:
    """The calendar's own properties; `source` is the feed's public URL."""
    refresh = plan.settings.refresh
    return [
        ("VERSION", "2.0", {}),
        ("PRODID", PRODID, {}),
        ("CALSCALE", "GREGORIAN", {}),
        ("METHOD", "PUBLISH", {}),
        ("NAME", feed.name, {}),
        ("X-WR-CALNAME", feed.name, {}),
        ("DESCRIPTION", feed.description, {}),
        ("X-WR-CALDESC", feed.description, {}),
        ("X-WR-TIMEZONE", ZONE, {}),
        ("SOURCE", Uri(source), {}),
        ("REFRESH-INTERVAL", refresh, {"VALUE": "DURATION"}),
        ("X-PUBLISHED-TTL", refresh, {}),
    ]


def _name(plan: Plan, unit_id: str) -> str:
    unit = plan.units.get(unit_id)
    return unit.name if unit else unit_id


def summary(plan: Plan, entry: Entry, role: str | None) -> str:
    """The title, with the reader's role in a unit feed or the lead unit in the others."""
    title = f"{entry.title}（{ROLE_CN[role]}）" if role else f"{entry.title} · {_name(plan, entry.lead)}"
    # Some clients show cancelled events of a subscription as if nothing happened.
    return title if entry.live else f"【已取消】{title}"


def description(plan: Plan, entry: Entry, obligations: dict) -> str:
    lines = []
    measure = plan.measures.get(entry.measure)
    if measure is not None:
        lines.append(f"措施{measure.number}：{measure.title}")
    obligation = obligations.get(entry.obligation)
    if obligation is not None and obligation.quote:
        lines.append(f"依据：“{obligation.quote}”")
    if obligation is not None and obligation.assumed:
        lines.append(f"频次为县里安排：{obligation.assumed}")
    lines.append(f"牵头单位：{_name(plan, entry.lead)}")
    if len(entry.units) > 1:
        lines.append("配合单位：" + "、".join(_name(plan, u) for u in entry.units[1:]))
    first, last = entry.slot_start.isoformat(), (entry.slot_end - timedelta(days=1)).isoformat()
    span = first if first == last else f"{first} 至 {last}"
    lines.append(f"时段：{entry.slot}" if entry.slot == span else f"时段：{entry.slot}（{span}）")
    lines += [f"说明：{note}" for note in entry.notes]
    if entry.state == "removed":
        lines.append("状态：已取消（计划已不再包含此活动）")
    elif entry.status != "planned":
        status = "已" + STATUS_CN[entry.status]
        if entry.status == "done" and entry.attendance is not None:
            status += f"，参加人数 {entry.attendance}"
        lines.append(f"状态：{status}")
    return "\n".join(lines)


def event_props(plan: Plan, entry: Entry, obligations: dict) -> tuple[list[tuple], list[tuple]]:
    """The event's properties before SUMMARY and after it (VALARM last, as a sub-list)."""
    revised = entry.revised.astimezone(UTC)
    if entry.all_day:
        start, end = entry.start, entry.end
    else:
        start, end = entry.start.astimezone(TZ), entry.end.astimezone(TZ)
    head = [
        ("UID", entry.uid, {}),
        ("DTSTAMP", revised, {}),
        ("LAST-MODIFIED", revised, {}),
        ("SEQUENCE", entry.sequence, {}),
        ("DTSTART", start, {}),
        ("DTEND", end, {}),
        ("STATUS", "CONFIRMED" if entry.live else "CANCELLED", {}),
        # A month-long campaign must not mark a whole month busy in Outlook.
        ("TRANSP", "TRANSPARENT" if entry.all_day else "OPAQUE", {}),
    ]
    category = plan.categories.get(entry.category)
    tail = [
        ("DESCRIPTION", description(plan, entry, obligations), {}),
        ("CATEGORIES", [category.name if category else entry.category], {}),
    ]
    if entry.location:
        tail.append(("LOCATION", entry.location, {}))
    if entry.alarm is not None and entry.live:
        tail.append(("VALARM", [
            ("ACTION", "DISPLAY", {}),
            ("TRIGGER", -entry.alarm, {}),
            ("DESCRIPTION", f"提醒：{entry.title}", {}),
        ], {}))
    return head, tail


def memberships(plan: Plan, entry: Entry) -> Iterable[tuple[str, str | None]]:
    """(feed key, role) for every feed an event belongs to."""
    yield exports.COUNTY_FEED, None
    if entry.category in plan.categories:
        yield exports.CATEGORY + entry.category, None
    for i, unit in enumerate(entry.units):
        if unit in plan.units:
            yield unit, "lead" if i == 0 else "co"


def timezone_years(entries: Iterable[Entry]) -> tuple[int, int]:
    """The years the VTIMEZONE must cover: every event's year, so it is the same in every feed."""
    years = [e.start.year for e in entries] + [e.end.year for e in entries]
    return (min(years), max(years)) if years else (2000, 2000)


@lru_cache(maxsize=4)
def vtimezone(first_year: int, last_year: int) -> bytes:
    """Asia/Shanghai as a VTIMEZONE covering those years (icalendar reads tzdata for it)."""
    tz = icalendar.Timezone.from_tzid(ZONE, first_date=date(first_year, 1, 1),
                                      last_date=date(last_year + 1, 1, 1))
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


def value(name: str, val, params: dict) -> tuple[str, dict]:
    """A typed value as text, with the parameters its type needs."""
    if isinstance(val, Uri):
        return str(val), params
    if isinstance(val, str):
        return escape(val), params
    if isinstance(val, bool):
        raise TypeError(f"{name}: no boolean properties here")
    if isinstance(val, int):
        return str(val), params
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
    out = []
    for name, val, params in props:
        if name == "VALARM":
            out += (b"BEGIN:VALARM\r\n", lines(val), b"END:VALARM\r\n")
        else:
            out.append(content_line(name, val, params))
    return b"".join(out)


class Feeds:
    """Writes every feed of a plan from its stored entries, serialising each event once.

    `memo` carries serialised events from one build to the next: uid -> [version, head,
    tail, {role: SUMMARY line}]. Every change to what an event shows raises its SEQUENCE and
    its revision time (the store guarantees it), and the plan's part of it has a digest, so
    an entry whose version matches is serialised already, even across a database made anew.
    Plan text outside the events (category names...) is covered by `epoch`.
    """

    def __init__(self, plan: Plan, memo: dict | None = None,
                 source: Callable[[str], str] | None = None):
        self.plan = plan
        # A feed's public URL from its path under exports/ (its SOURCE property).
        self.source = source or (lambda rel: f"{plan.settings.base_url}/{rel}")
        self.obligations = {o.id: o for o in plan.obligations}
        self.memo = memo if memo is not None else {}

    @staticmethod
    def epoch(plan: Plan) -> str:
        return hashlib.sha1(repr((plan.name, plan.categories, plan.units,
                                  plan.settings)).encode()).hexdigest()

    def event_parts(self, entry: Entry) -> tuple[bytes, bytes]:
        head, tail = event_props(self.plan, entry, self.obligations)
        return b"BEGIN:VEVENT\r\n" + lines(head), lines(tail) + b"END:VEVENT\r\n"

    def _parts(self, entry: Entry) -> tuple[bytes, bytes, dict]:
        version = f"{entry.sequence} {entry.revised.isoformat()} {entry.digest}"
        found = self.memo.get(entry.uid)
        if found is None or found[0] != version:
            head, tail = self.event_parts(entry)
            found = self.memo[entry.uid] = [version, head.decode(), tail.decode(), {}]
        return found[1].encode(), found[2].encode(), found[3]

    def render(self, entries: Iterable[Entry], today: date) -> dict[str, bytes]:
        """Feed path under exports/ -> bytes, for every feed of the plan (empty ones too)."""
        feeds = feeds_of(self.plan)
        bodies: dict[str, list[bytes]] = {f.key: [] for f in feeds}
        timed: set[str] = set()
        kept = sorted((e for e in entries if shown(e, today, self.plan.settings.grace_days)),
                      key=order)
        for entry in kept:
            head, tail, summaries = self._parts(entry)
            for key, role in memberships(self.plan, entry):
                line = summaries.get(str(role))
                if line is None:
                    line = summaries[str(role)] = content_line(
                        "SUMMARY", summary(self.plan, entry, role), {}).decode()
                bodies[key] += (head, line.encode(), tail)
                if not entry.all_day:
                    timed.add(key)
        zone = vtimezone(*timezone_years(kept)) if timed else b""
        out = {}
        for feed in feeds:
            props = calendar_props(self.plan, feed, self.source(feed.path))
            top = b"BEGIN:VCALENDAR\r\n" + lines(props)
            out[feed.path] = b"".join(
                [top, zone if feed.key in timed else b"", *bodies[feed.key],
                 b"END:VCALENDAR\r\n"])
        return out


def order(entry: Entry) -> tuple[str, str]:
    start = entry.start if entry.all_day else entry.start.astimezone(TZ)
    return start.isoformat(), entry.uid
