"""Units report what happened: done, cancel, move, reset, add; history; rebuilds keep it all."""

import json

import pytest

from calendar_app.reports.records import UidIndex
from calendar_app.store import Store

from .conftest import on_both_databases

pytestmark = on_both_databases


@pytest.fixture
def built(stored_small):
    return stored_small


def _event(ws, uid):
    rows = json.loads(ws.run("events", "--format", "json").output)
    return next(r for r in rows if r["uid"] == uid)


def test_done_with_attendance_shows_in_events(built):
    built.run("record", "done", "m02-day/2025", "--attendance", "120", "--note", "演练",
              "--evidence", "照片存档", "--by", "张三")
    row = _event(built, "m02-day/2025")
    assert row["status"] == "done" and row["attendance"] == 120 and row["sequence"] == 1
    table = built.run("events", "--month", "2025-05", "--unit", "yingji").output
    assert "完成（120人）" in table


def test_cancel_then_a_makeup_fills_the_slot(built):
    built.run("record", "cancel", "m02-tv/2025-W10", "--reason", "设备检修")
    uid = built.run("add", "--unit", "县委宣传部", "--title", "电视科普栏目（补播）",
                    "--on", "2025-03-07", "--fills", "m02-tv/2025-W10").output.strip()
    makeup = _event(built, uid)
    assert makeup["slot"] == "2025-W10" and makeup["obligation"] == "m02-tv"
    assert makeup["fills"] == "m02-tv/2025-W10" and makeup["measure"] == 2
    assert makeup["units"][0] == "xuanchuan"
    assert _event(built, "m02-tv/2025-W10")["status"] == "cancelled"


def test_a_cancelled_event_is_made_up_once(built):
    built.run("record", "cancel", "m02-tv/2025-W10", "--reason", "设备检修")
    first = built.run("add", "--unit", "县委宣传部", "--title", "电视科普栏目（补播）",
                      "--on", "2025-03-07", "--fills", "m02-tv/2025-W10").output.strip()
    again = built.run("add", "--unit", "县委宣传部", "--title", "电视科普栏目（重播）",
                      "--on", "2025-03-08", "--fills", "m02-tv/2025-W10", ok=False)
    assert again.exit_code == 1 and "Traceback" not in again.output
    assert f"m02-tv/2025-W10 has a make-up already, {first}" in again.output
    # Once the make-up is itself cancelled, the slot is open again and may be made up.
    built.run("record", "cancel", first, "--reason", "停电")
    built.run("add", "--unit", "县委宣传部", "--title", "电视科普栏目（重播）",
              "--on", "2025-03-08", "--fills", "m02-tv/2025-W10")


def test_a_makeup_for_an_event_that_is_not_cancelled_is_refused(built):
    result = built.run("add", "--unit", "xuanchuan", "--title", "补播", "--on", "2025-03-07",
                       "--fills", "m02-tv/2025-W10", ok=False)
    assert result.exit_code == 1
    assert "m02-tv/2025-W10 is not cancelled" in result.output


def test_an_ad_hoc_event_without_a_measure(built):
    uid = built.run("add", "--unit", "天城镇", "--title", "科普赶集", "--on", "2025-04-18"
                    ).output.strip()
    row = _event(built, uid)
    assert row["measure"] is None and row["units"] == ["tiancheng"] and row["slot"] == "added"
    again = built.run("add", "--unit", "天城镇", "--title", "科普赶集", "--on", "2025-04-18",
                      ok=False)
    assert "already exists" in again.output


def test_move_keeps_time_of_day_and_survives_rebuilds_until_reset(built):
    built.run("record", "move", "m02-tv/2025-W10", "--to", "2025-03-06")
    assert _event(built, "m02-tv/2025-W10")["start"] == "2025-03-06T19:30:00+08:00"
    built.edit("weekly: 周三", "weekly: 周二")
    built.run("build", "--today", "2025-02-01")
    moved = _event(built, "m02-tv/2025-W10")
    assert moved["start"] == "2025-03-06T19:30:00+08:00" and moved["status"] == "moved"
    assert _event(built, "m02-tv/2025-W11")["start"] == "2025-03-11T19:30:00+08:00"
    march_6 = json.loads(built.run("events", "--format", "json", "--from", "2025-03-06",
                                   "--to", "2025-03-06").output)
    assert "m02-tv/2025-W10" in {r["uid"] for r in march_6}
    built.run("record", "reset", "m02-tv/2025-W10")
    back = _event(built, "m02-tv/2025-W10")
    assert back["start"] == "2025-03-04T19:30:00+08:00" and back["status"] == "planned"


def test_a_move_to_a_date_time_makes_an_all_day_event_timed(built):
    built.run("record", "move", "m02-day/2025", "--to", "2025-05-13T09:00")
    row = _event(built, "m02-day/2025")
    assert (row["start"], row["end"], row["all_day"]) == (
        "2025-05-13T09:00:00+08:00", "2025-05-13T10:00:00+08:00", False)


def test_history_tells_the_story_oldest_first(built):
    built.run("record", "move", "m02-day/2025", "--to", "2025-05-13", "--by", "李四")
    built.run("record", "done", "m02-day/2025", "--attendance", "80", "--by", "李四")
    rows = json.loads(built.run("history", "m02-day/2025", "--format", "json").output)
    assert [r["action"] for r in rows] == ["created", "moved", "done"]
    assert rows[1]["by"] == "李四" and rows[1]["detail"]["to"] == "2025-05-13"
    assert rows[2]["detail"]["attendance"] == 80
    table = built.run("history", "m02-day/2025").output
    assert "改期" in table and "完成" in table and "李四" in table


