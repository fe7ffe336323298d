"""The reporting grain: an obligation reported by period has a report task per period, due a
number of working days after it, judged instead of its events; the plan key, the tasks the
schedule makes, the store, the feeds, the command line and the web form."""

import json
import re
import shutil
from collections import Counter
from datetime import date

import pytest

from calendar_app.plan.reader import load_plan
from calendar_app.schedule.expansion import expand
from calendar_app.store import Store

from .conftest import SHIPPED, Workspace, csrf, data_file, on_both_databases

MONTHLY_PUSH = ("assumed: 测试}", "assumed: 测试, report: monthly, report_reason: 按月汇总报送, "
                "counted: 推送条数}")


def _lines(ws) -> list[str]:
    return ws.run("validate", ok=False).output.strip().splitlines()


def _line_of(ws: Workspace, oid: str) -> int:
    return next(n for n, text in enumerate(ws.plan.read_text("utf-8").splitlines(), 1)
                if f"{{id: {oid}," in text)


@pytest.mark.parametrize(("keys", "message"), [
    ("report: daily", "obligation m03-push: report must be one of each, weekly, monthly, "
                      "quarterly, not 'daily'"),
    ("report: monthly", "obligation m03-push: report: monthly is the county's choice (the "
                        "table says nothing of reporting); say why in `report_reason`"),
    ("report_reason: 按月", "obligation m03-push: report_reason is for an obligation reported "
                          "by period (report: weekly, monthly or quarterly); drop it"),
    ("report: monthly, report_reason: 按月, report_due_days: 61",
     "obligation m03-push: report_due_days must be a whole number of working days from 0 to "
     "60"),
    ("report: monthly, report_reason: 按月, report_due_days: '5'",
     "obligation m03-push: report_due_days must be a whole number of working days from 0 to "
     "60"),
    ("report: weekly, report_reason: 种子说的",
     "obligation m03-push: report_reason says 种子; units read it: call the source 分工表 or "
     "实施方案"),
])
def test_a_bad_grain_is_one_line_naming_the_file_and_line(tmp_path, keys, message):
    ws = Workspace(tmp_path, data_file("small.yaml"))
    ws.edit("assumed: 测试}", f"assumed: 测试, {keys}}}")
    assert _lines(ws) == [f"{ws.plan}:{_line_of(ws, 'm03-push')}: {message}"]


def test_a_quota_is_not_reported_by_period(tmp_path):
    ws = Workspace(tmp_path, data_file("small.yaml"))
    ws.edit("quota: {per_year: 2000, unit: 人次}}",
            "quota: {per_year: 2000, unit: 人次}, report: quarterly, report_reason: 按季度}")
    line = _line_of(ws, "m03-quota")
    assert _lines(ws) == [f"{ws.plan}:{line}: obligation m03-quota: report: quarterly counts a "
                          "period's events; a quota is reported by the number reached, not by "
                          "period"]


def _plan(tmp_path, grain: str, due: str = ""):
    tmp_path.mkdir(exist_ok=True)
    ws = Workspace(tmp_path, data_file("small.yaml"))
    ws.edit("assumed: 测试}", f"assumed: 测试, report: {grain}, report_reason: 按期汇总报送"
                            f"{due}}}")
    return load_plan(ws.plan)


def test_a_monthly_grain_makes_a_task_a_month_due_five_working_days_after(tmp_path):
    plan = _plan(tmp_path, "monthly")
    events = expand(plan).events
    tasks = [e for e in events if e.kind == "report"]
    pushes = [e for e in events if e.obligation == "m03-push" and e.kind == "event"]
    assert len(pushes) == 104 and {e.reported for e in pushes} == {"monthly"}
    assert [t.uid for t in tasks] == [f"m03-push/report-2025-{m:02d}" for m in range(1, 13)]
    january, june, december = tasks[0], tasks[5], tasks[11]
    # 2025-01-28 to 02-04 are the Spring Festival's days off, 02-08 (a Saturday) is worked
    assert (january.start, january.end) == (date(2025, 2, 10), date(2025, 2, 11))
    assert (january.slot.start, january.slot.end) == (date(2025, 1, 1), date(2025, 2, 1))
    assert january.title == "2025年1月每日推送情况报送" and january.units == ("tiancheng",)
    assert june.start == date(2025, 7, 7) and not june.notes
    # due after the plan ends: on its last day, and it says so
    assert december.start == date(2025, 12, 31)
    assert december.notes == ("实施期于2025年12月31日结束，本期情况须在此前报送",)
    # nothing else changed: the events reported one by one are as before
    before = {e.uid: e.digest for e in expand(load_plan(data_file("small.yaml"))).events}
    assert {e.uid: e.digest for e in events if e.obligation != "m03-push"} == {
        uid: digest for uid, digest in before.items() if not uid.startswith("m03-push")}


