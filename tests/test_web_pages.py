"""What a unit sees on the web: its home, its month (on screen, printed, as PDF), its report
sheet to download and upload; and the coordinator's view of every unit."""

import io
import re
import subprocess
from urllib.parse import quote

import openpyxl
import pytest

from .conftest import csrf, on_both_databases

pytestmark = on_both_databases


def test_home_lists_overdue_first_grouped_then_the_next_two_weeks_and_the_feed(web):
    page = web.client("yj").get("/").text
    assert "县应急管理局 · 任务一览" in page and "今天是2025年6月20日" in page
    overdue = page[page.index("逾期未报"):page.index("未来两周")]
    # The monthly meeting it leads is one line with a count, not six lines; the weekly TV
    # segment it only co-organises is 县委宣传部's to report, not listed here.
    assert re.search(r"<strong>月度例会</strong><span class=\"tag\">牵头</span>\s*"
                     r"<span class=\"tag red\">6次</span>", overdue)
    assert "最早2025年1月6日 · 最近一次2025年6月2日（周一）" in overdue  # the order it is in
    assert "电视科普栏目" not in overdue
    assert overdue.index("月度例会") < overdue.index("科技活动周")  # oldest first
    upcoming = page[page.index("未来两周"):page.index("本月活动")]
    assert "2025年6月25日" in upcoming and "2025年7月2日" in upcoming
    assert "2025年7月9日" not in upcoming
    assert "科普基地创建" in page and "落后于进度" in page  # the milestone it takes part in
    assert "https://example.invalid/calendar/feeds/yingji.ics" in page
    assert "webcal://example.invalid/calendar/feeds/yingji.ics" in page
    assert "<svg" in page and "手机扫码订阅" in page


def test_a_report_leaves_the_overdue_list(web):
    client = web.client("yj")
    uid = "m02-monthly/2025-01"
    page = client.get(f"/events/{uid}").text
    client.post(f"/events/{uid}/done", data={"csrf_token": csrf(page), "seen": "0"})
    overdue = client.get("/").text.split("逾期未报")[1].split("未来两周")[0]
    assert "5次" in overdue and "2025年1月6日" not in overdue


def test_after_the_plan_period_the_home_says_the_plan_is_over(web):
    from datetime import datetime

    from calendar_app.model import TZ

    web.site.clock = lambda: datetime(2026, 12, 2, 9, tzinfo=TZ)
    page = web.client("yj").get("/").text
    assert "实施方案期限（2025年1月1日至2025年12月31日）已结束" in page


