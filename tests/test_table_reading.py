"""The shipped recurring.yaml read against the table (《重点任务责任分工表》): every county
choice marked and shown as one, quotes no wider than the table, observances on the dates
announced each year and by the names they had, placements that keep to their reasons and
to the load limits, co-organisers in the table's order, and no 种子 in anything a unit reads."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta

import pytest
from icalendar import Calendar

from calendar_app.plan.reader import load_plan
from calendar_app.schedule.expansion import expand
from calendar_app.schedule.pileups import pileups
from calendar_app.schedule.placement import busiest

from .conftest import ROOT, SHIPPED

DAILY = "m19-daily-push"


@pytest.fixture(scope="module")
def events(shipped_plan):
    return expand(shipped_plan).events


@pytest.fixture
def built(shipped_built):
    """The shipped plan built, with a month's report sheet: everything units read."""
    return shipped_built


def _first_day(event) -> date:
    return event.start.date() if isinstance(event.start, datetime) else event.start


def _by(events, obligation):
    return [e for e in events if e.obligation == obligation]


# -- 1. county choices, marked and shown ----------------------------------------------------

CHOSEN_UNITS = {"m6-safety-month", "m21-meteorology-day", "m19-daily-push",
                "m27-registered-2020", "m2-caravan", "m29-monitoring", "m6-sansong",
                "m6-health", "m6-fitness", "m6-environment", "m14-party-school"}


FANNED_OUT = {"m26-science-day", "m26-tech-week", "m27-teams", "m27-team-review",
              "m28-midyear", "m28-assessment", "m30-budget", "m30-spending"}


def test_every_lead_or_unit_set_the_county_chose_says_why(shipped_plan):
    measures = shipped_plan.measures
    chosen = {o.id for o in shipped_plan.obligations if o.units != measures[o.measure].units
              or (o.fanout and len(o.units) > 1)}
    assert CHOSEN_UNITS | FANNED_OUT <= chosen
    for obligation in shipped_plan.obligations:
        assert bool(obligation.assigned) == (obligation.id in chosen), obligation.id
    safety = next(o for o in shipped_plan.obligations if o.id == "m6-safety-month")
    assert safety.lead == "yingji" and "分工表本措施牵头单位为县委宣传部" in safety.assigned


def test_validate_lists_every_county_choice_in_one_section(shipped):
    out = shipped.run("validate").output
    head, section = out.split("\ncounty choices (", 1)
    plan = load_plan(SHIPPED)
    for obligation in plan.obligations:
        listed = f"\n  {obligation.id} (measure {obligation.measure}," in section
        assert listed == bool(obligation.assigned or obligation.assumed), obligation.id
    assert "\n    units: 县应急管理局 leads, with 10 others: 安全生产月由应急管理部门组织" in section
    assert "\n    units: 县科协 leads, with 县委组织部、县统计局: 县科协（领导小组办公室）" in section


def test_a_fan_out_and_the_caravan_s_townships_are_county_choices_with_reasons(shipped):
    """The table lists 各乡镇、县财政局、县科协 together for measure 30; giving each its own
    report, and making each visit's township a co-organiser of the caravan, are the county's
    reading: marked, listed by validate, and read by units as 县里安排 with the reason."""
    section = shipped.run("validate").output.split("\ncounty choices (", 1)[1]
    budget = section.split("\n  m30-budget (measure 30,", 1)[1].split("\n  m", 1)[0]
    assert "\n    units: each of its 14 units on its own, none leading: 科普经费由各乡镇列入本级预算" \
        in budget
    caravan = section.split("\n  m2-caravan (measure 2,", 1)[1].split("\n  m", 1)[0]
    assert ("\n    units: 县科协 leads, with 县教育局、县文旅局、县卫健局、团县委, and each visit's "
            "place (各乡镇) as a co-organiser: ") in caravan
    assert "每次巡展所到的乡镇不在本措施责任单位之列" in caravan
    for oid in ("m30-budget", "m26-science-day"):
        line = next(n for n, text in enumerate(shipped.plan.read_text("utf-8").splitlines(), 1)
                    if text.strip().startswith("assigned:") and n > _line_of(shipped, oid))
        shipped.edit(shipped.plan.read_text("utf-8").splitlines()[line - 1] + "\n", "")
    result = shipped.run("validate", ok=False)
    assert result.exit_code == 1
    fanout = _line_of(shipped, "m30-budget") + 4  # its `fanout: each`
    assert f"{shipped.plan}:{fanout}: obligation m30-budget: fanout: each gives each of its 14 " \
        "units an event of its own where the table lists them together; say why in " \
        "`assigned`" in result.output.splitlines()
    assert "obligation m26-science-day: fanout: each gives each of its 36 units" in result.output