def test_weekly_and_quarterly_periods_and_a_due_day_of_zero(tmp_path):
    weekly = [e for e in expand(_plan(tmp_path / "w", "weekly")).events if e.kind == "report"]
    assert len(weekly) == 53 and weekly[0].uid == "m03-push/report-2025-W01"
    assert weekly[0].title == "2024年12月30日至2025年1月5日每日推送情况报送"
    assert weekly[1].title == "2025年1月6日至1月12日每日推送情况报送"
    quarterly = [e for e in expand(_plan(tmp_path / "q", "quarterly", ", report_due_days: 0"))
                 .events if e.kind == "report"]
    assert [(t.uid, t.start) for t in quarterly] == [
        ("m03-push/report-2025-Q1", date(2025, 3, 31)), ("m03-push/report-2025-Q2", date(2025, 6, 30)),
        ("m03-push/report-2025-Q3", date(2025, 9, 30)), ("m03-push/report-2025-Q4", date(2025, 12, 31))]
    assert quarterly[1].title == "2025年第二季度每日推送情况报送"


def test_the_shipped_daily_push_is_reported_monthly_and_says_why(shipped_plan):
    (push,) = [o for o in shipped_plan.obligations if o.id == "m19-daily-push"]
    assert (push.report, push.report_due_days, push.counted) == ("monthly", 5, "推送条数")
    assert "按月报送" in push.basis and push.basis.startswith("县里安排：")
    weekly = [o for o in shipped_plan.obligations if o.id in ("m19-tv-weekly", "m19-paper-weekly")]
    assert [o.report for o in weekly] == ["each", "each"]
    tasks = [e for e in expand(shipped_plan).events if e.kind == "report"]
    assert len(tasks) == 60 and {t.obligation for t in tasks} == {"m19-daily-push"}
    assert {t.units for t in tasks} == {("xuanchuan",)}


@pytest.fixture(scope="module")
def shipped_feeds(shipped_built, tmp_path_factory):
    """The shipped plan as built, nothing recorded, its feeds as of 2025-06-30."""
    ws = Workspace(tmp_path_factory.mktemp("grain-feeds"), SHIPPED)
    shutil.copy(shipped_built.db, ws.db)
    ws.run("export", "feeds", "--today", "2025-06-30")
    return ws


def test_the_leads_feed_marks_late_months_not_late_days(shipped_feeds):
    text = (shipped_feeds.exports / "feeds" / "xuanchuan.ics").read_bytes().decode()
    unfolded = text.replace("\r\n ", "")
    late = [line for line in unfolded.split("\r\n") if line.startswith("SUMMARY:【逾期未报】")]
    push = [line for line in late if "天天科普" in line]
    assert push == [f"SUMMARY:【逾期未报】2025年{m}月“天天科普”推送情况报送（牵头）" for m in (3, 4, 5)]
    # the pushes stay one recurring event, with no day of it overdue
    assert "UID:m19-daily-push-lead@" in unfolded
    assert "报送截止：2025年7月7日（星期一）" in unfolded
    assert "报送期：2025年6月1日至6月30日" in unfolded
    # a co-organiser does not report it: no task in 县科协's feed
    assert "情况报送" not in (shipped_feeds.exports / "feeds" / "kexie.ics").read_text("utf-8")


def test_the_gap_report_at_the_plans_end_counts_the_push_by_its_monthly_reports(shipped_feeds):
    """Nothing recorded, as of 2025-12-31: the daily push's overdue findings are its lead's
    report tasks, at most 12 a year, never its 1,800 days."""
    out = shipped_feeds.run("gaps", "--today", "2025-12-31", "--format", "json").output
    push = [f for f in json.loads(out)["findings"] if f["obligation"] == "m19-daily-push"]
    assert push and {(f["kind"], f["unit"]) for f in push} == {("overdue", "xuanchuan")}
    late = [uid for f in push for uid in f["uids"]]
    assert all(re.fullmatch(r"m19-daily-push/report-20\d\d-\d\d", uid) for uid in late)
    by_year = Counter(uid.split("-")[-2] for uid in late)
    assert by_year == {"2021": 12, "2022": 12, "2023": 12, "2024": 12, "2025": 11}
    assert "逾期未报59次" in push[0]["message"]


