"""The feeds of a built plan, through the real CLI: what they hold, that a client expanding
them sees exactly the events listed, that rebuilds keep them stable, and how edits, records
and removals show."""

import json
import os
from datetime import date, datetime

import pytest

from calendar_app.feeds.contents import uid_stem
from calendar_app.plan.reader import load_plan

from .conftest import DATA, Workspace
from .feedcheck import by_uid, check_bytes, expanded, feeds, listed, logical_lines, overrides, parse

OLD = 1_000_000  # an mtime long past, to see whether a file was rewritten
TODAY = "2025-03-01"
YEAR = (date(2025, 1, 1), date(2025, 12, 31))
WINDOWS = [YEAR, (date(2025, 2, 1), date(2025, 3, 31)), (date(2025, 6, 1), date(2025, 6, 30)),
           (date(2025, 6, 30), date(2025, 7, 6))]


def _record_a_bit_of_everything(ws):
    ws.run("record", "done", "m02-tv/2025-W07", "--attendance", "120", "--note", "直播")
    ws.run("record", "cancel", "m02-tv/2025-W08", "--reason", "设备检修")
    ws.run("add", "--unit", "县委宣传部", "--title", "电视科普栏目（补播）", "--on", "2025-02-21",
           "--fills", "m02-tv/2025-W08")
    ws.run("record", "move", "m02-tv/2025-W10", "--to", "2025-03-06T20:00")
    ws.run("record", "move", "m02-day/2025", "--to", "2025-05-13")
    ws.run("record", "done", "m03-push/2025-02-24")
    ws.run("record", "cancel", "m03-push/2025-02-27", "--reason", "停电")


def _expected(rows):
    return sorted((r["start"], r["end"], r["status"]) for r in rows)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """The small plan built, a bit of everything recorded and the feeds exported: for tests
    that only read it."""
    ws = Workspace(tmp_path_factory.mktemp("recorded"), DATA / "small.yaml")
    ws.run("build", "--today", TODAY)
    _record_a_bit_of_everything(ws)
    ws.run("export", "feeds", "--today", TODAY)
    return ws


def test_build_writes_a_feed_per_unit_category_and_the_county(small):
    out = small.run("build", "--today", "2025-01-01").output
    names = set(feeds(small.exports))
    units = {u["id"] for u in json.loads(small.run("units", "--format", "json").output)}
    assert names == {f"{u}.ics" for u in units} | {"all.ics", "category-A.ics", "category-B.ics"}
    assert f"feeds: {len(names) + 1} files written" in out  # index.html too
    assert (small.exports / "index.html").exists()


def test_each_unit_feed_expands_to_exactly_the_events_listed(recorded):
    for name, data in feeds(recorded.exports).items():
        if name == "all.ics" or name.startswith("category-"):
            continue
        unit = name.removesuffix(".ics")
        for first, last in WINDOWS:
            assert expanded(data, first, last) == _expected(listed(recorded, unit, first, last)), \
                (unit, first)


