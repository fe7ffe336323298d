"""One month of the schedule, for one unit or the county, as plain values: grid and agenda.

Pure: stored entries + plan + month in, frozen values out; no clock, no I/O, no Jinja
(`pages` turns a view into HTML and PDF). The month's frame (days, holidays, 调休,
observances) does not depend on the unit, so `build` computes it once per month and reuses it
for the county and every unit.

The grid has a fixed number of text lines per week row, so a month always fits one printed
page: multi-day items take a lane (a band across their days), single-day items share what is
left of the row, and a crowded day shows what fits plus "+N"; the agenda lists everything.

A page reads only an entry's `Shown` record. `Month` holds a month's records once, indexed
by unit, and builds each item once however many pages show it, so the 1 + len(units) views
of a month cost little more than the county's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import NamedTuple

from .. import months
from ..formats.words import count_short
from ..model import COUNTED, ONE_DAY, ROLE_CN, STATUS_CN, TZ, Category, Entry, Obligation, Plan, day_of
from ..model import anchor as row_id
from ..plan.rules import observance_of
from ..plan.workdays import Observance
from ..plan.yearday import WEEKDAY_CN
from ..schedule.expansion import titles

# Text lines a week row holds (bands plus events), by the number of weeks the month spans:
# the page has room for about 30 lines of grid, so fewer weeks give each row more lines.
LINES_PER_WEEK = {4: 8, 5: 6, 6: 5}


@dataclass(frozen=True)
class Day:
    day: date
    in_month: bool
    holiday: str  # the statutory holiday's name when it is a day off, else ""
    makeup: bool  # a weekend day worked in exchange for a holiday (调休上班)
    weekend: bool
    observances: tuple[str, ...]  # one-day observances named on this day

    @property
    def shade(self) -> str:
        """How the day is shaded: another month's, a day off, 调休上班, a weekend, or plain."""
        if not self.in_month:
            return "out"
        return "off" if self.holiday else "makeup" if self.makeup else \
            "weekend" if self.weekend else ""


@dataclass(frozen=True)
class Campaign:
    """A multi-day observance (安全生产月, 科技活动周): drawn as a band whoever the reader is."""

    name: str
    names: tuple[str, ...]  # the name and its aliases, to recognise an event that is the campaign
    start: date
    end: date  # exclusive
    estimated: bool  # dates from the fallback rule, not the year's published table


@dataclass(frozen=True)
class Frame:
    """What a month looks like before any event: the same for the county and every unit."""

    first: date
    stop: date  # the first day of the next month
    weeks: tuple[tuple[Day, ...], ...]
    campaigns: tuple[Campaign, ...]
    estimated: bool  # the year's holidays are unknown and reckoned by weekends only

    @property
    def title(self) -> str:
        return f"{self.first.year}年{self.first.month}月"

    @property
    def key(self) -> str:
        return f"{self.first:%Y-%m}"


@dataclass(frozen=True)
class Item:
    """One line of the schedule: an event, or identical copies for several units merged."""

    key: str  # the first uid: a stable tie-breaker
    obligation: str
    title: str
    start: date
    end: date  # exclusive
    time: str  # "19:30" for a timed event, "" for an all-day one
    measure: int
    category: str
    leads: tuple[str, ...]  # unit names
    partners: tuple[str, ...]
    location: str
    status: str  # planned | done | cancelled | moved
    role: str  # "lead" or "co" on a unit's page, "" on the county's
    notes: tuple[str, ...]
    attendance: int | None
    uids: tuple[str, ...]
    full_title: str = ""  # the plan's full title, when calendars show a shorter one
    basis: str = ""  # 方案规定, or 县里安排 and why; "" for an event a unit added itself
    asked: str = COUNTED  # what its reported number is called (参加人数, 听众人数 ...)

    @property
    def anchor(self) -> str:
        return row_id(self.key)

    @property
    def multi_day(self) -> bool:
        return self.end - self.start > ONE_DAY

    @property
    def status_short(self) -> str:
        return STATUS_CN.get(self.status, self.status)

    @property
    def status_cn(self) -> str:
        text = STATUS_CN.get(self.status, self.status)
        if self.status == "done" and self.attendance is not None:
            return f"{text}（{count_short(self.asked, self.attendance)}）"
        return text

    @property
    def role_cn(self) -> str:
        return ROLE_CN.get(self.role, "")

    @property
    def leads_cn(self) -> str:
        return "、".join(self.leads)

    @property
    def partners_cn(self) -> str:
        return "、".join(self.partners)

    @property
    def dates_cn(self) -> str:
        last = self.end - ONE_DAY
        text = f"{self.start.month}月{self.start.day}日"
        if last > self.start:
            text += f"—{last.day}日" if last.month == self.start.month else \
                f"—{last.month}月{last.day}日"
        return f"{text} {self.time}" if self.time else text

    @property
    def weekday_cn(self) -> str:
        last = self.end - ONE_DAY
        first = WEEKDAY_CN[self.start.weekday()]
        return f"{first}—{WEEKDAY_CN[last.weekday()]}" if last > self.start else first


