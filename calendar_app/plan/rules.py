"""Rule kinds: how an obligation recurs, in words a county coordinator can edit.

Each rule is a frozen value with `parse` (from plain YAML values, raising ValueError with a
reason) and `occurrences(start, end, cal)`: the slots of [start, end) and what each needs, a
fixed day or span, or a window for the scheduler to place in. Rules never pick flexible days
themselves; that is `placement`'s job, so load can be spread across rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import ClassVar

from dateutil.relativedelta import relativedelta
from dateutil.rrule import MONTHLY, WEEKLY, rrule, rrulestr

from .. import limits
from ..errors import shown
from ..model import ONE_DAY, Occurrence, Slot
from .workdays import WorkCalendar
from .yearday import YearDay, parse_weekday

_MONTH_DAY_LIKE = re.compile(r"^\d{1,2}-\d{1,2}$")


def _year_slot(year: int) -> Slot:
    return Slot(str(year), date(year, 1, 1), date(year + 1, 1, 1))


def _need(mapping: object, keys: set[str], required: set[str], kind: str) -> dict:
    if not isinstance(mapping, dict):
        raise ValueError(f"{kind} expects a mapping with {', '.join(sorted(required))}")
    unknown = set(mapping) - keys
    if unknown:
        raise ValueError(f"unknown key {sorted(unknown, key=str)[0]!r} in {kind} "
                         f"(allowed: {', '.join(sorted(keys))})")
    missing = required - set(mapping)
    if missing:
        raise ValueError(f"{kind} needs {sorted(missing)[0]!r}")
    return mapping


def _count(value: object, what: str, least: int = 0, most: int = limits.AMOUNT) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
        raise ValueError(f"{what} must be a whole number from {least} to {most}, "
                         f"got {shown(value)}")
    return value


def _word(value: object) -> str:
    """What a quota or milestone counts (人次, 处): a short word."""
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip() \
            or len(str(value)) > 20:
        raise ValueError(f"unit must be a short word such as 人次 or 处, got {shown(value)}")
    return str(value).strip()


@dataclass(frozen=True)
class Weekly:
    kind: ClassVar[str] = "weekly"
    weekday: int

    @classmethod
    def parse(cls, value: object) -> Weekly:
        return cls(parse_weekday(value))

    def occurrences(self, start: date, end: date, cal: WorkCalendar) -> Iterator[Occurrence]:
        for dt in rrule(WEEKLY, byweekday=self.weekday, dtstart=start, until=end - ONE_DAY):
            day = dt.date()
            monday = day - timedelta(days=day.weekday())
            iso = day.isocalendar()
            slot = Slot(f"{iso.year}-W{iso.week:02d}", monday, monday + timedelta(days=7))
            yield Occurrence(slot, start=day)


@dataclass(frozen=True)
class Monthly:
    """On a day of the month (clamped to the month's last day) or its nth weekday."""

    kind: ClassVar[str] = "monthly"
    day: int = 0
    weekday: int = -1
    nth: int = 0

    @classmethod
    def parse(cls, value: object) -> Monthly:
        if isinstance(value, int) and not isinstance(value, bool):
            if not 1 <= value <= 31:
                raise ValueError(f"a day of the month must be 1..31, got {value}")
            return cls(day=value)
        spec = _need(value, {"weekday", "nth"}, {"weekday"}, "monthly")
        nth = spec.get("nth", 1)
        if not isinstance(nth, int) or nth == 0 or not -5 <= nth <= 5:
            raise ValueError(f"nth must be 1..5 or -1..-5 (last), got {nth!r}")
        return cls(weekday=parse_weekday(spec["weekday"]), nth=nth)

    def occurrences(self, start: date, end: date, cal: WorkCalendar) -> Iterator[Occurrence]:
        for dt in rrule(MONTHLY, bymonthday=1, dtstart=start.replace(day=1),
                        until=end - ONE_DAY):
            first = dt.date()
            slot = Slot(first.strftime("%Y-%m"), first, first + relativedelta(months=1))
            day: date | None
            if self.day:
                day = first + relativedelta(day=self.day)
            else:
                day = YearDay(first.month, weekday=self.weekday, nth=self.nth).in_year(first.year)
            if day is not None and start <= day < end:
                yield Occurrence(slot, start=day)


_PARTS = {1: "", 2: "H", 3: "T", 4: "Q", 6: "B", 12: "M"}


@dataclass(frozen=True)
class Yearly:
    """On one or more days a year; k days split the year into k equal slots (H1/H2, Q1..Q4).

    A day may also be a window, `{from: 06-11, to: 06-30}`: a deadline (a report, a check)
    that the scheduler places inside it with everything else it places, so that forty
    reports due "by the end of June" do not all land on one day.
    """

    kind: ClassVar[str] = "yearly"
    days: tuple[YearDay | tuple[YearDay, YearDay], ...]

    @classmethod
    def parse(cls, value: object) -> Yearly:
        items = value if isinstance(value, list) else [value]
        days = tuple(_day_or_window(v) for v in items)
        if len(days) not in _PARTS:
            raise ValueError("yearly takes 1, 2, 3, 4, 6 or 12 days (one per equal part)")
        months = 12 // len(days)
        for i, d in enumerate(days):
            for part in (d if isinstance(d, tuple) else (d,)):
                if not i * months < part.month <= (i + 1) * months:
                    raise ValueError(f"day {i + 1} of {len(days)} ({part.describe()}) must fall "
                                     f"in months {i * months + 1}-{(i + 1) * months}")
        return cls(days)

    def occurrences(self, start: date, end: date, cal: WorkCalendar) -> Iterator[Occurrence]:
        months = 12 // len(self.days)
        for year in range(start.year, end.year + 1):
            for i, yd in enumerate(self.days):
                first = date(year, i * months + 1, 1)
                key = str(year) if len(self.days) == 1 else f"{year}-{_PARTS[len(self.days)]}{i+1}"
                slot = Slot(key, first, first + relativedelta(months=months))
                if isinstance(yd, tuple):
                    low, high = yd[0].in_year(year), yd[1].in_year(year)
                    if low and high and low < end and high >= start:
                        yield Occurrence(slot, window=(low, high + ONE_DAY))
                    continue
                day = yd.in_year(year)
                if day is not None and start <= day < end:
                    yield Occurrence(slot, start=day)


def _day_or_window(value: object) -> YearDay | tuple[YearDay, YearDay]:
    if isinstance(value, dict) and ("from" in value or "to" in value):
        spec = _need(value, {"from", "to"}, {"from", "to"}, "a yearly window")
        first, last = YearDay.parse(spec["from"]), YearDay.parse(spec["to"])
        if not (first.day and last.day) or (last.month, last.day) < (first.month, first.day):
            raise ValueError("a yearly window runs from MM-DD to a later MM-DD")
        return first, last
    return YearDay.parse(value)


@dataclass(frozen=True)
class ObservanceRule:
    """A named observance: the year's own dates from the table, else its rule (said so)."""

    kind: ClassVar[str] = "observance"
    name: str

    @classmethod
    def parse(cls, value: object) -> ObservanceRule:
        if not isinstance(value, str) or not value.strip():
            raise ValueError("observance expects the name of a day in calendar.observances")
        return cls(value.strip())

    def occurrences(self, start: date, end: date, cal: WorkCalendar) -> Iterator[Occurrence]:
        observance = cal.observances[self.name]
        for year in range(start.year, end.year + 1):
            found = observance.dates(year)
            if found is None:
                continue
            first, stop, _ = found
            if first < end and stop > start:
                yield Occurrence(_year_slot(year), start=first, end=stop,
                                 fallback=observance.guess(year), label=observance.name_in(year))


@dataclass(frozen=True)
class Span:
    """One multi-day event a year, from one day to another inclusive (安全生产月: 06-01 to 06-30)."""

    kind: ClassVar[str] = "span"
    first: YearDay
    last: YearDay

    @classmethod
    def parse(cls, value: object) -> Span:
        spec = _need(value, {"from", "to"}, {"from", "to"}, "span")
        first, last = YearDay.parse(spec["from"]), YearDay.parse(spec["to"])
        if (last.month, last.day) < (first.month, first.day) and last.day and first.day:
            raise ValueError("span must end on or after its first day within one year")
        return cls(first, last)

    def occurrences(self, start: date, end: date, cal: WorkCalendar) -> Iterator[Occurrence]:
        for year in range(start.year, end.year + 1):
            first, last = self.first.in_year(year), self.last.in_year(year)
            if first and last and first <= last and first < end and last >= start:
                yield Occurrence(_year_slot(year), start=first, end=last + ONE_DAY)


@dataclass(frozen=True)
class PerTerm:
    """`count` events in every school term, placed within weeks `weeks[0]..weeks[1]` of it."""

    kind: ClassVar[str] = "per_term"
    weeks: tuple[int, int] = (1, 20)
    count: int = 1

    @classmethod
    def parse(cls, value: object) -> PerTerm:
        spec = _need(value, {"weeks", "count"}, set(), "per_term")
        weeks = spec.get("weeks", [1, 20])
        if (not isinstance(weeks, list) or len(weeks) != 2
                or not all(isinstance(w, int) and 0 < w <= 60 for w in weeks)):
            raise ValueError("per_term weeks must be [first, last] week numbers, e.g. [3, 16]")
        if weeks[0] > weeks[1]:
            raise ValueError(f"per_term weeks {weeks[0]} to {weeks[1]} run backwards")
        return cls((weeks[0], weeks[1]),
                   _count(spec.get("count", 1), "count", 1, limits.PER_YEAR))

    def occurrences(self, start: date, end: date, cal: WorkCalendar) -> Iterator[Occurrence]:
        first_week, last_week = self.weeks
        for term in cal.terms_between(start, end):
            slot = Slot(term.id, term.start, term.end)
            window = (term.start + timedelta(weeks=first_week - 1),
                      min(term.end, term.start + timedelta(weeks=last_week)))
            if window[0] >= window[1]:
                window = (term.start, term.end)
            why = (f"{term.name}日期未列入校历表，按常规推定" if term.fallback
                   else f"{term.name}起止日期为推定，以教育部门公布的校历为准" if term.estimated
                   else "")
            for i in range(self.count):
                yield Occurrence(slot, index=i, window=window, fallback=why)


@dataclass(frozen=True)
class TimesAYear:
    """Between `least` and `most` times a year inside a window; the scheduler places `count`,
    as near to `around` (a day, or the middle of a named observance) as it can."""

    kind: ClassVar[str] = "times_a_year"
    least: int
    most: int
    count: int
    first: YearDay
    last: YearDay
    around: YearDay | None = None
    around_name: str = ""  # an observance of calendar.observances, checked by the loader

    @classmethod
    def parse(cls, value: object) -> TimesAYear:
        spec = _need(value, {"min", "max", "count", "from", "to", "around"}, {"min"},
                     "times_a_year")
        least = _count(spec["min"], "min", 1, limits.PER_YEAR)
        most = _count(spec.get("max", least), "max", 1, limits.PER_YEAR)
        if least > most:
            raise ValueError(f"times_a_year runs backwards: {least} to {most} a year")
        count = _count(spec.get("count", least), "count", 1, limits.PER_YEAR)
        if not least <= count <= most:
            raise ValueError(f"count {count} must lie between min {least} and max {most}")
        first = YearDay.parse(spec.get("from", "01-01"))
        last = YearDay.parse(spec.get("to", "12-31"))
        if (last.month, last.day) < (first.month, first.day):
            raise ValueError("times_a_year window must end after it starts within one year")
        around, name = None, ""
        if "around" in spec:
            text = str(spec["around"]).strip()
            if _MONTH_DAY_LIKE.match(text):
                around = YearDay.parse(text)
            elif text:
                name = text
            else:
                raise ValueError("around takes a day (03-08) or an observance's name")
        return cls(least, most, count, first, last, around, name)

    def occurrences(self, start: date, end: date, cal: WorkCalendar) -> Iterator[Occurrence]:
        for year in range(start.year, end.year + 1):
            first, last = self.first.in_year(year), self.last.in_year(year)
            if not (first and last):
                continue
            window = (first, last + ONE_DAY)
            around, label = self.aim(year, cal)
            if window[0] < end and window[1] > start:
                for i in range(self.count):
                    yield Occurrence(_year_slot(year), index=i, window=window, around=around,
                                     label=label)

    def aim(self, year: int, cal: WorkCalendar) -> tuple[date | None, str]:
        """The day to aim at in `year` and the observance's name that year, if any."""
        if self.around_name:
            observance = cal.observances[self.around_name]
            return observance.middle(year), observance.name_in(year)
        return (self.around.in_year(year) if self.around else None), ""


@dataclass(frozen=True)
class Lunar:
    """Relative to a lunar date: `offset` days from it, or placed `before: [far, near]` days ahead."""

    kind: ClassVar[str] = "lunar"
    month: int
    day: int
    offset: int = 0
    before: tuple[int, int] | None = None

    @classmethod
    def parse(cls, value: object) -> Lunar:
        spec = _need(value, {"month", "day", "offset", "before"}, {"month", "day"}, "lunar")
        month, day = spec["month"], spec["day"]
        if not (type(month) is int and 1 <= month <= 12 and type(day) is int and 1 <= day <= 30):
            raise ValueError("lunar month must be 1..12 and day 1..30")
        before = spec.get("before")
        if before is not None:
            if (not isinstance(before, list) or len(before) != 2
                    or not all(type(b) is int and 0 <= b <= limits.DAYS for b in before)):
                raise ValueError(f"lunar before must be [far, near] days (0 to {limits.DAYS}), "
                                 "e.g. [28, 7]")
            if before[0] < before[1]:
                raise ValueError(f"lunar before [{before[0]}, {before[1]}] runs backwards")
            before = (before[0], before[1])
        offset = spec.get("offset", 0)
        if type(offset) is not int or abs(offset) > limits.DAYS:
            raise ValueError(f"lunar offset must be a whole number of days from -{limits.DAYS} "
                             f"to {limits.DAYS}, got {shown(offset)}")
        return cls(month, day, offset, before)

    def occurrences(self, start: date, end: date, cal: WorkCalendar) -> Iterator[Occurrence]:
        for year in range(start.year - 1, end.year + 2):
            try:
                anchor = cal.lunar(year, self.month, self.day)
            except ValueError:
                continue  # a lunar month without this day (a 30th in a short month)
            if self.before:
                window = (anchor - timedelta(days=self.before[0]),
                          anchor - timedelta(days=self.before[1]) + ONE_DAY)
                if window[0] < end and window[1] > start:
                    yield Occurrence(_year_slot(anchor.year), window=window)
            else:
                day = anchor + timedelta(days=self.offset)
                if start <= day < end:
                    yield Occurrence(_year_slot(anchor.year), start=day)


@dataclass(frozen=True)
class Rotation:
    """Reach every place once per cycle of `years`, a share of places each year, in order."""

    kind: ClassVar[str] = "rotation"
    places: tuple[str, ...]  # unit ids (a group is expanded by the loader)
    years: int
    since: int  # first year of the first cycle
    first: YearDay
    last: YearDay
    group: str = ""

    @classmethod
    def parse(cls, value: object, since: int) -> Rotation:
        spec = _need(value, {"places", "years", "from", "to"}, {"places", "years"}, "rotation")
        first = YearDay.parse(spec.get("from", "01-01"))
        last = YearDay.parse(spec.get("to", "12-31"))
        if (last.month, last.day) < (first.month, first.day):  # found by the fuzz test
            raise ValueError("rotation window must end after it starts within one year")
        return cls((), _count(spec["years"], "years", 1, limits.PERIOD_YEARS), since,
                   first, last, group=str(spec["places"]))

    def schedule_years(self) -> list[int]:
        """Offset (0-based year of the cycle) at which each place is reached."""
        share, extra = divmod(len(self.places), self.years)
        offsets: list[int] = []
        for year in range(self.years):
            offsets += [year] * (share + (1 if year < extra else 0))
        return offsets

    def occurrences(self, start: date, end: date, cal: WorkCalendar) -> Iterator[Occurrence]:
        offsets = self.schedule_years()
        cycle = self.since + ((start.year - self.since) // self.years) * self.years
        while cycle < end.year + 1:
            period = (date(cycle, 1, 1), date(cycle + self.years, 1, 1))
            turn: dict[int, int] = {}  # the places of one year share out its window, in order
            for place, offset in zip(self.places, offsets, strict=True):
                year = cycle + offset
                index = turn[year] = turn.get(year, -1) + 1
                first, last = self.first.in_year(year), self.last.in_year(year)
                if not (first and last) or first >= end or last < start:
                    continue
                slot = Slot(f"{cycle}-{cycle + self.years - 1}/{place}", *period)
                yield Occurrence(slot, index=index, window=(first, last + ONE_DAY), place=place,
                                 spread=str(year))
            cycle += self.years


_SUB_DAILY = ("SECONDLY", "MINUTELY", "HOURLY")
_RRULE_KEYS = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTH", "BYMONTHDAY",
               "BYYEARDAY", "BYWEEKNO", "BYSETPOS", "WKST"}


def _rrule_parts(text: str) -> dict[str, str]:
    """KEY=VALUE parts of one RRULE line; nothing that makes several events in one day."""
    parts: dict[str, str] = {}
    for part in text.split(";"):
        key, sep, val = part.partition("=")
        key, val = key.strip().upper(), val.strip().upper()
        if not sep or not key or not val:
            raise ValueError(f"bad RRULE part {shown(part)}: write KEY=VALUE, e.g. FREQ=WEEKLY")
        if key in ("BYHOUR", "BYMINUTE", "BYSECOND"):
            raise ValueError(f"{key} makes several events a day; an obligation has at most one "
                             "event a day (give its hour with time:)")
        if key not in _RRULE_KEYS:
            raise ValueError(f"unknown RRULE part {shown(key)} (allowed: "
                             f"{', '.join(sorted(_RRULE_KEYS))})")
        if key in parts:
            raise ValueError(f"RRULE gives {key} twice")
        parts[key] = val
    return parts


@dataclass(frozen=True)
class RRule:
    """A raw RFC 5545 RRULE, the escape hatch; each occurrence is its own slot."""

    kind: ClassVar[str] = "rrule"
    text: str
    dtstart: date

    @classmethod
    def parse(cls, value: object, dtstart: date) -> RRule:
        if not isinstance(value, str):
            raise ValueError("rrule must be text such as FREQ=WEEKLY;BYDAY=MO,TH")
        text = value.strip()
        if text.upper().startswith("RRULE:"):
            text = text[6:]
        parts = _rrule_parts(text)
        freq = parts.get("FREQ")
        if freq in _SUB_DAILY:
            raise ValueError(f"FREQ={freq} is more often than once a day; an obligation has at "
                             "most one event a day (give its hour with time:)")
        if freq not in ("DAILY", "WEEKLY", "MONTHLY", "YEARLY"):
            raise ValueError("an RRULE needs FREQ=DAILY, WEEKLY, MONTHLY or YEARLY")
        interval = parts.get("INTERVAL", "1")
        if not interval.isdigit() or not 1 <= int(interval) <= 1000:
            raise ValueError(f"INTERVAL must be a whole number from 1 to 1000, got {interval}")
        try:
            rrulestr(text, dtstart=datetime.combine(dtstart, datetime.min.time()))
        except (ValueError, TypeError, OverflowError) as exc:
            raise ValueError(f"bad RRULE {shown(text)}: {exc}") from None
        return cls(text, dtstart)

    def occurrences(self, start: date, end: date, cal: WorkCalendar) -> Iterator[Occurrence]:
        rule = rrulestr(self.text, dtstart=datetime.combine(self.dtstart, datetime.min.time()))
        low = datetime.combine(start, datetime.min.time())
        high = datetime.combine(end, datetime.min.time())
        for dt in rule.between(low, high, inc=True):
            day = dt.date()
            if day < end:
                yield Occurrence(Slot(day.isoformat(), day, day + ONE_DAY), start=day)


def routine(rule: object) -> bool:
    """A rule whose events each fill a day or a week (every Wednesday, every day): work a
    unit does over and over, which it may report a week or a month at a time."""
    if isinstance(rule, Weekly):
        return True
    return isinstance(rule, RRule) and _rrule_parts(rule.text).get("FREQ") in ("DAILY", "WEEKLY")


@dataclass(frozen=True)
class Quota:
    """A yearly number to reach (>= 2000 人次); a target for the gap report, no events."""

    kind: ClassVar[str] = "quota"
    amount: int
    unit: str

    @classmethod
    def parse(cls, value: object) -> Quota:
        spec = _need(value, {"per_year", "unit"}, {"per_year", "unit"}, "quota")
        return cls(_count(spec["per_year"], "per_year", 1), _word(spec["unit"]))

    def occurrences(self, start: date, end: date, cal: WorkCalendar) -> Iterator[Occurrence]:
        return iter(())


@dataclass(frozen=True)
class Milestone:
    """A number to reach by a date (>= 8 bases by 2025); one deadline event on that date."""

    kind: ClassVar[str] = "milestone"
    amount: int
    unit: str
    by: date
    since: date | None = None  # where the pace line starts; the loader sets the plan's start

    @classmethod
    def parse(cls, value: object) -> Milestone:
        spec = _need(value, {"target", "unit", "by"}, {"target", "unit", "by"}, "milestone")
        by = spec["by"]
        if not isinstance(by, date):
            try:
                by = date.fromisoformat(str(by))
            except ValueError:
                raise ValueError(f"milestone by must be a date like 2025-12-31, got {shown(by)}") \
                    from None
        if isinstance(by, datetime) or not limits.FIRST_YEAR <= by.year <= limits.LAST_YEAR:
            raise ValueError(f"milestone by must be a date from {limits.FIRST_YEAR} to "
                             f"{limits.LAST_YEAR}, like 2025-12-31")
        return cls(_count(spec["target"], "target", 1), _word(spec["unit"]), by)

    def occurrences(self, start: date, end: date, cal: WorkCalendar) -> Iterator[Occurrence]:
        if start <= self.by < end:
            since = self.since or date(self.by.year, 1, 1)
            slot = Slot(f"by-{self.by.isoformat()}", min(since, self.by), self.by + ONE_DAY)
            yield Occurrence(slot, start=self.by)


def observance_of(rule: object) -> str:
    """The observance a rule hangs on: its own (observance) or the one it aims at (around)."""
    if isinstance(rule, ObservanceRule):
        return rule.name
    return getattr(rule, "around_name", "")


# The kinds read from their YAML value alone; a rotation starts in the plan's first year and
# an rrule on its first day, so those two are read with the plan's start.
PlainRule = (Weekly | Monthly | Yearly | ObservanceRule | Span | PerTerm | TimesAYear | Lunar
             | Quota | Milestone)
Rule = PlainRule | Rotation | RRule
PLAIN_RULES: dict[str, type[PlainRule]] = {r.kind: r for r in (
    Weekly, Monthly, Yearly, ObservanceRule, Span, PerTerm, TimesAYear, Lunar, Quota, Milestone)}
RULES: dict[str, type[Rule]] = {r.kind: r for r in (
    Weekly, Monthly, Yearly, ObservanceRule, Span, PerTerm, TimesAYear, Lunar, Rotation, RRule,
    Quota, Milestone)}