def test_the_month_on_screen_in_print_and_as_pdf(web, tmp_path):
    client = web.client("yj")
    page = client.get("/month/2025-06").text
    assert "县应急管理局2025年6月活动安排" in page
    assert 'href="/events/m02-month/2025"' in page and "安全生产月" in page
    assert 'href="/month/2025-05"' in page and 'href="/month/2025-07"' in page
    printed = client.get("/month/2025-06/print")
    assert printed.mimetype == "text/html" and "A4 landscape" in printed.text
    assert "县应急管理局2025年6月科普活动安排" in printed.text
    pdf = client.get("/month/2025-06/pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    (tmp_path / "m.pdf").write_bytes(pdf.data)
    text = subprocess.run(["pdftotext", str(tmp_path / "m.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "安全生产月" in text and "县应急管理局" in text
    assert client.get("/month").headers["Location"] == "/month/2025-06"
    assert client.get("/month/2030-01").status_code == 404
    assert client.get("/month/banana").status_code == 404


def test_the_coordinator_sees_the_county_month_or_any_units(web):
    client = web.client("kx")
    assert "全县2025年6月活动安排" in client.get("/month/2025-06").text
    assert "天城镇2025年6月活动安排" in client.get("/month/2025-06?unit=tiancheng").text


def _sheet_with(rows: dict[str, dict[str, object]], data: bytes) -> bytes:
    """The downloaded workbook with some rows filled in, saved as a unit would."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    for line in sheet.iter_rows(min_row=2):
        filled = rows.get(line[header.index("编号")].value)
        for column, value in (filled or {}).items():
            line[header.index(column)].value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(client, data: bytes, month="2025-05", name="报表.xlsx"):
    page = client.get(f"/sheets?month={month}").text
    return client.post(f"/sheets?month={month}", data={
        "csrf_token": csrf(page), "sheet": (io.BytesIO(data), name)},
        content_type="multipart/form-data")


def test_a_months_sheet_downloads_and_a_filled_one_uploads(web):
    client = web.client("yj")
    download = client.get("/sheets/2025-05.xlsx")
    assert download.headers["Content-Disposition"] == (
        "attachment; filename=\"yingji-2025-05.xlsx\"; filename*=UTF-8''"
        + quote("县应急管理局2025年5月报表.xlsx"))
    book = openpyxl.load_workbook(io.BytesIO(download.data))
    uids = [row[-1] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert "m02-day/2025" in uids and "m03-push/2025-05-01" not in uids
    filled = _sheet_with({"m02-day/2025": {"状态": "完成", "数量": 200},
                          "m02-monthly/2025-05": {"状态": "取消", "取消原因": "停电"}},
                         download.data)
    answer = _upload(client, filled)
    assert answer.status_code == 200 and "上传成功：2项活动已更新" in answer.text
    # the result names the activities and their days, not their keys
    result = answer.text[answer.text.index("<table class=\"list\">"):]
    assert ">防灾减灾日宣传</a></td><td>2025年5月12日</td><td>登记完成</td>" in result
    assert ">月度例会</a></td><td>2025年5月5日</td><td>登记取消</td>" in result
    assert "m02-day/2025</a>" not in result
    assert web.entry("m02-day/2025").attendance == 200
    assert web.entry("m02-monthly/2025-05").status == "cancelled"
    assert "上传成功：0项活动已更新" in _upload(client, filled).text  # the same sheet again
    assert client.get("/sheets/2025-05.csv").data.startswith("\ufeff活动,".encode())


def test_a_sheet_with_bad_rows_shows_them_and_changes_nothing(web):
    client = web.client("yj")
    download = client.get("/sheets/2025-05.xlsx").data
    bad = _sheet_with({"m02-day/2025": {"状态": "完成", "数量": "很多"},
                       "m02-monthly/2025-05": {"状态": "取消"}}, download)
    answer = _upload(client, bad)
    assert answer.status_code == 400 and "整张表未导入" in answer.text
    assert "数量“很多”应为0至10,000,000的整数" in answer.text
    assert "状态为取消时须填写取消原因" in answer.text
    assert web.entry("m02-day/2025").status == "planned"
    assert _upload(client, b"not a sheet at all", name="x.csv").status_code == 400


@pytest.mark.parametrize("data, name, message", [
    (b"", "报表.xlsx", "不是 Excel 工作簿（文件是空的）：请重新导出报表"),
    (b"PK\x03\x04 broken", "报表.xlsx", "无法读取这个工作簿，文件可能已损坏"),
    ("uid,状态\n".encode() + b"".join(b"x%d,\n" % i for i in range(2001)), "报表.csv",
     "第2002行：表格超过2,000行"),
    ("uid,状态,状态\nm02-day/2025,完成,取消\n".encode(), "报表.csv",
     "表头有2列“状态”（B1、C1）：每项只能有一列"),
], ids=["empty", "broken", "rows", "two-status"])
def test_what_is_wrong_with_a_sheet_is_said_in_chinese(web, data, name, message):
    answer = _upload(web.client("yj"), data, name=name)
    assert answer.status_code == 400 and message in answer.text
    assert not re.search(r"[A-Za-z]{4,} [a-z]{3,} [a-z]{3,}", answer.text.split("<main")[-1])


def test_a_sheet_about_another_units_event_is_refused_whole(web):
    client = web.client("yj")
    own = client.get("/sheets/2025-05.xlsx").data
    theirs = web.client("kx").get("/sheets/2025-05.xlsx?unit=tiancheng").data
    book = openpyxl.load_workbook(io.BytesIO(own))
    other = openpyxl.load_workbook(io.BytesIO(theirs)).active
    for row in other.iter_rows(min_row=2, max_row=2, values_only=True):
        book.active.append([*row[:5], "完成", *row[6:]])
    out = io.BytesIO()
    book.save(out)
    filled = _sheet_with({"m02-day/2025": {"状态": "完成"}}, out.getvalue())
    answer = _upload(client, filled)
    assert answer.status_code == 403 and "不是本单位牵头或配合的活动" in answer.text
    assert web.entry("m02-day/2025").status == "planned"


def test_every_page_is_in_chinese_without_internal_words(web):
    client = web.client("yj")
    for url in ("/", "/events/m02-day/2025", "/month/2025-06", "/sheets", "/login"):
        text = re.sub(r"<[^>]+>|<style>.*?</style>", " ", client.get(url).text, flags=re.S)
        for word in ("种子", "seed", "slot", "Traceback", "None", "2025-W"):
            assert word not in text, (url, word)


def test_links_to_events_whose_uid_has_a_hash_open_the_event(web):
    client = web.client("kx")
    page = client.get("/month/2025-04").text
    links = re.findall(r'href="(/events/[^"]*%23[^"]*)"', page)
    assert links, "April has numbered events (the spring term's tour, the themes)"
    answer = client.get(links[0])
    assert answer.status_code == 200 and "#" in answer.request.path
    uid = answer.request.path.removeprefix("/events/")
    action = re.search(r'<form method="post" action="([^"]+/cancel)"', answer.text)[1]
    assert "%23" in action
    form = client.post(action, data={"csrf_token": csrf(answer.text), "seen": "0",
                                     "reason": "考试周"})
    assert form.status_code == 303 and web.entry(uid).status == "cancelled"


def test_the_coordinators_dashboard_links_into_the_application(web):
    client = web.client("kx")
    page = client.get("/dashboard").text
    assert "督查看板" in page and "县应急管理局" in page
    links = re.findall(r'href="(/events/[^"#]+)"', page)
    assert links and client.get(links[0]).status_code == 200
    assert re.search(r'href="/month/2025-\d\d\?unit=\w+"', page)
    data = client.get("/dashboard.json")
    assert data.mimetype == "application/json" and '"findings"' in data.text
    # A report shows on the dashboard at once (it is judged again after each change).
    uid = "m02-day/2025"
    form = client.get(f"/events/{uid}").text
    client.post(f"/events/{uid}/done", data={"csrf_token": csrf(form), "seen": "0"})
    assert client.get("/dashboard.json").text != data.text


def test_the_coordinator_downloads_the_ledger_and_the_circular(web, tmp_path):
    client = web.client("kx")
    book = client.get("/ledger.xlsx")
    assert book.mimetype.endswith("spreadsheetml.sheet")
    assert "filename*=UTF-8''%E5%8F%B0%E8%B4%A6-2025.xlsx" in book.headers["Content-Disposition"]
    sheets = openpyxl.load_workbook(io.BytesIO(book.data)).sheetnames
    assert sheets[:3] == ["按措施", "按单位", "活动明细"]
    circular = client.get("/circular?month=2025-05")
    assert circular.mimetype == "text/html" and "通报" in circular.text
    pdf = client.get("/circular.pdf?month=2025-05")
    (tmp_path / "c.pdf").write_bytes(pdf.data)
    text = subprocess.run(["pdftotext", str(tmp_path / "c.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "通报" in text and "县应急管理局" in text
    assert client.get("/circular?month=2031-01").status_code == 404


@pytest.mark.parametrize("year", ["99999", "-5", "0", "2024", "2026", "2025.0", "二〇二五"])
def test_a_ledger_of_a_year_outside_the_plan_is_a_page_saying_which_years(web, year):
    answer = web.client("kx").get(f"/ledger.xlsx?year={year}")
    assert answer.status_code == 404 and answer.mimetype == "text/html"
    assert "台账按实施方案的年份提供（2025年），请从督查看板选择年份下载" in answer.text
    assert "2025年" in answer.text and "Traceback" not in answer.text
    assert "没有这一年的台账" in answer.text
