"""Month arithmetic, once: a month's bounds, the month after, the months a span touches.

A month is named by its first day or by (year, month); its bounds are half-open like every
period here.
"""

from __future__ import annotations

from datetime import date


def bounds(year: int, month: int) -> tuple[date, date]:
    """The first day of the month and the first day of the next."""
    return date(year, month, 1), following(date(year, month, 1))


def following(day: date) -> date:
    """The first day of the month after the one `day` falls in."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def between(start: date, end: date) -> list[tuple[int, int]]:
    """(year, month) of every month overlapping [start, end)."""
    found = []
    first = start.replace(day=1)
    while first < end:
        found.append((first.year, first.month))
        first = following(first)
    return found


def firsts(start: date, end: date) -> list[date]:
    """The first day of every month overlapping [start, end)."""
    return [date(y, m, 1) for y, m in between(start, end)]


def widen(start: date, end: date) -> tuple[date, date]:
    """[start, end) widened to whole months: a page always shows its whole month."""
    return start.replace(day=1), following(date.fromordinal(end.toordinal() - 1))


def within(day: date, start: date, end: date) -> date:
    """`day`, or the nearest day of [start, end) when it falls outside (after a plan's end,
    its last day): what a page opens on when today is not in the plan's period."""
    return min(max(day, start), date.fromordinal(end.toordinal() - 1))
