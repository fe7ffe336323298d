"""The feeds of a built plan, through the real CLI: what they hold, that they match the event
listing, that rebuilds keep them stable, and how edits and removals show."""

import json
import os
from datetime import date, datetime, timedelta

import recurring_ical_events

from calendar_app.plan import load_plan

from .feedcheck import by_uid, check_bytes, feeds, logical_lines, parse

OLD = 1_000_000  # an mtime long past, to see whether a file was rewritten


def _listed(ws, unit, first, last):
    rows = json.loads(ws.run("events", "--unit", unit, "--from", first.isoformat(), "--to",
                             last.isoformat(), "--format", "json").output)
    return sorted((r["uid"], r["start"]) for r in rows)


def _expanded(data, first, last):
    found = recurring_ical_events.of(parse(data)).between(first, last + timedelta(days=1))
    return sorted((str(e["UID"]), e.decoded("DTSTART").isoformat()) for e in found)


def _sequences(data):
    return {uid: int(e["SEQUENCE"]) for uid, e in by_uid(data).items()}


def test_build_writes_a_feed_per_unit_category_and_the_county(small):
    out = small.run("build", "--today", "2025-01-01").output
    names = set(feeds(small.exports))
    units = {u["id"] for u in json.loads(small.run("units", "--format", "json").output)}
    assert names == {f"{u}.ics" for u in units} | {"all.ics", "category-A.ics", "category-B.ics"}
    assert f"feeds: {len(names) + 1} files written" in out  # index.html too
    assert (small.exports / "index.html").exists()


def test_each_unit_feed_expands_to_exactly_the_events_listed(small):
    small.run("build", "--today", "2025-01-01")
    windows = [(date(2025, 1, 1), date(2025, 12, 31)), (date(2025, 6, 1), date(2025, 6, 30)),
               (date(2025, 6, 30), date(2025, 7, 6))]
    for name, data in feeds(small.exports).items():
        if name == "all.ics" or name.startswith("category-"):
            continue
        unit = name.removesuffix(".ics")
        for first, last in windows:
            assert _expanded(data, first, last) == _listed(small, unit, first, last), (unit, first)


def test_the_county_and_category_feeds_hold_every_event_once(small):
    small.run("build", "--today", "2025-01-01")
    listed = {r["uid"]: r for r in json.loads(small.run("events", "--format", "json").output)}
    files = feeds(small.exports)
    assert set(by_uid(files["all.ics"])) == set(listed)
    for code in "AB":
        uids = set(by_uid(files[f"category-{code}.ics"]))
        assert uids == {u for u, r in listed.items() if r["category"] == code}


def test_calendar_properties_name_the_plan_and_unit(small):
    small.run("build", "--today", "2025-01-01")
    lines = logical_lines(feeds(small.exports)["yingji.ics"])
    for line in ["VERSION:2.0", "NAME:测试县科学素质行动 · 县应急管理局",
                 "X-WR-CALNAME:测试县科学素质行动 · 县应急管理局", "X-WR-TIMEZONE:Asia/Shanghai",
                 "REFRESH-INTERVAL;VALUE=DURATION:PT4H", "X-PUBLISHED-TTL:PT4H",
                 "SOURCE:https://example.invalid/calendar/feeds/yingji.ics"]:
        assert line in lines
    assert "NAME:测试县科学素质行动 · 应急" in logical_lines(feeds(small.exports)["category-B.ics"])


def test_settings_set_refresh_grace_and_base_url(small):
    with small.plan.open("a", encoding="utf-8") as plan:
        plan.write("settings: {refresh: 2h, grace_days: 3, base_url: 'https://kx.example/cal/'}\n")
    small.run("build", "--today", "2025-01-01")
    lines = logical_lines(feeds(small.exports)["jiaoyu.ics"])
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT2H" in lines and "X-PUBLISHED-TTL:PT2H" in lines
    assert "SOURCE:https://kx.example/cal/feeds/jiaoyu.ics" in lines
    index = (small.exports / "index.html").read_text(encoding="utf-8")
    assert 'href="webcal://kx.example/cal/feeds/jiaoyu.ics"' in index
    assert "保留 3 天" in index


