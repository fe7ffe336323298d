"""Pile-ups: a unit with more events on one day or in one ISO week than the plan's limits
(`overload_day`, `overload_week`), counted from the plan alone. Placement keeps the flexible
events within the limits wherever a window has room; what is left, days the plan fixes that
pass a limit by themselves or a window with no room, `validate` lists. Pure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from ..model import Event, Plan, days


@dataclass(frozen=True)
class PileUp:
    unit: str
    start: date  # the day, or the week's Monday
    week: bool
    events: tuple[Event, ...]

    @property
    def placed(self) -> tuple[Event, ...]:
        """Its flexible events: their windows had no room left."""
        return tuple(e for e in self.events if e.flexible)


Loads = dict[tuple[str, date], list[Event]]


def loads(events: Iterable[Event]) -> tuple[Loads, Loads]:
    """(unit, day) and (unit, Monday) -> the events, as the gap report counts them: each event
    on its first day, report tasks left out (a period's report is not an activity)."""
    per_day: Loads = defaultdict(list)
    per_week: Loads = defaultdict(list)
    for event in events:
        if event.kind == "report":
            continue
        first = days(event.start, event.end)[0]
        for unit in dict.fromkeys(event.units):
            per_day[unit, first].append(event)
            per_week[unit, first - timedelta(days=first.weekday())].append(event)
    return per_day, per_week


def pileups(plan: Plan, events: Iterable[Event]) -> list[PileUp]:
    """Every day and week where a unit has more events than the plan's limits."""
    day_limit, week_limit = plan.settings.overload_day, plan.settings.overload_week
    per_day, per_week = loads(events)
    found = [PileUp(unit, day, False, tuple(held)) for (unit, day), held in per_day.items()
             if len(held) > day_limit]
    found += [PileUp(unit, monday, True, tuple(held)) for (unit, monday), held in per_week.items()
              if len(held) > week_limit]
    return sorted(found, key=lambda p: (p.start, p.week, p.unit))


def validate_lines(plan: Plan, events: Iterable[Event]) -> list[str]:
    """The section of `validate` that lists the pile-ups placement could not avoid."""
    found = pileups(plan, events)
    if not found:
        return []
    settings = plan.settings
    lines = [f"pile-ups ({len(found)}: more than {settings.overload_day} events a day or "
             f"{settings.overload_week} a week for one unit; flexible events are placed around "
             "everything else, these are left):"]
    for pile in found:
        name = plan.units[pile.unit].name if pile.unit in plan.units else pile.unit
        iso = pile.start.isocalendar()
        when = f"week {iso.year}-W{iso.week:02d}" if pile.week else f"on {pile.start}"
        counted = dict.fromkeys(e.obligation for e in pile.events)
        shown = ", ".join(o + (f" x{n}" if (n := sum(e.obligation == o for e in pile.events)) > 1
                               else "") for o in counted)
        why = (f"{len(pile.placed)} placed in windows with no room left" if pile.placed
               else "every one on a day the plan fixes")
        lines.append(f"  {name} {when}: {len(pile.events)} events, {why}: {shown}")
    return lines
