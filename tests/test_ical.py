"""The feed writer held against icalendar (tests/reference_ical.py): same content lines, same parsed
properties, and the strict byte rules of RFC 5545 on everything it writes."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from calendar_app.errors import CalendarAppError
from calendar_app.feeds import ical, wording
from calendar_app.feeds.contents import feeds_of
from calendar_app.feeds.view import render_feeds
from calendar_app.plan.reader import load_plan
from calendar_app.store import Store

from .conftest import DATA, Workspace
from .feedcheck import by_uid, check_bytes, feeds, logical_lines, parse, unescape
from .reference_ical import reference_feeds

TODAY = date(2025, 1, 1)
# Every kind of character the writer must treat with care: ASCII, the TEXT specials,
# newlines, 2-, 3- and 4-byte UTF-8, and a tab (the one control character TEXT allows).
TEXT = st.text(alphabet=st.sampled_from(list("ab ;,\\\n:\"\t") + ["é", "科", "普", "𠀀", "🎉"]),
               max_size=120)


def _built(tmp_path, plan_name):
    ws = Workspace(tmp_path, DATA / plan_name)
    ws.run("build", "--today", TODAY.isoformat())
    plan = load_plan(ws.plan)
    with Store.open(ws.db) as store:
        entries = store.entries()
    return ws, plan, entries


@pytest.fixture(params=["small.yaml", "awkward_text.yaml"])
def built(request, tmp_path):
    return _built(tmp_path, request.param)


def _names(files: dict[str, bytes]) -> dict[str, bytes]:
    """{feeds/x.ics: bytes} by file name, as `feeds` reads them back."""
    return {rel.rsplit("/", 1)[1]: data for rel, data in files.items()}


def test_written_feeds_are_what_the_writer_renders(built):
    ws, plan, entries = built
    assert feeds(ws.exports) == _names(render_feeds(plan, entries, TODAY))


def test_every_feed_keeps_the_strict_byte_rules(built):
    ws, _, _ = built
    for name, data in feeds(ws.exports).items():
        check_bytes(data)
        assert b"\r\nVERSION:2.0\r\n" in data and b"\r\nPRODID:" in data, name


def test_content_lines_are_icalendars_own_once_unfolded(built):
    ws, plan, entries = built
    reference = _names(reference_feeds(plan, entries, TODAY))
    ours = feeds(ws.exports)
    assert set(reference) == set(ours)
    for name in ours:
        assert logical_lines(ours[name]) == logical_lines(reference[name]), name


def test_every_property_parses_back_as_icalendar_serialised_it(built):
    ws, plan, entries = built
    reference = _names(reference_feeds(plan, entries, TODAY))
    for name, data in feeds(ws.exports).items():
        mine, theirs = parse(data).walk(), parse(reference[name]).walk()
        assert len(mine) == len(theirs), name
        for a, b in zip(mine, theirs, strict=True):
            assert a.name == b.name
            assert list(a.keys()) == list(b.keys())
            for key in a:
                assert a[key] == b[key] or a[key].to_ical() == b[key].to_ical(), (name, key)
                assert a[key].params == b[key].params, (name, key)


def test_awkward_text_reads_back_exactly(tmp_path):
    ws, _, _ = _built(tmp_path, "awkward_text.yaml")
    data = (ws.exports / "feeds" / "kexie.ics").read_bytes()
    cal = parse(data)
    # icalendar leaves NAME and X-WR-CALNAME raw (it does not know their type): read the lines.
    assert unescape(cal["X-WR-CALNAME"].to_ical().decode()).endswith("·县科协, 秘书科")
    assert unescape(cal["NAME"].to_ical().decode()).startswith("科普任务·")
    assert unescape(cal["X-WR-CALDESC"].to_ical().decode()).startswith(
        "转义测试计划; 含分号, 逗号与反斜杠\\ ")
    event = by_uid(data)["m01-weekly-lead@example.invalid"]
    assert str(event["SUMMARY"]) == "例会; 第1期, A\\B（牵头）"
    assert str(event["LOCATION"]) == "会议室, 3楼; 东侧\\北"
    assert str(event["DESCRIPTION"]).endswith("安排：县里安排\n安排理由：第一行\n第二行; 第三, 行")
    assert event["CATEGORIES"].cats == ["类别; 含分号, 逗号\\"]
    lines = logical_lines(data)
    assert "SUMMARY:例会\\; 第1期\\, A\\\\B（牵头）" in lines
    assert "LOCATION:会议室\\, 3楼\\; 东侧\\\\北" in lines


@given(TEXT)
def test_any_text_folds_and_escapes_to_what_icalendar_reads(text):
    line = ical.content_line("SUMMARY", text, {})
    check_bytes(line)
    assert _read_summary(line) == text.replace("\r\n", "\n").replace("\r", "\n")


@pytest.mark.parametrize("filler", ["a", "é", "科", "𠀀"])
def test_folds_land_between_characters_and_escapes_at_every_offset(filler):
    for n in range(80):
        for tail in ("\\", ";", "\n", "\\;,"):
            text = filler * n + tail * 40 + filler * 40
            line = ical.content_line("SUMMARY", text, {})
            check_bytes(line)
            assert _read_summary(line) == text


def _read_summary(line: bytes) -> str:
    cal = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n" + line + b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    return str(icalendar.Calendar.from_ical(cal).walk("VEVENT")[0].get("SUMMARY", ""))


@given(st.timedeltas(min_value=timedelta(days=-400), max_value=timedelta(days=400)))
def test_durations_match_icalendar(span):
    span = timedelta(seconds=int(span.total_seconds()))
    assert ical.duration(span) == icalendar.vDuration(span).to_ical().decode()
    assert icalendar.vDuration.from_ical(ical.duration(span)) == span


def test_times_are_utc_or_shanghai_never_floating():
    shanghai = datetime(2025, 1, 1, 19, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert ical.content_line("DTSTART", shanghai, {}) == \
        b"DTSTART;TZID=Asia/Shanghai:20250101T193000\r\n"
    assert ical.content_line("DTSTAMP", shanghai.astimezone(UTC), {}) == \
        b"DTSTAMP:20250101T113000Z\r\n"
    assert ical.content_line("DTSTART", date(2025, 6, 1), {}) == b"DTSTART;VALUE=DATE:20250601\r\n"
    with pytest.raises(ValueError):
        ical.content_line("DTSTART", datetime(2025, 1, 1, 9), {})
    with pytest.raises(ValueError):
        ical.content_line("DTSTART", datetime(2025, 1, 1, 9, tzinfo=timezone(timedelta(hours=8))),
                          {})


def test_what_was_recorded_is_said_in_plain_chinese(tmp_path):
    _, plan, entries = _built(tmp_path, "small.yaml")
    entry = next(e for e in entries if e.uid == "m02-month/2025")
    days = plan.settings.overdue_days
    done = replace(entry, status="done", attendance=120)
    assert wording.record_text(done, days, False) == "已完成（参加120人）"
    noted = replace(done, done_on=date(2025, 6, 3), remark="广场演练")
    assert wording.record_text(noted, days, False) == "已完成（6月3日举行，参加120人）；备注：广场演练"
    moved = replace(entry, moved=True, planned_start=date(2025, 3, 12))
    assert wording.record_text(moved, days, False) == "已改期（原定3月12日）"
    cancelled = replace(entry, status="cancelled", remark="设备检修")
    assert wording.record_text(cancelled, days, False) == "已取消（原因：设备检修）"
    assert wording.summary(plan, cancelled, "lead", False) == "【已取消】安全生产月（牵头）"
    assert wording.summary(plan, entry, None, True) == "【逾期未报】安全生产月 · 县应急管理局"
    assert wording.record_text(entry, days, False) == ""
    assert wording.quote_text("开设科普宣传栏即时推送 ... 打造“天天科普”平台") == \
        "开设科普宣传栏即时推送……打造‘天天科普’平台"


def test_a_unit_id_cannot_take_the_county_feeds_file_name(small_plan):
    units = {**small_plan.units, "all": replace(small_plan.units["kexie"], id="all")}
    with pytest.raises(CalendarAppError, match="all.ics"):
        feeds_of(replace(small_plan, units=units))