def test_routines_are_one_recurring_event_with_overrides(recorded):
    data = feeds(recorded.exports)["xuanchuan.ics"]
    masters = [e for e in parse(data).walk("VEVENT") if "RRULE" in e]
    assert sorted(str(e["SUMMARY"]) for e in masters) == ["电视科普栏目（牵头）"]
    [tv] = masters
    assert str(tv["UID"]) == "m02-tv-lead@example.invalid"
    assert tv["RRULE"].to_ical() == b"FREQ=WEEKLY;UNTIL=20251231T113000Z;BYDAY=WE"
    assert tv.decoded("DTSTART").isoformat() == "2025-01-01T19:30:00+08:00"
    assert "\n时间：每周三19:30—19:45（至2025年12月31日）\n" in str(tv["DESCRIPTION"])
    found = overrides(data, "m02-tv-lead@example.invalid")
    done = found["2025-02-12T19:30:00+08:00"]
    assert str(done["SUMMARY"]) == "电视科普栏目（牵头）"
    assert str(done["DESCRIPTION"]).endswith("\n记录：已完成（参加120人）；备注：直播")
    # An occurrence keeps the routine's lines (issue 28, point 9): a phone user tapping it
    # sees the table's words, the units, the place's arrangement and why, then the record.
    master_lines = str(tv["DESCRIPTION"]).splitlines()
    lines = str(done["DESCRIPTION"]).splitlines()
    assert lines[:-1] == [line if not line.startswith("时间：")
                          else "时间：2025年2月12日（星期三）19:30—19:45" for line in master_lines]
    assert {"牵头单位：县委宣传部", "配合单位：县应急管理局、县文旅局", "安排：县里安排"} <= set(lines)
    assert any(line.startswith("原文：") for line in lines)
    cancelled = found["2025-02-19T19:30:00+08:00"]
    assert cancelled["STATUS"] == "CANCELLED"
    assert str(cancelled["SUMMARY"]) == "【已取消】电视科普栏目（牵头）"
    assert str(cancelled["DESCRIPTION"]).endswith("\n记录：已取消（原因：设备检修）")
    moved = found["2025-03-05T19:30:00+08:00"]
    assert moved.decoded("DTSTART").isoformat() == "2025-03-06T20:00:00+08:00"
    assert str(moved["DESCRIPTION"]).endswith("\n记录：已改期（原定3月5日）")
    assert "\n安排理由：电视栏目由宣传部门主管，县里安排县委宣传部牵头\n" in str(moved["DESCRIPTION"])
    late = found["2025-01-08T19:30:00+08:00"]
    assert str(late["SUMMARY"]).startswith("【逾期未报】电视科普栏目")
    # Every part of the routine carries one SEQUENCE and stamp.
    parts = [tv, *found.values()]
    assert len({int(e["SEQUENCE"]) for e in parts}) == 1
    assert len({e.decoded("DTSTAMP") for e in parts}) == 1
    # Ahead of today, only what was recorded is an override.
    assert sorted(k for k in found if k > "2025-03") == ["2025-03-05T19:30:00+08:00"]
    makeup = next(e for e in parse(data).walk("VEVENT") if "补播" in str(e["SUMMARY"]))
    assert "\n安排：补办（补2月19日因故取消的一期）" in str(makeup["DESCRIPTION"])


def test_a_daily_or_weekly_raw_rrule_is_a_routine_too(recorded):
    data = feeds(recorded.exports)["tiancheng.ics"]
    [push] = [e for e in parse(data).walk("VEVENT") if "RRULE" in e]
    assert push["RRULE"].to_ical() == b"FREQ=WEEKLY;UNTIL=20251229;BYDAY=MO,TH"
    assert "\n时间：每周一、周四（至2025年12月29日）\n" in str(push["DESCRIPTION"])


def test_a_day_the_routine_skips_is_an_exdate_and_a_dropped_one_after_its_grace(built_small):
    built_small.edit("        weekly: 周三\n", "        weekly: 周三\n        workdays: skip\n")
    built_small.run("build", "--today", "2025-03-01")  # National Day, a Wednesday, is dropped
    data = feeds(built_small.exports)["xuanchuan.ics"]
    [tv] = [e for e in parse(data).walk("VEVENT") if "RRULE" in e]
    dropped = overrides(data, str(tv["UID"]))["2025-10-01T19:30:00+08:00"]
    assert dropped["STATUS"] == "CANCELLED"
    assert str(dropped["DESCRIPTION"]).endswith("\n记录：已取消（计划调整后不再安排）")
    built_small.run("export", "feeds", "--today", "2025-04-01")  # 31 days on: it may leave
    data = feeds(built_small.exports)["xuanchuan.ics"]
    [tv] = [e for e in parse(data).walk("VEVENT") if "RRULE" in e]
    assert "2025-10-01T19:30:00+08:00" not in overrides(data, str(tv["UID"]))
    [exdate] = [line for line in logical_lines(data) if line.startswith("EXDATE")]
    assert exdate.startswith("EXDATE;TZID=Asia/Shanghai:") and "20251001T193000" in exdate
    assert expanded(data, date(2025, 10, 1), date(2025, 10, 1)) == []


