"""What each feed holds: which events, in which window, under which UID, at which revision.

Pure: stored entries, the plan and `today` in, `Component`s out, each a VEVENT as typed
properties that `ical` writes. An event belongs to the county feed, its category's feed and
the feed of every unit it names, in a role (None for the county and categories, lead or co);
the properties that do not depend on the role are built once and shared.

Revisions. A feed event's SEQUENCE and DTSTAMP/LAST-MODIFIED must move whenever what it says
moves, and some of what it says moves with `today` alone (an event becomes overdue; a
cancelled one leaves after its grace period; a routine's first day moves with the window).
So the written SEQUENCE is twice the stored one, plus one once such a change of state has
happened (a report always raises the stored SEQUENCE, so it never falls back), and the stamp
is the later of the stored revision and the day the change happened. SEQUENCE alone orders
revisions (RFC 5545); DTSTAMP and LAST-MODIFIED are the revision's time as it was, never
moved on: two revisions on one day may share a stamp, and no stamp is later than the moment
the feed is written (a SEQUENCE of 5018 once put the daily push's 84 minutes ahead).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from .. import exports
from ..errors import CalendarAppError
from ..model import TZ, Entry, Obligation, Plan, Settings, days
from . import wording

ROLE_SUFFIX = {None: "", "lead": "-lead", "co": "-co"}
PLACEHOLDER_URL = Settings().base_url


class Uri(str):
    """A URI value: written as is, never TEXT-escaped."""


class Recur(str):
    """An RRULE value: written as is."""


@dataclass(frozen=True)
class Feed:
    key: str  # a unit id, exports.COUNTY_FEED or exports.CATEGORY + a category code
    kind: str  # unit | county | category
    label: str  # who or what it is for: 全县, a category, a unit
    name: str  # NAME and X-WR-CALNAME: the plan's short name and the label (a phone cuts more)
    description: str
    subject: str = ""  # the unit id or category code it selects

    @property
    def path(self) -> str:
        return exports.feed(self.key)


def feeds_of(plan: Plan) -> list[Feed]:
    """Every feed of the plan: the county, each category, each unit, in that order."""
    out = [Feed(exports.COUNTY_FEED, "county", "全县", f"{plan.short}·全县", f"{plan.name}：全县所有活动")]
    for code in sorted(plan.categories):
        cat = plan.categories[code]
        out.append(Feed(exports.CATEGORY + code, "category", cat.name, f"{plan.short}·{cat.name}",
                        f"{plan.name}：{cat.name}的所有活动", code))
    for unit in plan.units.values():
        out.append(Feed(unit.id, "unit", unit.name, f"{plan.short}·{unit.name}",
                        f"{plan.name}：{unit.name}牵头或配合的活动", unit.id))
    seen: dict[str, Feed] = {}
    for feed in out:
        if feed.key in seen:
            raise CalendarAppError(f"unit id {feed.subject!r} would write {feed.path}, the "
                                   f"feed of {seen[feed.key].label}; give the unit another id")
        seen[feed.key] = feed
    return out


def memberships(plan: Plan, entry: Entry) -> list[tuple[str, str | None]]:
    """(feed key, role) for every feed an event belongs to."""
    found: list[tuple[str, str | None]] = [(exports.COUNTY_FEED, None)]
    if entry.category in plan.categories:
        found.append((exports.CATEGORY + entry.category, None))
    for i, unit in enumerate(entry.units):
        if unit in plan.units:
            found.append((unit, "lead" if i == 0 else "co"))
    return found


def uid_stem(uid: str) -> str:
    """The store's uid as the name part of a feed UID: no '/' (a CalDAV resource is named
    after it) and no '#'."""
    return re.sub(r"[/#]+", "-", uid)


def uid_domain(settings: Settings) -> str:
    """The domain this plan's settings propose for feed UIDs ("" while base_url is still the
    placeholder and no uid_domain is set: nothing to fix yet)."""
    if settings.uid_domain:
        return settings.uid_domain
    if settings.base_url == PLACEHOLDER_URL:
        return ""
    return settings.base_url.split("://", 1)[-1].split("/", 1)[0].split("@")[-1].split(":")[0]


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=TZ)


@dataclass(frozen=True)
class Window:
    """The days a feed shows, and the settings that judge what is shown."""

    start: date  # events that end after this day's start are shown
    today: date
    settings: Settings

    @classmethod
    def of(cls, plan: Plan, today: date) -> Window:
        return cls(today - timedelta(days=plan.settings.feed_past_days), today, plan.settings)

    def expired(self, entry: Entry) -> bool:
        """A cancelled or removed event past its grace period: a subscriber has had
        `grace_days` to see it cancelled; now it may leave."""
        return not entry.live and self.expiry(entry) <= self.today

    def expiry(self, entry: Entry) -> date:
        return entry.revised.astimezone(TZ).date() + timedelta(days=self.settings.grace_days + 1)

    def overdue(self, entry: Entry) -> bool:
        return entry.overdue(self.today, self.settings.overdue_days)

    def shows(self, entry: Entry) -> bool:
        return days(entry.start, entry.end)[1] > self.start and not self.expired(entry)

    def version(self, entry: Entry) -> tuple[int, datetime]:
        """(SEQUENCE, stamp) of an entry as of today (see the module's docstring)."""
        sequence, stamp = 2 * entry.sequence, entry.revised
        if self.overdue(entry):
            sequence += 1
            stamp = max(stamp, midnight(entry.overdue_since(self.settings.overdue_days)))
        elif self.expired(entry):
            sequence += 1
            stamp = max(stamp, midnight(self.expiry(entry)))
        return sequence, stamp


@dataclass
class Component:
    """One VEVENT: role-free properties before and after SUMMARY, and the role-bound ones."""

    order: tuple  # where it goes in a feed: start, UID stem, recurrence id
    stem: str  # the UID before its role suffix and domain
    head: list[tuple]
    tail: list[tuple]
    summaries: dict[str | None, str]
    alarm: list[tuple] | None
    feeds: list[tuple[str, str | None]]  # (feed key, role)
    years: tuple[int, int]  # first and last year it touches, for the VTIMEZONE
    timed: bool = False
    override: bool = False  # one occurrence of a routine, under the routine's UID
    alarm_roles: tuple = field(default=("lead",))

    def props(self, role: str | None, domain: str) -> list[tuple]:
        """Every property in the order written, for one role."""
        alarm: list[tuple] = ([("VALARM", self.alarm, {})]
                              if self.alarm and role in self.alarm_roles else [])
        return [("UID", self.uid(role, domain), {}), *self.head,
                ("SUMMARY", self.summaries[role], {}), *self.tail, *alarm]

    def uid(self, role: str | None, domain: str) -> str:
        return f"{self.stem}{ROLE_SUFFIX[role]}@{domain}"


def stamped(at: datetime) -> datetime:
    """DTSTAMP and LAST-MODIFIED: the revision's time, in UTC, to the second."""
    return at.astimezone(UTC).replace(microsecond=0)


def moment(value: date | datetime) -> date | datetime:
    return value.astimezone(TZ) if isinstance(value, datetime) else value


def event_component(plan: Plan, entry: Entry, obligation: Obligation | None, window: Window,
                    version: tuple[int, datetime], *, stem: str | None = None,
                    recurrence_id: date | datetime | None = None,
                    fills: Entry | None = None, when: str | None = None,
                    county: bool = True) -> Component:
    """A VEVENT for one stored event: on its own, or as the override of one occurrence of a
    routine (`recurrence_id`, under the routine's `stem` and version). Without `county` it
    stays out of the county's and categories' feeds (gathered there with its fellows)."""
    overdue = window.overdue(entry)
    sequence, stamp = version
    stamp = stamped(stamp)
    start, end = moment(entry.start), moment(entry.end)
    head: list[tuple] = [("DTSTAMP", stamp, {}), ("LAST-MODIFIED", stamp, {}),
                         ("SEQUENCE", sequence, {})]
    if recurrence_id is not None:
        head.append(("RECURRENCE-ID", moment(recurrence_id), {}))
    head += [
        ("DTSTART", start, {}),
        ("DTEND", end, {}),
        ("STATUS", "CONFIRMED" if entry.live else "CANCELLED", {}),
        # A month-long campaign must not mark a whole month busy in Outlook.
        ("TRANSP", "TRANSPARENT" if entry.all_day else "OPAQUE", {}),
    ]
    planned = recurrence_id if entry.moved else None
    text = wording.description(plan, entry, obligation, when=when or wording.when_text(start, end),
                                overdue=overdue, fills=fills, planned=planned)
    category = plan.categories.get(entry.category)
    tail: list[tuple] = [
        ("DESCRIPTION", text, {}),
        ("CATEGORIES", [category.name if category else wording.TABLE[1:-1]], {})]
    if entry.location:
        tail.append(("LOCATION", entry.location, {}))
    alarm: list[tuple] | None = None  # for what is still ahead, not what is recorded or overdue
    if entry.alarm is not None and entry.live and entry.status == "planned" and not overdue:
        alarm = [("ACTION", "DISPLAY", {}), ("TRIGGER", -entry.alarm, {}),
                 ("DESCRIPTION", f"提醒：{entry.title}", {})]
    feeds = [(k, r) for k, r in memberships(plan, entry) if county or r is not None]
    roles = {role for _, role in feeds}
    first, after = days(entry.start, entry.end)
    return Component(
        order=(_sort_key(start), stem or uid_stem(entry.uid), _sort_key(recurrence_id)),
        stem=stem or uid_stem(entry.uid), head=head, tail=tail,
        summaries={r: wording.summary(plan, entry, r, overdue) for r in roles},
        alarm=alarm, feeds=feeds, years=(first.year, (after - timedelta(days=1)).year),
        timed=not entry.all_day, override=recurrence_id is not None,
        alarm_roles=alarm_roles(plan.settings))


def alarm_roles(settings: Settings) -> tuple:
    return ("lead", "co") if settings.co_alarms else ("lead",)


def _sort_key(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(TZ).isoformat() if isinstance(value, datetime) else value.isoformat()


def single_components(plan: Plan, entries: Iterable[Entry], window: Window,
                      by_uid: dict[str, Entry], gathered: set[str]) -> list[Component]:
    """Each shown event on its own; those in `gathered` only in their units' feeds."""
    obligations = {o.id: o for o in plan.obligations}
    return [event_component(plan, e, obligations.get(e.obligation), window, window.version(e),
                            fills=by_uid.get(e.fills) if e.fills else None,
                            county=e.uid not in gathered)
            for e in entries if window.shows(e)]
