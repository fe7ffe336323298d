"""The gap report, one kind at a time on a crafted plan (tests/data/gaps.yaml): each test
produces its finding and then shows its absence."""

import json
import re
import subprocess
import sys
from datetime import date, timedelta

import pytest

from calendar_app.plan.reader import load_plan
from calendar_app.store import Store
from calendar_app.supervision.gaps import analyse

from .conftest import DATA, ROOT, Workspace
from .test_unit_words import SPACED


@pytest.fixture
def ws(tmp_path):
    ws = Workspace(tmp_path, DATA / "gaps.yaml")
    ws.run("build", "--today", "2025-01-01")
    return ws


def test_the_text_report_writes_dates_and_numbers_as_a_county_office_does(ws):
    """The report's header, totals and each unit's heading read as a document: 截至2025年11月15日,
    应办12项, 红灯1个, 问题3项; no date anywhere in it is written 2025-11-15 (issue 28, point 7).
    The tables' columns stay apart by spaces: they are columns, not words."""
    ws.run("record", "done", "m01-tv/2025-W10")
    for args in ([], ["--detail"]):
        text = ws.run("gaps", "--today", "2025-11-15", *args).output
        lines = text.splitlines()
        assert lines[0] == "督查报告\u3000截至2025年11月15日\u3000统计期间2025年1月1日至12月31日"
        assert re.fullmatch(r"应办\d+项，已完成1项，完成率[\d.]+%；逾期未报\d+项，取消未补办\d+项。",
                            lines[2]), lines[2]
        assert re.fullmatch(r"单位灯色：(红灯\d+个|黄灯\d+个|绿灯\d+个|无灯色\d+个|，)+。问题\d+项："
                            r"高\d+项，中\d+项，低\d+项，提示\d+项。", lines[3]), lines[3]
        assert not re.search(r"\d{4}-\d{2}-\d{2}", text)
        words = [line for line in lines[:4] if line] + [line for line in lines if "【" in line]
        assert not [line for line in words if SPACED.search(line)], words
    (row,) = [line for line in lines if line.split()[1:2] == ["县委宣传部"]]  # 最近登记: the day
    assert re.search(r"  \d{4}年\d{1,2}月\d{1,2}日  ", row), row  # the report was made, in words
    text = ws.run("gaps", "--today", "2025-11-15").output
    headings = [line for line in text.splitlines() if line.startswith("【")]
    assert headings and all(re.fullmatch(r"【\S+】\S+灯\u3000问题\d+项", h) for h in headings)


def findings(ws, today, kind=None, *args):
    out = ws.run("gaps", "--today", today, "--format", "json", *args).output
    found = json.loads(out)["findings"]
    return [f for f in found if kind is None or f["kind"] == kind]


def test_json_has_the_documented_shape(ws):
    data = json.loads(ws.run("gaps", "--today", "2025-11-15", "--format", "json").output)
    assert data["as_of"] == "2025-11-15"
    assert data["period"] == {"from": "2025-01-01", "to": "2025-12-31"}
    assert set(data["summary"]) >= {"by_kind", "by_severity", "by_measure", "by_unit"}
    for f in data["findings"]:
        assert set(f) >= {"kind", "severity", "measure", "obligation", "unit", "slot", "start",
                          "end", "message"}


def test_uncovered_measure(ws):
    (found,) = findings(ws, "2025-11-15", "uncovered_measure")
    assert found["measure"] == 4 and "没有任何对应的工作安排" in found["message"]
    ws.plan.write_text(ws.plan.read_text(encoding="utf-8") + (
        "    obligations:\n      - {id: m04-theme, title: 主题活动, quote: 开展各类主题科普活动, "
        "yearly: 05-20, assumed: 测试}\n"), encoding="utf-8")
    ws.run("build", "--today", "2025-01-02")
    assert findings(ws, "2025-11-15", "uncovered_measure") == []