def test_roles_descriptions_categories_and_alarms(small):
    small.run("build", "--today", "2025-01-01")
    files = feeds(small.exports)
    lead = by_uid(files["yingji.ics"])["m02-month/2025"]
    co = by_uid(files["wenlv.ics"])["m02-month/2025"]
    county = by_uid(files["all.ics"])["m02-month/2025"]
    assert str(lead["SUMMARY"]) == "安全生产月（牵头）"
    assert str(co["SUMMARY"]) == "安全生产月（配合）"
    assert str(county["SUMMARY"]) == "安全生产月 · 县应急管理局"
    assert str(lead["DESCRIPTION"]).startswith("措施2：应急科普\n依据：“安全生产月”\n"
                                               "牵头单位：县应急管理局\n配合单位：县文旅局、县委宣传部\n")
    assert lead["CATEGORIES"].cats == ["应急"]
    assert (lead["STATUS"], lead["TRANSP"], lead["SEQUENCE"]) == ("CONFIRMED", "TRANSPARENT", 0)
    assert lead.decoded("DTSTAMP") == lead.decoded("LAST-MODIFIED") == \
        datetime.fromisoformat("2024-12-31T16:00:00+00:00")
    assert not lead.walk("VALARM")

    tv = by_uid(files["xuanchuan.ics"])["m02-tv/2025-W07"]
    assert str(tv["SUMMARY"]) == "电视科普栏目（牵头）"
    assert "\n时段：2025-W07（2025-02-10 至 2025-02-16）" in str(tv["DESCRIPTION"])
    [alarm] = tv.walk("VALARM")
    assert alarm["ACTION"] == "DISPLAY" and alarm.decoded("TRIGGER") == -timedelta(days=1)
    assert str(alarm["DESCRIPTION"]) == "提醒：电视科普栏目"
    assumed = by_uid(files["yingji.ics"])["m02-report/2025-H1"]
    assert "\n频次为县里安排：未规定频次，按半年报告\n" in str(assumed["DESCRIPTION"])


def test_all_day_and_timed_events_on_the_wire(small):
    small.run("build", "--today", "2025-01-01")
    files = feeds(small.exports)
    for name, data in files.items():
        check_bytes(data)
        lines = logical_lines(data)
        if "BEGIN:VTIMEZONE" in lines:  # its own DTSTARTs are local time by definition
            cut = slice(lines.index("BEGIN:VTIMEZONE"), lines.index("END:VTIMEZONE") + 1)
            lines = lines[:cut.start] + lines[cut.stop:]
        dates = [line for line in lines if line.startswith(("DTSTART", "DTEND"))]
        assert all(";VALUE=DATE:" in line or ";TZID=Asia/Shanghai:" in line for line in dates)
        timed = any(";TZID=Asia/Shanghai:" in line for line in dates)
        assert (b"\r\nBEGIN:VTIMEZONE\r\nTZID:Asia/Shanghai\r\n" in data) == timed, name
        assert data.count(b"BEGIN:VTIMEZONE") <= 1
        assert all(line.endswith("Z") for line in lines if line.startswith("DTSTAMP"))
    lines = logical_lines(files["yingji.ics"])
    at = lines.index("UID:m02-month/2025")
    assert lines[at + 4:at + 6] == ["DTSTART;VALUE=DATE:20250601", "DTEND;VALUE=DATE:20250701"]
    lines = logical_lines(files["xuanchuan.ics"])
    at = lines.index("UID:m02-tv/2025-W07")
    assert lines[at + 4:at + 6] == ["DTSTART;TZID=Asia/Shanghai:20250212T193000",
                                    "DTEND;TZID=Asia/Shanghai:20250212T194500"]
    assert "BEGIN:VTIMEZONE" not in logical_lines(files["kexie.ics"])


def test_two_builds_give_identical_feeds_and_rewrite_nothing(small):
    small.run("build", "--today", "2025-01-01")
    before = feeds(small.exports)
    written = [*(small.exports / "feeds").iterdir(), small.exports / "index.html"]
    for path in written:
        os.utime(path, (OLD, OLD))
    out = small.run("build", "--today", "2025-01-01").output
    assert "feeds: 0 files written" in out
    assert feeds(small.exports) == before
    assert all(path.stat().st_mtime == OLD for path in written)
    out = small.run("export", "feeds", "--today", "2025-01-01").output
    assert "0 files written" in out
    assert all(path.stat().st_mtime == OLD for path in written)


def test_export_feeds_rewrites_them_from_the_database_alone(small):
    small.run("build", "--today", "2025-01-01")
    before = feeds(small.exports)
    for path in (small.exports / "feeds").iterdir():
        path.unlink()
    small.edit("weekly: 周三", "weekly: 周四")  # a rebuild would move the TV segment
    out = small.run("export", "feeds", "--today", "2025-01-01").output
    assert out == f"{len(before)} feeds under {small.exports / 'feeds'}: {len(before)} files " \
                  "written (index.html included), 0 stale feeds removed\n"
    assert feeds(small.exports) == before


def test_export_feeds_needs_a_database(small):
    result = small.run("export", "feeds", ok=False)
    assert result.exit_code == 1
    assert result.output.strip().endswith("run `calendar-app build` first")


def test_moving_the_tv_weekday_keeps_uids_and_bumps_only_the_moved(small):
    small.run("build", "--today", "2025-01-01")
    before = {name: _sequences(data) for name, data in feeds(small.exports).items()}
    small.edit("weekly: 周三", "weekly: 周四")
    small.run("build", "--today", "2025-01-02")
    after = {name: _sequences(data) for name, data in feeds(small.exports).items()}
    assert {n: set(s) for n, s in after.items()} == {n: set(s) for n, s in before.items()}
    for name, sequences in after.items():
        for uid, sequence in sequences.items():
            moved = uid.startswith("m02-tv/")
            assert sequence == before[name][uid] + moved, (name, uid)
    tv = by_uid(feeds(small.exports)["xuanchuan.ics"])["m02-tv/2025-W07"]
    assert tv.decoded("DTSTART").isoformat() == "2025-02-13T19:30:00+08:00"
    assert tv.decoded("LAST-MODIFIED") == datetime.fromisoformat("2025-01-01T16:00:00+00:00")