def test_the_county_feed_holds_every_event_once(recorded):
    files = feeds(recorded.exports)
    county = {str(e["UID"]).removesuffix("@example.invalid") for e in parse(files["all.ics"]).walk(
        "VEVENT")}
    for row in listed(recorded, None, *YEAR):
        uid = row["uid"]
        own, base = uid_stem(uid), uid_stem(uid.rsplit("/", 1)[0])
        routine = row["obligation"] + uid[len(f"{row['obligation']}/{row['slot']}"):]
        assert {own, base, routine.replace("/", "-")} & county, uid
    for code in "AB":
        for event in parse(files[f"category-{code}.ics"]).walk("VEVENT"):
            assert str(event["UID"]).removesuffix("@example.invalid") in county


def test_the_county_feed_gathers_a_fanned_out_occurrence(small):
    small.run("build", "--today", TODAY)
    small.run("record", "done", "m03-theme/2025#1/tiancheng", "--attendance", "50")
    small.run("record", "move", "m03-theme/2025#1/shaping", "--to", "2025-04-10")
    small.run("export", "feeds", "--today", TODAY)
    files = feeds(small.exports)
    events = by_uid(files["all.ics"])
    theme = events["m03-theme-2025-1@example.invalid"]
    assert str(theme["SUMMARY"]) == "主题科普活动 · 2个单位"
    text = str(theme["DESCRIPTION"])
    assert "\n责任单位：天城镇、石城镇（各自开展）\n" in text
    assert text.endswith("\n记录：天城镇已完成（参加50人）")
    moved = events["m03-theme-2025-1-shaping@example.invalid"]
    assert moved.decoded("DTSTART") == date(2025, 4, 10)
    assert str(moved["SUMMARY"]) == "主题科普活动 · 沙坪镇"
    # Each unit's own feed keeps its own event.
    assert "m03-theme-2025-1-tiancheng-lead@example.invalid" in by_uid(files["tiancheng.ics"])
    assert "m03-theme-2025-1@example.invalid" not in by_uid(files["tiancheng.ics"])


def test_uids_carry_a_domain_no_slash_and_one_role(recorded):
    files = feeds(recorded.exports)
    seen: dict[str, bytes] = {}
    for name, data in files.items():
        events = parse(data).walk("VEVENT")
        for event in events:
            uid = str(event["UID"])
            assert "/" not in uid and "#" not in uid and uid.endswith("@example.invalid"), uid
            if "RECURRENCE-ID" in event:
                continue
            body = event.to_ical()
            # The county feed and a unit's feed share a UID only for the very same VEVENT.
            assert seen.setdefault(uid, body) == body, (name, uid)
        masters = [str(e["UID"]) for e in events if "RECURRENCE-ID" not in e]
        assert len(masters) == len(set(masters)), name
    assert "m02-month-2025-lead@example.invalid" in by_uid(files["yingji.ics"])
    assert "m02-month-2025-co@example.invalid" in by_uid(files["wenlv.ics"])
    assert "m02-month-2025@example.invalid" in by_uid(files["all.ics"])


def test_the_uid_domain_is_fixed_at_the_first_real_base_url(small):
    small.run("build", "--today", TODAY)
    assert "m02-day-2025@example.invalid" in by_uid(feeds(small.exports)["all.ics"])
    small.edit("measures:", "settings: {base_url: 'https://kx.chongyang.example/calendar'}\n"
               "measures:")
    small.run("build", "--today", TODAY)
    assert "m02-day-2025@kx.chongyang.example" in by_uid(feeds(small.exports)["all.ics"])
    small.edit("kx.chongyang.example", "calendar.chongyang.example")
    small.run("build", "--today", TODAY)
    data = feeds(small.exports)["all.ics"]
    assert "m02-day-2025@kx.chongyang.example" in by_uid(data)  # not the new host
    assert b"SOURCE:https://calendar.chongyang.example/calendar/feeds/all.ics" in data
    small.edit("settings: {", "settings: {uid_domain: kx.example.org, ")
    small.run("export", "feeds", "--today", TODAY)
    assert "m02-day-2025@kx.example.org" in by_uid(feeds(small.exports)["all.ics"])


def test_a_placeholder_base_url_is_one_warning_line(small):
    result = small.run("build", "--today", TODAY)
    warnings = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert warnings == ["warning: settings.base_url is still the placeholder "
                        "https://example.invalid/calendar: the feed links on exports/index.html "
                        "lead nowhere until it is set in the plan"]
    assert "warning: settings.base_url" in small.run("export", "feeds", "--today", TODAY).output
    small.edit("measures:", "settings: {base_url: 'https://kx.example/cal'}\nmeasures:")
    assert "warning" not in small.run("build", "--today", TODAY).output


