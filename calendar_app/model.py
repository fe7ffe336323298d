"""The nouns of the plan: frozen values that every other module passes around.

Dates are `datetime.date`; every period is half-open (`end` is exclusive), the way RFC 5545
writes all-day events, so spans join without gaps or overlaps.

A note on naming: one event takes several shapes on its way from the plan to a page.

- `Occurrence` (rules): what a rule asks for inside one `Slot`: a fixed day or span, or a
  window to be placed in.
- `Request` (placement): a flexible occurrence asking the placer for a day.
- `Event` (schedule): what the plan generates, dated and given its stable uid.
- row (store): an `Event` as stored, with what units recorded about it and its revision.
- `Entry` (store, read back): a row as a frozen value; every view reads entries.
- `Shown` and `Item` (monthview): what a printed page reads of an entry, and one line of
  the page (copies of one event for several units merged).
- record: what a unit reports about an entry (done, cancelled, moved, reset, added); each one
  is a new revision of the row and a row of its history.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import ipaddress
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from .errors import UnknownUnit

if TYPE_CHECKING:
    from .plan.rules import Rule
    from .plan.workdays import WorkCalendar

ZONE = "Asia/Shanghai"
TZ = ZoneInfo(ZONE)
ONE_DAY = timedelta(days=1)

# The states things are in, each named once (the database stores these words).
Status = Literal["planned", "done", "cancelled"]  # what the unit reported of an event
ShownStatus = Literal["planned", "done", "cancelled", "moved"]  # a move shown as its own
State = Literal["live", "removed"]  # whether the plan still yields an event
Origin = Literal["plan", "added"]  # from the plan, or added by a unit (a make-up, ad hoc)
Role = Literal["lead", "co"]  # a unit's part in an event
Severity = Literal["info", "low", "medium", "high"]  # of a gap finding, lowest first
SEVERITIES: tuple[Severity, ...] = ("info", "low", "medium", "high")
Light = Literal["red", "amber", "green", "none"]  # a unit's or a measure's standing

# How every view names a status and a role (`Entry.shown_status`, the unit's part in an event).
STATUS_CN: dict[str, str] = {"planned": "计划", "done": "完成", "cancelled": "取消", "moved": "改期"}
ROLE_CN: dict[str, str] = {"lead": "牵头", "co": "配合"}

# How an obligation's work is reported (its grain): each event on its own, or one report
# task per week, month or quarter that states how many of the period's events were done.
Grain = Literal["each", "weekly", "monthly", "quarterly"]
GRAINS: tuple[Grain, ...] = ("each", "weekly", "monthly", "quarterly")
GRAIN_CN = {"each": "逐项", "weekly": "每周", "monthly": "每月", "quarterly": "每季度"}
# What a stored event is: an event of the plan (or one a unit added), or a period's report task.
Kind = Literal["event", "report"]
# The coordinator's review (复核) of a done report: "" (none: filed before there was review),
# filed (awaiting review), passed, or returned to the unit to complete (待补充).
Review = Literal["", "filed", "passed", "returned"]
# Whether a filed report counts as done (optional) or only once passed (required).
ReviewMode = Literal["optional", "required"]
REVIEW_MODES: tuple[ReviewMode, ...] = ("optional", "required")
REVIEW_CN = {"filed": "待复核", "passed": "复核通过", "returned": "退回待补充"}


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    kind: str  # "county" or "township"
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    members: tuple[str, ...]
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Category:
    code: str
    name: str


@dataclass(frozen=True)
class Measure:
    number: int
    category: str
    title: str
    text: str
    units: tuple[str, ...]  # unit ids, lead first, as the table lists them (groups expanded)
    listed: tuple[str, ...] = ()  # the names as the table writes them (aliases, groups, twice)


# What the number a unit gives when it reports an event done is called, when the plan's
# `counted` does not say; and the `counted` that asks no number (a TV segment, a budget line).
COUNTED = "参加人数"
NO_COUNT = "无"


@dataclass(frozen=True)
class Target:
    """A number the units must reach: `per_year` (a quota) or by a date (a milestone)."""

    kind: str  # "quota" or "milestone"
    amount: int
    unit: str  # what is counted: 人次, 名, 处 ...
    by: date | None = None
    since: date | None = None


@dataclass(frozen=True)
class Obligation:
    id: str
    measure: int
    title: str
    quote: str
    rule: Rule
    units: tuple[str, ...]  # unit ids, lead first
    fanout: bool = False  # one event per unit instead of one joint event
    workdays: str = "keep"  # keep | next | previous | skip
    time: time | None = None
    duration: timedelta | None = None
    location: str = ""
    alarm: timedelta | None = None  # how long before the start to remind
    assumed: str = ""  # why the cadence (days, frequency) is the county's choice, not the table's
    assigned: str = ""  # why the lead or the unit set is the county's choice, not the table's
    short: str = ""  # the title calendars show when `title` is too long for them
    target: Target | None = None
    line: int = 0
    report: Grain = "each"  # how its work is reported: each event, or a task per period
    report_due_days: int = 5  # working days after a period ends that its report is due
    report_reason: str = ""  # why the county reports it by period (every grain is its choice)
    counted: str = ""  # what the number a report asks for is called (队伍人数, 推送条数, 无)

    @property
    def lead(self) -> str:
        return self.units[0]

    @property
    def asks(self) -> str:
        """What the number asked when an event of it is reported done is called: `counted`,
        参加人数 when the plan says nothing, "" when it asks none (counted: 无)."""
        return "" if self.counted == NO_COUNT else self.counted or COUNTED

    @property
    def tallied(self) -> str:
        """What a period's report task counts of its plan: `counted` (推送条数), else 数量
        (a period's tally is asked even where each event asks no number)."""
        return self.counted if self.counted not in ("", NO_COUNT) else "数量"

    @property
    def reasons(self) -> str:
        """Why the county arranged what the table does not fix (who, when, how reported);
        "" when the table fixes everything."""
        return "；".join(r for r in (self.assigned, self.assumed, self.report_reason) if r)

    @property
    def basis(self) -> str:
        """What a unit reads about where the event comes from: 方案规定 when the table fixes
        everything, else 县里安排 and the county's reasons."""
        return f"县里安排：{self.reasons}" if self.reasons else "方案规定"


@dataclass(frozen=True)
class Slot:
    """A period an obligation must be met in: a week, a term, a year, a township's turn."""

    key: str
    start: date
    end: date


@dataclass(frozen=True)
class Occurrence:
    """What a rule asks for inside one slot: a fixed day or span, or a window to place in."""

    slot: Slot
    index: int = 0
    start: date | None = None
    end: date | None = None
    window: tuple[date, date] | None = None
    place: str = ""  # a rotation's place (a unit id)
    fallback: str = ""  # why this date is the rule's guess rather than the year's table
    around: date | None = None  # the day a placed event should land as near as it can
    spread: str = ""  # occurrences of one rule with the same key share out their window
    label: str = ""  # the name of the observance the event hangs on, as called that year


@dataclass(frozen=True)
class Event:
    uid: str
    obligation: str
    measure: int
    category: str
    slot: Slot
    title: str
    start: date | datetime
    end: date | datetime
    units: tuple[str, ...]  # lead first
    location: str = ""
    alarm: timedelta | None = None
    notes: tuple[str, ...] = ()  # caveats a reader must see: fallback dates, estimated days
    flexible: bool = False
    # Plan text the views print around the event (measure title, the quoted seed words, unit
    # names): not stored, but part of the digest, so editing it raises SEQUENCE too.
    context: str = ""
    kind: Kind = "event"
    reported: Grain = "each"  # an event of a period-reported obligation is judged in its report

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)

    @property
    def lead(self) -> str:
        return self.units[0]

    def visible(self) -> dict[str, Any]:
        """Everything a subscriber sees; a change here is a new revision (SEQUENCE + 1)."""
        return {
            "title": self.title,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "units": list(self.units),
            "location": self.location,
            "alarm": int(self.alarm.total_seconds()) if self.alarm is not None else None,
            "notes": list(self.notes),
            "slot": self.slot.key,
            "measure": self.measure,
            "context": self.context,
            # Since the reporting grain: said only when not the default, so that an event
            # reported on its own keeps the revision it had before there were grains.
            **({"kind": self.kind} if self.kind != "event" else {}),
            **({"reported": self.reported} if self.reported != "each" else {}),
        }

    @cached_property
    def digest(self) -> str:
        text = json.dumps(self.visible(), ensure_ascii=False, sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()


@dataclass(frozen=True)
class Settings:
    """How the calendar is published and judged: the plan file's optional `settings`."""

    base_url: str = "https://example.invalid/calendar"  # where exports/ is served from
    refresh: timedelta = timedelta(hours=4)  # how often subscribers should re-fetch a feed
    grace_days: int = 30  # how long a cancelled event stays in feeds before it leaves
    pdf: bool = False  # build renders PDFs as well as HTML
    overdue_days: int = 7  # a past event with no record is overdue after this many days
    idle_months: int = 3  # a unit with no event for this many months is idle
    overload_day: int = 3  # more events than this on one day for one unit is overload
    overload_week: int = 12  # ... or in one ISO week (the daily push alone is 7)
    feed_past_days: int = 90  # feeds carry events from this many days before today onwards
    uid_domain: str = ""  # the domain part of feed UIDs; "" = base_url's host at the first build
    co_alarms: bool = False  # reminders in co-organisers' feeds too, not only the lead's
    evidence_mb: int = 20  # the largest evidence file a unit may upload, in MB
    public_print: bool = False  # the web application shows printed months without sign-in
    warn_days: int = 7  # amber: a report falls overdue within this many days
    pace_margin: int = 20  # percent: a quota this little behind its pace is amber, more is red
    issuer: str = "县全民科学素质工作领导小组办公室"  # who signs the monthly circular
    review: ReviewMode = "optional"  # a report is done when filed, or only once passed
    # The reverse proxy in front of `serve` (addresses or networks, comma-separated): only
    # requests from it may say, in X-Forwarded-Proto and -For, that they came over https and
    # from whom. "" = none: every request is taken as it arrives.
    proxy: str = ""


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=8)
def proxy_networks(text: str) -> tuple[Network, ...]:
    """`settings.proxy` as networks (an address alone is a network of one); ValueError
    naming the first item that is neither."""
    found = []
    for item in (part.strip() for part in text.split(",")):
        if item:
            try:
                found.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network") from None
    return tuple(found)