@dataclass(frozen=True)
class Segment:
    """The part of a band inside one week row."""

    span: int  # columns covered
    label: str
    kind: str  # "campaign" or "event"
    item: Item | None
    before: bool  # the band began in an earlier week (or month)
    after: bool  # ... and goes on after this week
    estimated: bool = False


@dataclass(frozen=True)
class Cell:
    """A table cell of a band lane: a segment, or one empty day (which keeps its shading)."""

    col: int  # the first column, 0 = Monday
    span: int
    segment: Segment | None = None


@dataclass(frozen=True)
class DayCell:
    day: Day
    items: tuple[Item, ...]  # the single-day items that fit
    more: int  # how many more the agenda lists


@dataclass(frozen=True)
class Week:
    days: tuple[DayCell, ...]
    lanes: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class MonthView:
    frame: Frame
    unit: str  # unit id, "" for the county
    unit_name: str
    weeks: tuple[Week, ...]
    agenda: tuple[Item, ...]
    categories: tuple[Category, ...]  # those present this month, for the legend
    lines: int  # text lines per week row
    leads: int  # items this unit leads (unit pages)
    partners: int  # items it co-organises


# -- the frame ---------------------------------------------------------------------------------

def frame(plan: Plan, year: int, month: int) -> Frame:
    """Holidays, 调休 and observances of every day shown in the month's grid, computed once."""
    first, stop = months.bounds(year, month)
    cal = plan.calendar
    grid_start = first - timedelta(days=first.weekday())
    grid_stop = stop + timedelta(days=(7 - stop.weekday()) % 7)
    one_day: dict[date, list[str]] = {}
    campaigns: list[Campaign] = []
    for obs, names in _observances(plan):
        # Observances of the year before can run into January (a winter campaign).
        for y in (year - 1, year):
            got = obs.dates(y)
            if got is None:
                continue
            start, end, fallback = got
            if start >= stop or end <= first:
                continue
            estimated = fallback and bool(obs.table)  # a fixed-date rule is never a guess
            name = obs.name_in(y)  # 全国科普日 until 2024, 全国科普月 from 2025
            if end - start > ONE_DAY:
                campaigns.append(Campaign(name, names, start, end, estimated))
            else:
                one_day.setdefault(start, []).append(name + ("（推定）" if estimated else ""))
    days = []
    d = grid_start
    while d < grid_stop:
        days.append(Day(d, first <= d < stop, cal.holiday(d) or "", cal.is_makeup_workday(d),
                        d.weekday() >= 5, tuple(one_day.get(d, ()))))
        d += ONE_DAY
    weeks = tuple(tuple(days[i:i + 7]) for i in range(0, len(days), 7))
    return Frame(first, stop, weeks, tuple(sorted(campaigns, key=lambda c: (c.start, -_len(c)))),
                 cal.is_estimated(year))


def _observances(plan: Plan):
    """Each observance once (the plan's dict also holds it under its aliases), with its names."""
    names: dict[int, set[str]] = {}
    unique: dict[int, Observance] = {}
    for key, obs in plan.calendar.observances.items():
        unique.setdefault(id(obs), obs)
        names.setdefault(id(obs), set()).add(key)
    # Sorted, not a set: a view's repr is its content digest and must not vary by process.
    return [(obs, tuple(sorted(names[i]))) for i, obs in unique.items()]


def _len(span) -> int:
    return (span.end - span.start).days