def test_calendar_properties_name_the_plan_and_unit(built_small):
    lines = logical_lines(feeds(built_small.exports)["yingji.ics"])
    for line in ["VERSION:2.0", "NAME:科普任务·县应急管理局",
                 "X-WR-CALNAME:科普任务·县应急管理局", "X-WR-TIMEZONE:Asia/Shanghai",
                 "REFRESH-INTERVAL;VALUE=DURATION:PT4H", "X-PUBLISHED-TTL:PT4H",
                 "SOURCE:https://example.invalid/calendar/feeds/yingji.ics"]:
        assert line in lines
    assert "NAME:科普任务·应急" in logical_lines(feeds(built_small.exports)["category-B.ics"])


def test_settings_set_refresh_grace_and_base_url(small):
    with small.plan.open("a", encoding="utf-8") as plan:
        plan.write("settings: {refresh: 2h, grace_days: 3, base_url: 'https://kx.example/cal/'}\n")
    small.run("build", "--today", "2025-01-01")
    lines = logical_lines(feeds(small.exports)["jiaoyu.ics"])
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT2H" in lines and "X-PUBLISHED-TTL:PT2H" in lines
    assert "SOURCE:https://kx.example/cal/feeds/jiaoyu.ics" in lines
    index = (small.exports / "index.html").read_text(encoding="utf-8")
    assert 'href="webcal://kx.example/cal/feeds/jiaoyu.ics"' in index
    assert "保留3天" in index


def test_descriptions_read_like_a_county_notice(built_small):
    files = feeds(built_small.exports)
    lead = by_uid(files["yingji.ics"])["m02-month-2025-lead@example.invalid"]
    co = by_uid(files["wenlv.ics"])["m02-month-2025-co@example.invalid"]
    county = by_uid(files["all.ics"])["m02-month-2025@example.invalid"]
    assert str(lead["SUMMARY"]) == "安全生产月（牵头）"
    assert str(co["SUMMARY"]) == "安全生产月（配合）"
    assert str(county["SUMMARY"]) == "安全生产月 · 县应急管理局"
    assert str(lead["DESCRIPTION"]) == (
        "《重点任务责任分工表》措施2：应急科普\n原文：“安全生产月”\n牵头单位：县应急管理局\n"
        "配合单位：县文旅局、县委宣传部\n"
        "时间：2025年6月1日（星期日）至6月30日（星期一）\n安排：方案规定")
    assert lead["CATEGORIES"].cats == ["应急"]
    assert (lead["STATUS"], lead["TRANSP"], lead["SEQUENCE"]) == ("CONFIRMED", "TRANSPARENT", 0)
    assert lead.decoded("DTSTAMP") == lead.decoded("LAST-MODIFIED") == \
        datetime.fromisoformat("2024-12-31T16:00:00+00:00")
    assumed = by_uid(files["yingji.ics"])["m02-report-2025-H1-lead@example.invalid"]
    assert "\n安排：县里安排\n安排理由：未规定频次，按半年报告" in str(assumed["DESCRIPTION"])
    assert "\n时间：2025年6月25日（星期三）\n" in str(assumed["DESCRIPTION"])
    caravan = next(e for e in parse(files["all.ics"]).walk("VEVENT")
                   if str(e["UID"]).startswith("m01-caravan"))
    assert "原文：“科普大篷车巡展活动……5年内实现全覆盖”" in str(caravan["DESCRIPTION"])


def test_reminders_only_in_the_lead_units_feed_unless_co_organisers_opt_in(built_small):
    files = feeds(built_small.exports)
    [tv] = [e for e in parse(files["xuanchuan.ics"]).walk("VEVENT") if "RRULE" in e]
    [alarm] = tv.walk("VALARM")
    assert alarm["ACTION"] == "DISPLAY" and str(alarm["DESCRIPTION"]) == "提醒：电视科普栏目"
    for name in ("yingji.ics", "wenlv.ics", "all.ics", "category-B.ics"):
        assert b"BEGIN:VALARM" not in files[name], name
    built_small.edit("measures:", "settings: {co_alarms: true}\nmeasures:")
    built_small.run("build", "--today", "2025-01-01")
    assert b"BEGIN:VALARM" in feeds(built_small.exports)["wenlv.ics"]
    assert b"BEGIN:VALARM" not in feeds(built_small.exports)["all.ics"]