QUIET = ("weekends", "holidays")  # what a day without reminders can be


@dataclass(frozen=True)
class Reminders:
    """When reminders go out: the plan file's optional `reminders` section."""

    hour: int = 9  # the hour of the day (0-23, in Chongyang) the day's reminders are sent
    lead_days: tuple[int, ...] = (3, 1)  # 临近提醒 this many days before an event, latest first
    digest: int = 0  # the weekday of 本周任务, 0 for Monday
    quiet: tuple[str, ...] = QUIET  # days nothing is sent: weekends and statutory holidays,
    # as the working calendar has them (a Saturday worked for a holiday is not quiet)


@dataclass(frozen=True)
class Plan:
    name: str
    source: str
    start: date
    end: date  # exclusive
    units: dict[str, Unit]
    groups: dict[str, Group]
    categories: dict[str, Category]
    measures: dict[int, Measure]
    obligations: tuple[Obligation, ...]
    calendar: WorkCalendar
    file: str = "recurring.yaml"
    notes: tuple[str, ...] = ()  # how the loader read the seed's quirks, for `validate`
    names: dict[str, str] = field(default_factory=dict)  # any name, alias or id -> unit id
    settings: Settings = field(default_factory=Settings)
    reminders: Reminders = field(default_factory=Reminders)
    short: str = "科普任务"  # the calendars' name before the unit's: a phone shows ~12 characters

    @property
    def last(self) -> date:
        """The plan's last day (`end` is the day after it, as Python's ranges count)."""
        return self.end - ONE_DAY

    def unit_name(self, unit_id: str) -> str:
        return self.units[unit_id].name

    def obligation(self, oid: str) -> Obligation | None:
        return next((o for o in self.obligations if o.id == oid), None)

    def asks(self, entry: Entry) -> str:
        """What the number asked when `entry` is reported done is called ("": none asked);
        an event a unit added itself asks 参加人数."""
        obligation = self.obligation(entry.obligation) if entry.obligation else None
        return obligation.asks if obligation is not None else COUNTED

    def resolve_unit(self, text: str) -> str:
        """A unit id from its id, Chinese name or alias, or UnknownUnit with suggestions."""
        if text in self.names:
            return self.names[text]
        close = difflib.get_close_matches(text, list(self.names), n=3, cutoff=0.4)
        raise UnknownUnit(text, close)