def _line_of(ws, oid: str) -> int:
    return next(n for n, text in enumerate(ws.plan.read_text("utf-8").splitlines(), 1)
                if text.strip() == f"- id: {oid}")


def test_a_rotation_adding_its_places_without_a_reason_is_refused(small):
    small.edit("        assigned: 所到乡镇不在本措施责任单位之列，县里安排其配合巡展\n", "")
    result = small.run("validate", ok=False)
    line = next(n for n, text in enumerate(small.plan.read_text("utf-8").splitlines(), 1)
                if "rotation: {places: 各乡镇" in text)
    assert result.output == (f"{small.plan}:{line}: obligation m01-caravan: its rotation adds "
                             "each visit's place (各乡镇) to the units, and measure 1 does not "
                             "list them; say why in `assigned`\n")


def test_units_read_the_reasons_for_a_fan_out_and_the_caravan_s_township(built):
    def descriptions(feed: str, obligation: str) -> list[str]:
        cal = Calendar.from_ical((built.exports / "feeds" / f"{feed}.ics").read_bytes())
        return [str(c["DESCRIPTION"]) for c in cal.walk("VEVENT")
                if str(c["UID"]).startswith(obligation)]
    (spending, *_) = descriptions("caizheng", "m30-spending")
    assert "牵头单位：县财政局" in spending and "配合单位" not in spending
    assert "县里安排各乡镇、县财政局、县科协各自报送本单位科普经费投入" in spending
    visits = descriptions("all", "m2-caravan")
    assert len(visits) == 2  # 2025's two townships
    for text in visits:
        assert "每次巡展所到的乡镇不在本措施责任单位之列，县里安排其作为配合单位" in text
        town = text.split("配合单位：", 1)[1].split("\n", 1)[0].rsplit("、", 1)[1]
        assert town.endswith(("镇", "乡")), text
        assert any(town in d for d in descriptions(
            next(u.id for u in load_plan(SHIPPED).units.values() if u.name == town), "m2-caravan"))


def test_readme_and_validate_agree_on_24_county_units_plus_the_12_townships(shipped):
    first = shipped.run("validate").output.splitlines()[0]
    assert "36 units (24 county units plus the 12 townships)" in first
    assert "24 county units plus the 12 townships" in (ROOT / "README.md").read_text("utf-8")


def test_the_printed_agenda_says_which_events_the_county_arranged(built):
    page = (built.exports / "print" / "2025-06" / "county.html").read_text("utf-8")
    row = re.search(r'<tr id="e-m6-safety-month-2025".*?</tr>', page, re.S).group(0)
    assert "县里安排：安全生产月由应急管理部门组织，县里安排县应急管理局牵头" in row
    row = re.search(r'<tr id="e-m21-safety-month-2025".*?</tr>', page, re.S).group(0)
    assert '<div class="basis">方案规定</div>' in row


# -- 2. quotes no wider than the table ---------------------------------------------------------

def test_reasons_quote_the_table_exactly(shipped_plan):
    caravan = next(o for o in shipped_plan.obligations if o.id == "m2-caravan")
    assert "分工表规定“5年内实现全覆盖”" in caravan.assumed and "全部乡镇" not in caravan.assumed
    tour = next(o for o in shipped_plan.obligations if o.id == "m2-lecture-tour")
    assert "分工表规定“每学期开展巡回演讲”，未规定次数" in tour.assumed
    for obligation in shipped_plan.obligations:  # the loader checks the rest
        assert "种子规定" not in obligation.assumed + obligation.assigned


# -- 3. observance dates, year by year, and 8. their names ----------------------------------

ANNOUNCED = {
    "全国科技活动周": {2021: ("05-22", "05-28"), 2022: ("05-21", "05-28"),
                  2023: ("05-20", "05-31"), 2024: ("05-25", "06-01"), 2025: ("05-24", "05-31")},
    "老年健康宣传周": {2021: ("07-12", "07-18"), 2022: ("07-25", "07-31"),
                  2023: ("07-24", "07-30"), 2024: ("06-24", "06-30"), 2025: ("06-23", "06-29")},
    "全国科普日": {2021: ("09-11", "09-17"), 2022: ("09-15", "09-21"), 2023: ("09-17", "09-23"),
              2024: ("09-15", "09-25"), 2025: ("09-01", "09-30")},
}