# -- the view ------------------------------------------------------------------------------------

class Shown(NamedTuple):
    """What the pages show of one entry. A view reads nothing else of an entry, so a page
    whose records are unchanged is unchanged (`pages` skips it on that basis)."""

    uid: str
    obligation: str
    title: str
    start: date
    end: date  # exclusive
    time: str  # "19:30" for a timed event, "" for an all-day one
    measure: int
    category: str
    location: str
    status: str  # planned | done | cancelled | moved
    notes: tuple[str, ...]
    units: tuple[str, ...]  # ids, the lead first
    attendance: int | None


def shown(entry: Entry) -> Shown:
    start, end, clock = page_days(entry)
    return Shown(entry.uid, entry.obligation, entry.title, start, end, clock, entry.measure,
                 entry.category, entry.location, entry.shown_status, entry.notes, entry.units,
                 entry.attendance)


def page_days(entry: Entry) -> tuple[date, date, str]:
    """The days a page shows an entry on (an event ending at midnight ends the day before),
    and its start time for a timed one."""
    if isinstance(entry.start, datetime):
        start = entry.start.astimezone(TZ)
        end = entry.end.astimezone(TZ) if isinstance(entry.end, datetime) else entry.end
        last = max(start.date(), day_of(end - timedelta(microseconds=1)))
        return start.date(), last + ONE_DAY, f"{start:%H:%M}"
    return entry.start, max(entry.end, entry.start + ONE_DAY), ""


def view(plan: Plan, month: Frame, entries: Iterable[Entry], unit: str | None = None) -> MonthView:
    """The month for `unit` (an id) or the county (None) from the entries overlapping it."""
    return Month(plan, month, (shown(e) for e in entries)).view(unit)


