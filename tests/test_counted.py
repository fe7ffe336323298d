"""What number a report asks for: the plan's `counted`, 参加人数 when it says nothing, and
none at all where it says 无 (a TV segment, a progress report): no field on the event page,
不填 in the report sheet and a number there refused by its row, `record done --attendance`
refused; a quota or milestone adds numbers up, so the plan may not say 无 for one."""

import io
import json
import shutil
from urllib.parse import quote

import openpyxl
import pytest

from calendar_app.reports.records import NOT_COUNTED
from calendar_app.store import Store

from .conftest import PASSWORDS, SHIPPED, WEB_NOW, Web, Workspace, csrf, data_file

NO_COUNT_TV = ("        alarm: 1d\n", "        alarm: 1d\n        counted: 无\n")
FIELD = 'name="attendance"'


def _line_of(ws: Workspace, text: str) -> int:
    return next(n for n, line in enumerate(ws.plan.read_text("utf-8").splitlines(), 1)
                if text in line)


@pytest.mark.parametrize(("old", "new", "said"), [
    ("        target: {per_year: 30, unit: 名}\n",
     "        target: {per_year: 30, unit: 名}\n        counted: 无\n",
     "obligation m01-teachers: counted: 无 asks no number, but its quota (30名) adds up the "
     "numbers reported; say what is counted (such as 培训人次) instead"),
    ("milestone: {target: 8, unit: 处, by: 2025-12-31}}",
     "milestone: {target: 8, unit: 处, by: 2025-12-31}, counted: 无}",
     "obligation m02-bases: counted: 无 asks no number, but its milestone (8处) adds up the "
     "numbers reported; say what is counted (such as 培训人次) instead"),
])
def test_a_target_s_obligation_may_not_ask_no_number(tmp_path, old, new, said):
    ws = Workspace(tmp_path, data_file("small.yaml"))
    ws.edit(old, new)
    line = _line_of(ws, "counted: 无")
    result = ws.run("validate", ok=False)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"{ws.plan}:{line}: {said}"]


def test_validate_lists_the_numbers_asked_word_by_word(tmp_path):
    ws = Workspace(tmp_path, data_file("small.yaml"))
    ws.edit(*NO_COUNT_TV)
    out = ws.run("validate").output
    section = out.split("\nnumbers asked when an event is reported done", 1)[1].splitlines()
    assert section[1:] == ["  无, none asked (1): m02-tv", "  参加人数 (15): the other obligations"]


def test_an_event_that_asks_no_number_is_reported_done_without_one(web):
    web.ws.edit(*NO_COUNT_TV)
    client = web.client("xc")
    uid = "m02-tv/2025-W24"  # Wednesday 2025-06-11, before the web's today (06-20)
    page = client.get(f"/events/{uid}").text
    assert "<summary>登记完成</summary>" in page and FIELD not in page
    assert "参加人数" not in page
    # a number sent anyway (not by the page) is refused at the top, and nothing changes
    answer = client.post(f"/events/{uid}/done", data={
        "csrf_token": csrf(page), "seen": str(web.entry(uid).sequence), "attendance": "30"})
    assert answer.status_code == 400
    assert f'<div class="alert" role="alert">{NOT_COUNTED}</div>' in answer.text
    assert web.entry(uid).status == "planned"
    answer = client.post(f"/events/{uid}/done", data={
        "csrf_token": csrf(page), "seen": str(web.entry(uid).sequence), "note": "按时播出"})
    assert answer.status_code == 303
    done = web.entry(uid)
    assert (done.status, done.attendance, done.remark) == ("done", None, "按时播出")
    month = client.get("/month/2025-06").text
    assert "完成（" not in month and "人）" not in month
    # an event of the same plan that does ask one still has its field
    other = web.client("yj").get("/events/m02-day/2025").text
    assert '<label for="attendance">参加人数</label>' in other and FIELD in other


