"""复核: the coordinator, and only the coordinator, passes or returns a filed report; a
returned one tops its unit's home as 待补充 and is completed and resubmitted without undoing
it; `settings.review` decides what counts as done; every step is in the history. And the
report page as people use it: supplements, a confirmed 撤销登记, a make-up reported in one
form, the month marking what is overdue."""

import io
from datetime import date, datetime

import pytest

from calendar_app.model import TZ
from calendar_app.plan.reader import load_plan
from calendar_app.store import Store
from calendar_app.supervision.lights import review

from .conftest import csrf, on_both_databases
from .test_web_reports import photo

pytestmark = on_both_databases
UID = "m02-day/2025"  # 县应急管理局 leads it, on 2025-05-12


def post(web, client, action, data=None, uid=UID, files=()):
    page = client.get(f"/events/{uid}").text
    form = {"csrf_token": csrf(page), "seen": str(web.entry(uid).sequence), **(data or {})}
    if files:
        form["files"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(f"/events/{uid}/{action}", data=form, content_type="multipart/form-data")


def history(web, uid=UID):
    with Store.open(web.ws.db) as store:
        return store.history(uid)


def _done(web):
    answer = post(web, web.client("yj"), "done", {"attendance": "120", "note": "广场演练"})
    assert answer.status_code == 303
    assert web.entry(UID).review == "filed"


def test_the_coordinator_returns_a_report_and_the_unit_completes_and_resubmits_it(web):
    _done(web)
    kx, yj = web.client("kx"), web.client("yj")
    page = kx.get(f"/events/{UID}").text
    assert ">复核</h2>" in page and ">通过</button>" in page and ">退回</button>" in page
    assert ">复核</h2>" not in yj.get(f"/events/{UID}").text  # no review for a unit
    # 退回 needs a reason, said beside its field
    answer = post(web, kx, "return", {"verdict": " "})
    assert answer.status_code == 400
    assert '<div class="field-error" role="alert">退回须写明理由，如“需补充佐证材料”</div>' in answer.text
    assert web.entry(UID).review == "filed"
    assert post(web, kx, "return", {"verdict": "需补充佐证材料"}).status_code == 303
    entry = web.entry(UID)
    assert (entry.status, entry.review, entry.review_note) == ("done", "returned", "需补充佐证材料")
    # the unit sees it first thing on its home, with the reason
    home = yj.get("/").text
    assert home.index("待补充（1）") < home.index("本周待办")
    assert "退回理由：需补充佐证材料" in home and "防灾减灾日宣传" in home.split("本周待办")[0]
    # which occurrence, and when it was returned
    assert "2025年5月12日（周一） · 2025年6月20日退回" in home.split("本周待办")[0]
    page = yj.get(f"/events/{UID}").text
    assert "<strong>待补充：</strong>县科协复核后退回，理由：需补充佐证材料" in page
    assert ">补充后重新提交</summary>" in page
    # it adds a photo and a note and resubmits; nothing it reported is undone
    answer = post(web, yj, "resubmit", {"note": "补传现场照片"}, files=[("现场.jpg", photo())])
    assert answer.status_code == 303
    entry = web.entry(UID)
    assert (entry.status, entry.attendance, entry.review) == ("done", 120, "filed")
    assert entry.remark == "广场演练；补充：补传现场照片"
    assert "待补充" not in yj.get("/").text
    steps = [(row["by"], row["action"], row["detail"].get("verdict", row["detail"].get("note")))
             for row in history(web)[-3:]]
    assert steps == [("yj", "done", "广场演练"), ("kx", "returned", "需补充佐证材料"),
                     ("yj", "resubmitted", "补传现场照片")]
    page = kx.get(f"/events/{UID}").text
    assert "复核退回</strong><div>退回理由：需补充佐证材料</div>" in page
    assert "补充后重新提交</strong><div>备注：补传现场照片；附件：现场.jpg</div>" in page
    assert post(web, kx, "pass").status_code == 303 and web.entry(UID).review == "passed"


@pytest.mark.parametrize("login", ["yj", "xc"])
def test_a_units_account_cannot_review(web, login):
    _done(web)
    before = len(history(web))
    client = web.client(login)
    for action, data in (("pass", {}), ("return", {"verdict": "需补充佐证材料"})):
        answer = post(web, client, action, data)
        # the lead is told why; another unit may not even see the event
        assert answer.status_code == 403, (login, action)
        if login == "yj":
            assert "只有县科协统筹账号可以复核登记" in answer.text
    assert len(history(web)) == before and web.entry(UID).review == "filed"


def test_what_cannot_be_reviewed_or_resubmitted_is_refused_and_changes_nothing(web):
    kx, yj = web.client("kx"), web.client("yj")
    before = len(history(web))
    answer = post(web, kx, "pass")  # nothing reported yet
    assert answer.status_code == 400 and "这项活动尚未登记完成，没有可复核的登记" in answer.text
    _done(web)
    before = len(history(web))
    answer = post(web, yj, "resubmit", {"note": "再交一次"})  # never returned
    assert answer.status_code == 400
    assert '<div class="field-error" role="alert">这项登记没有被退回，无需重新提交</div>' in answer.text
    assert post(web, kx, "pass").status_code == 303
    answer = post(web, kx, "pass")
    assert answer.status_code == 400 and "这项登记已复核通过" in answer.text
    assert len(history(web)) == before + 1


def test_a_done_report_takes_more_evidence_without_being_undone(web):
    _done(web)
    yj = web.client("yj")
    answer = post(web, yj, "supplement", {"note": "签到表见附件"},
                  files=[("签到表.jpg", photo())])
    assert answer.status_code == 303
    entry = web.entry(UID)
    assert (entry.status, entry.attendance, entry.remark) == ("done", 120,
                                                              "广场演练；补充：签到表见附件")
    assert "已补充佐证材料1个" in yj.get(f"/events/{UID}").text
    assert history(web)[-1]["action"] == "amended"
    assert post(web, yj, "supplement", {}).status_code == 400  # nothing to add


def test_taking_a_report_back_asks_for_confirmation_and_keeps_its_evidence(web):
    yj = web.client("yj")
    post(web, yj, "done", {"attendance": "80"}, files=[("现场.jpg", photo())])
    page = yj.get(f"/events/{UID}").text
    assert "已上传的佐证材料保留在办理记录中" in page and 'name="confirm"' in page
    answer = post(web, yj, "reset")
    assert answer.status_code == 400 and "请勾选“确认撤销本项登记”后再撤销" in answer.text
    assert web.entry(UID).status == "done"
    assert post(web, yj, "reset", {"confirm": "yes"}).status_code == 303
    assert web.entry(UID).status == "planned"
    last = history(web)[-1]
    assert last["action"] == "reset" and [f["name"] for f in last["detail"]["files"]] == ["现场.jpg"]
    page = yj.get(f"/events/{UID}").text
    assert "撤销登记前上传的佐证材料1份保留在办理记录中" in page and "现场.jpg" in page
    assert "佐证材料（1）" not in page


def test_a_make_up_that_took_place_is_reported_in_one_form(web):
    yj = web.client("yj")
    post(web, yj, "cancel", {"reason": "暴雨"})
    answer = post(web, yj, "makeup", {"title": "防灾减灾日宣传（补办）", "day": "2025-05-20",
                                      "attendance": "95"}, files=[("补办.jpg", photo())])
    assert answer.status_code == 303
    made = answer.headers["Location"].removeprefix("/events/")
    entry = web.entry(made)
    assert (entry.status, entry.attendance, entry.fills) == ("done", 95, UID)
    assert "已补办并登记完成，附件1个" in yj.get(f"/events/{made}").text
    # one ahead is only planned; its count and evidence wait for the day
    post(web, yj, "reset", {"confirm": "yes"}, uid=made)


def test_the_month_list_marks_what_is_overdue_as_well_as_what_is_done(web):
    yj = web.client("yj")
    post(web, yj, "done", {"attendance": "80"})
    page = yj.get("/month/2025-05").text
    day = page[page.index("防灾减灾日宣传"):]
    day = day[:day.index("</li>")]
    assert "完成" in day and "逾期未报" not in day
    meeting = page[page.rindex("<li", 0, page.index("月度例会")):]
    meeting = meeting[:meeting.index("</li>")]
    assert meeting.startswith('<li class="red">') and '<span class="tag red">逾期未报</span>' \
        in meeting
    # the TV segment it only co-organises is 县委宣传部's to report: not marked here
    tv = page[page.rindex("<li", 0, page.index("电视科普栏目")):]
    assert "逾期未报" not in tv[:tv.index("</li>")]
    post(web, web.client("kx"), "return", {"verdict": "需补充佐证材料"})
    page = yj.get("/month/2025-05").text
    day = page[page.index("防灾减灾日宣传"):]
    assert '<span class="tag red">退回待补充</span>' in day[:day.index("</li>")]


def test_the_dashboard_lists_reports_awaiting_review_oldest_first(web):
    yj = web.client("yj")
    web.site.clock = lambda: datetime(2025, 6, 20, 9, tzinfo=TZ)
    post(web, yj, "done", {}, uid="m02-monthly/2025-06")
    web.site.clock = lambda: datetime(2025, 6, 20, 11, tzinfo=TZ)
    post(web, yj, "done", {}, uid="m02-monthly/2025-05")
    dashboard = web.client("kx").get("/dashboard").text
    awaiting = dashboard[dashboard.index("待复核的登记2项"):]
    assert awaiting.index("m02-monthly/2025-06") < awaiting.index("m02-monthly/2025-05")
    assert "2025年6月20日提交" in awaiting
    # each named with its own day: a routine's reports differ by it alone
    assert awaiting.index("月度例会</a> <span class=\"muted\">2025年6月2日（周一）</span>") < \
        awaiting.index("月度例会</a> <span class=\"muted\">2025年5月5日（周一）</span>")
    assert "待复核（2）" in web.client("kx").get("/reviews").text
    assert web.client("yj").get("/reviews").status_code in (403, 404)


def test_review_required_counts_a_report_done_only_once_passed(web):
    _done(web)
    plan = load_plan(web.ws.plan)
    required = plan.settings.__class__(**{**plan.settings.__dict__, "review": "required"})
    today = date(2025, 6, 20)

    def tally():
        with Store.open(web.ws.db) as store:
            entries = store.entries()
        return next(s for s in review(plan, entries, today, settings=required).units
                    if s.id == "yingji")

    before = tally()
    assert before.tally.unreviewed == 1 and before.tally.done == 0
    post(web, web.client("kx"), "pass")
    after = tally()
    assert after.tally.unreviewed == 0 and after.tally.done == 1
    post(web, web.client("kx"), "return", {"verdict": "需补充佐证材料"})
    returned = tally()
    assert returned.tally.returned == 1 and returned.tally.done == 0


def test_the_review_setting_is_read_and_checked(tmp_path):
    from .conftest import Workspace, data_file

    ws = Workspace(tmp_path, data_file("small.yaml"))
    ws.edit("calendar:", "settings:\n  review: strict\ncalendar:")
    (line,) = ws.run("validate", ok=False).output.strip().splitlines()
    assert line.endswith(":26: settings review must be optional (a report counts as done when "
                         "filed) or required (once the coordinator passed it), not 'strict'")
    ws.edit("review: strict", "review: required")
    assert load_plan(ws.plan).settings.review == "required"


def test_review_on_the_command_line(built_small, database):
    run = built_small.run
    run("record", "done", UID, "--attendance", "120")
    with Store.open(built_small.db) as store:
        from calendar_app.store import accounts

        plan = load_plan(built_small.plan)
        accounts.add(store, plan, "zhang", "yingji", False, "a-password-of-length", datetime.now(TZ),
                     "test")
    before = database.rows("SELECT COUNT(*) FROM history")
    result = run("record", "review", UID, "--pass", "--by", "zhang", ok=False)
    assert result.exit_code == 1
    assert result.output == "zhang is a unit's account; only the coordinator reviews reports\n"
    result = run("record", "supplement", UID, "--note", "补", "--resubmit", ok=False)
    assert result.exit_code == 1
    assert result.output == f"{UID} was not returned: there is nothing to resubmit\n"
    assert database.rows("SELECT COUNT(*) FROM history") == before
    assert run("record", "review", UID, "--return", "需补充佐证材料", "--by", "kexie").output \
        == f"{UID}: returned\n"
    # the reminders' 退回通知 hangs on the returns the store keeps (a Monday after this one)
    run("channels", "set", "县应急管理局", "json://127.0.0.1:9/yj")
    told = run("remind", "--dry-run", "--today", "2030-01-07").output
    assert "would send 退回通知 to 县应急管理局" in told
    assert "· 防灾减灾日宣传：2025年5月12日（周一）\n      退回原因：需补充佐证材料\n" in told
    assert run("record", "supplement", UID, "--note", "照片已补", "--resubmit").output == \
        f"{UID}: resubmitted\n"
    assert run("record", "review", UID, "--pass").output == f"{UID}: passed\n"
    with Store.open(built_small.db) as store:
        steps = [row["action"] for row in store.history(UID)]
    assert steps[-4:] == ["done", "returned", "resubmitted", "passed"]