def test_a_removed_obligation_stays_cancelled_for_the_grace_period(small):
    small.run("build", "--today", "2025-01-01")
    small.edit("      - {id: m02-day, title: 防灾减灾日宣传, quote: 防灾减灾日, observance: 防灾减灾日}\n",
               "")
    small.run("build", "--today", "2025-03-01")
    for name in ("all.ics", "yingji.ics", "wenlv.ics", "category-B.ics"):
        event = by_uid(feeds(small.exports)[name])["m02-day/2025"]
        assert event["STATUS"] == "CANCELLED" and event["SEQUENCE"] == 1
        assert str(event["SUMMARY"]).startswith("【已取消】防灾减灾日宣传")
        assert str(event["DESCRIPTION"]).endswith("\n状态：已取消（计划已不再包含此活动）")
        assert event.decoded("LAST-MODIFIED") == datetime.fromisoformat("2025-02-28T16:00:00+00:00")
    # The default grace is 30 days from the change: still there on the 30th day, gone after.
    small.run("export", "feeds", "--today", "2025-03-31")
    assert "m02-day/2025" in by_uid(feeds(small.exports)["yingji.ics"])
    small.run("export", "feeds", "--today", "2025-04-01")
    assert "m02-day/2025" not in by_uid(feeds(small.exports)["yingji.ics"])
    assert "m02-day/2025" not in by_uid(feeds(small.exports)["all.ics"])
    assert any(r["uid"] == "m02-day/2025" for r in json.loads(
        small.run("events", "--format", "json").output))  # the database keeps it


def test_a_unit_dropped_from_the_plan_loses_its_feed(small):
    small.run("build", "--today", "2025-01-01")
    small.edit("  - {id: shicheng, name: 石城镇, kind: township}\n", "")
    small.edit("members: [天城镇, 沙坪镇, 石城镇]", "members: [天城镇, 沙坪镇]")
    out = small.run("export", "feeds", "--today", "2025-01-01").output
    assert "1 stale feeds removed" in out
    assert "shicheng.ics" not in feeds(small.exports)


def test_the_index_page_lists_every_feed_with_both_links(small):
    small.run("build", "--today", "2025-01-01")
    html = (small.exports / "index.html").read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and '<html lang="zh-CN">' in html
    for name in feeds(small.exports):
        assert f'href="https://example.invalid/calendar/feeds/{name}"' in html
        assert f'href="webcal://example.invalid/calendar/feeds/{name}"' in html
    for words in ["县应急管理局", "天城镇", "全县", "应急", "Outlook", "Google 日历", "iPhone",
                  "Thunderbird", "安卓"]:
        assert words in html


def test_every_feed_of_the_shipped_plan_parses_and_matches_the_listing(shipped):
    from collections import Counter

    from calendar_app import ical
    from calendar_app.store import Store

    shipped.run("build", "--today", "2025-01-01")
    files = feeds(shipped.exports)
    plan = load_plan(shipped.plan)
    with Store.open(shipped.db) as store:
        entries = store.entries()
    # Every feed keeps the byte rules and holds as many events as the store gives it, counted
    # without a parser; three of them are read back in full.
    wanted = Counter(f"{key}.ics" for e in entries if ical.shown(e, date(2025, 1, 1), 30)
                     for key, _ in ical.memberships(plan, e))
    assert set(files) == {f"{f.key}.ics" for f in ical.feeds_of(plan)}
    for name, data in files.items():
        check_bytes(data)
        assert data.count(b"\r\nBEGIN:VEVENT\r\n") == wanted[name] > 0, name
    first, last = date(2025, 6, 1), date(2025, 6, 30)
    for unit in ("yingji", "xuanchuan", list(plan.units)[-1]):
        assert _expanded(files[f"{unit}.ics"], first, last) == _listed(shipped, unit, first, last)


def _fresh_feeds(ws, today="2025-01-01"):
    """The feeds serialised from scratch, without the memo a build keeps."""
    from datetime import date

    from calendar_app.plan import load_plan
    from calendar_app.store import Store

    from .feedcheck import rendered

    with Store.open(ws.db) as store:
        entries = store.entries()
    return rendered(load_plan(ws.plan), entries, date.fromisoformat(today))


def test_the_memo_of_serialised_events_never_shows_a_stale_event(small):
    small.run("build", "--today", "2025-01-01")
    small.run("record", "done", "m02-day/2025", "--attendance", "7")
    small.edit("weekly: 周三", "weekly: 周五")
    small.run("build", "--today", "2025-01-01")
    assert feeds(small.exports) == _fresh_feeds(small)
    # A database made anew from an edited plan, beside the exports of the old one.
    small.db.unlink()
    small.edit("title: 防灾减灾日宣传", "title: 防灾减灾日主题宣传")
    small.run("build", "--today", "2025-01-01")
    assert feeds(small.exports) == _fresh_feeds(small)
    assert "防灾减灾日主题宣传" in (small.exports / "feeds" / "yingji.ics").read_text("utf-8")
