"""Placing flexible occurrences (N a year, a term's lecture, a township's turn, a report due
in a window) on real days.

Deterministic and load-spreading. Each request goes to the working day of its window that
comes first by, in turn:

1. no unit of it would go past the day or week limit (the plan's `overload_day` and
   `overload_week`), counting everything already on its days: the fixed dates (a national
   day, the weekly columns, the daily push, a newspaper column moved off a holiday) and the
   flexible events placed before it, while some day of the window keeps every unit within
   them;
2. an ordinary working day rather than a weekend worked in exchange for a holiday (调休上班),
   unless only those fit;
3. the fewest flexible events already on that day for its busiest unit;
4. nearest its ideal: the day it hangs on (`around`: 三八, the middle of 全国科普日), else
   its share of the window: the middle for one event, evenly spread for several (a slot's
   events, or a rotation's visits of one year);
5. the earliest.

So no unit gets two flexible events on one day while another working day in the window is
free, and a rule that says "around day X" lands as near X as the calendar and the load allow.

Fixed dates count toward the limits only (step 1), not in steps 3-5: moving the weekly TV
segment to another weekday moves only the flexible events that would now pile up on it, not
dozens of unrelated contests and lectures that every subscriber would see change. Where the
fixed dates alone pass a limit, or a window has no room left, `pileups` says so, and
`validate` lists it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from ..model import Event
from ..plan.workdays import WorkCalendar
from .pileups import loads


@dataclass(frozen=True)
class Request:
    key: str  # the event's uid: orders requests and breaks ties
    units: tuple[str, ...]
    window: tuple[date, date]
    share: tuple[int, int] = (0, 1)  # this is event `i` of `n` sharing the window
    around: date | None = None  # the day to land as near as possible


class Placer:
    def __init__(self, cal: WorkCalendar, day_limit: int = 3, week_limit: int = 12):
        self.cal = cal
        self.day_limit, self.week_limit = day_limit, week_limit
        # unit -> day -> events and unit -> Monday -> events; plain dicts read with .get: a
        # Counter's __missing__ on the hot path cost more than the rest of the placement.
        self.flexible: dict[str, dict[date, int]] = defaultdict(dict)
        self.fixed: dict[str, dict[date, int]] = defaultdict(dict)
        self.weekly: dict[str, dict[date, int]] = defaultdict(dict)
        self._days: dict[tuple[date, date], tuple[list[tuple[date, date, bool]], bool]] = {}

    def candidates(self, window: tuple[date, date]) -> tuple[list[tuple[date, date, bool]], bool]:
        """(day, its Monday, a 调休 working weekend) for the working days of the window, or
        for every day (flagged) when it has none."""
        if window not in self._days:
            days = self.cal.workdays_between(*window)
            working = bool(days)
            if not working:
                days = [window[0] + timedelta(n) for n in range((window[1] - window[0]).days)]
            self._days[window] = ([(d, d - timedelta(days=d.weekday()),
                                    self.cal.is_makeup_workday(d)) for d in days], working)
        return self._days[window]

    def hold(self, units: tuple[str, ...], day: date) -> None:
        """Count an event already on `day` (a fixed date) toward its units' limits."""
        monday = day - timedelta(days=day.weekday())
        for unit in dict.fromkeys(units):
            fixed, weekly = self.fixed[unit], self.weekly[unit]
            fixed[day] = fixed.get(day, 0) + 1
            weekly[monday] = weekly.get(monday, 0) + 1

    def place(self, requests: list[Request]) -> dict[str, tuple[date, bool]]:
        """uid -> (day, on_a_working_day) for every request, in a fixed order."""
        placed: dict[str, tuple[date, bool]] = {}
        for req in sorted(requests, key=lambda r: (r.window[0], r.window[1], r.key)):
            days, working = self.candidates(req.window)
            if req.around is not None:
                ideal = req.around.toordinal()
            else:
                i, n = req.share
                span = (req.window[1] - req.window[0]).days
                ideal = req.window[0].toordinal() + int(span * (2 * i + 1) / (2 * n))
            units = tuple(dict.fromkeys(req.units))
            daily = [self.flexible[u] for u in units]
            fixed = [self.fixed[u] for u in units]
            weekly = [self.weekly[u] for u in units]
            best, monday, _ = min(days, key=self._ranking(daily, fixed, weekly, ideal))
            for load in daily:
                load[best] = load.get(best, 0) + 1
            for load in weekly:
                load[monday] = load.get(monday, 0) + 1
            placed[req.key] = (best, working)
        return placed

    def _ranking(self, daily: list[dict[date, int]], fixed: list[dict[date, int]],
                 weekly: list[dict[date, int]], ideal: int
                 ) -> Callable[[tuple[date, date, bool]], tuple]:
        """What ranks a day for a request, the order of the module's docstring: a key for
        `min` over its candidates, the request's loads bound once (a hot path: one loop over
        the units, no generators)."""
        loads = list(zip(daily, fixed, weekly, strict=True))
        day_limit, week_limit = self.day_limit, self.week_limit

        def rank(candidate: tuple[date, date, bool]) -> tuple:
            day, monday, makeup = candidate
            most, full = 0, False
            for flexible, held, week in loads:
                n = flexible.get(day, 0)
                if n > most:
                    most = n
                if not full and (n + held.get(day, 0) >= day_limit
                                 or week.get(monday, 0) >= week_limit):
                    full = True
            return full, makeup, most, abs(day.toordinal() - ideal), day
        return rank


def busiest(events: Iterable[Event], leave_out: Iterable[str] = ()) -> dict[str, tuple[int, int]]:
    """unit -> (most events on one day, most in one ISO week) of an expansion: what the limits
    above are measured by, as `pileups.loads` counts; the obligations in `leave_out` are not
    counted."""
    skip = set(leave_out)
    per_day, per_week = loads(e for e in events if e.obligation not in skip)
    peaks: dict[str, tuple[int, int]] = {}
    for (unit, _), held in per_day.items():
        peaks[unit] = (max(peaks.get(unit, (0, 0))[0], len(held)), 0)
    for (unit, _), held in per_week.items():
        peaks[unit] = (peaks[unit][0], max(peaks[unit][1], len(held)))
    return peaks