def test_unfilled_slot_after_a_cancellation_and_its_makeup(ws):
    assert findings(ws, "2025-11-15", "unfilled_slot") == []
    ws.run("record", "cancel", "m01-tv/2025-W10", "--reason", "设备检修")
    (found,) = findings(ws, "2025-11-15", "unfilled_slot")
    assert (found["slot"], found["start"], found["end"]) == ("2025-W10", "2025-03-03",
                                                             "2025-03-10")
    assert found["unit"] == "xuanchuan" and found["measure"] == 1
    ws.run("add", "--unit", "xuanchuan", "--title", "电视科普栏目（补播）", "--on", "2025-03-07",
           "--fills", "m01-tv/2025-W10")
    assert findings(ws, "2025-11-15", "unfilled_slot") == []


def test_a_year_needs_only_min_contests(ws):
    ws.run("record", "cancel", "m02-contest/2025#1", "--reason", "场地")
    assert findings(ws, "2025-11-15", "unfilled_slot") == []  # 1 of min 1 still live
    ws.run("record", "cancel", "m02-contest/2025#2", "--reason", "场地")
    (found,) = findings(ws, "2025-11-15", "unfilled_slot")
    assert found["slot"] == "2025" and found["obligation"] == "m02-contest"


def test_overdue_beyond_the_grace_period(ws):
    overdue = {f["slot"] for f in findings(ws, "2025-03-12", "overdue", "--detail")
               if f["obligation"] == "m01-tv"}
    assert "2025-W10" not in overdue  # Wednesday Mar 5 plus 7 days of grace: not yet
    assert "2025-W09" in overdue
    ws.run("record", "done", "m01-tv/2025-W09")
    overdue = {f["slot"] for f in findings(ws, "2025-03-12", "overdue", "--detail")}
    assert "2025-W09" not in overdue and "2025-W08" in overdue


def test_overdue_events_of_one_obligation_are_one_finding(ws):
    (found,) = [f for f in findings(ws, "2025-03-12", "overdue") if f["obligation"] == "m01-tv"]
    assert (found["count"], found["first"], found["last"]) == (9, "2025-01-01", "2025-02-26")
    assert found["message"] == "电视科普栏目：逾期未报9次（2025年1月1日至2月26日）"
    assert found["events"] == [f"m01-tv/2025-W{w:02d}" for w in range(1, 10)]
    assert found["uids"] == found["events"] and found["unit"] == "xuanchuan"


def test_quota_behind_pro_rata_and_met(ws):
    (found,) = findings(ws, "2025-07-01", "quota_behind")
    assert found["obligation"] == "m02-training" and "已记录0名，按进度应达15名" in found["message"]
    ws.run("record", "done", "m02-training/2025#1", "--attendance", "16")
    assert findings(ws, "2025-07-01", "quota_behind") == []
    assert findings(ws, "2025-12-31", "quota_behind")  # the full year asks for 30


def test_milestone_behind_the_line_and_on_it(ws):
    (found,) = findings(ws, "2025-07-01", "milestone_behind")
    assert "按进度应达4处" in found["message"] and found["severity"] == "medium"
    assert findings(ws, "2025-12-31", "milestone_behind")[0]["severity"] == "high"
    uid = ws.run("add", "--unit", "县科协", "--title", "创建市级科普教育基地：天城中学",
                 "--on", "2025-06-20", "--toward", "m02-bases").output.strip()
    ws.run("record", "done", uid, "--attendance", "5")
    assert findings(ws, "2025-07-01", "milestone_behind") == []


def test_rotation_uncovered_while_visits_lie_ahead(ws):
    found = findings(ws, "2025-06-01", "rotation_uncovered", "--detail")
    assert {f["slot"] for f in found} == {"2025-2025/tiancheng", "2025-2025/shaping"}
    assert all("本轮剩余" in f["message"] for f in found)
    (both,) = findings(ws, "2025-06-01", "rotation_uncovered")
    assert both["count"] == 2 and both["message"].startswith("科普大篷车尚未到达2处：")
    for f in found:
        ws.run("record", "done", f["uids"][0])
    assert findings(ws, "2025-06-01", "rotation_uncovered") == []