def test_records_survive_any_rebuild_and_orphans_keep_them(built):
    built.run("record", "done", "m02-day/2025", "--attendance", "99")
    built.edit("      - {id: m02-day, title: 防灾减灾日宣传, quote: 防灾减灾日, observance: 防灾减灾日}\n",
               "")
    assert "1 cancelled" in built.run("build", "--today", "2025-02-01").output
    row = _event(built, "m02-day/2025")
    assert row["orphaned"] is True and row["status"] == "cancelled"
    assert row["attendance"] == 99
    with Store.open(built.db) as store:
        assert [h["action"] for h in store.history("m02-day/2025")] == [
            "created", "done", "removed"]
    assert "取消（已移出计划）" in built.run("events", "--month", "2025-05").output


@pytest.mark.parametrize("args, message", [
    (["record", "done", "m02-dya/2025"], "unknown event 'm02-dya/2025' (did you mean m02-day/2025"),
    (["record", "done", "m02-day/2025", "--on", "2026-02-01"], "outside the plan period"),
    (["record", "move", "m02-day/2025", "--to", "2024-12-31"], "outside the plan period"),
    # A routine's occurrence onto the day of the next one: two identical events there.
    (["record", "move", "m02-tv/2025-W10", "--to", "2025-03-12"],
     "m02-tv/2025-W10 cannot move to 2025-03-12: m02-tv/2025-W11 of the same obligation is "
     "on that day already"),
    (["record", "move", "m02-tv/2025-W10", "--to", "2025-03-12T10:00"], "m02-tv/2025-W11"),
    (["add", "--unit", "县应急", "--title", "x", "--on", "2025-03-01"], "unknown unit '县应急'"),
])
def test_bad_reports_are_one_line_and_change_nothing(built, args, message):
    with Store.open(built.db) as store:
        before = store.entries()
    result = built.run(*args, ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    with Store.open(built.db) as store:
        assert store.entries() == before


def test_click_rejects_non_numeric_attendance_and_impossible_dates(built):
    assert built.run("record", "done", "m02-day/2025", "--attendance", "很多",
                     ok=False).exit_code == 2
    assert built.run("record", "move", "m02-day/2025", "--to", "2025-02-30",
                     ok=False).exit_code == 2


def test_contradictions_name_the_way_out(built):
    built.run("record", "done", "m02-day/2025")
    result = built.run("record", "cancel", "m02-day/2025", "--reason", "雨", ok=False)
    assert "record reset m02-day/2025" in result.output


def test_every_view_follows_the_records_at_once(built):
    import icalendar

    built.run("build", "--today", "2025-01-01")
    built.run("record", "done", "m02-day/2025", "--attendance", "120")
    built.run("record", "cancel", "m02-tv/2025-W20", "--reason", "设备检修")
    built.run("record", "move", "m02-tv/2025-W21", "--to", "2025-05-22")
    # No rebuild: each report refreshed the feeds and pages it touched. The feeds it wrote are
    # for the clock's day, whose rolling window may lie past this plan: read them for its day.
    assert "yingji.ics" in {p.name for p in (built.exports / "feeds").glob("*.ics")}
    built.run("export", "feeds", "--today", "2025-01-01")
    feed = icalendar.Calendar.from_ical((built.exports / "feeds" / "yingji.ics").read_bytes())
    events = {(str(e["UID"]), str(e.get("RECURRENCE-ID", ""))): e for e in feed.walk("VEVENT")}
    day = events[("m02-day-2025-lead@example.invalid", "")]
    assert str(day["DESCRIPTION"]).endswith("\n记录：已完成（参加120人）")
    tv = {e.decoded("RECURRENCE-ID").day: e for (uid, rid), e in events.items()
          if uid == "m02-tv-co@example.invalid" and rid}
    assert str(tv[14]["STATUS"]) == "CANCELLED"
    assert tv[21]["DTSTART"].dt.day == 22
    page = (built.exports / "print" / "2025-05" / "yingji.html").read_text(encoding="utf-8")
    assert "完成" in page and "取消" in page and "改期" in page
    # ... and a build after them finds the feeds and pages already current.
    out = built.run("build", "--today", "2025-01-01").output
    assert "feeds: 0 files" in out and "print: 0 files" in out  # feeds as exported above


def test_a_report_whose_history_row_cannot_be_written_changes_nothing(built, database):
    # The database refuses the history row (as a full disk would): the event must not be
    # left done with nobody recorded as saying so.
    database.refuse_inserts("history", "no room for the history")
    before = database.rows("SELECT * FROM event ORDER BY uid")
    result = built.run("record", "done", "m02-day/2025", "--attendance", "5", ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "the report on m02-day/2025 was not saved, nothing changed" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert database.rows("SELECT * FROM event ORDER BY uid") == before


def test_did_you_mean_looks_among_neighbours_not_everywhere():
    uids = [f"m19-tv-weekly/2025-W{w:02d}" for w in range(1, 53)]
    uids += [f"m19-daily-push/2025-{d:03d}" for d in range(1, 366)] + ["m02-day/2025"]
    index = UidIndex(uids)
    for typo in ("m19-tv-weekyl/2025-W10", "m19-tv-weekly/2025W10", "m19-tv-weekly/2025-w10"):
        assert index.close(typo)[0] == "m19-tv-weekly/2025-W10", typo
    assert index.close("m19-daily-psuh/2025-100")[0] == "m19-daily-push/2025-100"
    assert index.close("m02-dya/2025") == ["m02-day/2025"]
    assert index.close("nothing-like-it") == []
