"""The month's grid and agenda as plain values: holidays, observances, bands, roles, "+N"."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from calendar_app import months
from calendar_app.model import Entry
from calendar_app.printed import monthview
from calendar_app.store import Store

TZ = ZoneInfo("Asia/Shanghai")


def entry(uid: str, start, end=None, units=("yingji",), title=None, status="planned",
          obligation=None, measure=2, category="B", attendance=None) -> Entry:
    end = end or (start + timedelta(hours=1) if isinstance(start, datetime)
                  else start + timedelta(days=1))
    return Entry(uid=uid, obligation=obligation or uid.split("/")[0], measure=measure,
                 category=category, slot="s", slot_start=date(2025, 1, 1),
                 slot_end=date(2026, 1, 1), title=title or uid, start=start, end=end,
                 units=tuple(units), location="", alarm=None, notes=(), flexible=False,
                 origin="plan", state="live", status=status, sequence=0,
                 revised=datetime(2025, 1, 1, tzinfo=TZ), attendance=attendance)


def stored(workspace, year, month, unit=None):
    first, stop = months.bounds(year, month)
    with Store.open(workspace.db) as store:
        return store.entries(unit=unit, start=first, end=stop, include_removed=False)


def days(view):
    return {cell.day.day: cell for week in view.weeks for cell in week.days}


def segments(view):
    return [(week.days[0].day.day, cell.col, cell.span, cell.segment)
            for week in view.weeks for lane in week.lanes for cell in lane if cell.segment]


def test_june_2025_for_the_emergency_bureau(stored_small, small_plan):
    frame = monthview.frame(small_plan, 2025, 6)
    view = monthview.view(small_plan, frame, stored(stored_small, 2025, 6, "yingji"), "yingji")
    grid = days(view)
    # Weeks run Monday to Sunday; June 2025 starts on a Sunday and needs six rows.
    assert len(view.weeks) == 6 and view.weeks[0].days[0].day.day == date(2025, 5, 26)
    # 端午节 is 2025-05-31..06-02: the days off are shaded and named, May's one as well.
    for d in (date(2025, 5, 31), date(2025, 6, 1), date(2025, 6, 2)):
        assert grid[d].day.holiday == "端午节"
    assert grid[date(2025, 6, 2)].day.shade == "off"
    assert grid[date(2025, 5, 31)].day.shade == "out"
    # The Safety Month runs as a band through every week row of the month.
    months = [s for s in segments(view) if s[3].label == "安全生产月"]
    assert [(col, span) for _, col, span, _ in months] == [(6, 1), (0, 7), (0, 7), (0, 7),
                                                            (0, 7), (0, 1)]
    assert months[0][3].after and not months[0][3].before and months[-1][3].before
    # Its own events (lead) and those it co-organises are told apart.
    roles = {(i.title, i.role) for i in view.agenda}
    assert {("月度例会", "lead"), ("进度报告", "lead"), ("电视科普栏目", "co")} <= roles
    assert (view.leads, view.partners) == (3, 4)


def test_a_campaign_the_unit_does_not_run_is_still_drawn(stored_small, small_plan):
    frame = monthview.frame(small_plan, 2025, 6)
    view = monthview.view(small_plan, frame, stored(stored_small, 2025, 6, "jiaoyu"), "jiaoyu")
    bands = {s[3].label: s[3].kind for s in segments(view)}
    assert bands == {"安全生产月": "campaign"}


def test_may_2025_for_the_county_names_observances_and_draws_the_week(stored_small, small_plan):
    frame = monthview.frame(small_plan, 2025, 5)
    view = monthview.view(small_plan, frame, stored(stored_small, 2025, 5))
    grid = days(view)
    assert grid[date(2025, 5, 12)].day.observances == ("全国防灾减灾日",)
    assert grid[date(2025, 5, 1)].day.holiday == "劳动节"
    week = {(first, col, span, seg.label, seg.kind) for first, col, span, seg in segments(view)}
    assert (date(2025, 5, 19), 5, 2, "全国科技活动周", "campaign") in week
    assert (date(2025, 5, 26), 0, 6, "全国科技活动周", "campaign") in week
    assert (date(2025, 5, 19), 5, 2, "科技活动周", "event") in week
    assert all(i.role == "" for i in view.agenda)


def test_makeup_working_days_are_marked(small_plan):
    # 2025-04-27 (a Sunday) was worked for the May Day holiday.
    grid = days(monthview.view(small_plan, monthview.frame(small_plan, 2025, 4), []))
    assert grid[date(2025, 4, 27)].day.makeup and grid[date(2025, 4, 27)].day.shade == "makeup"


def test_a_crowded_day_shows_what_fits_and_counts_the_rest(small_plan):
    day = date(2025, 3, 12)
    crowd = [entry(f"e{i:02}/1", day) for i in range(12)]
    view = monthview.view(small_plan, monthview.frame(small_plan, 2025, 3), crowd, "yingji")
    cell = days(view)[day]
    assert len(cell.items) + 1 == view.lines  # what fits, and one line for "+N"
    assert cell.more == 12 - len(cell.items)
    assert len(view.agenda) == 12  # the agenda lists them all


def test_routine_items_give_way_to_rare_ones_on_a_crowded_day(small_plan):
    day = date(2025, 3, 12)
    daily = [entry(f"push/{d}", date(2025, 3, d), obligation="push", measure=1)
             for d in range(1, 32)]
    rare = [entry(f"rare{i}/1", day, measure=9) for i in range(5)]
    view = monthview.view(small_plan, monthview.frame(small_plan, 2025, 3), daily + rare,
                          "yingji")
    cell = days(view)[day]
    # Six weeks in March 2025: five lines a day, four items and "+2".
    assert [i.obligation for i in cell.items] == ["rare0", "rare1", "rare2", "rare3"]
    assert cell.more == 2


def test_copies_for_many_units_are_one_item(small_plan):
    day = date(2025, 6, 25)
    copies = [entry(f"report/{u}", day, units=(u,), title="进度报告", obligation="report")
              for u in ("shaping", "tiancheng", "kexie")]
    view = monthview.view(small_plan, monthview.frame(small_plan, 2025, 6), copies)
    (item,) = view.agenda
    assert item.leads == ("县科协", "天城镇", "沙坪镇")  # in the plan's order
    assert len(item.uids) == 3


def test_copies_of_a_fan_out_keep_their_obligation_s_order(small_plan):
    # m03-theme belongs to 各乡镇: 天城镇, 沙坪镇, 石城镇 as the group lists them, although
    # their uids sort 沙坪镇 (shaping) first.
    day = date(2025, 6, 25)
    copies = [entry(f"m03-theme/2025#1/{u}", day, units=(u,), title="主题科普活动",
                    obligation="m03-theme") for u in ("shicheng", "shaping", "tiancheng")]
    (item,) = monthview.view(small_plan, monthview.frame(small_plan, 2025, 6), copies).agenda
    assert item.leads == ("天城镇", "沙坪镇", "石城镇")


def test_an_event_lists_its_co_organisers_as_stored_and_says_where_it_comes_from(small_plan):
    found = [entry("m02-tv/2025-W10", date(2025, 3, 5), units=("xuanchuan", "yingji", "wenlv")),
             entry("m02-day/2025", date(2025, 3, 6), units=("yingji", "wenlv", "xuanchuan")),
             entry("mine", date(2025, 3, 7), obligation="")]
    view = monthview.view(small_plan, monthview.frame(small_plan, 2025, 3), found)
    items = {i.key: i for i in view.agenda}
    tv, day, mine = items["m02-tv/2025-W10"], items["m02-day/2025"], items["mine"]
    assert tv.partners == ("县应急管理局", "县文旅局")  # the table's order, not the plan's units
    assert tv.basis == "县里安排：电视栏目由宣传部门主管，县里安排县委宣传部牵头"
    assert day.basis == "方案规定" and mine.basis == ""


def test_the_agenda_has_the_full_title_where_calendars_show_a_short_one(small_plan):
    from dataclasses import replace

    plan = replace(small_plan, obligations=tuple(
        replace(o, title="防灾减灾日应急科普宣传教育活动", short="防灾减灾日宣传")
        if o.id == "m02-day" else o for o in small_plan.obligations))
    found = [entry("m02-day/2025", date(2025, 5, 12), title="防灾减灾日宣传")]
    (item,) = monthview.view(plan, monthview.frame(plan, 2025, 5), found).agenda
    assert (item.title, item.full_title) == ("防灾减灾日宣传", "防灾减灾日应急科普宣传教育活动")


def test_recorded_status_and_timed_events(small_plan):
    start = datetime(2025, 3, 5, 19, 30, tzinfo=TZ)
    found = [entry("a/1", date(2025, 3, 3), status="done", attendance=120),
             entry("b/1", date(2025, 3, 4), status="cancelled"),
             entry("c/1", start)]
    view = monthview.view(small_plan, monthview.frame(small_plan, 2025, 3), found, "yingji")
    text = {i.key: (i.status_cn, i.dates_cn, i.weekday_cn) for i in view.agenda}
    assert text == {"a/1": ("完成（120人）", "3月3日", "周一"),
                    "b/1": ("取消", "3月4日", "周二"),
                    "c/1": ("计划", "3月5日 19:30", "周三")}


def test_too_many_bands_keep_the_row_height(small_plan):
    bands = [entry(f"span{i}/1", date(2025, 3, 3), date(2025, 3, 8)) for i in range(9)]
    days_own = [entry("one/1", date(2025, 3, 4)), entry("two/1", date(2025, 3, 4))]
    view = monthview.view(small_plan, monthview.frame(small_plan, 2025, 3), bands, "yingji")
    week = next(w for w in view.weeks if w.days[0].day.day == date(2025, 3, 3))
    assert len(week.lanes) == view.lines - 1  # one line stays for the days' own items
    last = [c.segment for c in week.lanes[-1] if c.segment]
    assert last[0].kind == "more" and f"另有{9 - (view.lines - 2)}项" in last[0].label
    # A day with two items of its own keeps two lines.
    view = monthview.view(small_plan, monthview.frame(small_plan, 2025, 3), bands + days_own,
                          "yingji")
    week = next(w for w in view.weeks if w.days[0].day.day == date(2025, 3, 3))
    assert len(week.lanes) == view.lines - 2
    assert len(week.days[1].items) == 2


def test_a_band_from_last_month_is_cut_at_the_first(small_plan):
    found = [entry("week/1", date(2025, 5, 24), date(2025, 6, 4))]
    view = monthview.view(small_plan, monthview.frame(small_plan, 2025, 6), found, "yingji")
    first = next(s for s in segments(view) if s[3].kind == "event")
    assert (first[1], first[2]) == (6, 1) and first[3].before and first[3].after
    assert view.agenda[0].dates_cn == "5月24日—6月3日"


def test_guessed_dates_and_unknown_holidays_are_said_to_be_guesses(small_plan):
    # 科技活动周 has a table for 2025 only: 2024's dates come from the fallback rule.
    may = monthview.frame(small_plan, 2024, 5)
    assert [(c.name, c.estimated) for c in may.campaigns] == [("全国科技活动周", True)]
    assert not may.estimated
    assert [(c.name, c.estimated) for c in monthview.frame(small_plan, 2025, 5).campaigns] \
        == [("全国科技活动周", False)]
    # No holiday data for 2031: the page says its days off are reckoned by weekends only.
    assert monthview.frame(small_plan, 2031, 1).estimated
