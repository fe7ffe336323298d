"""Routines as one recurring event: an obligation that recurs daily or weekly is, in each feed,
one VEVENT with an RRULE instead of hundreds of copies.

Pure. A routine's occurrences are the days its rule gives (the pattern); each stored event
belongs to the pattern day inside its slot (the ISO week of a weekly rule, the day of a daily
one). Inside the feed's window:

- a pattern day whose event says exactly what the routine's master says is left to the RRULE;
- one whose event differs (moved, recorded done or cancelled, overdue, another title or
  time) is an override: a VEVENT with the routine's UID and a RECURRENCE-ID;
- one with no event to show (none stored, or cancelled and past its grace period) is an
  EXDATE;
- an event that cannot be an occurrence (another set of units, a time where the routine has
  none) is written on its own, and its pattern day is an EXDATE.

Every part of a routine shares one SEQUENCE and stamp: the sum over all its stored events of
their versions (each raises whenever that event changes), plus how many pattern days have
left the window, so the number rises with any change to anything the routine shows.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from ..model import Entry, Obligation, Plan, days, length
from . import wording
from .contents import Component, Recur, Window, alarm_roles, event_component, memberships, midnight, moment

BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass
class Routine:
    stem: str  # the UID's name part: the obligation id, and the unit when fanned out
    obligation: Obligation | None  # None once the plan has dropped it
    rule: str  # RRULE without UNTIL
    pattern: list[date]  # the rule's days, from the first stored event's slot to the last's
    weekdays: tuple[int, ...]
    entries: list[Entry]


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def find(plan: Plan, entries: list[Entry]) -> tuple[list[Routine], list[Entry]]:
    """The routines among the stored events, and every event that is not part of one.

    Read from the database alone, so `export feeds` needs no rebuild: an obligation's events
    make a routine when each fills a slot of one day (a daily or weekly RRULE) or of one ISO
    week (a weekly rule), and they cover at least half of the days such a rule gives.
    """
    groups: dict[str, list[Entry]] = {}
    rest = []
    for entry in entries:
        prefix = f"{entry.obligation}/{entry.slot}"
        length = (entry.slot_end - entry.slot_start).days
        weekly = length == 7 and entry.slot_start.weekday() == 0
        if (entry.origin != "plan" or entry.kind != "event" or not entry.obligation
                or not entry.uid.startswith(prefix) or not (weekly or length == 1)):
            rest.append(entry)
            continue
        stem = entry.obligation + entry.uid[len(prefix):].replace("/", "-")
        groups.setdefault(f"{stem} {length}", []).append(entry)
    obligations = {o.id: o for o in plan.obligations}
    found = []
    for key, group in groups.items():
        stem, days = key.split()
        routine = _routine(stem, obligations.get(group[0].obligation), group, int(days))
        if routine is None:
            rest += group
        else:
            found.append(routine)
    return found, rest


def _routine(stem: str, obligation: Obligation | None, group: list[Entry],
             length: int) -> Routine | None:
    live = [e for e in group if e.state == "live"] or group
    counts = Counter(_day(e.planned_start or e.start).weekday() for e in live)
    weekdays: tuple[int, ...]
    if length == 7:
        weekdays = (counts.most_common(1)[0][0],)
    else:
        top = max(counts.values())
        weekdays = tuple(sorted(d for d, n in counts.items() if 4 * n >= top))
    first = min(e.slot_start for e in group)
    stop = max(e.slot_end for e in group)
    pattern = [first + timedelta(days=i) for i in range((stop - first).days)]
    pattern = [d for d in pattern if d.weekday() in weekdays]
    if len(group) * 2 < len(pattern):
        return None  # too sparse for a rule: a monthly RRULE's days, say
    rule = ("FREQ=DAILY" if len(weekdays) == 7
            else "FREQ=WEEKLY;BYDAY=" + ",".join(BYDAY[d] for d in weekdays))
    return Routine(stem, obligation, rule, pattern, weekdays, group)


def _look(entry: Entry) -> tuple:
    """What an occurrence shows besides its day and its record."""
    clock = entry.start.timetz() if isinstance(entry.start, datetime) else None
    return (entry.title, entry.units, entry.location, entry.alarm, entry.notes, entry.category,
            entry.measure, entry.all_day, clock, length(entry.start, entry.end))


def _start(day: date, look: tuple) -> date | datetime:
    clock = look[8]
    return moment(datetime.combine(day, clock)) if clock is not None else day


def _plain(entry: Entry) -> Entry:
    return replace(entry, status="planned", state="live", moved=False, attendance=None,
                   remark="", done_on=None, planned_start=None)


def components(plan: Plan, routine: Routine, window: Window) -> tuple[list[Component], list[Entry]]:
    """The routine's master, its overrides, and the events to write on their own."""
    pattern = routine.pattern
    by_day: dict[date, Entry] = {}
    alone: list[Entry] = []
    for entry in routine.entries:
        i = bisect_left(pattern, entry.slot_start)
        day = pattern[i] if i < len(pattern) and pattern[i] < entry.slot_end else None
        if day is None or day in by_day:
            alone.append(entry)
        else:
            by_day[day] = entry
    shown = {d: e for d, e in by_day.items() if d >= window.start and window.shows(e)}
    # Moved from a day before the window into it: no occurrence of the master to override.
    alone += [e for d, e in by_day.items() if d < window.start and window.shows(e)]
    if not shown:
        return [], [e for e in alone if window.shows(e)]
    days_shown = sorted(shown)
    looks = Counter(_look(shown[d]) for d in days_shown if shown[d].live).most_common(1)
    look = looks[0][0] if looks else _look(shown[days_shown[0]])
    # Events that cannot be an occurrence of the master (other units, timed where the master
    # is all-day or the reverse) are written on their own, and their day excluded.
    for day in days_shown:
        if _look(shown[day])[1] != look[1] or shown[day].all_day != look[7]:
            alone.append(shown.pop(day))
    days_shown = sorted(shown)
    first, last = days_shown[0], days_shown[-1]
    span = pattern[bisect_left(pattern, first):bisect_left(pattern, last) + 1]
    version = _version(routine, window, pattern)
    model = _plain(next(shown[d] for d in days_shown if _look(shown[d]) == look))
    master = _master(plan, routine, model, look, first, last,
                     [d for d in span if d not in shown], version)
    overrides = []
    for day in days_shown:
        entry = shown[day]
        start = _start(day, look)
        if (_look(entry) == look and entry.start == start and entry.live
                and entry.status == "planned" and not entry.moved and not window.overdue(entry)):
            continue
        part = event_component(plan, entry, routine.obligation, window, version,
                               stem=routine.stem, recurrence_id=start)
        part.order = (master.order[0], routine.stem, part.order[2])
        overrides.append(part)
    return [master, *overrides], [e for e in alone if window.shows(e)]


