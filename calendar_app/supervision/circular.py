"""The monthly circular (通报): one or two A4 pages in the usual shape of a county circular,
title, period, overall completion, units ranked with their lights, what is overdue by unit,
quotas behind pace and a closing line. Pure: `page` gives the HTML, `pdf` prints it through
the printed months' PDF engine.

The month's figures are the month's; the ranking, the lights and the overdue list cover the
year so far (January, or the plan's start, to the month's end) as of `today`, the day the
circular is made: a report that came in after the month ended counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from ..errors import CalendarAppError
from ..formats.render import render
from ..formats.words import cn_date, cn_target_period
from ..model import Entry, Plan, Reported
from ..months import following as month_after
from .lights import LIGHT_CN, Review, Standing, review
from .report import KIND_CN, percent

# So that two pages hold any month: the units named with their overdue items, how many
# items each, and how many units a lagging quota names; the rest are counted.
DETAILED_UNITS, ITEMS_PER_UNIT, NAMED_UNITS = 5, 2, 6
MARKS = {"red": "●", "amber": "▲", "green": "○", "none": "－"}


class CircularError(CalendarAppError):
    """A circular asked for a month the plan does not cover."""


@dataclass(frozen=True)
class Line:
    """A unit's row in the ranking: its standing for the year, and the month's tally."""

    year: Standing
    month_done: int
    month_due: int


def page(plan: Plan, entries: list[Entry], month: date, today: date,
         reports: Mapping[str, Reported] | None = None) -> str:
    """The circular for the month starting `month`, as of `today`, as HTML."""
    first = month.replace(day=1)
    after = month_after(first)
    if not (first < plan.end and after > plan.start):
        raise CircularError(f"{first:%Y-%m} is outside the plan period {plan.start} to "
                            f"{plan.last}")
    start, end = max(first, plan.start), min(after, plan.end)
    year = review(plan, entries, today, max(first.replace(month=1), plan.start), end,
                  reports=reports)
    this = review(plan, entries, today, start, end, reports=reports)
    of_month = {s.id: s.tally for s in this.units}
    lines = [Line(s, of_month[s.id].done, of_month[s.id].due) for s in year.units]
    overdue = _overdue(year)
    behind = _behind(year, {u.id: u.name for u in plan.units.values()})
    returned = _returned(plan, entries)
    half = (len(lines) + 1) // 2  # the ranking in two columns: half a page for 36 units
    groups = sorted(plan.groups.values(), key=lambda g: -len(g.members))
    return render("circular.html", plan_name=plan.name, plan_source=plan.source,
                  issuer=plan.settings.issuer, to="，".join(g.name for g in groups),
                  month=first, start=start, last=end - timedelta(days=1), today=today,
                  year=year, this=this, overdue=overdue[:DETAILED_UNITS],
                  overdue_rest=overdue[DETAILED_UNITS:], behind=behind,
                  halves=(lines[:half], lines[half:]),
                  named=NAMED_UNITS, returned=returned, returned_named=ITEMS_PER_UNIT,
                  percent=percent, light_cn=LIGHT_CN, marks=MARKS,
                  reply_by=cn_date(today + timedelta(days=plan.settings.warn_days)))


def _returned(plan: Plan, entries: list[Entry]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The reports returned to their units and not resubmitted yet, by unit in plan order:
    (unit name, [(title, reason)])."""
    found: dict[str, list[tuple[str, str]]] = {}
    for e in entries:
        if e.review == "returned" and e.units:
            found.setdefault(e.lead, []).append((e.title, e.review_note))
    return [(plan.units[u].name, found[u]) for u in plan.units if u in found]


def _overdue(year: Review) -> list[tuple[Standing, list[str], int]]:
    """Per unit with overdue or missed events, most first: what to name, and how many."""
    by_unit = {s.id: s for s in year.units}
    found: dict[str, list] = {}
    for f in year.report.findings:
        if f.kind in ("overdue", "unfilled_slot") and f.unit in by_unit:
            found.setdefault(f.unit, []).append(f)
    out = []
    for unit, findings in found.items():
        s = by_unit[unit]
        findings.sort(key=lambda f: -f.count)
        said = [f"{f.title}{KIND_CN[f.kind]}{f.count}次（{_span(f.start, f.last)}）"
                for f in findings[:ITEMS_PER_UNIT]]
        out.append((s, said, len(findings)))
    return sorted(out, key=lambda x: (-(x[0].tally.overdue + x[0].tally.missed), x[0].rank or 999))


@dataclass(frozen=True)
class Behind:
    """A quota or milestone behind its pace, with the units behind on it."""

    title: str
    period: str
    what: str
    clearly: bool  # some unit is clearly behind (red)
    units: tuple[tuple[str, int, float], ...]  # (name, recorded, due now)


def _behind(year: Review, names: dict[str, str]) -> list[Behind]:
    """Lagging quotas and milestones, one entry each however many units lag on it."""
    found: dict[tuple, list] = {}
    for pace in year.paces:
        if pace.light in ("red", "amber"):
            g = pace.progress
            found.setdefault((g.title, g.period, g.what), []).append(pace)
    return [Behind(title, cn_target_period(period), what,
                   any(p.light == "red" for p in paces),
                   tuple((names.get(p.progress.unit, p.progress.unit), p.progress.recorded,
                          p.progress.due_now) for p in paces))
            for (title, period, what), paces in found.items()]


def _span(first: date, last: date) -> str:
    if first == last:
        return f"{first.month}月{first.day}日"
    return f"{first.month}月{first.day}日至{last.month}月{last.day}日" if first.year == last.year \
        else f"{cn_date(first)}至{cn_date(last)}"


def pdf_check() -> None:
    """PrintError saying what to install when no PDF can be made, before anything is."""
    from ..printed.pages import pdf_engine

    pdf_engine()


def pdf(html: str) -> bytes:
    """The circular printed as the monthly schedules are (WeasyPrint, a Chinese font)."""
    from ..printed.pages import pdf_bytes, pdf_engine

    return pdf_bytes(pdf_engine(), html)
