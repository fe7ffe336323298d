"""The feeds view: stored events -> every iCalendar feed and the subscription page that lists
them with how to subscribe and a QR code each, as {path under exports/: bytes}. Pure; the
exports owner writes the files."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from .. import exports as layout
from ..exports import Exports
from ..formats.render import qr_svg, render
from ..model import Entry, Plan
from . import ical
from .assembly import calendar_props, components
from .contents import PLACEHOLDER_URL, Feed, feeds_of, uid_domain

PLACEHOLDER_WARNING = ("settings.base_url is still the placeholder {url}: the feed links "
                       "on exports/index.html lead nowhere until it is set in the plan")


def feed_domain(plan: Plan, fixed) -> str:
    """The UIDs' domain: settings.uid_domain, else the one `fixed` (`Store.uid_domain`) keeps
    from the first build with a real base_url; example.invalid until there is one."""
    kept = fixed(uid_domain(plan.settings))
    return plan.settings.uid_domain or kept or "example.invalid"


def placeholder_warning(plan: Plan) -> str:
    """One line while base_url is the shipped placeholder, "" once it is set."""
    url = plan.settings.base_url
    return PLACEHOLDER_WARNING.format(url=url) if url == PLACEHOLDER_URL else ""


def links(out: Exports, feed: Feed) -> dict:
    rel = feed.path
    return {"feed": feed, "https": out.url(rel), "webcal": out.webcal(rel),
            "qr": qr_svg(out.url(rel))}


def index_page(plan: Plan, out: Exports, today: date) -> str:
    """The subscription page: how to subscribe on the phones and programs a county office
    has, then every feed with its addresses and QR code, a unit's own first (index.html#id);
    after the plan's period, first of all that it has ended."""
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
        grace_days=plan.settings.grace_days, past_days=plan.settings.feed_past_days,
        placeholder=plan.settings.base_url == PLACEHOLDER_URL,
        over=today >= plan.end, last_day=plan.last,
    )


def files(plan: Plan, entries: list[Entry], today: date, out: Exports,
          domain: str = "example.invalid") -> dict[str, bytes]:
    """Every feed (by its path) and the index page; `domain` is the UIDs' (`feed_domain`)."""
    feeds = render_feeds(plan, entries, today, domain, source=out.url)
    return {**feeds, layout.INDEX: index_page(plan, out, today).encode()}


def render_feeds(plan: Plan, entries: Iterable[Entry], today: date,
                 domain: str = "example.invalid",
                 source: Callable[[str], str] | None = None) -> dict[str, bytes]:
    """Feed path under exports/ -> bytes, for every feed of the plan (empty ones included).
    `source` gives a feed's public URL from its path (its SOURCE property)."""
    where = source or (lambda rel: f"{plan.settings.base_url}/{rel}")
    return ical.write(feeds_of(plan), components(plan, entries, today),
                      lambda feed: calendar_props(plan, feed, where(feed.path)), domain)