def test_a_make_up_of_an_event_that_asks_no_number_has_no_count_field(web):
    web.ws.edit(*NO_COUNT_TV)
    client = web.client("xc")
    uid = "m02-tv/2025-W23"
    page = client.get(f"/events/{uid}").text
    client.post(f"/events/{uid}/cancel", data={"csrf_token": csrf(page), "seen": "0",
                                               "reason": "设备检修"})
    page = client.get(f"/events/{uid}").text
    assert "<summary>补办</summary>" in page and FIELD not in page
    assert "已经举行的，一并上传佐证材料，提交即登记完成。" in page


def _sheet_rows(path):
    sheet = openpyxl.load_workbook(path).active
    header = [c.value for c in sheet[1]]
    return sheet, header


def test_a_sheet_says_butian_and_refuses_a_number_for_it_by_its_row(stored_small):
    ws = stored_small
    ws.edit(*NO_COUNT_TV)
    path = ws.run("export", "report-template", "--unit", "县委宣传部", "--month", "2025-06",
                  "--today", "2025-06-30").output.split()[1]
    sheet, header = _sheet_rows(path)
    at = {name: i + 1 for i, name in enumerate(header)}
    rows = {sheet.cell(r, at["编号"]).value: r for r in range(2, sheet.max_row + 1)}
    assert sheet.cell(rows["m02-tv/2025-W24"], at["数量说明"]).value == "不填"
    assert sheet.cell(rows["m02-month/2025"], at["数量说明"]).value == "参加人数"
    for uid, count in (("m02-tv/2025-W23", None), ("m02-tv/2025-W24", 30),
                       ("m02-month/2025", 200)):
        sheet.cell(rows[uid], at["状态"]).value = "完成"
        sheet.cell(rows[uid], at["数量"]).value = count
    filled = ws.root / "filled.xlsx"
    sheet.parent.save(filled)
    before = ws.database.rows("SELECT uid, status, attendance FROM event ORDER BY uid")
    result = ws.run("import", str(filled), ok=False)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"{filled}:{rows['m02-tv/2025-W24']}: {NOT_COUNTED}"]
    assert ws.database.rows("SELECT uid, status, attendance FROM event ORDER BY uid") == before
    # the number taken out, the sheet lands whole
    sheet.cell(rows["m02-tv/2025-W24"], at["数量"]).value = None
    sheet.parent.save(filled)
    assert ws.run("import", str(filled)).output.strip().endswith("3 events changed")
    got = {r["uid"]: (r["status"], r["attendance"]) for r in json.loads(
        ws.run("events", "--format", "json", "--month", "2025-06").output)}
    assert got["m02-tv/2025-W24"] == ("done", None) and got["m02-month/2025"] == ("done", 200)


def test_record_done_with_a_number_where_none_is_asked_is_refused(stored_small):
    ws = stored_small
    ws.edit(*NO_COUNT_TV)
    before = ws.database.rows("SELECT * FROM history ORDER BY id")
    result = ws.run("record", "done", "m02-tv/2025-W24", "--attendance", "30", ok=False)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "m02-tv/2025-W24 asks no number: its obligation says counted: 无; drop "
        "--attendance"]
    assert ws.database.rows("SELECT * FROM history ORDER BY id") == before
    ws.run("record", "done", "m02-tv/2025-W24")
    ws.run("record", "done", "m02-day/2025", "--attendance", "30")  # 参加人数: asked


@pytest.fixture(scope="module")
def shipped_web(shipped_built, tmp_path_factory) -> Web:
    """The shipped plan as built, with a coordinator's account, on the web."""
    from calendar_app.plan.reader import load_plan
    from calendar_app.store import accounts

    ws = Workspace(tmp_path_factory.mktemp("shipped-web"), SHIPPED)
    shutil.copy(shipped_built.db, ws.db)
    with Store.open(ws.db) as store:
        accounts.add(store, load_plan(SHIPPED), "kx", None, True, PASSWORDS["kx"], WEB_NOW,
                     "setup")
    return Web(ws)