class Month:
    """One month's records, read once for all its pages.

    The records are kept in uid order and indexed by unit, so a unit's page never looks at
    the rest of the county's; an item (one event, or a fan-out's copies merged) is built once
    and reused by every page that shows it.
    """

    def __init__(self, plan: Plan, frame: Frame, records: Iterable[Shown]):
        self.plan = plan
        self.frame = frame
        self.records = sorted((r for r in records if r.start < frame.stop and r.end > frame.first),
                              key=lambda r: r.uid)
        self._by_unit: dict[str, list[Shown]] = {}
        for record in self.records:
            for unit in dict.fromkeys(record.units):  # a unit named twice is on the page once
                self._by_unit.setdefault(unit, []).append(record)
        self._names = {u: unit.name for u, unit in plan.units.items()}
        self._obligations = {o.id: o for o in plan.obligations}
        self._rank = {u: i for i, u in enumerate(plan.units)}
        self._items: dict[tuple[tuple[str, ...], str], Item] = {}
        # (campaigns, bands) -> (monday, line budget) -> that week's lanes
        self._lanes_made: dict[tuple, dict[tuple[date, int], tuple[tuple[Cell, ...], ...]]] = {}
        # Most weeks of most pages have no single-day item: their cells are made once.
        self._empty = [tuple(DayCell(d, (), 0) for d in week) for week in frame.weeks]
        self._in_month = [tuple(d.day for d in week if d.in_month) for week in frame.weeks]

    def records_of(self, unit: str | None) -> list[Shown]:
        """The records `unit`'s page shows (the county's: all of them), in uid order."""
        return self.records if unit is None else self._by_unit.get(unit, [])

    def view(self, unit: str | None = None) -> MonthView:
        """The month for `unit` (an id) or the county (None)."""
        month, plan = self.frame, self.plan
        items = self._items_of(unit)
        bands = [i for i in items if i.multi_day]
        singles = [i for i in items if not i.multi_day]
        campaigns = [c for c in month.campaigns
                     if not any(b.start == c.start and b.end == c.end and b.title in c.names
                                for b in bands)]  # an event that *is* the campaign is drawn once
        lines = LINES_PER_WEEK.get(len(month.weeks), 5)
        by_day: dict[date, list[Item]] = {}
        for item in singles:
            by_day.setdefault(item.start, []).append(item)
        # On a crowded day the rarer items show and the routine ones (a daily push, a weekly
        # segment) go to "+N": how often an obligation comes up this month ranks it.
        often = Counter(i.obligation for i in singles)

        def day_order(item: Item):
            return (item.role == "co", often[item.obligation], item.time, item.measure,
                    item.title, item.key)

        # Pages without bands of their own (most unit pages) share the campaigns' lanes.
        lanes_made = self._lanes_made.setdefault((tuple(campaigns), tuple(bands)), {})
        weeks = []
        for days, empty, dates in zip(month.weeks, self._empty, self._in_month, strict=True):
            busy = [d for d in dates if d in by_day]
            # Bands take what the days' own items leave: one line when no day of the week has
            # more than one item, else two (an item and "+N"), so no day is all "+N".
            busiest = max((len(by_day[d]) for d in busy), default=0)
            most = lines - min(2, max(1, busiest))
            lanes = lanes_made.get((days[0].day, most))
            if lanes is None:
                lanes = lanes_made[days[0].day, most] = _lanes(days[0].day, month, campaigns,
                                                               bands, most)
            if busy:
                cells = tuple(self._cell(day, cell, by_day, day_order, lines - len(lanes))
                              for day, cell in zip(days, empty, strict=True))
            else:
                cells = empty
            weeks.append(Week(cells, lanes))
        codes = sorted({i.category for i in items})
        categories = tuple(plan.categories.get(c, Category(c, c)) for c in codes)
        return MonthView(month, unit or "", plan.unit_name(unit) if unit else "全县",
                         tuple(weeks), self._said_once(sorted(items, key=_agenda_order)),
                         categories,
                         lines, sum(i.role == "lead" for i in items),
                         sum(i.role == "co" for i in items))

    def _said_once(self, agenda: list[Item]) -> tuple[Item, ...]:
        """The agenda with the county's reasons for an obligation printed at its first row
        of the month; its later rows say 县里安排 and where the reasons are, as a printed
        schedule would (a month of the daily push repeated 125 characters thirty times)."""
        first: dict[str, Item] = {}
        out = []
        for item in agenda:
            obligation = self._obligations.get(item.obligation)
            if obligation is not None and obligation.reasons:
                earlier = first.setdefault(item.obligation, item)
                if earlier is not item:
                    item = replace(item, basis=f"县里安排（理由见{earlier.start.month}月"
                                               f"{earlier.start.day}日）")
            out.append(item)
        return tuple(out)

    @staticmethod
    def _cell(day: Day, empty: DayCell, by_day: dict[date, list[Item]], order, room: int) -> DayCell:
        found = by_day.get(day.day) if day.in_month else None
        if not found:
            return empty
        found = sorted(found, key=order)
        shown = found if len(found) <= room else found[:room - 1]
        return DayCell(day, tuple(shown), len(found) - len(shown))

    def _items_of(self, unit: str | None) -> list[Item]:
        """The page's items; copies of one event for several units (a fan-out) become one item,
        so the county page shows "科学素质工作半年进展报告" once with 36 lead units, not 36 times."""
        groups: dict[tuple, list[Shown]] = {}
        for r in self.records_of(unit):
            role = ("lead" if r.units[0] == unit else "co") if unit else ""
            key = (r.title, r.start, r.end, r.time, r.measure, r.category, r.location, r.status,
                   role, r.notes)
            groups.setdefault(key, []).append(r)
        return [self._item(members, key[8]) for key, members in groups.items()]

    def _item(self, members: list[Shown], role: str) -> Item:
        # The members (in uid order) and the role determine the item: whichever page asks
        # first builds it.
        uids = tuple(m.uid for m in members)
        item = self._items.get((uids, role))
        if item is None:
            item = self._items[uids, role] = self._merge(members, role, uids)
        return item

    def _merge(self, members: list[Shown], role: str, uids: tuple[str, ...]) -> Item:
        first = members[0]
        # Units in the order the event lists them, which is the table's: the lead, then the
        # co-organisers as the measure names them. Copies of a fan-out (one per lead) take
        # their obligation's order, so 各乡镇 come before the leading group's units as the
        # table writes them.
        leads = list(dict.fromkeys(m.units[0] for m in members))
        partners = [u for u in dict.fromkeys(u for m in members for u in m.units[1:])
                    if u not in leads]
        obligation = self._obligations.get(first.obligation)
        if len(members) > 1:
            # Ranked by the obligation's order, then (for units it lacks, or copies of an
            # event the plan no longer knows) by the plan's.
            order = {u: i for i, u in enumerate(obligation.units)} if obligation else {}
            rank = self._rank
            leads.sort(key=lambda u: (order.get(u, len(order)), rank.get(u, len(rank)), u))
            partners.sort(key=lambda u: (order.get(u, len(order)), rank.get(u, len(rank)), u))
        full, basis = first.title, ""
        if obligation is not None:
            basis = obligation.basis
            full = self._full_title(obligation, first.title, first.start.year)
        return Item(first.uid, first.obligation, first.title, first.start, first.end, first.time,
                    first.measure, first.category, self._names_of(leads),
                    self._names_of(partners), first.location, first.status, role,
                    first.notes, _total(m.attendance for m in members), uids, full, basis,
                    obligation.asks if obligation is not None else COUNTED)

    def _names_of(self, ids: list[str]) -> tuple[str, ...]:
        return tuple(self._names.get(u, u) for u in ids)

    def _full_title(self, obligation: Obligation, title: str, year: int) -> str:
        """The plan's full title of an event whose calendars show a short one, named as
        that year and with whatever the event added after it (a rotation's place)."""
        if not obligation.short:
            return title
        name = observance_of(obligation.rule)
        label = self.plan.calendar.observances[name].name_in(year) if name else ""
        short, full = titles(obligation, label)
        return full + title[len(short):] if title.startswith(short) else title