@dataclass(frozen=True)
class Account:
    """Someone who signs in to the web application: staff of one unit, or the coordinator."""

    login: str
    unit: str | None  # the unit id; None for the coordinator
    coordinator: bool
    password: str  # the stored hash
    enabled: bool
    created: datetime
    changed: datetime  # the password or the state last changed: older sessions end

    def may_report(self, entry: Entry) -> bool:
        """A unit reports only what it leads or co-organises; the coordinator anything."""
        return self.coordinator or self.unit in entry.units


AccountAction = Literal["created", "password", "disabled", "enabled"]


@dataclass(frozen=True)
class AccountChange:
    """One change to an account, as the accounts' history keeps it: who made it, and when."""

    login: str
    at: datetime
    by: str  # the coordinator's login on the web, the OS user on the command line
    action: AccountAction
    unit: str | None  # the account's unit (None: the coordinator's account)


@dataclass(frozen=True)
class Channel:
    """Where a unit's reminders go (the coordinator's: unit ""): a stored Apprise URL. The URL
    holds a secret (a robot's key, a mail password): pages and lists show `shown`."""

    id: int
    unit: str
    url: str = field(repr=False)
    shown: str
    ident: str = field(repr=False)  # one channel however its URL is written
    service: str  # wecombot | dingtalk | feishu | lark | mailto | json
    added: datetime
    by: str
    tried: datetime | None = None  # the last attempt to send through it
    delivered: datetime | None = None  # the last message its service accepted
    error: str = ""  # why the last attempt failed ("" when it did not)

    @property
    def failing(self) -> bool:
        """渠道异常: the last attempt failed."""
        return bool(self.error)


