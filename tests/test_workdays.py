"""The Chinese working calendar: holidays, 调休, policies, missing years, lunar dates."""

from datetime import date

from calendar_app.workdays import WorkCalendar, YearHolidays


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
