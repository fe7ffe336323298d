"""Plan x window -> events: pure, deterministic, no clock and no I/O.

Every event's uid comes from its obligation and slot (and unit or place when fanned out),
never from a counter, so a rebuild finds the same event again. The plan is always expanded
over whole years covering both the plan period and the window, then cut to the window, so an
event's placement does not depend on which window was asked for.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ..model import ONE_DAY, TZ, Event, Obligation, Occurrence, Plan, day_of, overlaps
from ..plan.rules import PerTerm, TimesAYear, observance_of
from ..plan.yearday import WEEKDAY_CN
from .placement import Placer, Request
from .reporting import report_tasks

DEFAULT_LENGTH = timedelta(hours=1)


@dataclass
class Expansion:
    events: list[Event]
    estimated_years: list[int] = field(default_factory=list)  # years reckoned by weekends only


@dataclass
class _Want:
    obligation: Obligation
    occ: Occurrence
    units: tuple[str, ...]
    uid: str
    spread: tuple = ()  # wants with the same key share out their window
    day: date | None = None
    end: date | None = None
    notes: tuple[str, ...] = ()


def expand(plan: Plan, start: date | None = None, end: date | None = None) -> Expansion:
    """Events of `plan` overlapping [start, end), by default the plan period."""
    start, end = start or plan.start, end or plan.end
    first = min(start, plan.start).year
    last = max(end - ONE_DAY, plan.last).year
    span = (date(first, 1, 1), date(last + 1, 1, 1))
    cal = plan.calendar
    wants = [w for o in plan.obligations for w in _wants(plan, o, span)]

    placer = Placer(cal, plan.settings.overload_day, plan.settings.overload_week)
    flexible: list[Request] = []
    shares = Counter(w.spread for w in wants if w.occ.window)
    for want in wants:
        if want.occ.window is None:
            _fix(want, plan)
            if want.day is not None:
                placer.hold(want.units, want.day)
        else:
            share = (want.occ.index, shares[want.spread])
            flexible.append(Request(want.uid, want.units, want.occ.window, share,
                                    want.occ.around))
    placed = placer.place(flexible)

    made = []
    for want in wants:
        if want.occ.window is not None:
            want.day, working = placed[want.uid]
            want.end = want.day + ONE_DAY
            if not working:
                want.notes += ("窗口内没有工作日，只能安排在休息日",)
        if want.day is not None and want.end is not None:
            made.append(_event(plan, want, want.day, want.end))
    made += report_tasks(plan, made)
    events = [e for e in made if overlaps(e.start, e.end, start, end)]
    events.sort(key=lambda e: (day_of(e.start), e.uid))
    years = sorted(y for y in cal.estimated_years if first <= y <= last)
    return Expansion(events, years)


def _wants(plan: Plan, obligation: Obligation, span: tuple[date, date]) -> list[_Want]:
    numbered = isinstance(obligation.rule, (TimesAYear, PerTerm))
    groups = [(u,) for u in obligation.units] if obligation.fanout else [obligation.units]
    found = []
    for occ in obligation.rule.occurrences(*span, plan.calendar):
        uid = f"{obligation.id}/{occ.slot.key}"
        if numbered:
            uid += f"#{occ.index + 1}"
        for units in groups:
            # A slot's several events share out its window; so do a rotation's visits of
            # one year, each with its own place.
            spread = (obligation.id, occ.spread or occ.slot.key, units)
            if occ.place and occ.place not in units:
                units = units + (occ.place,)
            key = f"{uid}/{units[0]}" if obligation.fanout else uid
            found.append(_Want(obligation, occ, units, key, spread,
                               notes=(occ.fallback,) if occ.fallback else ()))
    return found


def titles(obligation: Obligation, label: str = "") -> tuple[str, str]:
    """(what calendars show, the full title) of an obligation's event; `label` is the name
    its observance had that year, for a title that says `{observance}`."""
    full = obligation.title.replace("{observance}", label)
    return (obligation.short.replace("{observance}", label) if obligation.short else full), full


def title_across_years(obligation: Obligation) -> str:
    """The full title where no one year is meant (a finding over several years, a ledger
    row): `{observance}` as the observance's own name, 全国科普日 even in the years it was
    called 全国科普月, which each year's events say."""
    return titles(obligation, observance_of(obligation.rule))[1]


def _fix(want: _Want, plan: Plan) -> None:
    """A fixed occurrence's day, after the obligation's working-day policy."""
    occ, planned = want.occ, want.occ.start
    assert planned is not None  # a fixed occurrence has its day; a window is placed instead
    if occ.end is not None and occ.end - planned > ONE_DAY:
        want.day, want.end = planned, occ.end
        return
    day = plan.calendar.shift(planned, want.obligation.workdays)
    if day is not None and day != planned:
        moved = "顺延" if day > planned else "提前"
        # The day it moved to, named: a weekend day is said to be worked.
        worked = "，调休上班" if plan.calendar.is_makeup_workday(day) else ""
        to = f"{day.month}月{day.day}日（{WEEKDAY_CN[day.weekday()]}{worked}）"
        want.notes += (f"原定{planned.month}月{planned.day}日遇休息日，{moved}至{to}",)
    want.day = day
    want.end = day + ONE_DAY if day else None


def _event(plan: Plan, want: _Want, day: date, after: date) -> Event:
    """The event of a want placed on [day, after)."""
    obligation, occ = want.obligation, want.occ
    notes = want.notes
    depends = occ.window is not None or obligation.workdays != "keep"
    if depends and plan.calendar.is_estimated(day.year):
        notes += (f"{day.year}年法定节假日未公布，工作日按周末推算",)
    start: date | datetime = day
    end: date | datetime = after
    if obligation.time is not None and after - day == ONE_DAY:
        start = datetime.combine(day, obligation.time, tzinfo=TZ)
        end = start + (obligation.duration or DEFAULT_LENGTH)
    short, full = titles(obligation, occ.label)
    title, location = short, obligation.location
    if occ.place:
        place = plan.units[occ.place].name
        title = f"{title}（{place}）"
        location = location or place
    measure = plan.measures[obligation.measure]
    names = "、".join(plan.units[u].name for u in want.units)
    return Event(uid=want.uid, obligation=obligation.id, measure=obligation.measure,
                 category=measure.category, slot=occ.slot, title=title, start=start, end=end,
                 units=want.units, location=location, alarm=obligation.alarm, notes=notes,
                 flexible=occ.window is not None,
                 context=_context(measure.title, obligation, names, full, short),
                 reported=obligation.report)


def _context(measure: str, obligation: Obligation, names: str, full: str, short: str) -> str:
    """The plan text printed around an event. What is new since the first release is added
    only when set, so an event whose obligation does not use it keeps its revision."""
    context = f"{measure}\n{obligation.quote}\n{obligation.assumed}\n{names}"
    if obligation.assigned:
        context += f"\n{obligation.assigned}"
    if full != short:
        context += f"\n{full}"
    return context