@dataclass(frozen=True)
class Evidence:
    """A file attached to a report, known by the digest of its bytes."""

    uid: str
    sha256: str
    kind: str  # jpeg | png | heic | pdf | docx | xlsx
    size: int
    name: str  # what the client called it: shown to people, never used as a path
    by: str
    at: datetime

    @property
    def image(self) -> bool:
        return self.kind in ("jpeg", "png", "heic")


def anchor(uid: str) -> str:
    """The HTML id of an event's row in a printed agenda (uids hold '/' and '#')."""
    return "e-" + re.sub(r"[^A-Za-z0-9-]", "-", uid)


def day_of(value: date | datetime) -> date:
    """The day a date or a date-time falls on (in the date-time's own zone)."""
    return value.date() if isinstance(value, datetime) else value


def length(start: date | datetime, end: date | datetime) -> timedelta:
    """How long an event lasts: between two date-times, or between two days."""
    if isinstance(start, datetime) and isinstance(end, datetime):
        return end - start
    return day_of(end) - day_of(start)


def days(start: date | datetime, end: date | datetime) -> tuple[date, date]:
    """The first day an event touches and the day after its last (an end at midnight is
    exclusive, as in RFC 5545)."""
    if isinstance(start, datetime):
        last = day_of(end - timedelta(microseconds=1))
        return start.date(), last + timedelta(days=1)
    return start, end


