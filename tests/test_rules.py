"""Every rule kind, on its own, over a known year."""

from datetime import date

import pytest

from calendar_app.plan.rules import (
    Lunar,
    Milestone,
    Monthly,
    ObservanceRule,
    PerTerm,
    Quota,
    Rotation,
    RRule,
    Span,
    TimesAYear,
    Weekly,
    Yearly,
)
from calendar_app.plan.workdays import Observance, Term, WorkCalendar
from calendar_app.plan.yearday import YearDay

Y2025 = (date(2025, 1, 1), date(2026, 1, 1))


@pytest.fixture
def cal():
    return WorkCalendar(
        observances={"科技活动周": Observance("科技活动周", {2025: (date(2025, 5, 24),
                                                                   date(2025, 6, 1))},
                                              YearDay(5, weekday=5, nth=3), days=7)},
        terms=(Term("2025-spring", "第二学期", date(2025, 2, 14), date(2025, 7, 5)),
               Term("2025-autumn", "第一学期", date(2025, 9, 1), date(2026, 1, 24))),
    )


def test_weekly_gives_one_day_in_every_iso_week(cal):
    occ = list(Weekly.parse("周三").occurrences(*Y2025, cal))
    assert len(occ) == 53  # 2025 has 53 Wednesdays; Jan 1 is one
    assert all(o.start.weekday() == 2 for o in occ)
    # Dec 31 2025 is a Wednesday of ISO week 2026-W01: slots follow ISO weeks, not years.
    assert occ[0].slot.key == "2025-W01" and occ[-1].slot.key == "2026-W01"
    assert len({o.slot.key for o in occ}) == 53
    assert all(o.slot.start <= o.start < o.slot.end for o in occ)


def test_weekly_accepts_english_names(cal):
    assert Weekly.parse("friday") == Weekly.parse("周五") == Weekly.parse("FR")


def test_monthly_day_is_clamped_to_short_months(cal):
    occ = list(Monthly.parse(31).occurrences(*Y2025, cal))
    assert [o.start for o in occ][:3] == [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31)]
    assert [o.slot.key for o in occ][:2] == ["2025-01", "2025-02"]


def test_monthly_nth_and_last_weekday(cal):
    first_monday = list(Monthly.parse({"weekday": "周一", "nth": 1}).occurrences(*Y2025, cal))
    assert first_monday[0].start == date(2025, 1, 6) and len(first_monday) == 12
    last_friday = list(Monthly.parse({"weekday": "周五", "nth": -1}).occurrences(*Y2025, cal))
    assert last_friday[0].start == date(2025, 1, 31)
    assert last_friday[1].start == date(2025, 2, 28)


def test_yearly_on_a_date_and_on_an_nth_weekday(cal):
    (day,) = Yearly.parse("05-12").occurrences(*Y2025, cal)
    assert day.start == date(2025, 5, 12) and day.slot.key == "2025"
    (monday,) = Yearly.parse({"month": 3, "weekday": "周一", "nth": -1}).occurrences(*Y2025, cal)
    assert monday.start == date(2025, 3, 31)  # 全国中小学生安全教育日 2025


def test_yearly_with_two_days_makes_half_year_slots(cal):
    occ = list(Yearly.parse(["06-25", "12-20"]).occurrences(*Y2025, cal))
    assert [(o.slot.key, o.start) for o in occ] == [("2025-H1", date(2025, 6, 25)),
                                                     ("2025-H2", date(2025, 12, 20))]
    assert occ[1].slot.start == date(2025, 7, 1) and occ[1].slot.end == date(2026, 1, 1)


def test_yearly_day_outside_its_part_is_refused():
    with pytest.raises(ValueError, match="must fall in months 1-6"):
        Yearly.parse(["07-25", "12-20"])