@pytest.mark.parametrize("name", sorted(ANNOUNCED))
def test_observances_fall_on_the_dates_announced_each_year(shipped_plan, name):
    observance = shipped_plan.calendar.observances[name]
    for year, (first, last) in ANNOUNCED[name].items():
        start, end, guessed = observance.dates(year)
        assert (start, end - timedelta(days=1)) == (date.fromisoformat(f"{year}-{first}"),
                                                    date.fromisoformat(f"{year}-{last}"))
        assert not guessed, (name, year)


def test_the_2021_health_week_is_the_one_the_commission_announced(events):
    (week,) = [e for e in _by(events, "m12-health-week") if e.start.year == 2021]
    assert (week.start, week.end) == (date(2021, 7, 12), date(2021, 7, 19)) and not week.notes


def test_science_day_is_called_as_it_was_that_year(events):
    titles = {e.start.year: e.title for e in _by(events, "m26-science-day")}
    assert titles == {2021: "全国科普日主题科普活动", 2022: "全国科普日主题科普活动",
                      2023: "全国科普日主题科普活动", 2024: "全国科普日主题科普活动",
                      2025: "全国科普月主题科普活动"}
    assert all("科普日" not in e.title for e in events if e.start.year == 2025
               and e.obligation in ("m26-science-day", "m19-outdoor-media", "m2-science-report"))


def test_calendar_titles_are_short_and_deadlines_say_so(shipped_plan, events):
    for event in events:
        own = event.title.split("（")[0] if event.obligation == "m2-caravan" else event.title
        if event.kind == "report":  # the month it reports on, the short title, 情况报送
            assert own == f"{event.slot.start.year}年{event.slot.start.month}月" \
                "“天天科普”推送情况报送" and len(own) <= 20, event.title
            continue
        assert len(own) <= 18, event.title
    milestones = [o for o in shipped_plan.obligations if o.rule.kind == "milestone"]
    assert len(milestones) == 5 and all("截止" in o.title for o in milestones)


def test_the_agenda_prints_the_full_title(built):
    page = (built.exports / "print" / "2025-05" / "county.html").read_text("utf-8")
    assert "<span class=\"t\">全国科技工作者日科学道德、学风建设和科普能力活动</span>" in page
    grid = page.split('<section class="sheet agenda-sheet">')[0]
    assert "全国科技工作者日主题活动" in grid


# -- 4. comments that say what the data does ----------------------------------------------

def test_the_autumn_terms_end_9_to_21_days_before_spring_festival(shipped_plan):
    text = SHIPPED.read_text("utf-8")
    assert "9 to 21 days before Spring Festival" in text
    festival = {2021: date(2021, 2, 12), 2022: date(2022, 2, 1), 2023: date(2023, 1, 22),
                2024: date(2024, 2, 10), 2025: date(2025, 1, 29), 2026: date(2026, 2, 17)}
    gaps = [(festival[t.end.year] - t.end).days + 1 for t in shipped_plan.calendar.terms
            if t.id.endswith("autumn")]
    assert min(gaps) == 9 and max(gaps) == 21
    assert all(t.end.weekday() == 5 for t in shipped_plan.calendar.terms)  # the day after a Friday
    assert "the 12 names come from the county's own list" in text


# -- 5. every duty the table states has an obligation --------------------------------------

@pytest.mark.parametrize("words", [
    "纳入各级各类教师培训课程", "科技辅导任务计入工作量", "幼儿科普教师队伍建设与交流培训",
    "科普网、科普频道、科普廊道、科普大屏、科普e站", "公共交通、户外电子屏、楼宇电视",
    "加强应急科普内容建设", "传染病防治", "移风易俗"])
def test_a_stated_duty_has_an_obligation_the_gap_report_can_see(shipped_plan, events, words):
    found = [o for o in shipped_plan.obligations if words in o.quote]
    assert found, words
    assert all(o.assumed for o in found)
    assert {e.obligation for e in events} >= {o.id for o in found}


# -- 6. no pile-ups the plan makes itself -----------------------------------------------------

