"""The Chinese working calendar: holidays, 调休, policies, missing years, lunar dates."""

from datetime import date

from calendar_app.plan.workdays import Observance, WorkCalendar, YearHolidays
from calendar_app.plan.yearday import YearDay


def test_statutory_holidays_and_makeup_days_come_from_chinesecalendar():
    cal = WorkCalendar()
    assert cal.holiday(date(2025, 5, 31)) == "端午节"
    assert cal.holiday(date(2025, 10, 1)) == "国庆节"
    assert not cal.is_workday(date(2025, 5, 1))
    assert cal.is_makeup_workday(date(2025, 4, 27)) and cal.is_workday(date(2025, 4, 27))
    assert not cal.is_estimated(2025)


def test_policies_keep_next_previous_skip():
    cal = WorkCalendar()
    labour_day = date(2025, 5, 1)  # holiday May 1-5 2025
    assert cal.shift(labour_day, "keep") == labour_day
    assert cal.shift(labour_day, "next") == date(2025, 5, 6)
    assert cal.shift(labour_day, "previous") == date(2025, 4, 30)
    assert cal.shift(labour_day, "skip") is None
    assert cal.shift(date(2025, 5, 7), "skip") == date(2025, 5, 7)


def test_within_week_moves_to_the_nearest_working_day_of_the_same_week_or_drops_it():
    cal = WorkCalendar()
    # Spring Festival 2021: Thursday 11 to Wednesday 17 February off.
    assert cal.shift(date(2021, 2, 12), "within-week") == date(2021, 2, 10)  # Fri -> Wed
    # National Day 2025 (1-8 October): Friday the 3rd goes back to Tuesday the 30th,
    # still week 40.
    assert cal.shift(date(2025, 10, 3), "within-week") == date(2025, 9, 30)
    # Dragon Boat 2023 (22-24 June, Sunday 25th worked): two days either way, the earlier wins.
    assert cal.shift(date(2023, 6, 23), "within-week") == date(2023, 6, 21)
    # Spring Festival 2022 took the whole week of 31 January: nothing that week.
    assert cal.shift(date(2022, 2, 4), "within-week") is None
    assert cal.shift(date(2025, 5, 9), "within-week") == date(2025, 5, 9)  # a working day


def test_an_observance_goes_by_the_name_it_had_that_year_and_has_a_middle():
    science = Observance("全国科普日", {2021: (date(2021, 9, 11), date(2021, 9, 18))},
                         YearDay(9, 1), until=YearDay(9, 30), renamed=((2025, "全国科普月"),))
    assert [science.name_in(y) for y in (2021, 2024, 2025, 2027)] == \
        ["全国科普日", "全国科普日", "全国科普月", "全国科普月"]
    assert science.middle(2021) == date(2021, 9, 14)  # 11-17 September
    assert science.middle(2025) == date(2025, 9, 15)  # the rule: 1-30 September


def test_a_year_without_data_is_weekends_only_and_remembered():
    cal = WorkCalendar()
    assert cal.is_workday(date(2027, 10, 1))  # National Day 2027 unknown: a Friday
    assert not cal.is_workday(date(2027, 10, 2))
    assert cal.estimated_years == {2027}


def test_yaml_overrides_replace_the_package_for_a_year():
    cal = WorkCalendar(overrides={2027: YearHolidays({date(2027, 10, 1): "国庆节"},
                                                     frozenset({date(2027, 9, 26)}), "通知")})
    assert cal.holiday(date(2027, 10, 1)) == "国庆节" and not cal.is_workday(date(2027, 10, 1))
    assert cal.is_workday(date(2027, 9, 26)) and not cal.is_estimated(2027)


def test_spring_festival_dates_match_the_plan_notes():
    known = {2021: date(2021, 2, 12), 2022: date(2022, 2, 1), 2023: date(2023, 1, 22),
             2024: date(2024, 2, 10), 2025: date(2025, 1, 29), 2026: date(2026, 2, 17)}
    assert {y: WorkCalendar.lunar(y, 1, 1) for y in known} == known
