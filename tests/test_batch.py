"""按计划全部完成: a month of a weekly routine reported in one form on a unit's home, and on
the command line; the bad batches refused whole, beside their field, with nothing changed."""

import io

from calendar_app.store import Store

from .conftest import PASSWORDS, csrf, on_both_databases
from .test_web_reports import photo

pytestmark = on_both_databases
MAY = [f"m02-tv/2025-W{w}" for w in (19, 20, 21, 22)]  # the Wednesdays 5-07 to 5-28


def _history_rows(web) -> int:
    return web.ws.database.rows("SELECT COUNT(*) FROM history")[0][0]


def test_a_month_of_a_weekly_routine_in_one_form(web):
    client = web.client("xc")  # 县委宣传部 leads the weekly TV segment
    home = client.get("/").text
    assert home.index("本周待办") < home.index("例行工作") < home.index("逾期未报")
    assert 'href="/batch/m02-tv?period=2025-05"' in home and "按计划全部完成" in home
    page = client.get("/batch/m02-tv?period=2025-05").text
    assert "2025年5月" in page and "按计划全部完成（4项）" in page
    for uid in MAY:
        assert f'name="uid" value="{uid}" checked' in page
    answer = client.post("/batch/m02-tv?period=2025-05", data={
        "csrf_token": csrf(page), "period": "2025-05", "uid": MAY[:3], "note": "按节目单播出",
        "files": [(io.BytesIO(photo()), "播出截图.jpg")]}, content_type="multipart/form-data")
    assert answer.status_code == 303 and answer.headers["Location"] == "/"
    home = client.get("/").text
    assert "已按计划登记完成3项：2025年5月电视科普栏目" in home
    done = [web.entry(uid) for uid in MAY]
    assert [e.status for e in done] == ["done", "done", "done", "planned"]  # 5-28 left out
    assert [e.done_on.isoformat() for e in done[:3]] == ["2025-05-07", "2025-05-14",
                                                         "2025-05-21"]
    assert {e.remark for e in done[:3]} == {"按节目单播出"}
    with Store.open(web.ws.db) as store:
        files = [store.evidence(uid) for uid in MAY]
        history = store.history(MAY[0])
    assert [len(f) for f in files] == [1, 1, 1, 0] and len({f[0].sha256 for f in files[:3]}) == 1
    assert history[-1]["by"] == "xc" and history[-1]["detail"]["batch"] == "2025年5月"
    page = client.get(f"/events/{MAY[0]}").text
    assert "按计划全部完成：2025年5月" in page
    # the month again: what is reported is shown so, and only 5-28 is left to tick
    page = client.get("/batch/m02-tv?period=2025-05").text
    assert "按计划全部完成（1项）" in page and f'value="{MAY[0]}"  disabled' in page
    assert client.post("/batch/m02-tv?period=2025-05", data={
        "csrf_token": csrf(page), "period": "2025-05", "uid": MAY[3:]}).status_code == 303
    # all reported: nothing to tick, so no note or evidence is asked for
    page = client.get("/batch/m02-tv?period=2025-05").text
    assert "这个时段的活动都已登记。" in page and 'name="note"' not in page


def test_a_period_not_yet_in_its_last_week_says_when_it_opens_and_offers_no_button(web):
    """On 2025-06-20 June and its fourth week are not over: the page lists their days and
    says from when they may be reported, with nothing to tick and no button to be refused."""
    client = web.client("xc")
    page = client.get("/batch/m02-tv?period=2025-06").text
    assert '<p class="warn">2025年6月尚未结束，2025年6月24日起方可按计划全部登记。</p>' in page
    assert "2025年6月18日（周三）" in page  # its days are listed
    assert 'name="uid"' not in page and "按计划全部完成（" not in page
    assert 'method="post"' not in page.split("<h2>", 1)[1].split("返回首页")[0]
    # a week's last week is itself: this one is open from its Monday
    page = client.get("/batch/m02-tv?period=2025-W25").text
    assert 'type="submit">按计划全部完成（1项）</button>' in page and "尚未结束" not in page