def overlaps(start: date | datetime, end: date | datetime, lo: date, hi: date) -> bool:
    """Whether an event from `start` to `end` touches a day of [lo, hi)."""
    first, after = days(start, end)
    return first < hi and after > lo


@dataclass(frozen=True)
class Entry:
    """An event as stored: what the plan generated, plus what units recorded about it."""

    uid: str
    obligation: str
    measure: int
    category: str
    slot: str
    slot_start: date
    slot_end: date
    title: str
    start: date | datetime
    end: date | datetime
    units: tuple[str, ...]
    location: str
    alarm: timedelta | None
    notes: tuple[str, ...]
    flexible: bool
    origin: Origin
    state: State
    status: Status
    sequence: int
    revised: datetime
    attendance: int | None = None
    fills: str = ""  # the uid whose slot a make-up event fills
    moved: bool = False  # a unit moved it; its word beats the rule until reset
    done_on: date | None = None
    remark: str = ""  # the unit's note, or why it was cancelled
    digest: str = ""  # of what the plan generated (Event.digest), as stored
    planned_start: date | datetime | None = None  # where the plan put a moved event
    kind: Kind = "event"
    reported: Grain = "each"  # "each", or the grain of the period report that judges it
    done_count: int | None = None  # a period's report: how many of its events were done,
    planned_count: int | None = None  # of how many planned,
    missed: tuple[date, ...] = ()  # and the days missed, when it names them
    review: Review = ""  # the coordinator's review of the report
    review_note: str = ""  # why it was returned

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)

    @property
    def lead(self) -> str:
        return self.units[0]

    @property
    def reported_alone(self) -> bool:
        """Reported, and so counted, lit and overdue, on its own: not an event of an
        obligation reported by period, whose period's report task is judged instead."""
        return self.reported == "each"

    @property
    def live(self) -> bool:
        """Still expected to happen: neither dropped from the plan nor cancelled."""
        return self.state == "live" and self.status != "cancelled"

    @property
    def orphaned(self) -> bool:
        """Its obligation no longer yields it; kept (with its records) as a cancelled tombstone."""
        return self.state == "removed"

    def counts_done(self, review: ReviewMode) -> bool:
        """Reported done, and counted so: not returned, and under `required` review passed
        (a report filed before there was review keeps its meaning: done)."""
        if self.status != "done" or self.review == "returned":
            return False
        return review == "optional" or self.review in ("passed", "")

    def overdue(self, today: date, overdue_days: int) -> bool:
        """Planned, live and reported on its own, past its deadline with nothing recorded."""
        return (self.live and self.status == "planned" and self.reported_alone
                and self.overdue_since(overdue_days) <= today)

    def overdue_since(self, overdue_days: int) -> date:
        """The first day on which it counts as overdue if still nothing is recorded: an
        event `overdue_days` after it ends; a report task the day after it is due (its day
        is the deadline, already some working days after its period)."""
        return self.after + timedelta(days=0 if self.kind == "report" else overdue_days)

    @property
    def shown_status(self) -> ShownStatus:
        """planned | done | cancelled | moved: one word for every view."""
        if self.state == "removed" or self.status == "cancelled":
            return "cancelled"
        if self.status == "done":
            return "done"
        return "moved" if self.moved else "planned"

    @property
    def after(self) -> date:
        """The day after the event ends: from then on its report is due."""
        return days(self.start, self.end)[1]


@dataclass(frozen=True)
class ReturnedReport:
    """A report the coordinator returned (退回) and the unit has still to complete: the
    event as it stands, when and by whom it was returned, and why."""

    entry: Entry
    at: datetime
    by: str
    reason: str


@dataclass(frozen=True)
class Reported:
    """What the history says of one event's reports: when the last came, how many pieces of
    evidence were handed in with them."""

    at: datetime
    evidence: int = 0