def test_no_unit_gets_more_than_3_a_day_or_12_a_week_from_the_plan(shipped_plan, events):
    """Counted as the gap report counts: everything, fixed days and the daily push too (the
    plan broke the limits on 6 days and in 24 weeks when placement ignored fixed days)."""
    found = pileups(shipped_plan, events)
    # The one exception is the table's own: three targets 到2025年 (measure 16) due on the
    # plan's last day, a Wednesday, with the weekly TV segment and the push; nothing placed
    # adds to it.
    assert [(p.unit, p.start, p.week) for p in found] == [("kexie", date(2025, 12, 31), False)]
    assert sorted(e.obligation for e in found[0].events) == [
        "m16-bases", "m16-towns", "m16-villages", DAILY, "m19-tv-weekly"]
    assert not found[0].placed
    peaks = busiest(events)
    assert max(week for _, week in peaks.values()) == 12


def test_validate_lists_the_pile_ups_the_plan_cannot_avoid(shipped):
    out = shipped.run("validate").output
    section = out.split("\npile-ups (", 1)[1]
    assert section.splitlines() == [
        "1: more than 3 events a day or 12 a week for one unit; flexible events are placed "
        "around everything else, these are left):",
        "  县科协 on 2025-12-31: 5 events, every one on a day the plan fixes: m16-bases, "
        "m16-towns, m16-villages, m19-daily-push, m19-tv-weekly"]
    # A window made too small for what it must hold is said as such.
    shipped.edit("overload_week: 12 ", "overload_week: 9  ")
    lines = shipped.run("validate").output.split("\npile-ups (", 1)[1].splitlines()
    assert any(line.startswith("  县科协 week 2025-W25: ") and "placed in windows with no "
               "room left: " in line for line in lines), lines[:5]


def test_reports_are_spread_over_their_window_and_off_tiaoxiu_weekends(shipped_plan, events):
    cal = shipped_plan.calendar
    half_yearly = {o.id for o in shipped_plan.obligations if o.rule.kind == "yearly"
                   and len(o.rule.days) == 2 and all(isinstance(d, tuple) for d in o.rule.days)}
    assert len(half_yearly) == 14  # 13 before, and 科普网、科普e站 (measure 19)
    deadlines = {o.id for o in shipped_plan.obligations if o.rule.kind == "yearly"
                 and all(isinstance(d, tuple) for d in o.rule.days)}
    for report in (e for e in events if e.obligation in deadlines):
        assert report.flexible and cal.is_workday(report.start), report.uid
        assert not cal.is_makeup_workday(report.start), report.uid
    halves = [e for e in events if e.obligation in half_yearly]
    assert all(e.start.month in (6, 12) for e in halves)
    june = [e.start for e in halves if e.start.year == 2025 and e.start.month == 6]
    assert len(set(june)) >= 10  # 2025-06-25 held 11 of 县科协's items before
    assert not any(e.start == date(2023, 6, 25) for e in events if e.flexible)  # a 调休 Sunday


def test_a_fixed_date_moves_only_the_flexible_events_that_would_pile_up_on_it(
        tmp_path, shipped_plan, events):
    """Placement counts fixed dates toward the limits and nothing else: moving the TV
    segment to Thursday moves the TV events and a few reports of its units off the days it
    fills, nothing unrelated; an edit that fills no day moves nothing else."""
    text = SHIPPED.read_text("utf-8")
    before = {e.uid: e for e in events}
    edits = [("weekly: 周三", "weekly: 周四", "m19-tv-weekly"),
             ("{name: 全国防灾减灾日, aliases: [防灾减灾日], rule: 05-12}",
              "{name: 全国防灾减灾日, aliases: [防灾减灾日], rule: 05-13}", "m21-disaster-day"),
             ("title: 应急科普协调联系会议", "title: 应急科普协调联系会", "m20-joint-meeting"),
             ("title: 技能人才振兴计划实施进展报告", "title: 技能人才振兴计划进展报告", "m9-progress")]
    tv_units = set(next(o for o in shipped_plan.obligations if o.id == "m19-tv-weekly").units)
    for old, new, moved in edits:
        plan = tmp_path / f"{moved}.yaml"
        plan.write_text(text.replace(old, new, 1), encoding="utf-8")
        after = {e.uid: e for e in expand(load_plan(plan)).events}
        changed = {uid for uid in before.keys() & after.keys() if before[uid] != after[uid]}
        assert moved in {before[uid].obligation for uid in changed}, moved
        others = [before[uid] for uid in changed if before[uid].obligation != moved]
        if moved != "m19-tv-weekly":
            assert not others, moved
            continue
        assert 0 < len(others) < 40
        assert all(e.flexible and tv_units & set(e.units) for e in others)
        # Days the Thursday segment itself fills (with 全国科普日's first day) are listed,
        # but no placed event adds to any day or week.
        assert not any(p.placed for p in pileups(load_plan(plan), after.values()))