def test_all_day_and_timed_events_on_the_wire(built_small):
    files = feeds(built_small.exports)
    for name, data in files.items():
        check_bytes(data)
        lines = logical_lines(data)
        if "BEGIN:VTIMEZONE" in lines:  # its own DTSTARTs are local time by definition
            cut = slice(lines.index("BEGIN:VTIMEZONE"), lines.index("END:VTIMEZONE") + 1)
            lines = lines[:cut.start] + lines[cut.stop:]
        dates = [line for line in lines if line.startswith(("DTSTART", "DTEND", "RECURRENCE-ID",
                                                            "EXDATE"))]
        assert all(";VALUE=DATE:" in line or ";TZID=Asia/Shanghai:" in line for line in dates)
        timed = any(";TZID=Asia/Shanghai:" in line for line in dates)
        assert (b"\r\nBEGIN:VTIMEZONE\r\nTZID:Asia/Shanghai\r\n" in data) == timed, name
        assert data.count(b"BEGIN:VTIMEZONE") <= 1
        assert all(line.endswith("Z") for line in lines if line.startswith("DTSTAMP"))
        assert not any(line.startswith("COMMENT") for line in logical_lines(data))
    lines = logical_lines(files["yingji.ics"])
    at = lines.index("UID:m02-month-2025-lead@example.invalid")
    assert lines[at + 4:at + 6] == ["DTSTART;VALUE=DATE:20250601", "DTEND;VALUE=DATE:20250701"]
    assert "BEGIN:VTIMEZONE" not in logical_lines(files["kexie.ics"])


def test_two_builds_give_identical_feeds_and_rewrite_nothing(built_small):
    before = feeds(built_small.exports)
    written = [*(built_small.exports / "feeds").iterdir(), built_small.exports / "index.html"]
    for path in written:
        os.utime(path, (OLD, OLD))
    out = built_small.run("build", "--today", "2025-01-01").output
    assert "feeds: 0 files written" in out
    assert feeds(built_small.exports) == before
    assert all(path.stat().st_mtime == OLD for path in written)
    out = built_small.run("export", "feeds", "--today", "2025-01-01").output
    assert "0 files written" in out
    assert all(path.stat().st_mtime == OLD for path in written)


def test_export_feeds_rewrites_them_from_the_database_alone(built_small):
    before = feeds(built_small.exports)
    for path in (built_small.exports / "feeds").iterdir():
        path.unlink()
    built_small.edit("weekly: 周三", "weekly: 周四")  # a rebuild would move the TV segment
    out = built_small.run("export", "feeds", "--today", "2025-01-01").output
    assert out.endswith(f"{len(before)} feeds under {built_small.exports / 'feeds'}: "
                          f"{len(before)} files written (index.html included), 0 stale feeds "
                          "removed\n")
    assert feeds(built_small.exports) == before


def test_export_feeds_needs_a_database(small):
    result = small.run("export", "feeds", ok=False)
    assert result.exit_code == 1
    assert result.output.strip().endswith("run `calendar-app build` first")


def _versions(data):
    return {str(e["UID"]): (int(e["SEQUENCE"]), e.decoded("DTSTAMP"), e.decoded("LAST-MODIFIED"))
            for e in parse(data).walk("VEVENT") if "RECURRENCE-ID" not in e}


