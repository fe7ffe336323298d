"""Every VEVENT of every feed, and every feed's calendar properties: what the feeds hold,
assembled from the stored entries. Pure; `ical` writes what this gives.

A routine (a daily or weekly obligation) is one recurring event with its overrides
(`routines`), a fanned-out occurrence is one event in the county's and categories' feeds
(`combined`), and every other event stands on its own (`contents`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from ..model import ZONE, Entry, Plan
from . import combined, routines
from .contents import Component, Feed, Uri, Window, single_components

PRODID = "-//Chongyang County//calendar_app//ZH"


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


def components(plan: Plan, entries: Iterable[Entry], today: date) -> list[Component]:
    """Every VEVENT of every feed, in feed order: routines as one recurring event each (with
    their overrides after them), a fanned-out occurrence once in the county's feeds, every
    other event on its own."""
    entries = list(entries)
    window = Window.of(plan, today)
    by_uid = {e.uid: e for e in entries}
    found, rest = routines.find(plan, entries)
    out = []
    for routine in found:
        parts, alone = routines.components(plan, routine, window)
        out += parts
        rest += alone
    obligations = {o.id: o for o in plan.obligations}
    gathered = set()
    for members, everyone in combined.find(plan, rest, window):
        out.append(combined.component(plan, members, everyone,
                                    obligations.get(members[0].obligation), window))
        gathered |= {e.uid for e in members}
    out += single_components(plan, rest, window, by_uid, gathered)
    out.sort(key=lambda c: c.order)
    return out