def _total(counts: Iterable[int | None]) -> int | None:
    """The sum of the attendance recorded, None when none was."""
    known = [n for n in counts if n is not None]
    return sum(known) if known else None


def _agenda_order(item: Item):
    return (item.start, item.time, item.role == "co", item.measure, item.title, item.key)


def _lanes(monday: date, month: Frame, campaigns: list[Campaign], bands: list[Item],
           most: int) -> tuple[tuple[Cell, ...], ...]:
    """Band segments inside one week row, packed into as few lanes as they need; past `most`
    lanes the rest are counted in one last lane, so the row keeps its height."""
    lo = max(monday, month.first)
    hi = min(monday + timedelta(days=7), month.stop)
    placed: list[tuple[int, int, Segment]] = []
    for c in campaigns:
        seg = _segment(monday, lo, hi, c.start, c.end, c.name, "campaign", None, c.estimated)
        if seg:
            placed.append(seg)
    for item in sorted(bands, key=_band_order):
        seg = _segment(monday, lo, hi, item.start, item.end, item.title, "event", item, False)
        if seg:
            placed.append(seg)
    lanes: list[list[tuple[int, int, Segment]]] = []
    for col, span, seg in placed:  # campaigns first, then the unit's own, then by date
        for lane in lanes:
            if all(col + span <= c or c + s <= col for c, s, _ in lane):
                lane.append((col, span, seg))
                break
        else:
            lanes.append([(col, span, seg)])
    if len(lanes) > most:
        hidden = sum(len(lane) for lane in lanes[most - 1:])
        more = Segment((hi - lo).days, f"另有{hidden}项跨日活动，见明细", "more", None,
                       False, False)
        lanes = [*lanes[:most - 1], [((lo - monday).days, (hi - lo).days, more)]]
    return tuple(_cells(sorted(lane, key=lambda p: p[0])) for lane in lanes)


def _band_order(item: Item):
    return (item.role == "co", item.start, -(item.end - item.start).days, item.measure,
            item.title, item.key)


def _segment(monday, lo, hi, start, end, label, kind, item, estimated):
    first, last = max(start, lo), min(end, hi)
    if first >= last:
        return None
    col = (first - monday).days
    return col, (last - first).days, Segment((last - first).days, label, kind, item,
                                             start < first, end > last, estimated)


_EMPTY = tuple(Cell(c, 1) for c in range(7))  # a lane's empty day, one per weekday


def _cells(lane: list[tuple[int, int, Segment]]) -> tuple[Cell, ...]:
    cells: list[Cell] = []
    col = 0
    for start, span, seg in lane:
        cells += _EMPTY[col:start]
        cells.append(Cell(start, span, seg))
        col = start + span
    cells += _EMPTY[col:]
    return tuple(cells)
