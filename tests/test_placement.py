"""Flexible placement: on working days, deterministic, spreading each unit's load."""

from datetime import date

from calendar_app.placement import Placer, Request
from calendar_app.workdays import WorkCalendar

MAY = (date(2025, 5, 1), date(2025, 6, 1))


def test_flexible_events_land_on_working_days_and_spread():
    cal = WorkCalendar()
    requests = [Request(f"r{i}", ("a",), MAY) for i in range(15)]
    placed = Placer(cal).place(requests)
    days = [d for d, _ in placed.values()]
    assert all(cal.is_workday(d) for d in days)
    assert len(set(days)) == 15  # May 2025 has 19 working days: no day twice


def test_no_unit_doubles_up_while_a_working_day_is_free():
    cal = WorkCalendar()
    workdays = cal.workdays_between(*MAY)
    requests = [Request(f"r{i:02d}", ("a", "b") if i % 2 else ("a",), MAY)
                for i in range(len(workdays) + 3)]
    placed = Placer(cal).place(requests)
    per_day = {}
    for day, _ in placed.values():
        per_day[day] = per_day.get(day, 0) + 1
    assert set(per_day) == set(workdays)  # every working day used before any is used twice
    assert max(per_day.values()) == 2


def test_several_in_one_slot_are_spread_across_the_window():
    cal = WorkCalendar()
    year = (date(2025, 1, 1), date(2026, 1, 1))
    placed = Placer(cal).place([Request("x#1", ("a",), year, (0, 2)),
                                Request("x#2", ("a",), year, (1, 2))])
    first, second = placed["x#1"][0], placed["x#2"][0]
    assert first.month in (3, 4) and second.month in (9, 10)


def test_placement_is_deterministic_whatever_the_input_order():
    cal = WorkCalendar()
    requests = [Request(f"r{i}", (f"u{i % 3}",), MAY) for i in range(10)]
    assert Placer(cal).place(requests) == Placer(WorkCalendar()).place(requests[::-1])


def test_a_window_without_working_days_uses_its_days_and_says_so():
    cal = WorkCalendar()
    golden_week = (date(2025, 10, 1), date(2025, 10, 9))
    (day, working), = Placer(cal).place([Request("r", ("a",), golden_week)]).values()
    assert golden_week[0] <= day < golden_week[1] and working is False
