"""The coordinator's dashboard (exports/gaps/index.html, and the web application's page):
a review (lights.Review) laid out as plain values for templates/gaps.html, and the exported
dashboard with its data as files (`files`). Pure: the page's text comes back; where its
links go is the `links` object's business."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from .. import exports as layout
from ..formats.render import render
from ..formats.words import cn_months
from ..model import Entry, Plan, Reported, days
from .lights import LIGHT_CN, LIGHTS, Pace, Review, Tally, review, rules
from .links import Links, StaticLinks
from .report import KIND_CN, SEVERITY_CN, as_json, grouped, hints, percent

# What the page shows before "more": it must read on a phone (a county's 36 units, most of
# them red, and a row of progress for each unit's volunteer team would be dozens of screens).
# The findings by unit are folded too, each unit opened by a click or a link to it.
ATTENTION_SHOWN = 5
PACES_SHOWN = 8


@dataclass(frozen=True)
class Cell:
    """One month of one unit in the heat map: a class for its shade and pattern, the text in
    it (✓, or how many are overdue or missed), the tooltip, and for a month with problems
    the unit's printed month, where every event shows its status."""

    css: str
    text: str = ""
    title: str = ""
    href: str = ""


def cell(month: str, t: Tally | None) -> Cell:
    """Short tooltips without the unit's name (the row says it): 2,000 cells add up."""
    if t is None or (not t.due and not t.events):
        return Cell("none")
    first = date.fromisoformat(f"{month}-01")
    named = f"{cn_months(first, first)}："
    said = f"{named}应办{t.due}，完成{t.done}"
    bad = t.overdue + t.missed
    if bad:
        said += f"，逾期{t.overdue}" + (f"，取消未补办{t.missed}" if t.missed else "")
        return Cell("miss" if not t.done else "part", str(bad), said)
    if not t.due:
        return Cell("ahead", "", f"{named}尚未到期{t.events}项")
    if t.done < t.due:
        return Cell("wait", "…", said + f"，待登记{t.due - t.done}")
    return Cell("ok", "✓", said)


def _link(e: Entry, links) -> str:
    return links.event(e.uid, e.lead, days(e.start, e.end)[0])


def page(review: Review, plan: Plan, entries: list[Entry], links: Links | None = None,
         documents: Sequence[tuple[str, str]] = (), panel: str = "") -> str:
    """The dashboard's HTML; `links` says where it points (default: the static export's
    files), `documents` are (label, href) of the ledgers and circulars it offers, `panel` is
    markup the web application puts under them (its reminders' part)."""
    links = links or StaticLinks()
    where = {e.uid: e for e in entries}
    names = {u.id: u.name for u in plan.units.values()}

    def line(f) -> dict:
        covered = sorted((where[u] for u in f.uids if u in where),
                         key=lambda e: (days(e.start, e.end)[0], e.uid))
        return {"f": f, "severity": SEVERITY_CN[f.severity], "kind": KIND_CN[f.kind],
                "unit": names.get(f.unit, ""),
                "first": _link(covered[0], links) if covered else "",
                "last": _link(covered[-1], links) if len(covered) > 1 else ""}

    groups = [(standing, [line(f) for f in found])
              for standing, found in grouped(review, review.report.findings)]
    attention = [standing for standing, _ in groups
                 if standing is not None and standing.light in ("red", "amber")]
    years: dict[str, int] = defaultdict(int)
    for m in review.months:
        years[m[:4]] += 1
    return render("gaps.html", plan_name=plan.name, plan_source=plan.source, review=review,
                  groups=groups, attention=attention, paces=pace_rows(review.paces, names),
                  hints=[line(f) for f in hints(review.report.findings)],
                  heat=_heat(review, plan, links), years=sorted(years.items()),
                  rules=rules(review.settings), light_cn=LIGHT_CN, percent=percent,
                  downloads=[*documents, ("全部数据（JSON）", links.data())],
                  generated=review.as_of, panel=panel, attention_shown=ATTENTION_SHOWN,
                  paces_shown=PACES_SHOWN, width=_width)


def _heat(review: Review, plan: Plan, links: Links) -> list[tuple[str, str, list[Cell]]]:
    """The heat map's rows, units in the plan's order: a unit is easier found where it
    always is than by its rank."""
    shown = {s.id for s in review.units}
    rows = []
    for unit in plan.units.values():
        if unit.id not in shown:
            continue
        months = review.heat.get(unit.id, {})
        cells = []
        for m in review.months:
            c = cell(m, months.get(m))
            if c.css in ("miss", "part"):
                c = replace(c, href=links.month(unit.id, m))
            cells.append(c)
        rows.append((unit.id, unit.name, cells))
    return rows


@dataclass(frozen=True)
class PaceRow:
    """A progress bar: one quota year or milestone of one unit, or several units on pace
    folded into one row (the volunteer teams of 36 units would fill a page)."""

    pace: Pace
    who: str
    lowest: int  # what the unit shown has recorded; folded rows show the least of them


def pace_rows(paces: tuple[Pace, ...], names: dict[str, str]) -> list[PaceRow]:
    """The worst first; units on pace with the same quota or milestone folded together."""
    rows: list[PaceRow] = []
    folded: dict[tuple, list[Pace]] = {}
    for p in paces:
        g = p.progress
        if p.light == "green":
            folded.setdefault((g.obligation, g.period), []).append(p)
        else:
            rows.append(PaceRow(p, names.get(g.unit, g.unit), g.recorded))
    for same in folded.values():
        least = min(same, key=lambda p: p.progress.recorded)
        who = names.get(least.progress.unit, least.progress.unit)
        if len(same) > 1:
            who = f"{len(same)}个单位均已达到（最少为{who}）"
        rows.append(PaceRow(least, who, least.progress.recorded))
    return sorted(rows, key=lambda r: (LIGHTS.index(r.pace.light), r.pace.progress.measure))


def _width(value: float, target: float) -> str:
    """A bar's width in percent of its box, at most 100."""
    share = 0.0 if not target else min(1.0, max(0.0, value / target))
    return f"{share * 100:.1f}%"


def files(plan: Plan, entries: list[Entry], today: date,
          reports: Mapping[str, Reported] | None = None,
          documents: Sequence[tuple[str, str]] = ()) -> dict[str, bytes]:
    """The dashboard and its data as of `today`; `documents` ((label, path) of the ledgers and
    circulars made so far, see `offered`) are what the dashboard offers for download. They are
    made on request (`export ledger`, `export circular`): the ledger alone takes a second to
    write, more than a whole build may spend on the report after every change."""
    judged = review(plan, entries, today, reports=reports)
    links = StaticLinks()
    shown = [(label, links.document(rel)) for label, rel in documents]
    return {layout.GAPS_PAGE: page(judged, plan, entries, links, shown).encode(),
            layout.GAPS_JSON: as_json(judged).encode()}