def test_idle_unit_for_n_months_and_not_when_busy(ws):
    found = findings(ws, "2025-11-15", "idle_unit")
    idle = {(f["unit"], f["start"]) for f in found}
    assert ("tongji", "2025-01-01") in idle  # nothing until June: 5 months
    assert not any(unit == "xuanchuan" for unit, _ in idle)  # weekly TV
    tongji = next(f for f in found if f["unit"] == "tongji")
    assert tongji["message"] == "县统计局有2段连续3个月以上没有任何活动：2025年1月至5月、2025年7月至9月"


def test_overload_on_a_day_and_a_flexible_event_on_a_holiday(ws):
    found = findings(ws, "2025-11-15", "overload")
    assert {(f["unit"], f["slot"]) for f in found} == {("tongji", "2025-06-10"),
                                                       ("tongji", "2025")}
    assert any("安排在休息日" in f["message"] for f in found)
    ws.edit("  overload_day: 2", "  overload_day: 3")
    found = findings(ws, "2025-11-15", "overload")
    assert [f["slot"] for f in found] == ["2025"]


def test_no_finding_is_raised_twice_for_one_cause(ws):
    found = findings(ws, "2025-11-15")
    keys = [(f["kind"], f["unit"], f["slot"], f["obligation"], f["start"]) for f in found]
    assert len(keys) == len(set(keys))


def test_filters_by_unit_category_and_period(ws):
    units = {f["unit"] for f in findings(ws, "2025-11-15", None, "--unit", "县统计局")}
    assert units == {"tongji"}
    measures = {f["measure"] for f in findings(ws, "2025-11-15", None, "--category", "B")}
    assert measures == {3, 4}
    march = findings(ws, "2025-11-15", "overdue", "--from", "2025-03-01", "--to", "2025-03-31")
    assert march and all(f["start"].startswith("2025-03") for f in march)


def test_check_exits_non_zero_at_or_above_the_severity(ws):
    result = ws.run("gaps", "--today", "2025-11-15", "--check", "--severity", "high", ok=False)
    assert result.exit_code == 3
    result = ws.run("gaps", "--today", "2025-01-02", "--unit", "县委宣传部", "--check",
                    "--severity", "medium", ok=False)
    assert result.exit_code == 0


def test_text_lines_up_and_html_is_escaped(ws):
    text = ws.run("gaps", "--today", "2025-11-15").output
    assert text.startswith("督查报告　截至2025年11月15日") and "各措施" in text and "各单位排名" in text
    ws.run("add", "--unit", "县科协", "--title", "<b>注入</b>", "--on", "2025-02-02",
           "--toward", "m02-bases")
    html = ws.run("gaps", "--today", "2025-11-15", "--format", "html").output
    assert "<table class=\"heat\">" in html and "县统计局" in html
    assert "<b>注入</b>" not in html


def test_build_writes_the_report_into_exports(ws):
    ws.run("build", "--today", "2025-11-15")
    data = json.loads((ws.exports / "gaps" / "gaps.json").read_text(encoding="utf-8"))
    assert data["as_of"] == "2025-11-15" and data["findings"]
    assert (ws.exports / "gaps" / "index.html").read_text(encoding="utf-8").count("<tr>") > 5


@pytest.fixture(scope="module")
def nothing_recorded(shipped_plan, tmp_path_factory):
    """The shipped plan stored as built on 2025-01-01, with nothing recorded since."""
    from calendar_app.build import revision_time
    from calendar_app.schedule.expansion import expand

    with Store.open(tmp_path_factory.mktemp("gaps") / "c.db", create=True) as store:
        store.sync(expand(shipped_plan).events, (shipped_plan.start, shipped_plan.end),
                   revision_time(date(2025, 1, 1)), "test")
        return store.entries()


