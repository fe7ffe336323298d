"""Flexible placement: on working days, deterministic, spreading each unit's load within the
day and week limits, off 调休 weekends, as near its day as the load allows."""

from collections import Counter
from datetime import date, timedelta

from calendar_app.plan.workdays import WorkCalendar
from calendar_app.schedule.placement import Placer, Request

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


def _loads(placed, requests):
    """unit -> day -> events, and unit -> Monday -> events, of a placement."""
    days, weeks = {}, {}
    for req in requests:
        day = placed[req.key][0]
        monday = day - timedelta(days=day.weekday())
        for unit in req.units:
            days.setdefault(unit, Counter())[day] += 1
            weeks.setdefault(unit, Counter())[monday] += 1
    return days, weeks


def test_no_unit_gets_more_than_the_day_limit_while_the_window_has_room():
    cal = WorkCalendar()
    week = (date(2025, 6, 9), date(2025, 6, 14))  # Monday to Friday, five working days
    requests = [Request(f"r{i:02d}", ("a",), week, around=date(2025, 6, 11)) for i in range(15)]
    days, _ = _loads(Placer(cal, day_limit=3).place(requests), requests)
    assert set(days["a"].values()) == {3}  # all drawn to Wednesday, yet three a day at most


def test_no_unit_gets_more_than_the_week_limit_while_the_window_has_room():
    cal = WorkCalendar()
    fortnight = (date(2025, 6, 9), date(2025, 6, 21))  # two working weeks
    requests = [Request(f"r{i:02d}", ("a", f"b{i}"), fortnight, around=date(2025, 6, 10))
                for i in range(12)]
    _, weeks = _loads(Placer(cal, day_limit=3, week_limit=6).place(requests), requests)
    assert sorted(weeks["a"].values()) == [6, 6]


def test_a_weekend_worked_for_a_holiday_is_used_only_when_nothing_else_fits():
    cal = WorkCalendar()
    # 2023-06-25, a Sunday, was worked in exchange for the Dragon Boat holiday (22-24 June).
    window = (date(2023, 6, 25), date(2023, 6, 28))  # Sun 25 (worked), Mon 26, Tue 27
    assert cal.is_makeup_workday(date(2023, 6, 25))
    requests = [Request(f"r{i}", ("a",), window, around=date(2023, 6, 25)) for i in range(6)]
    placed = Placer(cal, day_limit=3).place(requests)
    assert date(2023, 6, 25) not in {day for day, _ in placed.values()}
    one_more = [*requests, Request("r6", ("a",), window)]
    placed = Placer(cal, day_limit=3).place(one_more)
    assert [day for day, _ in placed.values()].count(date(2023, 6, 25)) == 1


def test_around_lands_on_the_day_or_as_near_as_the_load_allows():
    cal = WorkCalendar()
    march = (date(2025, 3, 1), date(2025, 3, 16))
    women = date(2025, 3, 7)  # 3/8 2025 is a Saturday: the Friday before is nearest
    placed = Placer(cal).place([Request("a", ("fulian",), march, around=women),
                                Request("b", ("fulian", "nongye"), march, around=women),
                                Request("c", ("nongye",), march, around=women)])
    assert placed["a"][0] == women
    assert placed["b"][0] == date(2025, 3, 6)  # 妇联 has 3/7 taken: the nearest free day
    assert placed["c"][0] == women  # 农业农村局 has nothing else on 3/7


def test_what_is_already_on_a_day_counts_toward_the_limits():
    cal = WorkCalendar()
    week = (date(2025, 6, 9), date(2025, 6, 14))  # Monday to Friday
    wednesday = date(2025, 6, 11)
    placer = Placer(cal, day_limit=3, week_limit=12)
    for _ in range(3):  # the push, the TV segment and a column moved off a holiday
        placer.hold(("a",), wednesday)
    placed = placer.place([Request("r", ("a", "b"), week, around=wednesday)])
    assert placed["r"][0] != wednesday
    assert placed["r"][0] in (date(2025, 6, 10), date(2025, 6, 12))  # the nearest day with room
    # A unit the held events do not name still lands on the day it hangs on.
    assert placer.place([Request("s", ("b",), week, around=wednesday)])["s"][0] == wednesday


def test_a_week_filled_by_what_is_held_sends_the_event_to_the_next_week():
    cal = WorkCalendar()
    fortnight = (date(2025, 6, 9), date(2025, 6, 21))
    placer = Placer(cal, day_limit=3, week_limit=6)
    for day in range(9, 15):  # six held events in the first week
        placer.hold(("a",), date(2025, 6, day))
    placed = placer.place([Request("r", ("a",), fortnight, around=date(2025, 6, 10))])
    assert placed["r"][0] == date(2025, 6, 16)
