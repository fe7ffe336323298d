"""Every word a unit reads, read as a county office worker would (issue 28): no word of the
plan file's configuration, dates and numbers written as official documents write them, and
each event saying what is estimated about it.

`unit_texts` gathers what units read of a build: the feeds' names and descriptions, event
titles, places and reminders, and the text of every page under exports/ (links, scripts and
style sheets left out)."""

from __future__ import annotations

import ast
import html
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from icalendar import Calendar

from calendar_app.model import Settings
from calendar_app.plan import reader, rules
from calendar_app.schedule.expansion import expand

TEXT_PROPERTIES = ("NAME", "X-WR-CALNAME", "X-WR-CALDESC", "DESCRIPTION", "SUMMARY", "LOCATION",
                   "CATEGORIES")
ADDRESS = re.compile(r"(?:https?|webcal)://\S+")
# An ASCII word on its own: not part of a file name, an address or a code (m19-tv-weekly).
WORD = re.compile(r"(?<![A-Za-z0-9_.#/-])[A-Za-z_]+(?![A-Za-z0-9_.#/-])")


def unit_texts(exports: Path) -> Iterator[tuple[str, str]]:
    """(where, text) for everything a unit reads in a build's exports."""
    for path in sorted(exports.rglob("*.ics")):
        for part in Calendar.from_ical(path.read_bytes()).walk():
            for name in TEXT_PROPERTIES:
                if name in part:
                    value = part[name]
                    text = ",".join(map(str, value.cats)) if hasattr(value, "cats") else str(value)
                    yield f"{path.name} {part.get('UID', '')} {name}", text
    for path in sorted(exports.rglob("*.html")):
        page = re.sub(r"<(script|style)\b.*?</\1>", " ", path.read_text("utf-8"), flags=re.S)
        yield str(path.relative_to(exports)), html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.fixture(scope="module")
def texts(shipped_built) -> list[tuple[str, str]]:
    return list(unit_texts(shipped_built.exports))


# -- 6. no configuration word in anything a unit reads ----------------------------------------

