"""The Chinese working calendar: statutory holidays and 调休, observance days, school terms,
lunar dates.

Holidays come from `chinesecalendar` unless recurring.yaml overrides a year; a year neither
knows is reckoned by weekends alone and remembered in `estimated_years`, so the caller can say
so once instead of guessing silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import chinese_calendar
import lunardate

from .yearday import YearDay

HOLIDAY_CN = {
    "new_years_day": "元旦",
    "spring_festival": "春节",
    "tomb_sweeping_day": "清明节",
    "labour_day": "劳动节",
    "dragon_boat_festival": "端午节",
    "national_day": "国庆节",
    "mid_autumn_festival": "中秋节",
    "anti_fascist_70th_day": "抗战胜利纪念日",
}
_HOLIDAY_BY_ENGLISH = {h.value: HOLIDAY_CN.get(h.name, h.value) for h in chinese_calendar.Holiday}


@dataclass(frozen=True)
class YearHolidays:
    """One year's statutory days off (with names) and make-up working days."""

    holidays: dict[date, str]
    workdays: frozenset[date]
    source: str


@dataclass(frozen=True)
class Observance:
    """A named day or period: its dates per year from a table, else from a fallback rule."""

    name: str
    table: dict[int, tuple[date, date]]  # year -> (start, exclusive end)
    rule: YearDay | None = None
    days: int = 1  # length of the fallback period
    until: YearDay | None = None  # or the fallback runs from `rule` to this day, inclusive
    renamed: tuple[tuple[int, str], ...] = ()  # (first year, name): what it is called since
    # Years of `table` whose dates are worked out by the rule, not yet announced (a plan for
    # the next period lists them until the notices come out).
    estimated: frozenset[int] = frozenset()

    def name_in(self, year: int) -> str:
        """The name the observance had in `year` (全国科普日 became 全国科普月 in 2025)."""
        name = self.name
        for since, called in sorted(self.renamed):
            if year >= since:
                name = called
        return name

    def guess(self, year: int) -> str:
        """Why the dates of `year` are a guess, in the words events carry ("" when announced
        or fixed by definition)."""
        found = self.dates(year)
        if found is None or not found[2]:
            return ""
        name = self.name_in(year)
        if year in self.table:
            return f"{name}{year}年日期尚未公布，按规则推定"
        return f"{name}{year}年日期未列入年度表，按规则推定"

    def middle(self, year: int) -> date | None:
        """The middle day of the observance in `year`: where an event "around" it aims."""
        found = self.dates(year)
        if found is None:
            return None
        start, end, _ = found
        return start + timedelta(days=((end - start).days - 1) // 2)

    def dates(self, year: int) -> tuple[date, date, bool] | None:
        """(start, exclusive end, guessed) in `year`, None if the rule has no such day."""
        if year in self.table:
            first, after = self.table[year]
            return first, after, year in self.estimated
        # A day fixed by definition (5/12) has no table; only a missing table year is a guess.
        guessed = bool(self.table)
        if self.rule is None:
            return None
        start = self.rule.in_year(year)
        if start is None:
            return None
        if self.until is not None:
            last = self.until.in_year(year)
            if last is None or last < start:
                return None
            return start, last + timedelta(days=1), guessed
        return start, start + timedelta(days=self.days), guessed


@dataclass(frozen=True)
class Term:
    id: str
    name: str
    start: date
    end: date  # exclusive
    fallback: bool = False  # not in the table: the usual shape of a school year
    estimated: bool = False  # in the table, but the county's estimate, not the school calendar


@dataclass
class WorkCalendar:
    observances: dict[str, Observance] = field(default_factory=dict)
    terms: tuple[Term, ...] = ()
    # Fallback term shape for school years missing from the table: (season, start, last day).
    term_shape: tuple[tuple[str, YearDay, YearDay], ...] = ()
    overrides: dict[int, YearHolidays] = field(default_factory=dict)
    estimated_years: set[int] = field(default_factory=set)
    _off: dict[int, tuple[dict[date, str], frozenset[date]]] = field(default_factory=dict)

    # -- statutory holidays and 调休 --------------------------------------------------------

    def _year(self, year: int) -> tuple[dict[date, str], frozenset[date]]:
        """(holidays with names, make-up working days) of a year, computed once."""
        if year in self._off:
            return self._off[year]
        if year in self.overrides:
            got = self.overrides[year]
            result = (dict(got.holidays), got.workdays)
        else:
            try:
                chinese_calendar.is_holiday(date(year, 1, 1))
            except NotImplementedError:
                self.estimated_years.add(year)
                result = ({}, frozenset())
            else:
                holidays = {
                    d: _HOLIDAY_BY_ENGLISH.get(name, name)
                    for d, name in chinese_calendar.holidays.items()
                    if d.year == year
                }
                makeup = frozenset(d for d in chinese_calendar.workdays if d.year == year)
                result = (holidays, makeup)
        self._off[year] = result
        return result

    def is_estimated(self, year: int) -> bool:
        self._year(year)
        return year in self.estimated_years

    def is_workday(self, d: date) -> bool:
        holidays, makeup = self._year(d.year)
        if d in makeup:
            return True
        return d.weekday() < 5 and d not in holidays

    def holiday(self, d: date) -> str | None:
        """The holiday's Chinese name when `d` is a statutory day off."""
        return self._year(d.year)[0].get(d)

    def is_makeup_workday(self, d: date) -> bool:
        """A weekend day worked in exchange for a holiday (调休上班)."""
        return d in self._year(d.year)[1]

    def shift(self, d: date, policy: str) -> date | None:
        """Apply an obligation's working-day policy: keep, next, previous, skip (None) or
        within-week (the nearest working day of the same week, the earlier on a tie; None
        when the whole week is off)."""
        if policy == "keep" or self.is_workday(d):
            return d
        if policy == "skip":
            return None
        if policy == "within-week":
            monday = d - timedelta(days=d.weekday())
            week = [monday + timedelta(days=n) for n in range(7)]
            found = [w for w in week if self.is_workday(w)]
            return min(found, key=lambda w: (abs((w - d).days), w > d)) if found else None
        step = timedelta(days=1 if policy == "next" else -1)
        while not self.is_workday(d):
            d += step
        return d

    def workdays_between(self, start: date, end: date) -> list[date]:
        days = (end - start).days
        return [d for d in (start + timedelta(n) for n in range(days)) if self.is_workday(d)]

    # -- school terms --------------------------------------------------------------------------

    def terms_between(self, start: date, end: date) -> list[Term]:
        """Every term overlapping [start, end): the table first, the fallback shape for the rest."""
        found = {t.id: t for t in self.terms}
        for year in range(start.year - 1, end.year + 1):
            for season, first, last in self.term_shape:
                term_id = f"{year}-{season}"
                begin = first.in_year(year)
                finish = last.in_year(year + (1 if last.month < first.month else 0))
                if term_id in found or not (begin and finish):
                    continue
                guess = Term(term_id, _term_name(year, season), begin,
                             finish + timedelta(days=1), fallback=True)
                # The table wins over the usual shape, whatever ids it uses.
                if not any(t.start < guess.end and t.end > guess.start for t in self.terms):
                    found[term_id] = guess
        return sorted((t for t in found.values() if t.start < end and t.end > start),
                      key=lambda t: t.start)

    # -- lunar dates ------------------------------------------------------------------------------

    @staticmethod
    def lunar(year: int, month: int, day: int) -> date:
        """The Gregorian date of a lunar month/day in the lunar year that begins in `year`."""
        return lunardate.LunarDate(year, month, day).to_solar_date()


def _term_name(year: int, season: str) -> str:
    if season == "autumn":
        return f"{year}—{year + 1}学年第一学期（推定）"
    return f"{year - 1}—{year}学年第二学期（推定）"