# -- 7. placements that keep to their reason -------------------------------------------------

@pytest.mark.parametrize("obligation", ["m27-women-innovation", "m4-rural-women"])
def test_what_goes_with_women_s_day_lands_next_to_it(events, obligation):
    for event in _by(events, obligation):
        assert abs((event.start - date(event.start.year, 3, 8)).days) <= 2, event.uid


def test_the_farmers_quiz_and_the_youth_talks_sit_in_science_day(shipped_plan, events):
    science = shipped_plan.calendar.observances["全国科普日"]
    for event in _by(events, "m4-online-quiz") + _by(events, "m2-science-report"):
        start, end, _ = science.dates(event.start.year)
        assert start <= event.start < end, event.uid


def test_the_caravan_visits_of_a_year_are_spread_across_its_window(events):
    visits = _by(events, "m2-caravan")
    for year in range(2021, 2026):
        days = sorted(e.start for e in visits if e.start.year == year)
        assert all((b - a).days >= 21 for a, b in zip(days, days[1:], strict=False)), days
        assert days[0] < date(year, 4, 15) and days[-1] > date(year, 5, 15), days


# -- 9. co-organisers in the table's order ------------------------------------------------------

def test_every_event_lists_its_co_organisers_in_the_table_s_order(shipped_plan, events):
    for event in events:
        listed = shipped_plan.measures[event.measure].units
        partners = [u for u in event.units[1:] if u in listed]
        assert partners == sorted(partners, key=listed.index), event.uid


def test_feeds_and_the_printed_month_keep_the_table_s_order(built):
    feed = Calendar.from_ical((built.exports / "feeds" / "yingji.ics").read_bytes())
    day = next(c for c in feed.walk("VEVENT") if str(c["UID"]).startswith("m21-disaster-day-2025-"))
    assert "配合单位：县卫健局、县文旅局、县气象局" in str(day["DESCRIPTION"])
    page = (built.exports / "print" / "2025-05" / "yingji.html").read_text("utf-8")
    row = re.search(r'<tr id="e-m21-disaster-day-2025".*?</tr>', page, re.S).group(0)
    assert "<td>县卫健局、县文旅局、县气象局</td>" in row
    rows = json.loads(built.run("events", "--measure", "21", "--month", "2025-05",
                                "--format", "json").output)
    day = next(r for r in rows if r["uid"] == "m21-disaster-day/2025")
    assert day["units"] == ["yingji", "weijian", "wenlv", "qixiang"]


# -- 10. weekly media on holidays ----------------------------------------------------------------

def test_the_tv_segment_airs_on_holidays_and_the_paper_moves_within_its_week(shipped_plan,
                                                                          events):
    cal = shipped_plan.calendar
    tv = {_first_day(e) for e in _by(events, "m19-tv-weekly")}
    assert date(2021, 2, 17) in tv and cal.holiday(date(2021, 2, 17)) == "春节"
    paper = _by(events, "m19-paper-weekly")
    days = {e.start for e in paper}
    assert date(2021, 2, 12) not in days and date(2021, 2, 10) in days
    assert all(cal.is_workday(e.start) for e in paper)
    assert all(e.slot.start <= e.start < e.slot.end for e in paper)  # inside its own week
    assert "2022-W05" not in {e.slot.key for e in paper}  # Spring Festival took the week
    policies = {o.id: o.workdays for o in shipped_plan.obligations if o.rule.kind == "weekly"}
    assert policies == {"m19-tv-weekly": "keep", "m19-paper-weekly": "within-week"}


# -- no 种子 in anything a unit reads ---------------------------------------------------------

def test_nothing_a_unit_reads_calls_the_table_a_seed(built):
    read = [p for p in built.exports.rglob("*") if p.is_file() and p.suffix in
            (".ics", ".html", ".json", ".csv")]
    assert len(read) > 2000
    for path in read:
        text = path.read_text("utf-8-sig")
        assert "种子" not in text and "seed" not in text.lower(), path
    listing = built.run("events", "--format", "json", "--unit", "县科协").output
    assert "种子" not in listing
