"""A fanned-out obligation in the county's and categories' feeds: one event per occurrence,
naming every unit, instead of one copy per unit on the same day.

Pure. `fanout: each` gives each unit its own event (own record, own reminder), which is right
in the unit's feed; in the county's, 36 copies of 科学素质工作半年进展报告 on one day hide the
rest of the day. Events of one obligation and occurrence that share their days and wording
are gathered under the occurrence's UID; one a unit moved stays on its own.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from .. import exports
from ..model import Entry, Obligation, Plan, days
from . import wording
from .contents import Component, Window, moment, stamped, uid_stem


def _base(entry: Entry) -> str:
    """The occurrence's uid: the event's without its unit."""
    return entry.uid.rsplit("/", 1)[0]


def _look(entry: Entry) -> tuple:
    return (entry.start, entry.end, entry.title, entry.location, entry.notes, entry.category,
            entry.measure)


def find(plan: Plan, entries: list[Entry],
         window: Window) -> list[tuple[list[Entry], list[Entry]]]:
    """Groups of two or more shown events of one fanned-out occurrence that look alike, each
    with every stored event of that occurrence (its revision counts them all)."""
    fanned = {o.id for o in plan.obligations if o.fanout}
    occurrences: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        if (entry.obligation in fanned and entry.origin == "plan"
                and entry.uid.endswith(f"/{entry.lead}")):
            occurrences[_base(entry)].append(entry)
    groups = []
    for everyone in occurrences.values():
        shown = [e for e in everyone if window.shows(e)]
        if len(shown) < 2:
            continue
        look, count = Counter(_look(e) for e in shown).most_common(1)[0]
        if count > 1:
            groups.append(([e for e in shown if _look(e) == look], everyone))
    return groups


def component(plan: Plan, members: list[Entry], everyone: list[Entry],
              obligation: Obligation | None, window: Window) -> Component:
    order = {u: i for i, u in enumerate(obligation.units)} if obligation else {}
    members = sorted(members, key=lambda e: (order.get(e.lead, len(order)), e.lead))
    first = members[0]
    live = [e for e in members if e.live]
    overdue = [e for e in members if window.overdue(e)]
    sequence, stamp = 0, first.revised
    for entry in everyone:  # a unit's event leaving the group still raises the number
        seq, at = window.version(entry)
        sequence += seq + 1
        stamp = max(stamp, at)
    stamp = stamped(stamp)
    start, end = moment(first.start), moment(first.end)
    title = f"{first.title} · {len(members)}个单位"
    if not live:
        title = wording.CANCELLED + title
    elif overdue:
        title = wording.OVERDUE + title
    text = wording.description(plan, first, obligation, when=wording.when_text(start, end),
                                together=[(e, e in overdue) for e in members])
    category = plan.categories.get(first.category)
    feeds: list[tuple[str, str | None]] = [(exports.COUNTY_FEED, None)]
    if first.category in plan.categories:
        feeds.append((exports.CATEGORY + first.category, None))
    day, after = days(first.start, first.end)
    return Component(
        order=(start.isoformat(), uid_stem(_base(first)), ""), stem=uid_stem(_base(first)),
        head=[("DTSTAMP", stamp, {}), ("LAST-MODIFIED", stamp, {}), ("SEQUENCE", sequence, {}),
              ("DTSTART", start, {}), ("DTEND", end, {}),
              ("STATUS", "CONFIRMED" if live else "CANCELLED", {}),
              ("TRANSP", "TRANSPARENT" if first.all_day else "OPAQUE", {})],
        tail=[("DESCRIPTION", text, {}),
              ("CATEGORIES", [category.name if category else wording.TABLE[1:-1]], {}),
              *([("LOCATION", first.location, {})] if first.location else [])],
        summaries={None: title}, alarm=None, feeds=feeds,
        years=(day.year, after.year), timed=not first.all_day)