@on_both_databases
def test_a_period_is_reported_once_on_the_command_line(built_small, database):
    built_small.edit(*MONTHLY_PUSH)
    built_small.run("build", "--today", "2025-01-01")
    uid = "m03-push/report-2025-05"

    def refused(*args: str) -> str:
        before = database.rows("SELECT COUNT(*) FROM history")
        result = built_small.run("record", "period", uid, *args, ok=False)
        assert result.exit_code == 1 and "Traceback" not in result.output, result.output
        assert database.rows("SELECT COUNT(*) FROM history") == before
        return result.output.strip()

    assert refused("--done", "10", "--today", "2025-06-10") == (
        "10 done is more than the 9 planned in the period")
    assert refused("--done", "-1", "--today", "2025-06-10") == (
        "the number done must not be negative, got -1")
    assert refused("--done", "9", "--today", "2025-05-24") == (
        f"{uid}: the period 2025-05-01 to 2025-05-31 has not ended; its report may be made "
        "from 2025-05-25 on")
    assert refused("--done", "8", "--missed", "2025-05-06", "--today", "2025-06-10") == (
        "2025-05-06 is not a day the period plans one (2025年5月)")
    assert refused("--done", "8", "--missed", "2025-05-05", "--missed", "2025-05-08",
                   "--today", "2025-06-10") == (
        "2 days missed, but 8 of 9 done leaves 1")
    result = built_small.run("record", "period", "m03-push/2025-05-05", "--done", "1", ok=False)
    assert result.exit_code == 1 and "is an event, not a period's report task" in result.output
    result = built_small.run("record", "done", uid, ok=False)
    assert result.exit_code == 1 and "is a period's report task" in result.output

    out = built_small.run("record", "period", uid, "--done", "8", "--missed", "2025-05-05",
                          "--note", "停更一次", "--today", "2025-05-25").output
    assert out == f"{uid}: 8 of 9 done\n"
    with Store.open(built_small.db) as store:
        task = store.entry(uid)
        history = store.history(uid)
    assert (task.status, task.done_count, task.planned_count, task.missed, task.remark) == (
        "done", 8, 9, (date(2025, 5, 5),), "停更一次")
    assert task.done_on == date(2025, 5, 25)
    assert history[-1]["detail"] == {"done": 8, "missed": ["2025-05-05"], "note": "停更一次",
                                     "filed": "2025-05-25", "planned": 9}
    assert refused("--done", "9", "--today", "2025-06-10") == (
        f"{uid} is reported already; run `calendar-app record reset {uid}` first to report "
        "it again")
    feed = (built_small.exports / "feeds" / "tiancheng.ics").read_bytes().decode().replace(
        "\r\n ", "")
    assert "记录：已报送（2025年5月25日）：完成8（计划9）；未完成：5月5日；备注：停更一次" in feed


@on_both_databases
def test_a_period_is_reported_on_its_page_and_a_bad_count_is_named_beside_its_field(web):
    web.ws.edit("assumed: 测试}", "assumed: 测试, report: monthly, report_reason: 按月汇总报送, "
                "counted: 推送条数, lead: 县委宣传部, assigned: 测试}")
    web.ws.run("build", "--today", "2025-01-01")
    client = web.client("xc")
    uid = "m03-push/report-2025-05"
    page = client.get(f"/events/{uid}").text
    assert "本期计划推送条数：<strong>9</strong>" in page and "完成推送条数" in page
    assert "报送期：</strong>2025年5月1日至5月31日" in page
    assert "报送截止：</strong>2025年6月9日（周一）" in page
    assert '<span class="tag red">逾期未报</span>' in page  # due 2025-06-09; today 06-20

    def post(done: str, missed: tuple[str, ...] = ()):
        return client.post(f"/events/{uid}/period", data={
            "csrf_token": csrf(page), "seen": str(web.entry(uid).sequence), "done": done,
            "note": "按计划推送", "missed": list(missed)})

    for done, missed, message in (
            ("12", (), "完成数量（12）多于本期计划数量（9）"),
            ("-2", (), "完成数量不能为负数"),
            ("八", (), "请填写本期完成的数量（整数）"),
            ("8", ("2025-05-05", "2025-05-08"), "未完成日期有2天，多于计划与完成之差（1）")):
        answer = post(done, missed)
        assert answer.status_code == 400, done
        assert f'<div class="field-error" role="alert">{message}</div>' in answer.text
        assert "按计划推送" in answer.text  # what was typed is kept
        assert web.entry(uid).status == "planned"
    answer = post("9")
    assert answer.status_code == 303
    page = client.get(f"/events/{uid}").text
    assert "已报送本期情况：完成9（计划9）" in page and "已报送（9/9）" in page
    assert "完成数量：9；报送日期：2025年6月20日；备注：按计划推送；计划数量：9" in page
    # June is not over: refused beside the count
    june = "m03-push/report-2025-06"
    page = client.get(f"/events/{june}").text
    assert "本期尚未结束，2025年6月24日起方可报送。" in page
    # and no form to fill in only to be refused: the day it opens instead
    assert f'action="/events/{june}/period"' not in page and 'name="done"' not in page
    answer = client.post(f"/events/{june}/period", data={
        "csrf_token": csrf(page), "seen": str(web.entry(june).sequence), "done": "5"})
    assert answer.status_code == 400 and web.entry(june).status == "planned"
    assert ('<div class="field-error" role="alert">本期（2025年6月）尚未结束，2025年6月24日起方可报送'
            '</div>') in answer.text


