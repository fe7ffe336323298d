"""The feeds view: stored events -> every iCalendar feed and the page that lists them with how
to subscribe, as {path under exports/: bytes}. Pure; the exports owner writes the files."""

from __future__ import annotations

from datetime import date

from . import exports as layout
from .exports import Exports
from .ical import Feed, Feeds, feeds_of
from .model import Entry, Plan
from .render import render


def links(out: Exports, feed: Feed) -> dict:
    rel = layout.feed(feed.key)
    return {"feed": feed, "https": out.url(rel), "webcal": out.webcal(rel)}


def index_page(plan: Plan, out: Exports) -> str:
    rows = [links(out, f) for f in feeds_of(plan)]
    units = {u.id: u for u in plan.units.values()}
    return render(
        "feeds_index.html", plan_name=plan.name, plan=plan,
        county=[r for r in rows if r["feed"].kind == "county"],
        categories=[r for r in rows if r["feed"].kind == "category"],
        offices=[r for r in rows if r["feed"].kind == "unit"
                 and units[r["feed"].subject].kind != "township"],
        townships=[r for r in rows if r["feed"].kind == "unit"
                   and units[r["feed"].subject].kind == "township"],
        refresh_hours=plan.settings.refresh.total_seconds() / 3600,
        grace_days=plan.settings.grace_days,
    )


def files(plan: Plan, entries: list[Entry], today: date, out: Exports,
          memo: dict | None = None) -> dict[str, bytes]:
    """Every feed (by its path) and the index page. `memo` holds events serialised before
    (see `ical.Feeds`); it is filled in with the ones serialised now."""
    feeds = Feeds(plan, memo, source=out.url).render(entries, today)
    return {**feeds, layout.INDEX: index_page(plan, out).encode()}