def test_a_bad_batch_is_refused_whole_beside_its_field(web):
    client = web.client("xc")
    page = client.get("/batch/m02-tv?period=2025-05").text
    before = _history_rows(web)

    def post(uids, period="2025-05"):
        return client.post(f"/batch/m02-tv?period={period}", data={
            "csrf_token": csrf(page), "period": period, "uid": uids, "note": "已播出"})

    for uids, period, message in (
            # another unit's routine (县应急管理局's monthly meeting) named in the batch
            ([MAY[0], "m02-monthly/2025-05"], "2025-05",
             "月度例会（2025年5月5日）不是本单位电视科普栏目在2025年5月的安排"),
            # one of another month
            ([MAY[0], "m02-tv/2025-W15"], "2025-05",
             "电视科普栏目（2025年4月9日）不是本单位电视科普栏目在2025年5月的安排"),
            ([], "2025-05", "请至少勾选一项已完成的活动"),
            # June has not reached its last week on 2025-06-20 (a page from before, or forged:
            # June's own page offers no form)
            (["m02-tv/2025-W24"], "2025-06", "2025年6月尚未结束，2025年6月24日起方可按计划全部登记")):
        answer = post(uids, period)
        assert answer.status_code == 400, message
        assert f'<div class="field-error" role="alert">{message}</div>' in answer.text
        assert period == "2025-06" or "已播出" in answer.text  # what was typed stays
    assert _history_rows(web) == before and web.entry(MAY[0]).status == "planned"
    # a unit that does not lead the routine has no such page
    assert web.client("yj").get("/batch/m02-tv?period=2025-05").status_code == 404
    answer = web.client("yj").post("/batch/m02-tv?period=2025-05", data={
        "csrf_token": csrf(page), "period": "2025-05", "uid": MAY})
    assert answer.status_code in (400, 404) and _history_rows(web) == before


def test_a_month_on_the_command_line(stored_small, database):
    run = stored_small.run
    out = run("record", "batch", "m02-tv", "--unit", "县委宣传部", "--period", "2025-04",
              "--skip", "m02-tv/2025-W16", "--note", "按节目单播出", "--today", "2025-05-06").output
    assert out == "m02-tv 2025-04: 4 events done\n"
    with Store.open(stored_small.db) as store:
        april = [e for e in store.entries(obligations=["m02-tv"]) if e.start.month == 4]
    assert [e.status for e in april] == ["done", "done", "planned", "done", "done"]
    before = database.rows("SELECT COUNT(*) FROM history")
    for args, message in (
            (("--period", "2025-04"), "the period 2025年4月 has not ended"),
            (("--period", "2025-03", "--skip", "m02-day/2025"),
             "m02-day/2025 is not a planned m02-tv event of xuanchuan in 2025-03"),
            (("--period", "2025-13"), "'2025-13' is not a week (2025-W23) or month (2025-06)")):
        today = "2025-04-20" if "2025-04" in args else "2025-05-06"
        result = run("record", "batch", "m02-tv", "--unit", "xuanchuan", *args, "--today", today,
                     ok=False)
        assert result.exit_code == 1 and message in result.output, result.output
    result = run("record", "batch", "m02-day", "--unit", "yingji", "--period", "2025-05",
                 ok=False)
    assert result.exit_code == 1 and "is not a routine reported each" in result.output
    assert database.rows("SELECT COUNT(*) FROM history") == before