def _version(routine: Routine, window: Window, pattern: list[date]) -> tuple[int, datetime]:
    sequence, stamp = 0, min(e.revised for e in routine.entries)
    for entry in routine.entries:
        seq, at = window.version(entry)
        sequence += seq + 1
        stamp = max(stamp, at)
    begin = min(e.slot_start for e in routine.entries)
    gone = [d for d in pattern if begin <= d and d + timedelta(days=1) <= window.start]
    if gone:
        sequence += len(gone)
        stamp = max(stamp, midnight(gone[-1] + timedelta(days=1 + window.settings.feed_past_days)))
    return sequence, stamp


def _master(plan: Plan, routine: Routine, model: Entry, look: tuple, first: date, last: date,
            excluded: list[date], version: tuple[int, datetime]) -> Component:
    start = _start(first, look)
    length = look[9]
    end = start + length
    part = event_component(plan, replace(model, start=start, end=end), routine.obligation,
                           Window(date.min, date.min, plan.settings), version, stem=routine.stem,
                           when=wording.rhythm_text(routine.weekdays, start, end, last))
    until = _start(last, look)
    until_text = (until.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") if isinstance(until, datetime)
                  else until.strftime("%Y%m%d"))
    freq, _, rest = routine.rule.partition(";")  # in icalendar's order: FREQ, UNTIL, BY...
    rrule: list[tuple] = [("RRULE", Recur(";".join(p for p in (freq, f"UNTIL={until_text}", rest) if p)), {})]
    if excluded:
        rrule.append(("EXDATE", [_start(d, look) for d in excluded], {}))
    at = next(i for i, p in enumerate(part.head) if p[0] == "DTEND") + 1
    part.head[at:at] = rrule
    part.feeds = memberships(plan, model)
    part.alarm_roles = alarm_roles(plan.settings)
    part.years = (first.year, days(until, until + length)[1].year)
    return part