def test_a_revision_raises_sequence_on_the_same_day_and_no_stamp_passes_the_day(built_small):
    """SEQUENCE orders revisions (RFC 5545): a second revision on one day raises it, while
    DTSTAMP stays the revision's time, which is never later than the day built for (a stamp
    moved on by the SEQUENCE in seconds once ran ahead of the clock)."""
    before = {name: _versions(data) for name, data in feeds(built_small.exports).items()}
    built_small.edit("weekly: 周三", "weekly: 周四")
    built_small.run("build", "--today", "2025-01-01")
    after = {name: _versions(data) for name, data in feeds(built_small.exports).items()}
    for name, versions in after.items():
        # The last Wednesday, 12-31, has no Thursday left in the plan: it stays cancelled.
        assert set(versions) - set(before[name]) <= {"m02-tv-2026-W01-co@example.invalid",
                                                     "m02-tv-2026-W01-lead@example.invalid",
                                                     "m02-tv-2026-W01@example.invalid"}
        assert set(before[name]) <= set(versions)
        for uid, (sequence, stamp, modified) in versions.items():
            if uid.startswith("m02-tv-2026-W01"):
                continue
            old = before[name][uid]
            if uid.startswith(("m02-tv-", "m02-tv@")):
                assert sequence > old[0], (name, uid)
                assert stamp == modified == old[1] == datetime.fromisoformat(
                    "2024-12-31T16:00:00+00:00"), (name, uid)  # 2025-01-01's midnight
            else:
                assert (sequence, stamp, modified) == old, (name, uid)
    [tv] = [e for e in parse(feeds(built_small.exports)["xuanchuan.ics"]).walk("VEVENT") if "RRULE" in e]
    assert tv.decoded("DTSTART").isoformat() == "2025-01-02T19:30:00+08:00"
    assert tv["RRULE"].to_ical().endswith(b"BYDAY=TH")


def test_an_event_becomes_overdue_until_it_is_reported(built_small):
    uid = "m02-day-2025-lead@example.invalid"
    built_small.run("export", "feeds", "--today", "2025-05-19")  # ended as 05-13 began: 6 days ago
    event = by_uid(feeds(built_small.exports)["yingji.ics"])[uid]
    assert str(event["SUMMARY"]) == "防灾减灾日宣传（牵头）"
    built_small.run("export", "feeds", "--today", "2025-05-20")
    late = by_uid(feeds(built_small.exports)["yingji.ics"])[uid]
    assert str(late["SUMMARY"]) == "【逾期未报】防灾减灾日宣传（牵头）"
    assert str(late["DESCRIPTION"]).endswith(
        "\n记录：逾期未报（活动结束已超过7天，尚未报送完成情况）")
    assert int(late["SEQUENCE"]) > int(event["SEQUENCE"])
    assert late.decoded("DTSTAMP") > event.decoded("DTSTAMP")
    built_small.run("record", "done", "m02-day/2025", "--attendance", "80")
    built_small.run("export", "feeds", "--today", "2025-05-20")
    done = by_uid(feeds(built_small.exports)["yingji.ics"])[uid]
    assert str(done["SUMMARY"]) == "防灾减灾日宣传（牵头）"
    assert str(done["DESCRIPTION"]).endswith("\n记录：已完成（参加80人）")
    assert int(done["SEQUENCE"]) > int(late["SEQUENCE"])


def test_feeds_carry_a_rolling_window_and_the_database_everything(built_small):
    built_small.run("export", "feeds", "--today", "2025-09-30")  # the window opens on 2025-07-02
    data = feeds(built_small.exports)["yingji.ics"]
    assert "m02-month-2025-lead@example.invalid" not in by_uid(data)  # June: gone
    assert expanded(data, date(2025, 1, 1), date(2025, 7, 1)) == []
    [tv] = [e for e in parse(feeds(built_small.exports)["xuanchuan.ics"]).walk("VEVENT") if "RRULE" in e]
    assert tv.decoded("DTSTART").isoformat() == "2025-07-02T19:30:00+08:00"
    assert any(r["uid"] == "m02-month/2025" for r in listed(built_small, "yingji", *YEAR))
    built_small.edit("measures:", "settings: {feed_past_days: 400}\nmeasures:")
    built_small.run("export", "feeds", "--today", "2025-09-30")
    assert "m02-month-2025-lead@example.invalid" in by_uid(feeds(built_small.exports)["yingji.ics"])


