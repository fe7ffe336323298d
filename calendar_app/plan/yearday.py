"""A day of the year as a coordinator writes it: `05-12`, or the nth weekday of a month.

Weekdays are read in Chinese (周一, 星期一) or English (monday, mon, MO); nth -1 is the last.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta
from dateutil.relativedelta import weekday as rd_weekday

from ..errors import shown

_CN = "一二三四五六日"
WEEKDAY_NAMES: dict[str, int] = {}
for _i, _c in enumerate(_CN):
    WEEKDAY_NAMES.update({f"周{_c}": _i, f"星期{_c}": _i})
WEEKDAY_NAMES.update({"周天": 6, "星期天": 6})
for _i, _n in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                         "sunday")):
    WEEKDAY_NAMES.update({_n: _i, _n[:3]: _i, _n[:2]: _i})

WEEKDAY_CN = tuple(f"周{c}" for c in _CN)

_MONTH_DAY = re.compile(r"^(\d{1,2})-(\d{1,2})$")


def parse_weekday(value: object) -> int:
    """0 for Monday ... 6 for Sunday; ValueError with the accepted forms otherwise."""
    key = str(value).strip().lower()
    if key not in WEEKDAY_NAMES:
        raise ValueError(f"unknown weekday {shown(value)} (write 周一..周日 or monday..sunday)")
    return WEEKDAY_NAMES[key]


def parse_month_day(value: object) -> tuple[int, int]:
    """`MM-DD` checked against a leap year, so 02-29 is allowed and 02-30 is not."""
    match = _MONTH_DAY.match(str(value).strip())
    if not match:
        raise ValueError(f"expected a month-day like 05-12, got {shown(value)}")
    month, day = int(match[1]), int(match[2])
    try:
        date(2024, month, day)
    except ValueError:
        raise ValueError(f"impossible date {shown(value)}") from None
    return month, day


@dataclass(frozen=True)
class YearDay:
    month: int
    day: int = 0  # a fixed day of the month, or 0 when weekday/nth are used
    weekday: int = -1
    nth: int = 0

    @classmethod
    def parse(cls, value: object) -> YearDay:
        """`MM-DD`, or a mapping {month, weekday, nth}."""
        if isinstance(value, dict):
            unknown = set(value) - {"month", "weekday", "nth"}
            if unknown:
                raise ValueError(f"unknown key {sorted(unknown, key=str)[0]!r} "
                                 "(use month, weekday, nth)")
            month, nth = value.get("month", 0), value.get("nth", 1)
            if type(month) is not int or type(nth) is not int:
                raise ValueError("month and nth must be whole numbers, e.g. {month: 5, "
                                 "weekday: 周六, nth: 3}")
            if not 1 <= month <= 12:
                raise ValueError(f"month must be 1..12, got {month}")
            if nth == 0 or not -5 <= nth <= 5:
                raise ValueError(f"nth must be 1..5 or -1..-5 (last), got {nth}")
            return cls(month=month, weekday=parse_weekday(value.get("weekday")), nth=nth)
        month, day = parse_month_day(value)
        if (month, day) == (2, 29):
            # It would silently skip three years in four; a per-year table may name 02-29.
            raise ValueError("02-29 is not a day of every year; write 02-28 or 03-01")
        return cls(month=month, day=day)

    def in_year(self, year: int) -> date | None:
        """The day in `year`; None when it does not exist there (02-29, a fifth Monday)."""
        if self.day:
            try:
                return date(year, self.month, self.day)
            except ValueError:
                return None
        first = date(year, self.month, 1)
        if self.nth > 0:
            found = first + relativedelta(weekday=rd_weekday(self.weekday)(self.nth))
        else:
            found = first + relativedelta(day=31, weekday=rd_weekday(self.weekday)(self.nth))
        return found if found.month == self.month else None

    def describe(self) -> str:
        if self.day:
            return f"{self.month}月{self.day}日"
        which = f"第{self.nth}个" if self.nth > 0 else ("最后一个" if self.nth == -1 else
                                                         f"倒数第{-self.nth}个")
        return f"{self.month}月{which}{WEEKDAY_CN[self.weekday]}"