def _keys_the_code_accepts() -> set[str]:
    """Every key named in a set literal the reader's check_keys, the rule kinds' _need or
    OBLIGATION_KEYS is given: what a plan file may say."""
    found: set[str] = set()
    for module in (reader, rules):
        tree = ast.parse(Path(module.__file__).read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Set):
                found |= {e.value for e in node.elts
                          if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return found


def test_the_configuration_words_are_every_key_a_plan_file_may_hold():
    accepted = _keys_the_code_accepts() | set(rules.RULES) | set(Settings.__dataclass_fields__)
    accepted = {k for k in accepted if k == k.lower()}  # an RRULE's parts are the RFC's words
    assert {"count", "per_year", "assumed", "fanout", "base_url", "estimated"} <= accepted
    assert accepted <= reader.CONFIG_WORDS


def test_no_text_a_unit_reads_holds_a_configuration_word(texts):
    assert len(texts) > 2000
    found = [(where, word) for where, text in texts
             for word in WORD.findall(ADDRESS.sub(" ", text)) if word in reader.CONFIG_WORDS]
    assert not found, found[:5]


def test_the_loader_refuses_a_configuration_word_in_a_reason(shipped):
    shipped.edit("县里每年安排1次，放在9-11月（避开夏季高温和年底），需要时可增加第2次",
                 "县里放在9-11月，需要第2次时把count改为2")
    line = next(n for n, text in enumerate(shipped.plan.read_text("utf-8").splitlines(), 1)
                if "把count改为2" in text)
    result = shipped.run("validate", ok=False)
    assert result.exit_code == 1
    assert result.output == (f"{shipped.plan}:{line}: obligation m9-skills-contest: assumed says "
                             "'count', a word of the plan file; units read it: put notes for "
                             "the plan's author in a YAML comment\n")


# -- 5. what is estimated says so --------------------------------------------------------------

def test_every_per_term_event_says_its_term_dates_are_estimated(shipped_plan):
    per_term = {o.id for o in shipped_plan.obligations if o.rule.kind == "per_term"}
    assert per_term == {"m1-spirit-campus", "m2-lecture-tour"}
    events = [e for e in expand(shipped_plan).events if e.obligation in per_term]
    assert len(events) == 20
    for event in events:
        (note,) = [n for n in event.notes if "学期" in n]
        assert note.endswith("学期起止日期为推定，以教育部门公布的校历为准"), event.uid
    assert all(t.estimated for t in shipped_plan.calendar.terms)


def test_a_term_confirmed_from_the_school_calendar_says_nothing(shipped):
    shipped.edit("end: 2025-07-04, estimated: true}", "end: 2025-07-04}")
    plan = reader.load_plan(shipped.plan)
    spring = [e for e in expand(plan).events if e.slot.key == "2025-spring"]
    assert spring and not any("推定" in n for e in spring for n in e.notes)


# -- 8. the words each title needs ---------------------------------------------------------------

def test_the_outdoor_media_of_science_day_are_during_it(shipped_plan):
    titles = {e.title for e in expand(shipped_plan).events if e.obligation == "m19-outdoor-media"}
    assert titles == {"全国科普日期间户外屏、楼宇电视投放", "全国科普月期间户外屏、楼宇电视投放"}
    media = next(o for o in shipped_plan.obligations if o.id == "m19-outdoor-media")
    assert media.title == "{observance}期间公共交通、户外电子屏、楼宇电视科普内容集中投放"



# -- 7. dates and numbers as official documents write them ------------------------------------

HAN = "\u4e00-\u9fff"
# A number set apart from the Chinese around it (2025 年 4 月 21 日, 措施 19, 7 天, 50 人); a
# time of day after a date (2025年5月9日 09:00) may stand apart.
SPACED = re.compile(rf"[{HAN}][ \u3000]+\d(?![\d.]*:)|\d[ \u3000]+[{HAN}]")


def test_dates_and_numbers_are_written_without_spaces_everywhere(texts, shipped_built):
    # Pages read with their tags dropped, not made spaces: <b>0</b>项 reads 0项.
    pages = [(str(path), html.unescape(re.sub(r"<[^>]+>", "", re.sub(
                 r"<(script|style)\b.*?</\1>", "", path.read_text("utf-8"), flags=re.S))))
             for path in sorted(shipped_built.exports.rglob("*.html"))]
    feeds = [(where, text) for where, text in texts if ".ics " in where]
    found = [(where, m.group(0), text[max(0, m.start() - 12):m.end() + 12])
             for where, text in feeds + pages for m in SPACED.finditer(text)]
    assert not found, found[:8]
    described = [text for where, text in feeds if where.endswith("DESCRIPTION")]
    dates = sum(len(re.findall(r"\d{4}年\d{1,2}月\d{1,2}日", t)) for t in described)
    assert dates > 1000  # the feeds' full dates, every one written 2025年4月21日
    assert any("措施19：" in t for t in described)


# -- 8. 县里安排 said once; a make-up Saturday said to be worked ----------------------------------

def test_the_county_s_arrangement_is_said_once_with_its_reason_on_a_line_of_its_own(texts):
    described = [text for where, text in texts if where.endswith("DESCRIPTION")]
    assert not [t for t in described if "县里安排：" in t]
    arranged = [t for t in described if "\n安排：县里安排\n安排理由：" in t]
    assert len(arranged) > 100
    assert all(t.count("安排理由：") == 1 for t in arranged)


ROW = re.compile(r'<tr id="[^"]*" class="[^"]*">\s*<td class="date">(\d+)月(\d+)日.*?'
                 r'<span class="t">(.*?)</span>.*?<div class="basis">(.*?)</div>', re.S)


def _agenda(page: str) -> list[tuple[str, ...]]:
    """(month, day, title, basis) of each agenda row that says where it comes from."""
    return [found.groups() for row in page.split("</tr>") if (found := ROW.search(row))]


def test_the_printed_month_gives_the_county_s_reasons_once_and_then_points_to_them(
        shipped_built):
    """A printed month says why the county arranged an activity at its first row, as a county
    office's printed schedule would; later rows say 县里安排 and where the reasons are. The
    daily push printed its 125 characters of reasons on each of 30 rows."""
    page = (shipped_built.exports / "print" / "2025-06" / "kexie.html").read_text("utf-8")
    push = [row for row in _agenda(page) if "天天科普" in row[2]]
    assert len(push) == 30
    assert push[0][3].startswith("县里安排：每日推送由县委宣传部") and len(push[0][3]) > 100
    assert [row[3] for row in push[1:]] == ["县里安排（理由见6月1日）"] * 29
    for path in sorted((shipped_built.exports / "print").glob("2025-*/*.html"))[::7]:
        rows = _agenda(path.read_text("utf-8"))
        told: set[str] = set()
        for _, _, title, basis in rows:
            if basis.startswith("县里安排："):
                assert title not in told, (path, title)  # said twice in one month
                told.add(title)
        said = {f"县里安排（理由见{m}月{d}日）" for m, d, _, b in rows if b.startswith("县里安排：")}
        assert {b for *_, b in rows if b.startswith("县里安排（")} <= said, path


def test_the_printed_month_calls_a_report_task_by_its_own_title(shipped_built):
    """The month's report on the daily push is 2025年5月“天天科普”推送情况报送 in the printed
    agenda too, as in the feeds and on the web; it was printed under the push's own title,
    a 31st push in June."""
    page = (shipped_built.exports / "print" / "2025-06" / "xuanchuan.html").read_text("utf-8")
    titles = [title for _, _, title, _ in _agenda(page)]
    assert titles.count("崇阳网、云上崇阳App科普宣传栏推送（天天科普）") == 30
    assert "2025年5月“天天科普”推送情况报送" in titles


def test_a_day_moved_onto_a_weekend_worked_for_a_holiday_says_it_is_a_working_day(shipped_plan):
    (chongyang,) = [e for e in expand(shipped_plan).events if e.uid == "m13-chongyang/2022"]
    assert chongyang.start.isoformat() == "2022-10-08" and shipped_plan.calendar.is_workday(
        chongyang.start)
    assert "原定10月4日遇休息日，顺延至10月8日（周六，调休上班）" in chongyang.notes


def test_a_day_moved_off_a_holiday_names_the_day_it_moved_to(shipped_plan):
    """原定4月4日遇休息日，提前至4月3日（周四）, as the make-up says its Saturday: never
    提前至工作日, which leaves the unit to work out which working day."""
    moved = re.compile(r"原定(\d+)月(\d+)日遇休息日，(提前|顺延)至(\d+)月(\d+)日（周(.)(，调休上班)?）")
    seen = 0
    for event in expand(shipped_plan).events:
        notes = [n for n in event.notes if n.startswith("原定")]
        for note in notes:
            said = moved.fullmatch(note)
            assert said, (event.uid, note)
            day = event.start if isinstance(event.start, date) and not isinstance(
                event.start, datetime) else event.start.date()
            assert (int(said[4]), int(said[5])) == (day.month, day.day), (event.uid, note)
            assert said[6] == "一二三四五六日"[day.weekday()]
            assert bool(said[7]) == (day.weekday() >= 5)
            seen += 1
    assert seen >= 17  # the moved newspaper columns alone


# -- 10. a calendar's name a phone shows whole ----------------------------------------------------

def test_a_calendar_is_named_short_first_and_its_full_title_is_in_its_description(shipped_built):
    cal = Calendar.from_ical((shipped_built.exports / "feeds" / "xuanchuan.ics").read_bytes())
    assert cal["X-WR-CALNAME"] == cal["NAME"] == "科普任务·县委宣传部"
    assert str(cal["X-WR-CALDESC"]).startswith("崇阳县全民科学素质行动实施方案（2021—2025年）：")
    units = [Calendar.from_ical((shipped_built.exports / "feeds" / f"{u}.ics").read_bytes())
             for u in reader.load_plan(shipped_built.plan).units]
    assert max(len(c["NAME"]) for c in units) == len("科普任务·市生态环境局崇阳县分局")  # was 36


# -- 11. no stamp later than the file -------------------------------------------------------------

def test_no_stamp_is_later_than_the_day_the_feeds_were_built_for(shipped_built):
    """Built on 2025-01-01 with nothing reported: every revision is that day's midnight, in
    Chongyang (2024-12-31T16:00Z), however high its SEQUENCE (the daily push's is in the
    thousands; it once moved the stamp on by as many seconds)."""
    midnight = datetime(2024, 12, 31, 16, 0, tzinfo=UTC)
    sequences = []
    for path in (shipped_built.exports / "feeds").glob("*.ics"):
        for event in Calendar.from_ical(path.read_bytes()).walk("VEVENT"):
            assert event.decoded("DTSTAMP") <= midnight, (path.name, str(event["UID"]))
            assert event.decoded("LAST-MODIFIED") <= midnight, (path.name, str(event["UID"]))
            sequences.append(int(event["SEQUENCE"]))
    assert max(sequences) > 1000


# -- 9. an occurrence keeps its routine's lines ---------------------------------------------------

def test_a_moved_newspaper_column_keeps_the_table_s_words_the_units_and_the_reason(shipped_built):
    """Tapping one moved issue of 崇阳周刊's column shows what tapping the series shows (the
    table's words, lead, co-organisers, 县里安排 and why), its own day, and why it moved."""
    cal = Calendar.from_ical((shipped_built.exports / "feeds" / "xuanchuan.ics").read_bytes())
    column = [e for e in cal.walk("VEVENT")
              if str(e["UID"]).startswith("m19-paper-weekly-lead@")]
    (series,) = [e for e in column if "RRULE" in e]
    moved = [e for e in column if "RECURRENCE-ID" in e
             and e.decoded("DTSTART") != e.decoded("RECURRENCE-ID")]
    assert len(moved) >= 3
    routine = str(series["DESCRIPTION"]).splitlines()
    assert [line.split("：", 1)[0] for line in routine] == [
        "《重点任务责任分工表》措施19", "原文", "牵头单位", "配合单位", "时间", "安排", "安排理由"]
    for event in moved:
        day = event.decoded("DTSTART")
        lines = str(event["DESCRIPTION"]).splitlines()
        assert lines[:4] == routine[:4] and lines[5:7] == routine[5:7], lines
        assert lines[4].startswith(f"时间：{day.year}年{day.month}月{day.day}日")
        planned = event.decoded("RECURRENCE-ID")
        assert lines[7].startswith(f"说明：原定{planned.month}月{planned.day}日遇休息日"), lines