def test_yearly_windows_are_deadlines_to_place_in_half_year_slots(cal):
    rule = Yearly.parse([{"from": "06-11", "to": "06-30"}, {"from": "12-11", "to": "12-31"}])
    occ = list(rule.occurrences(*Y2025, cal))
    assert [(o.slot.key, o.window, o.start) for o in occ] == [
        ("2025-H1", (date(2025, 6, 11), date(2025, 7, 1)), None),
        ("2025-H2", (date(2025, 12, 11), date(2026, 1, 1)), None)]
    (once,) = Yearly.parse({"from": "12-01", "to": "12-10"}).occurrences(*Y2025, cal)
    assert once.slot.key == "2025" and once.window == (date(2025, 12, 1), date(2025, 12, 11))


@pytest.mark.parametrize("spec, message", [
    ([{"from": "06-20", "to": "07-05"}, "12-20"], r"day 1 of 2 \(7月5日\) must fall in months 1-6"),
    ({"from": "12-10", "to": "12-01"}, "runs from MM-DD to a later MM-DD"),
    ({"from": "12-01"}, "a yearly window needs 'to'"),
])
def test_a_yearly_window_outside_its_part_or_backwards_is_refused(spec, message):
    with pytest.raises(ValueError, match=message):
        Yearly.parse(spec)


def test_observance_uses_the_table_then_the_rule_and_says_so(cal):
    rule = ObservanceRule("科技活动周")
    (y2025,) = rule.occurrences(*Y2025, cal)
    assert (y2025.start, y2025.end, y2025.fallback) == (date(2025, 5, 24), date(2025, 6, 1), "")
    (y2026,) = rule.occurrences(date(2026, 1, 1), date(2027, 1, 1), cal)
    assert y2026.start == date(2026, 5, 16) and y2026.end == date(2026, 5, 23)
    assert "按规则推定" in y2026.fallback


def test_span_is_one_event_with_exclusive_end(cal):
    (june,) = Span.parse({"from": "06-01", "to": "06-30"}).occurrences(*Y2025, cal)
    assert (june.start, june.end) == (date(2025, 6, 1), date(2025, 7, 1))


def test_per_term_window_is_inside_the_term(cal):
    occ = list(PerTerm.parse({"weeks": [3, 16]}).occurrences(*Y2025, cal))
    assert [o.slot.key for o in occ] == ["2025-spring", "2025-autumn"]
    spring = occ[0]
    assert spring.window == (date(2025, 2, 28), date(2025, 6, 6))


def test_per_term_falls_back_to_the_usual_shape_and_says_so():
    cal = WorkCalendar(term_shape=(("autumn", YearDay(9, 1), YearDay(1, 20)),))
    (autumn,) = PerTerm.parse({}).occurrences(date(2027, 8, 1), date(2027, 12, 1), cal)
    assert autumn.slot.key == "2027-autumn" and autumn.slot.start == date(2027, 9, 1)
    assert autumn.slot.end == date(2028, 1, 21) and "推定" in autumn.fallback


def test_times_a_year_asks_for_count_in_the_window(cal):
    occ = list(TimesAYear.parse({"min": 1, "max": 2, "count": 2, "from": "04-01",
                                 "to": "11-30"}).occurrences(*Y2025, cal))
    assert [o.index for o in occ] == [0, 1]
    assert occ[0].window == (date(2025, 4, 1), date(2025, 12, 1))


def test_times_a_year_aims_at_a_day_or_the_middle_of_an_observance(cal):
    (women,) = TimesAYear.parse({"min": 1, "from": "03-01", "to": "03-15", "around": "03-08"}) \
        .occurrences(*Y2025, cal)
    assert women.around == date(2025, 3, 8) and women.label == ""
    (week,) = TimesAYear.parse({"min": 1, "from": "05-01", "to": "06-15", "around": "科技活动周"}) \
        .occurrences(*Y2025, cal)
    assert week.around == date(2025, 5, 27) and week.label == "科技活动周"  # 24-31 May
    plain = TimesAYear.parse({"min": 1})
    assert next(plain.occurrences(*Y2025, cal)).around is None