@pytest.mark.parametrize(("uid", "asked"), [
    ("m19-tv-weekly/2025-W24", None),        # 崇阳电视台科普知识栏目
    ("m19-paper-weekly/2025-W24", None),     # 崇阳周刊科普知识专栏
    ("m28-midyear/2025/baini", None),        # 科学素质工作半年进展报告
    ("m3-kindergarten/2025#1", "培训人数"),
    ("m4-farmer-training/2025#1", "培训人次"),
    ("m15-lectures/2025-H1", "听众人数"),
    ("m2-innovation-contest/2025#1", "参赛人数"),
    ("m6-sanxiaxiang/2025", "参加人数"),
])
def test_the_shipped_plan_asks_each_number_in_a_county_s_words(shipped_web, uid, asked):
    assert shipped_web.entry(uid) is not None
    page = shipped_web.client("kx").get(f"/events/{quote(uid)}").text
    assert "<summary>登记完成</summary>" in page
    if asked is None:
        assert FIELD not in page and "参加人数" not in page
    else:
        assert f'<label for="attendance">{asked}</label>' in page


def test_the_shipped_plan_s_quotas_and_milestones_ask_what_their_target_counts(shipped_plan):
    asked = {o.id: o.asks for o in shipped_plan.obligations}
    assert asked["m4-farmer-training"] == "培训人次"
    assert asked["m16-towns"] == "新创建科普小镇数（家）"
    for obligation in shipped_plan.obligations:
        if obligation.target is not None:
            assert obligation.asks, obligation.id
    silent = sorted(o.id for o in shipped_plan.obligations if not o.asks)
    assert {"m19-tv-weekly", "m19-paper-weekly", "m30-budget", "m20-expert-pool",
            "m3-staffing"} <= set(silent)
    assert all(o.asks or "进展" in o.title or "报告" in o.title or "纳入" in o.title
               or o.id in ("m19-tv-weekly", "m19-paper-weekly", "m19-outdoor-media",
                           "m20-expert-pool", "m28-assessment", "m29-inspection",
                           "m29-monitoring", "m3-staffing", "m3-workload")
               for o in shipped_plan.obligations)


def test_the_month_sheet_of_the_shipped_plan_asks_no_number_of_a_progress_report(
        shipped_built):
    path = shipped_built.exports / "reports" / "kexie-2025-06.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(path.read_bytes())).active
    header = [c.value for c in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    said = {r[header.index("活动")]: r[header.index("数量说明")] for r in rows}
    reports = [title for title in said if "进展报告" in title]
    assert reports and all(said[title] == "不填" for title in reports)


def test_a_number_is_said_in_the_words_it_was_asked_by_wherever_it_is_shown(web):
    """A milestone counted in 处 says 新创建基地3处, not 3人: on the event page, its history,
    the month list, the feed and the ledger; 参加人数 keeps its short 120人."""
    ws = web.ws
    ws.edit("milestone: {target: 8, unit: 处, by: 2025-12-31}}",
            "milestone: {target: 8, unit: 处, by: 2025-12-31}, counted: 新创建基地数（处）}")
    ws.run("build", "--today", "2025-06-20")  # the feeds as of a day inside the plan
    ws.run("record", "done", "m02-bases/by-2025-12-31", "--attendance", "3", "--on",
           "2025-06-10")
    ws.run("record", "done", "m02-day/2025", "--attendance", "120")
    client = web.client("yj")
    page = client.get("/events/m02-bases/by-2025-12-31").text
    assert "完成（新创建基地3处）" in page and "新创建基地数（处）：3" in page
    assert "3人" not in page
    month = client.get("/month/2025-12").text
    assert "完成（新创建基地3处）" in month
    assert "完成（120人）" in client.get("/month/2025-05").text
    feed = (ws.exports / "feeds" / "yingji.ics").read_bytes().decode().replace("\r\n ", "")
    assert "已完成（6月10日举行，新创建基地3处）" in feed and "参加120人" in feed
    ws.run("export", "ledger", "--year", "2025")
    book = openpyxl.load_workbook(next((ws.exports / "reports").glob("*2025*.xlsx")))
    cells = [str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
             for c in row if c]
    assert any("2025年6月10日 新创建基地3处" in c for c in cells)
    assert any("2025年5月12日 120人" in c for c in cells)