def test_the_shipped_plan_as_of_the_end_with_nothing_recorded(shipped_plan, nothing_recorded):
    entries = nothing_recorded
    report = analyse(shipped_plan, entries, date(2025, 12, 31))
    overdue = {u for f in report.findings if f.kind == "overdue" for u in f.uids}

    def day_after(e):
        return e.end if e.all_day else e.end.date() + timedelta(days=1)

    # 7 days of grace for an event, none for a report task (its day is its deadline); the
    # daily push is judged by its monthly reports alone
    past = {e.uid for e in entries if e.kind == "event" and e.reported_alone
            and day_after(e) <= date(2025, 12, 24)}
    teams = {u for u in past if u.startswith("m27-teams/")}  # said as a milestone behind
    reports = {e.uid for e in entries if e.kind == "report" and day_after(e) <= date(2025, 12, 31)}
    assert len(past) > 1600 and len(teams) == 36 and len(reports) == 59
    assert (past - teams) | reports == overdue
    assert all(e.obligation == "m19-daily-push" for e in entries if e.uid in reports)
    quotas = [p for p in report.progress if p.kind == "quota"]
    assert len(quotas) == 15 and all(p.recorded == 0 and p.due_now == p.target for p in quotas)


def test_gap_messages_say_each_problem_once_and_in_the_words_meant(shipped_plan,
                                                                   nothing_recorded):
    from calendar_app.supervision.lights import review

    report = analyse(shipped_plan, nothing_recorded, date(2025, 12, 31))
    messages = [f.message for f in report.findings]
    # The volunteer teams' deadline: one finding per unit, the milestone, not also overdue.
    teams = [f for f in report.findings if f.obligation == "m27-teams"]
    assert len(teams) == 36 and {f.kind for f in teams} == {"milestone_behind"}
    assert len({f.unit for f in teams}) == 36
    assert teams[0].message.endswith("：已记录0人，2021年6月30日前目标30人，已过期限")
    # The table's 2020 count fell due before the plan: shown as a target, judged by no light.
    assert not [f for f in report.findings if f.obligation == "m27-registered-2020"]
    (count,) = [p for p in report.progress if p.obligation == "m27-registered-2020"]
    assert count.unit == "kexie" and not count.judged and count.behind == 0
    kexie = next(s for s in review(shipped_plan, nothing_recorded, date(2025, 12, 31)).units
                 if s.id == "kexie")
    assert not any("注册科技志愿者" in reason for reason in kexie.reasons)
    assert not any(m.count("注册科技志愿者") > 1 for m in messages)
    # A year that is over has a target, no pace; the year under way has its pace.
    teachers = next(f for f in report.findings if f.obligation == "m3-rural-teachers"
                    and f.kind == "quota_behind")
    assert "2021年已记录0名，全年目标30名" in teachers.message
    assert "2021年已记录0名，按进度应达" not in teachers.message
    mid_year = analyse(shipped_plan, nothing_recorded, date(2025, 6, 30))
    (training,) = [f for f in mid_year.detail if f.obligation == "m4-farmer-training"
                   and f.kind == "quota_behind" and f.slot == "2025"]
    assert "2025年已记录0人次，按进度应达992人次（全年目标2000人次）" in training.message
    # 200 a year is the county's reading of the table, and the title says so.
    leaders = next(f for f in report.findings if f.obligation == "m4-leader-training"
                   and f.kind == "quota_behind")
    assert leaders.message.startswith("农村创业创新带头人培育（县里按每年200名以上计）：")
    assert "（每年200名以上）" not in "".join(messages)


def test_the_analysis_is_pure(shipped_plan):
    first = analyse(shipped_plan, [], date(2025, 6, 30))
    again = analyse(load_plan(ROOT / "recurring.yaml"), [], date(2025, 6, 30))
    assert first.findings == again.findings
    # no event at all: every measure is uncovered
    assert sum(f.kind == "uncovered_measure" for f in first.findings) == 30


def test_gaps_help_runs_as_a_module():
    out = subprocess.run([sys.executable, "-m", "calendar_app", "gaps", "--help"],
                         capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert "--check" in out and "--severity" in out


def test_html_findings_link_to_the_row_of_their_event_on_a_printed_page(ws):
    import re

    ws.run("build", "--today", "2025-11-15")
    html = (ws.exports / "gaps" / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="\.\./print/([0-9-]+)/([a-z]+)\.html#(e-[A-Za-z0-9-]+)">', html)
    assert links
    for month, unit, row in links[:20]:
        page = (ws.exports / "print" / month / f"{unit}.html").read_text(encoding="utf-8")
        assert f'<tr id="{row}"' in page, (month, unit, row)
