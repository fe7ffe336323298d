"""Plan x window -> events: fan-out, working days, timed events, windows, determinism."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from calendar_app.model import days
from calendar_app.schedule.expansion import expand

from .conftest import DATA


def _by_uid(expansion):
    return {e.uid: e for e in expansion.events}


def test_fanout_each_gives_every_township_its_own_event(small_plan):
    events = [e for e in expand(small_plan).events if e.obligation == "m03-theme"]
    assert {e.units for e in events} == {("tiancheng",), ("shaping",), ("shicheng",)}
    assert len(events) == 3 * 2
    assert all(e.uid.endswith("/" + e.lead) for e in events)


def test_joint_event_is_one_event_seen_by_all_its_units(small_plan):
    (day,) = [e for e in expand(small_plan).events if e.obligation == "m02-day"]
    assert day.units == ("yingji", "wenlv", "xuanchuan") and day.lead == "yingji"
    assert day.start == date(2025, 5, 12)


def test_lead_override_puts_that_unit_first(small_plan):
    tv = next(e for e in expand(small_plan).events if e.obligation == "m02-tv")
    assert tv.units == ("xuanchuan", "yingji", "wenlv")


def test_timed_events_carry_the_shanghai_zone_and_duration(small_plan):
    tv = next(e for e in expand(small_plan).events if e.obligation == "m02-tv")
    tz = ZoneInfo("Asia/Shanghai")
    assert tv.start == datetime(2025, 1, 1, 19, 30, tzinfo=tz)
    assert tv.end == datetime(2025, 1, 1, 19, 45, tzinfo=tz) and not tv.all_day


def test_workday_policy_moves_a_report_off_the_weekend_and_says_why(small_plan):
    events = _by_uid(expand(small_plan))
    # 2025-12-20 is a Saturday; the policy is `previous`.
    h2 = events["m02-report/2025-H2"]
    assert h2.start == date(2025, 12, 19)
    assert "原定12月20日遇休息日，提前至12月19日（周五）" in h2.notes


def test_fixed_observances_stay_on_their_day_even_on_a_weekend(small_plan):
    events = _by_uid(expand(small_plan, date(2024, 1, 1), date(2025, 1, 1)))
    day = events["m02-day/2024"]
    assert day.start == date(2024, 5, 12) and day.start.weekday() == 6  # a Sunday, kept
    assert not day.notes and not day.flexible
    june = events["m02-month/2024"]
    assert (june.start, june.end) == (date(2024, 6, 1), date(2024, 7, 1))  # from a Saturday


def test_flexible_events_are_on_working_days(small_plan):
    plan = small_plan
    for event in expand(plan).events:
        if event.flexible:
            assert plan.calendar.is_workday(event.start), event.uid


def test_rotation_event_names_the_place_and_involves_it(small_plan):
    events = _by_uid(expand(small_plan))
    visit = events["m01-caravan/2025-2027/tiancheng"]
    assert visit.title == "科普大篷车巡展（天城镇）" and visit.location == "天城镇"
    assert "tiancheng" in visit.units


def test_a_window_selects_overlapping_events_and_keeps_their_placement(small_plan):
    whole = _by_uid(expand(small_plan))
    june = expand(small_plan, date(2025, 6, 1), date(2025, 7, 1)).events
    assert june and all(whole[e.uid] == e for e in june)
    assert "m02-month/2025" in {e.uid for e in june}
    for event in june:
        first, after = days(event.start, event.end)
        assert first < date(2025, 7, 1) and after > date(2025, 6, 1), event.uid


def test_a_window_beyond_the_plan_years_warns_of_estimated_working_days(small_plan):
    expansion = expand(small_plan, date(2027, 1, 1), date(2028, 1, 1))
    assert expansion.estimated_years == [2027]
    flexible = [e for e in expansion.events if e.flexible]
    assert flexible and all("2027年法定节假日未公布，工作日按周末推算" in e.notes for e in flexible)
    fixed = [e for e in expansion.events if e.obligation == "m02-day"]
    assert fixed and not any("推算" in n for e in fixed for n in e.notes)


def test_uids_are_unique_and_expansion_is_deterministic(small_plan):
    from calendar_app.plan.reader import load_plan

    first = expand(small_plan).events
    again = expand(load_plan(DATA / "small.yaml")).events
    assert first == again
    assert len({e.uid for e in first}) == len(first)