def test_a_removed_obligation_stays_cancelled_for_the_grace_period(built_small):
    built_small.edit(
        "      - {id: m02-day, title: 防灾减灾日宣传, quote: 防灾减灾日, observance: 防灾减灾日}\n", "")
    built_small.run("build", "--today", "2025-03-01")
    for name, uid in (("all.ics", "m02-day-2025"), ("yingji.ics", "m02-day-2025-lead"),
                      ("wenlv.ics", "m02-day-2025-co"), ("category-B.ics", "m02-day-2025")):
        event = by_uid(feeds(built_small.exports)[name])[f"{uid}@example.invalid"]
        assert event["STATUS"] == "CANCELLED" and event["SEQUENCE"] == 2
        assert str(event["SUMMARY"]).startswith("【已取消】防灾减灾日宣传")
        assert str(event["DESCRIPTION"]).endswith("\n记录：已取消（计划调整后不再安排）")
    # The default grace is 30 days from the change: still there on the 30th day, gone after.
    built_small.run("export", "feeds", "--today", "2025-03-31")
    assert "m02-day-2025-lead@example.invalid" in by_uid(feeds(built_small.exports)["yingji.ics"])
    built_small.run("export", "feeds", "--today", "2025-04-01")
    assert "m02-day-2025-lead@example.invalid" not in by_uid(feeds(built_small.exports)["yingji.ics"])
    assert "m02-day-2025@example.invalid" not in by_uid(feeds(built_small.exports)["all.ics"])
    assert any(r["uid"] == "m02-day/2025" for r in listed(built_small, None, *YEAR))


def test_a_unit_dropped_from_the_plan_loses_its_feed(built_small):
    built_small.edit("  - {id: shicheng, name: 石城镇, kind: township}\n", "")
    built_small.edit("members: [天城镇, 沙坪镇, 石城镇]", "members: [天城镇, 沙坪镇]")
    out = built_small.run("export", "feeds", "--today", "2025-01-01").output
    assert "1 stale feeds removed" in out
    assert "shicheng.ics" not in feeds(built_small.exports)


def test_every_feed_of_the_shipped_plan_parses_and_matches_the_listing(shipped_built):
    shipped = shipped_built
    files = feeds(shipped.exports)
    units = json.loads(shipped.run("units", "--format", "json").output)
    assert len(files) == len(units) + 1 + len(load_plan(shipped.plan).categories)
    for name, data in files.items():
        check_bytes(data)
        assert parse(data).walk("VEVENT"), name
    first, last = date(2025, 6, 1), date(2025, 6, 30)
    for unit in ("yingji", "xuanchuan", "kexie", units[-1]["id"]):
        assert expanded(files[f"{unit}.ics"], first, last) == \
            _expected(listed(shipped, unit, first, last)), unit


def test_the_subscription_page_has_the_howto_first_and_a_qr_code_per_feed(built_small):
    html = (built_small.exports / "index.html").read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and '<html lang="zh-CN">' in html
    names = feeds(built_small.exports)
    for name in names:
        assert f'href="https://example.invalid/calendar/feeds/{name}"' in html
        assert f'href="webcal://example.invalid/calendar/feeds/{name}"' in html
    assert html.count("<svg ") == len(names)
    howto, cards = html.index("如何订阅"), html.index('class="feed"')
    for words in ["iPhone", "华为", "荣耀", "小米", "OPPO", "vivo", "Outlook", "WPS",
                  "添加已订阅的日历", "从 Internet 订阅", "不能订阅"]:
        assert howto < html.index(words) < cards, words
    assert 'id="search"' in html and 'id="yingji"' in html
    assert "本页的订阅网址还未设置（仍是示例地址）" in html
    assert "http://" not in html.replace("http://www.w3.org", "")  # nothing fetched or linked


def test_each_feeds_qr_code_encodes_its_https_address(built_small):
    import segno

    html = (built_small.exports / "index.html").read_text(encoding="utf-8")
    for name in feeds(built_small.exports):
        code = segno.make(f"https://example.invalid/calendar/feeds/{name}", error="m", micro=False)
        card = html[html.index(f'id="{name.removesuffix(".ics")}"'):]
        assert card.split(">", 1)[1].lstrip().startswith(code.svg_inline(scale=3, border=2)), name


def test_a_real_base_url_takes_the_warning_off_the_page(small):
    small.edit("measures:", "settings: {base_url: 'https://kx.example/cal'}\nmeasures:")
    small.run("build", "--today", "2025-01-01")
    html = (small.exports / "index.html").read_text(encoding="utf-8")
    assert "示例地址" not in html and 'href="webcal://kx.example/cal/feeds/all.ics"' in html
