"""What is due to whom today: the day's reminders, from the stored events, the plan and the
day. Pure: no network, no clock, no database. The job sends what this returns, less what its
log says was sent already.

Each reminder falls due on a day (its *occasion*) and is known in the log by (unit, kind,
subject, that day). What is due today is, for each subject, its latest occasion on or before
today that still matters: a run every day sends each once, a rerun finds it logged, and a run
after a missed day sends what the missed day held, once, without the reminders it superseded.
On a quiet day (a weekend or a statutory holiday, by the plan's working calendar) nothing is
due; what fell on it goes out on the next working day.

- 本周任务 (digest): on the plan's digest weekday, the unit's events of the week, led and
  co-organised, and how much it has overdue;
- 临近提醒 (near): `lead_days` before each event the unit leads (moved to the working day
  before when that day is quiet), bundled per unit; daily and weekly routines have none;
- 到期催办 (overdue): when a report falls overdue, and again each week on the digest's
  weekday while it is not filed, one line per obligation; from the second repeat on the
  coordinator gets a copy (抄送), one message for all units: once a week, not every day;
- 退回通知 (returned): when the coordinator returns a report (`returns`: what the store
  keeps of each return, the review step), once per return (known by the day it was made);
- 一键催办 (urge): the coordinator's button, a unit's whole overdue list at once (`urge`).
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

from ..model import Entry, Plan, day_of, days

COORDINATOR = ""  # the coordinator in place of a unit id, in notices and channels
COPY_FROM = 2  # the weekly repeat of 到期催办 from which the coordinator gets a copy
_SEARCH = 60  # days a quiet stretch is looked through (the longest holiday is 9)


class Kind(StrEnum):
    DIGEST = "digest"
    NEAR = "near"
    OVERDUE = "overdue"
    COPY = "copy"
    RETURNED = "returned"
    URGE = "urge"
    TEST = "test"


KIND_CN = {Kind.DIGEST: "本周任务", Kind.NEAR: "临近提醒", Kind.OVERDUE: "到期催办",
           Kind.COPY: "到期催办·抄送", Kind.RETURNED: "退回通知", Kind.URGE: "一键催办",
           Kind.TEST: "测试消息"}


@dataclass(frozen=True)
class Key:
    """What the sent-once log knows a reminder by."""

    unit: str  # who it goes to: a unit id, or COORDINATOR
    kind: Kind
    subject: str  # what it is about: an event, an obligation, a week
    day: date  # the day it fell due


@dataclass(frozen=True)
class Item:
    """One thing a reminder is about: an event coming up or returned, or an obligation's
    unreported events (the latest few of `count`, the first of them on `first`)."""

    key: Key | None  # None inside a reminder logged as a whole (本周任务, 一键催办)
    unit: str  # whose it is: for the coordinator's copy, the unit urged
    entries: tuple[Entry, ...]
    count: int = 1
    first: date | None = None  # the first unreported event's day
    late: int = 0  # days since the report fell overdue
    repeats: int = 0  # 到期催办 sent again so far (0: the first urging)
    reason: str = ""  # why a report was returned


@dataclass(frozen=True)
class Notice:
    """One message to one unit (or the coordinator): its kind, the day it is for, and what
    it is about. A 本周任务 also carries the week's events."""

    to: str
    kind: Kind
    day: date
    items: tuple[Item, ...] = ()
    key: Key | None = None  # the whole message's, for a reminder logged as a whole
    week: date | None = None  # 本周任务: the week's Monday
    lead: tuple[Entry, ...] = ()  # 本周任务: the week's events the unit leads
    co: tuple[Entry, ...] = ()  # ... and co-organises

    def keys(self) -> tuple[Key, ...]:
        if self.key is not None:
            return (self.key,)
        return tuple(item.key for item in self.items if item.key is not None)

    def unsent(self, sent: Container[Key]) -> Notice | None:
        """What of this notice is still to send, given the keys sent already; None if nothing."""
        if self.key is not None:
            return None if self.key in sent else self
        items = tuple(i for i in self.items if i.key is None or i.key not in sent)
        return replace(self, items=items) if items else None


@dataclass(frozen=True)
class Returned:
    """A report the coordinator returned (the review step): the hook 退回通知 hangs on."""

    uid: str
    on: date
    reason: str


def quiet(plan: Plan, day: date) -> bool:
    """Whether nothing is sent on `day`: a weekend or a statutory holiday, as the plan says."""
    off = plan.reminders.quiet
    calendar = plan.calendar
    if "holidays" in off and calendar.holiday(day) is not None:
        return True
    return "weekends" in off and day.weekday() >= 5 and not calendar.is_makeup_workday(day)


def routine(entry: Entry) -> bool:
    """An occurrence of a daily or weekly routine: in the week's list, never announced alone
    (a period's report task is announced, however short its period)."""
    return (entry.origin == "plan" and entry.kind == "event"
            and (entry.slot_end - entry.slot_start).days <= 7)


def due(plan: Plan, entries: Iterable[Entry], today: date,
        returns: Iterable[Returned] = ()) -> list[Notice]:
    """Every reminder due today, to every unit, in a fixed order (by unit, then kind); none
    on a quiet day. `returns` are the reports returned by the coordinator so far."""
    if quiet(plan, today):
        return []
    entries = _in_order(entries)
    overdue = _overdue(plan, entries, today)
    notices = _digests(plan, entries, overdue, today) + _near(plan, entries, today)
    copies: list[Item] = []
    for unit in plan.units:
        groups = overdue.get(unit, [])
        if groups:
            notices.append(Notice(unit, Kind.OVERDUE, today, tuple(groups)))
        copies += [replace(g, key=Key(COORDINATOR, Kind.COPY, f"{unit}/{g.key.subject}",
                                      g.key.day))
                   for g in groups if g.key is not None and g.repeats >= COPY_FROM]
    if copies:
        notices.append(Notice(COORDINATOR, Kind.COPY, today, tuple(copies)))
    notices += _returned(entries, returns, today)
    order = {unit: i for i, unit in enumerate(plan.units)}
    kinds = list(Kind)
    return sorted(notices, key=lambda n: (order.get(n.to, -1), kinds.index(n.kind)))


