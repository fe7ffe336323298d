"""The feeds view: stored events -> exports/feeds/*.ics and the exports/index.html that lists
them with how to subscribe. Used by `build` and by `export feeds` (which does not rebuild)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .ical import Feed, Feeds, feeds_of, render_feeds
from .model import Entry, Plan
from .publish import write_if_changed
from .render import render

FOLDER = "feeds"
MEMO = ".events.json"  # serialised events kept for the next build (hidden: never served)


def _load_memo(path: Path, epoch: str) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data["events"] if data.get("epoch") == epoch else {}


@dataclass
class FeedsReport:
    feeds: int  # feed files the plan has
    written: int  # files (re)written, index.html included; unchanged files are left alone
    removed: int  # feeds of units or categories the plan no longer has


def links(plan: Plan, feed: Feed) -> dict:
    https = f"{plan.settings.base_url}/{FOLDER}/{feed.filename}"
    return {"feed": feed, "https": https, "webcal": "webcal://" + https.split("://", 1)[-1]}


def index_page(plan: Plan) -> str:
    rows = [links(plan, f) for f in feeds_of(plan)]
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


def write_feeds(plan: Plan, entries: list[Entry], exports: Path, today: date) -> FeedsReport:
    """Every feed and the index page, from the stored events (`Store.entries()`)."""
    folder = Path(exports) / FOLDER
    memo = _load_memo(folder / MEMO, Feeds.epoch(plan))
    files = render_feeds(plan, entries, today, memo)
    live = {e.uid for e in entries}
    write_if_changed(folder / MEMO, json.dumps(
        {"epoch": Feeds.epoch(plan), "events": {u: v for u, v in sorted(memo.items())
                                                if u in live}},
        ensure_ascii=False, separators=(",", ":")).encode())
    written = sum(write_if_changed(folder / name, data) for name, data in files.items())
    # A feed of a unit the plan dropped would otherwise go on claiming its old events forever;
    # without the file its subscribers' clients report the feed as gone.
    stale = sorted(p for p in folder.glob("*.ics") if p.name not in files)
    for path in stale:
        path.unlink()
    written += write_if_changed(Path(exports) / "index.html", index_page(plan).encode())
    return FeedsReport(len(files), written, len(stale))