@pytest.mark.parametrize("spec, message", [
    ({"min": 3, "max": 1}, "runs backwards: 3 to 1"),
    ({"min": 1, "max": 2, "count": 5}, "count 5 must lie between"),
    ({"min": 0}, "from 1 to 366"),
    ({"min": 1, "often": 2}, "unknown key 'often'"),
])
def test_times_a_year_refuses_nonsense(spec, message):
    with pytest.raises(ValueError, match=message):
        TimesAYear.parse(spec)


def test_lunar_before_spring_festival_and_on_chongyang(cal):
    (xiaxiang,) = Lunar.parse({"month": 1, "day": 1, "before": [28, 7]}).occurrences(*Y2025, cal)
    # Spring Festival 2025 is Jan 29; 2026's (Feb 17) window starts in 2026 and is not here.
    assert xiaxiang.window == (date(2025, 1, 1), date(2025, 1, 23))
    (chongyang,) = Lunar.parse({"month": 9, "day": 9}).occurrences(*Y2025, cal)
    assert chongyang.start == date(2025, 10, 29)


def test_rotation_reaches_every_place_once_per_cycle(cal):
    places = tuple(f"t{i:02d}" for i in range(12))
    rule = Rotation(places, years=5, since=2021, first=YearDay(3, 1), last=YearDay(11, 30))
    occ = list(rule.occurrences(date(2021, 1, 1), date(2026, 1, 1), cal))
    assert sorted(o.place for o in occ) == list(places)
    per_year = [sum(1 for o in occ if o.window[0].year == y) for y in range(2021, 2026)]
    assert per_year == [3, 3, 2, 2, 2]
    assert occ[0].slot.key == "2021-2025/t00"
    # One year's visits share out its window in order: 2021's three are the 1st, 2nd and
    # 3rd of three, spread by the scheduler instead of heaped on the middle.
    assert [(o.spread, o.index) for o in occ[:4]] == [("2021", 0), ("2021", 1), ("2021", 2),
                                                      ("2022", 0)]


def test_rrule_is_the_escape_hatch(cal):
    occ = list(RRule.parse("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1", date(2025, 1, 1))
               .occurrences(*Y2025, cal))
    assert len(occ) == 12 and occ[0].start == date(2025, 1, 6)
    with pytest.raises(ValueError, match="needs FREQ=DAILY, WEEKLY, MONTHLY or YEARLY"):
        RRule.parse("FREQ=SOMETIMES", date(2025, 1, 1))
    with pytest.raises(ValueError, match="bad RRULE"):
        RRule.parse("FREQ=WEEKLY;BYDAY=XX", date(2025, 1, 1))


def test_quota_makes_no_events_and_milestone_one_deadline(cal):
    assert list(Quota.parse({"per_year": 2000, "unit": "人次"}).occurrences(*Y2025, cal)) == []
    milestone = Milestone.parse({"target": 8, "unit": "处", "by": date(2025, 12, 31)})
    (deadline,) = milestone.occurrences(*Y2025, cal)
    assert deadline.start == date(2025, 12, 31) and deadline.slot.key == "by-2025-12-31"
    assert list(milestone.occurrences(date(2021, 1, 1), date(2025, 1, 1), cal)) == []


def test_impossible_month_day_is_refused():
    with pytest.raises(ValueError, match="impossible date '02-30'"):
        Yearly.parse("02-30")


def test_a_table_term_with_its_own_id_is_not_doubled_by_the_usual_shape():
    cal = WorkCalendar(terms=(Term("spring-term-25", "第二学期", date(2025, 2, 14),
                                   date(2025, 7, 5)),),
                       term_shape=(("spring", YearDay(2, 20), YearDay(7, 5)),))
    occ = list(PerTerm.parse({}).occurrences(date(2025, 1, 1), date(2025, 8, 1), cal))
    assert [o.slot.key for o in occ] == ["spring-term-25"]