def _upload(web, client, data: bytes, name: str = "清单.xlsx"):
    page = client.get("/sheets").text
    return client.post("/sheets", data={"csrf_token": csrf(page),
                                        "sheet": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _filled(data: bytes, rows: dict[str, dict[str, object]]) -> bytes:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    for line in sheet.iter_rows(min_row=2):
        for column, value in rows.get(line[header.index("编号")].value, {}).items():
            line[header.index(column)].value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_catch_up_sheet_lists_what_is_overdue_across_months_and_imports_all_or_nothing(web):
    import openpyxl

    web.ws.edit("assumed: 测试}", "assumed: 测试, report: monthly, report_reason: 按月汇总报送, "
                "counted: 推送条数, lead: 县委宣传部, assigned: 测试}")
    web.ws.run("build", "--today", "2025-01-01")
    client = web.client("xc")
    assert "逾期未报清单" in client.get("/").text
    data = client.get("/sheets/backlog.xlsx").data
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet.title == "逾期未报清单"
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    header = [c.value for c in sheet[1]]
    keys = [r[header.index("编号")] for r in rows]
    # the weekly TV segment from January on, and the monthly push reports, oldest first
    assert keys[0] == "m02-tv/2025-W01" and "m03-push/report-2025-05" in keys
    assert not any(k.startswith("m03-push/2025-") for k in keys)  # no push day by day
    may = rows[keys.index("m03-push/report-2025-05")]
    assert may[0] == "2025年5月每日推送情况报送"
    assert may[header.index("数量说明")] == "完成推送条数（本期计划9）"
    assert rows[0][header.index("数量说明")] == "参加人数"
    # one bad row: nothing lands
    bad = _filled(data, {"m02-tv/2025-W01": {"状态": "完成"},
                         "m03-push/report-2025-05": {"状态": "完成", "数量": 12}})
    answer = _upload(web, client, bad)
    assert answer.status_code == 400 and "完成数量（12）多于本期计划数量（9）" in answer.text
    assert web.entry("m02-tv/2025-W01").status == "planned"
    good = _filled(data, {"m02-tv/2025-W01": {"状态": "完成"},
                          "m03-push/report-2025-05": {"状态": "完成", "数量": 9}})
    answer = _upload(web, client, good)
    assert answer.status_code == 200 and "上传成功：2项活动已更新" in answer.text
    assert ">2025年5月每日推送情况报送</a></td><td>2025年6月9日</td><td>报送本期情况</td>" \
        in answer.text
    task = web.entry("m03-push/report-2025-05")
    assert (task.status, task.done_count, task.planned_count) == ("done", 9, 9)
    # the catch-up sheet on the command line too
    out = web.ws.run("export", "report-template", "--unit", "xuanchuan", "--overdue",
                     "--today", "2025-06-20").output.split()
    assert out[0].endswith("exports/reports/xuanchuan-逾期未报清单.csv")
    again = open(out[0], encoding="utf-8-sig").read()
    assert "m02-tv/2025-W01" not in again and "m02-tv/2025-W02" in again


def test_a_count_is_asked_in_its_own_words(web):
    import openpyxl

    web.ws.edit("observance: 防灾减灾日}", "observance: 防灾减灾日, counted: 队伍人数}")
    client = web.client("yj")
    page = client.get("/events/m02-day/2025").text
    assert '<label for="attendance">队伍人数</label>' in page and ">参加人数<" not in page
    answer = client.post("/events/m02-day/2025/done", data={
        "csrf_token": csrf(page), "seen": "0", "attendance": "三十"})
    assert answer.status_code == 400
    assert '<div class="field-error" role="alert">队伍人数须为0或更大的整数</div>' in answer.text
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/sheets/2025-05.xlsx").data)).active
    header = [c.value for c in sheet[1]]
    (row,) = [r for r in sheet.iter_rows(min_row=2, values_only=True)
              if r[header.index("编号")] == "m02-day/2025"]
    assert row[header.index("数量说明")] == "队伍人数"


def test_a_week_open_on_its_monday_offers_only_the_days_already_held(web):
    """On Monday 2025-06-16 the week 2025-W25 may be reported, but its Wednesday segment
    has not been broadcast: it is listed as 未到, not ticked, and a form naming it anyway
    is refused whole; the command line's batch leaves it planned."""
    from datetime import datetime

    from calendar_app.model import TZ
    from calendar_app.web import Site, create_app

    site = Site(web.ws.plan, web.ws.db, web.ws.exports,
                clock=lambda: datetime(2025, 6, 16, 10, 0, tzinfo=TZ))
    app = create_app(site, refresh_in_background=False)
    client = app.test_client()
    login = client.get("/login").text
    client.post("/login", data={"login": "xc", "password": PASSWORDS["xc"],
                                "csrf_token": csrf(login)})
    page = client.get("/batch/m02-tv?period=2025-W25").text
    assert "未到，举行后再登记" in page and 'value="m02-tv/2025-W25"  disabled' in page
    assert "这个时段的活动还没到，举行后再登记。" in page and 'name="note"' not in page
    assert "勾选的活动" not in page  # nothing to tick: no instructions for ticking
    before = _history_rows(web)
    answer = client.post("/batch/m02-tv?period=2025-W25", data={
        "csrf_token": csrf(page), "period": "2025-W25", "uid": ["m02-tv/2025-W25"]})
    assert answer.status_code == 400
    assert "2025年6月18日的电视科普栏目还没到，举行后再登记" in answer.text
    assert _history_rows(web) == before
    out = web.ws.run("record", "batch", "m02-tv", "--unit", "xuanchuan", "--period",
                     "2025-W25", "--today", "2025-06-16", ok=False)
    with Store.open(web.ws.db) as store:
        assert store.entry("m02-tv/2025-W25").status == "planned", out.output

    # Tuesday 6-24, June's last week: its first three Wednesdays are ticked, 6-25 is not.
    late = create_app(Site(web.ws.plan, web.ws.db, web.ws.exports,
                           clock=lambda: datetime(2025, 6, 24, 10, 0, tzinfo=TZ)),
                      refresh_in_background=False).test_client()
    login = late.get("/login").text
    late.post("/login", data={"login": "xc", "password": PASSWORDS["xc"],
                              "csrf_token": csrf(login)})
    page = late.get("/batch/m02-tv?period=2025-06").text
    assert "按计划全部完成（3项）" in page
    assert late.post("/batch/m02-tv?period=2025-06", data={
        "csrf_token": csrf(page), "period": "2025-06",
        "uid": [f"m02-tv/2025-W{w}" for w in (23, 24, 25)]}).status_code == 303
    page = late.get("/batch/m02-tv?period=2025-06").text
    assert "这个时段已举行的活动都已登记；其余1项还没到，举行后再登记。" in page
