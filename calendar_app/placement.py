"""Placing flexible occurrences (N a year, a term's lecture, a township's turn) on real days.

Deterministic and load-spreading: each request goes to the working day in its window where
its busiest unit has the fewest flexible events, then the day nearest its ideal spot (spread
evenly when a slot asks for several), then the earliest. So no unit gets two flexible events
on one day while another working day in the window is free.

Fixed-date events do not steer placement on purpose: if they did, moving the weekly TV
segment to another weekday would also move dozens of unrelated contests and lectures, and
every subscriber would see them change.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from .workdays import WorkCalendar


@dataclass(frozen=True)
class Request:
    key: str  # the event's uid: orders requests and breaks ties
    units: tuple[str, ...]
    window: tuple[date, date]
    share: tuple[int, int] = (0, 1)  # this is event `i` of `n` in its slot


class Placer:
    def __init__(self, cal: WorkCalendar):
        self.cal = cal
        # unit -> day -> events; plain dicts read with .get: a Counter's __missing__ on the
        # hot path cost more than the rest of the placement.
        self.flexible: dict[str, dict[date, int]] = defaultdict(dict)
        self._days: dict[tuple[date, date], tuple[list[date], bool]] = {}

    def candidates(self, window: tuple[date, date]) -> tuple[list[date], bool]:
        """Working days of the window, or every day (flagged) when it has none."""
        if window not in self._days:
            days = self.cal.workdays_between(*window)
            if days:
                self._days[window] = (days, True)
            else:
                every = [window[0] + timedelta(n) for n in range((window[1] - window[0]).days)]
                self._days[window] = (every, False)
        return self._days[window]

    def place(self, requests: list[Request]) -> dict[str, tuple[date, bool]]:
        """uid -> (day, on_a_working_day) for every request, in a fixed order."""
        placed: dict[str, tuple[date, bool]] = {}
        for req in sorted(requests, key=lambda r: (r.window[0], r.window[1], r.key)):
            days, working = self.candidates(req.window)
            i, n = req.share
            span = (req.window[1] - req.window[0]).days
            ideal = req.window[0].toordinal() + int(span * (2 * i + 1) / (2 * n))
            flexible = [self.flexible[u] for u in req.units]
            best = min(days, key=lambda d: (max(c.get(d, 0) for c in flexible),
                                            abs(d.toordinal() - ideal), d))
            for load in flexible:
                load[best] = load.get(best, 0) + 1
            placed[req.key] = (best, working)
        return placed