def urge(plan: Plan, entries: Iterable[Entry], unit: str, today: date) -> Notice | None:
    """一键催办: the unit's whole overdue list now, once a day; None when nothing is overdue."""
    groups = _overdue(plan, _in_order(entries), today, only=unit).get(unit, [])
    if not groups:
        return None
    return Notice(unit, Kind.URGE, today, tuple(replace(g, key=None) for g in groups),
                  key=Key(unit, Kind.URGE, "overdue", today))


def _in_order(entries: Iterable[Entry]) -> list[Entry]:
    """The events anyone answers for, by day and uid: every list in a message in that order,
    however the events were read."""
    return sorted((e for e in entries if e.units and not e.orphaned),
                  key=lambda e: (days(e.start, e.end)[0], e.uid))


def _overdue(plan: Plan, entries: list[Entry], today: date,
             only: str | None = None) -> dict[str, list[Item]]:
    """Each unit's unreported events, one item per obligation (an added event on its own),
    oldest first: keyed by the obligation and its latest urging day (see `_urged`), the
    latest few events kept."""
    days_allowed = plan.settings.overdue_days
    found: dict[str, dict[str, list[Entry]]] = {}
    for e in entries:
        if (only is None or e.lead == only) and e.overdue(today, days_allowed):
            found.setdefault(e.lead, {}).setdefault(e.obligation or e.uid, []).append(e)
    out: dict[str, list[Item]] = {}
    for unit, groups in found.items():
        items = []
        for subject, group in groups.items():
            group.sort(key=lambda e: (e.overdue_since(days_allowed), e.uid))
            since = group[0].overdue_since(days_allowed)
            urged, repeats = _urged(since, today, plan.reminders.digest)
            items.append(Item(Key(unit, Kind.OVERDUE, subject, urged), unit,
                              tuple(group[-3:]), len(group), day_of(group[0].start),
                              (today - since).days, repeats))
        out[unit] = sorted(items, key=lambda i: (i.first or today, i.key.subject if i.key else ""))
    return out


def _urged(since: date, today: date, weekday: int) -> tuple[date, int]:
    """The latest day a report overdue since `since` is urged on, by `today`: that day, then
    each `weekday` after it (the digest's); and how many repeats that day's urging makes."""
    repeat = since + timedelta(days=(weekday - since.weekday() - 1) % 7 + 1)
    if today < repeat:
        return since, 0
    weeks = (today - repeat).days // 7
    return repeat + timedelta(weeks=weeks), weeks + 1


def _digests(plan: Plan, entries: list[Entry], overdue: dict[str, list[Item]],
             today: date) -> list[Notice]:
    monday = today - timedelta(days=today.weekday())
    occasion = monday + timedelta(days=plan.reminders.digest)
    if occasion > today:
        return []
    after = monday + timedelta(days=7)
    week: dict[str, tuple[list[Entry], list[Entry]]] = {}
    for e in entries:
        first, end = days(e.start, e.end)
        if e.live and first < after and end > monday:
            for unit in e.units:
                week.setdefault(unit, ([], []))[0 if unit == e.lead else 1].append(e)
    year, number, _ = monday.isocalendar()
    notices = []
    for unit in plan.units:
        lead, co = week.get(unit, ([], []))
        late = overdue.get(unit, [])
        if lead or co or late:
            notices.append(Notice(unit, Kind.DIGEST, today,
                                  tuple(replace(i, key=None) for i in late),
                                  key=Key(unit, Kind.DIGEST, f"{year}-W{number:02}", occasion),
                                  week=monday, lead=tuple(lead), co=tuple(co)))
    return notices


def _near(plan: Plan, entries: list[Entry], today: date) -> list[Notice]:
    leads = plan.reminders.lead_days
    if not leads:
        return []
    horizon = today + timedelta(days=max(leads) + _SEARCH)
    found: dict[str, list[Item]] = {}
    for e in entries:
        first = day_of(e.start)
        if not (today <= first < horizon) or not e.live or e.status != "planned" or routine(e):
            continue
        occasions = [o for o in (_working_before(plan, first - timedelta(days=n)) for n in leads)
                     if o <= today]
        if occasions:
            found.setdefault(e.lead, []).append(
                Item(Key(e.lead, Kind.NEAR, e.uid, max(occasions)), e.lead, (e,)))
    return [Notice(unit, Kind.NEAR, today, tuple(items)) for unit, items in found.items()]


def _working_before(plan: Plan, day: date) -> date:
    """`day`, or the last day before it that is not quiet (so a reminder comes early, not late)."""
    for back in range(_SEARCH):
        candidate = day - timedelta(days=back)
        if not quiet(plan, candidate):
            return candidate
    return day


def _returned(entries: list[Entry], returns: Iterable[Returned], today: date) -> list[Notice]:
    where = {e.uid: e for e in entries}
    found: dict[str, list[Item]] = {}
    for r in returns:
        entry = where.get(r.uid)
        if entry is not None and r.on <= today:
            found.setdefault(entry.lead, []).append(
                Item(Key(entry.lead, Kind.RETURNED, r.uid, r.on), entry.lead, (entry,),
                     reason=r.reason))
    return [Notice(unit, Kind.RETURNED, today, tuple(items)) for unit, items in found.items()]