def _section(page: str, heading: str, following: str) -> str:
    start = page.index(f"<h2>{heading}")
    return page[start:page.index(f"<h2>{following}", start)]


@on_both_databases
def test_a_units_home_folds_a_routine_reported_by_period_and_names_its_tasks_by_period(web):
    web.ws.edit(*MONTHLY_PUSH)
    web.ws.edit("counted: 推送条数}", "counted: 推送条数, lead: 县委宣传部, assigned: 测试}")
    web.ws.run("build", "--today", "2025-01-01")
    home = web.client("xc").get("/").text  # 2025-06-20, a Friday
    # the pushes (Mondays and Thursdays) are one line each list: their month's task reports them
    upcoming = _section(home, "未来两周", "本月活动")
    assert upcoming.count("每日推送") == 1 and "2025年6月23日至7月3日" in upcoming
    assert '<span class="tag">4次</span>' in upcoming and "按月报送，不逐项登记" in upcoming
    month = _section(home, "本月活动", "订阅本单位日历")
    assert month.count(">每日推送</a>") == 1 and "2025年6月2日至6月30日" in month
    assert ">2025年5月每日推送情况报送</a>" in month  # May's task, due 6-09, its own line
    assert '<span class="tag">9次</span>' in month
    # January to May overdue: one line by the obligation's name, each task by its period
    overdue = _section(home, "逾期未报", "未来两周")
    assert "<strong>每日推送情况报送</strong>" in overdue and "5次" in overdue
    assert "<strong>2025年" not in overdue
    assert ">2025年5月，2025年6月9日截止</a>" in overdue
    assert ">2025年1月，2025年2月" in overdue


def test_the_month_list_folds_a_routine_reported_by_period_into_one_line(web):
    """On a phone the month's list says the month's pushes once (9 days, 按月报送), with its
    task its own line; a push recorded alone keeps its own line; the printed month, a
    calendar grid, still has each day."""
    web.ws.edit(*MONTHLY_PUSH)
    web.ws.edit("counted: 推送条数}", "counted: 推送条数, lead: 县委宣传部, assigned: 测试}")
    web.ws.run("build", "--today", "2025-01-01")
    client = web.client("xc")
    page = client.get("/month/2025-06").text
    assert page.count(">每日推送</a>") == 1 and '<span class="tag">9次</span>' in page
    assert "6月2日—30日</div>" in page and "按月报送，不逐项登记" in page
    assert ">2025年5月每日推送情况报送</a>" in page
    web.ws.run("record", "cancel", "m03-push/2025-06-12", "--reason", "系统维护")
    page = client.get("/month/2025-06").text
    assert page.count(">每日推送</a>") == 2 and '<span class="tag">8次</span>' in page
    printed = client.get("/month/2025-06/print").text
    assert printed.count("每日推送") >= 9


@on_both_databases
def test_a_month_sheet_asks_for_the_periods_report_not_each_day_of_a_routine(built_small):
    """The month's sheet of a unit whose push is reported monthly has a row for the report
    task due that month and none for the pushes' days, but a day recorded alone (cancelled
    on its own page) keeps its row; the sheet imports back as no change."""
    built_small.edit(*MONTHLY_PUSH)
    built_small.run("build", "--today", "2025-01-01")
    built_small.run("record", "cancel", "m03-push/2025-06-09", "--reason", "停电")
    built_small.run("export", "report-template", "--unit", "tiancheng", "--month", "2025-06",
                    "--today", "2025-06-30")
    path = built_small.exports / "reports" / "tiancheng-2025-06.csv"
    keys = [line.rsplit(",", 1)[-1] for line in path.read_text("utf-8-sig").splitlines()[1:]]
    assert keys == ["m03-push/2025-06-09", "m03-push/report-2025-05"]  # of 8 pushes planned
    for suffix in ("csv", "xlsx"):
        out = built_small.run("import", str(path.with_suffix(f".{suffix}"))).output
        assert out.strip().endswith("0 events changed"), suffix
