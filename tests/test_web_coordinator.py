"""The coordinator's day in the browser: 各单位 (every unit with its light, rate, overdue
count, accounts and channels, and the way into its pages), 账号管理 (accounts added, new
passwords, disabled and enabled, each in the accounts' history), 通报 for every month, and
downloads named in Chinese; through Flask's test client on the real database, and the pages
it answered measured in a real browser (Chromium through Playwright) on a phone and on A4."""

import re
import shutil
import subprocess
from urllib.parse import quote

import pytest

from calendar_app.store import Store

from .conftest import PASSWORDS, WEB_NOW, Web, Workspace, csrf, on_both_databases


@pytest.fixture
def shipped_web(shipped_built, tmp_path) -> Web:
    """The shipped plan as built on 2025-01-01, with the coordinator's account (kx), one of
    县应急管理局 (yj) and a reminder channel for it."""
    ws = Workspace(tmp_path, shipped_built.plan)
    shutil.copy(shipped_built.db, ws.db)
    ws.exports.mkdir()
    ws.run("accounts", "add", "kx", "--coordinator", "--password-stdin",
           input=PASSWORDS["kx"] + "\n")
    ws.run("accounts", "add", "yj", "--unit", "县应急管理局", "--password-stdin",
           input=PASSWORDS["yj"] + "\n")
    ws.run("channels", "set", "县应急管理局", "wecombot://0123456789abcdef")
    return Web(ws)


def test_units_lists_every_unit_with_its_standing_accounts_and_channels(shipped_web):
    page = shipped_web.client("kx").get("/units").text
    rows = re.findall(r'<li class="[a-z]*" id="([a-z0-9-]+)">', page)
    plan_units = shipped_web.site.plan().units
    assert rows == list(plan_units) and len(rows) == 36
    for unit in plan_units.values():
        assert f'<a class="title" href="/?unit={unit.id}">{unit.name}</a>' in page
        for href in (f"/?unit={unit.id}", f"/month/2025-06?unit={unit.id}",
                     f"/sheets?unit={unit.id}"):
            assert f'href="{href}"' in page
    yingji = page[page.index('id="yingji"'):].split("</li>", 1)[0]
    assert "账号：yj" in yingji and "企业微信群机器人" in yingji
    assert re.search(r"完成率<strong>([\d.]+%|—)</strong>", yingji)
    assert re.search(r"逾期未报<strong>\d+</strong>项", yingji)
    assert "尚无账号" in page[page.index('id="tiancheng"'):].split("</li>", 1)[0]
    assert "实施期2021年1月1日至2025年12月31日" in page


def test_a_unit_opened_from_units_is_its_home_as_the_coordinator_sees_it(shipped_web):
    client = shipped_web.client("kx")
    home = client.get("/?unit=tiancheng").text
    assert "天城镇 · 任务一览" in home and "代为登记" in home
    assert "天城镇2025年6月活动安排" in client.get("/month/2025-06?unit=tiancheng").text
    assert "天城镇 · 月度报表" in client.get("/sheets?unit=tiancheng").text


def test_the_volunteer_figure_due_before_the_plan_is_on_its_leads_home_alone(shipped_web):
    client = shipped_web.client("kx")
    assert "注册科技志愿者1000人以上" not in client.get("/?unit=tiancheng").text
    assert "注册科技志愿者1000人以上" not in client.get("/?unit=yingji").text
    assert "注册科技志愿者1000人以上" in client.get("/?unit=kexie").text


def _accounts_post(client, url: str, data: dict | None = None):
    page = client.get("/accounts").text
    return client.post(url, data={"csrf_token": csrf(page), **(data or {})})


@on_both_databases
def test_a_coordinator_adds_an_account_and_it_signs_in(web):
    client = web.client("kx")
    form = client.get("/accounts?unit=xuanchuan").text
    suggested = re.search(r'id="password" name="password" type="text" value="([^"]+)"', form)[1]
    assert len(suggested) >= 12 and '<option value="xuanchuan" selected>' in form
    answer = client.post("/accounts", data={"csrf_token": csrf(form), "login": "wangfang",
                                            "unit": "xuanchuan", "password": suggested})
    assert answer.status_code == 200
    assert "已为县委宣传部新建账号 wangfang" in answer.text and suggested in answer.text
    assert suggested not in client.get("/accounts").text  # shown once
    newcomer = web.client("wangfang", suggested)
    assert "县委宣传部 · 任务一览" in newcomer.get("/").text
    history = client.get("/accounts").text.split("变更记录", 1)[1]
    assert re.search(r"<td>wangfang<div class=\"muted\">县委宣传部</div></td><td>新建账号</td>"
                     r"<td>kx</td>", history)


@on_both_databases
@pytest.mark.parametrize("data, field, said", [
    ({"login": "yj", "unit": "yingji", "password": "long-enough-1"}, "login",
     "用户名 yj 已被使用"),
    ({"login": "newbie", "unit": "nowhere", "password": "long-enough-1"}, "unit",
     "没有这个单位"),
    ({"login": "newbie", "unit": "yingji", "password": ""}, "password", "请填写密码"),
    ({"login": "newbie", "unit": "yingji", "password": "short"}, "password",
     "密码至少10个字符"),
    ({"login": "New Bie", "unit": "yingji", "password": "long-enough-1"}, "login",
     "用户名须为2至32个"),
    ({"login": "newbie", "unit": "", "password": "long-enough-1"}, "unit", "请选择账号所属的单位"),
])
def test_a_bad_new_account_is_refused_beside_its_field_and_nothing_changes(web, data, field,
                                                                          said):
    client = web.client("kx")
    before = web.ws.database.rows("SELECT login, password FROM account ORDER BY login")
    changes = web.ws.database.rows("SELECT COUNT(*) FROM account_change")
    answer = _accounts_post(client, "/accounts", data)
    assert answer.status_code == 400
    beside = answer.text.split(f'name="{field}"', 1)[1].split("<label", 1)[0]
    assert f'<div class="field-error" role="alert">{said}' in beside
    assert f'value="{data["login"]}"' in answer.text  # what was typed stays
    assert web.ws.database.rows("SELECT login, password FROM account ORDER BY login") == before
    assert web.ws.database.rows("SELECT COUNT(*) FROM account_change") == changes


CLI = "系统管理员（命令行）"


@on_both_databases
def test_new_password_disable_and_enable_each_in_the_history(web):
    client = web.client("kx")
    answer = _accounts_post(client, "/accounts/yj/password")
    new = re.search(r'密码：<strong class="url"[^>]*>([^<]+)</strong>', answer.text)[1]
    assert "已为县应急管理局的账号 yj 重置密码" in answer.text
    with pytest.raises(AssertionError):
        web.client("yj")  # the old password no longer signs in
    staff = web.client("yj", new)
    assert _accounts_post(client, "/accounts/yj/disable").status_code == 303
    assert staff.get("/").status_code == 302  # its session ended
    assert "已停用县应急管理局的账号 yj" in client.get("/accounts").text
    assert _accounts_post(client, "/accounts/yj/enable").status_code == 303
    assert web.client("yj", new).get("/").status_code == 200
    history = client.get("/accounts").text.split("变更记录", 1)[1]
    assert re.findall(r"<td>(yj|old)<div class=\"muted\">县应急管理局</div></td>"
                      r"<td>(\w+)</td><td>([^<]+)</td>", history) == [
        ("yj", "启用", "kx"), ("yj", "停用", "kx"), ("yj", "重置密码", "kx"),
        # made by the fixture's setup, as by the command line: no login of an account
        ("old", "停用", CLI), ("old", "新建账号", CLI), ("yj", "新建账号", CLI)]


@on_both_databases
def test_the_last_coordinator_cannot_be_disabled(web):
    client = web.client("kx")
    answer = _accounts_post(client, "/accounts/kx/disable")
    assert answer.status_code == 400
    row = answer.text.split('id="account-kx"', 1)[1].split("</li>", 1)[0]
    assert "这是最后一个可以登录的统筹账号，不能停用" in row
    assert client.get("/dashboard").status_code == 200
    with Store.open(web.ws.db) as store:
        assert store.account("kx").enabled


@on_both_databases
@pytest.mark.parametrize("url", ["/units", "/accounts", "/circulars", "/accounts?unit=yingji"])
def test_unit_accounts_may_not_see_the_coordinators_pages(web, url):
    assert web.client("yj").get(url).status_code == 403
    assert web.client().get(url).status_code == 302  # to the sign-in page


@on_both_databases
def test_unit_accounts_may_not_change_accounts(web):
    client = web.client("yj")
    page = client.get("/").text
    changes = web.ws.database.rows("SELECT COUNT(*) FROM account_change")
    for url, data in (("/accounts", {"login": "mine", "unit": "yingji",
                                     "password": "long-enough-1"}),
                      ("/accounts/xc/password", {}), ("/accounts/kx/disable", {})):
        assert client.post(url, data={"csrf_token": csrf(page), **data}).status_code == 403
    assert web.ws.database.rows("SELECT COUNT(*) FROM account_change") == changes


def test_every_months_circular_is_offered_and_downloads_with_a_chinese_name(web):
    client = web.client("kx")
    page = client.get("/circulars").text
    offered = re.findall(r'href="/circular\.pdf\?month=(\d{4}-\d{2})"', page)
    assert offered == [f"2025-{m:02d}" for m in range(5, 0, -1)]  # ended by 2025-06-20
    assert '<a href="/circular.pdf">2025年5月通报（PDF）</a>' in client.get("/dashboard").text
    pdf = client.get("/circular.pdf?month=2025-03")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Disposition"] == (
        "inline; filename=\"circular-2025-03.pdf\"; filename*=UTF-8''" + quote("通报-2025-03.pdf"))
    ledger = client.get("/ledger.xlsx")
    assert ledger.headers["Content-Disposition"] == (
        "attachment; filename=\"ledger-2025.xlsx\"; filename*=UTF-8''" + quote("台账-2025.xlsx"))
    month = client.get("/month/2025-06/pdf?unit=yingji")
    assert month.headers["Content-Disposition"] == (
        "inline; filename=\"yingji-2025-06.pdf\"; filename*=UTF-8''"
        + quote("县应急管理局2025年6月活动安排.pdf"))


def test_after_the_plan_month_links_and_the_sheets_month_stay_inside_it(web):
    from datetime import datetime

    from calendar_app.model import TZ

    web.site.clock = lambda: datetime(2026, 12, 2, 9, tzinfo=TZ)
    client = web.client("yj")
    home = client.get("/").text
    assert 'href="/month/2025-12"' in home and "/month/2026" not in home
    sheets = client.get("/sheets").text
    assert 'href="/sheets/2025-12.xlsx' in sheets and "2026-12" not in sheets
    # the month chosen from the plan's months in words, not <input type=month>, which an
    # English Chromium writes as June 2025; the download named by its month too
    assert '<option value="2025-12" selected>2025年12月</option>' in sheets
    assert '<option value="2025-01" >2025年1月</option>' in sheets and 'type="month"' not in sheets
    assert "下载2025年12月报表（Excel）" in sheets
    outside = client.get("/sheets?month=2026-12").text
    assert "请选择实施期内的月份（2025年1月至2025年12月）" in outside
    assert "/sheets/2026-12" not in outside
    assert client.get("/sheets/2026-12.xlsx").status_code == 404
    coordinator = web.client("kx")
    assert coordinator.get("/circular").status_code == 200  # the plan's last month
    assert "2025年12月" in coordinator.get("/circulars").text
    # The dashboard names what it offers by the year and month they hold: not 本年度 (2026)
    # and 上月 (2026年11月), which the plan has none of.
    offered = dict((label, href) for href, label in re.findall(
        r'<a href="(/(?:ledger|circular)[^"]*)">([^<]+)</a>', coordinator.get("/dashboard").text))
    assert offered["2025年台账（Excel）"] == "/ledger.xlsx"
    assert offered["2025年12月通报（PDF）"] == "/circular.pdf"
    assert offered["2025年12月通报（网页）"] == "/circular"
    assert not [label for label in offered if "本年度" in label or "上月" in label]
    assert WEB_NOW.year == 2025


def test_the_coordinators_sheets_page_picks_a_unit_and_takes_any_units_sheet(web):
    client = web.client("kx")
    page = client.get("/sheets")
    assert page.status_code == 200 and "选择单位和月份后下载该单位的报表" in page.text
    assert 'href="/sheets/2025-06.xlsx' not in page.text
    chosen = client.get("/sheets?unit=yingji&month=2025-05").text
    assert 'href="/sheets/2025-05.xlsx?x=1&amp;unit=yingji"' in chosen


@pytest.fixture
def county_web(realistic_ws) -> Web:
    """The shipped plan with five years of realistic records, a year after its end, as the
    coordinator (kx) finds it in the application."""
    from datetime import datetime

    from calendar_app.model import TZ

    realistic_ws.run("accounts", "add", "kx", "--coordinator", "--password-stdin",
                     input=PASSWORDS["kx"] + "\n")
    web = Web(realistic_ws)
    web.site.clock = lambda: datetime(2026, 12, 2, 9, tzinfo=TZ)
    return web


PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("url, screens, sheets", [
    ("/dashboard", 10, 8), ("/units", 10, 8), ("/circulars", 4, 4), ("/accounts", 2, 1)])
def test_the_coordinators_pages_fit_a_phone_and_print_on_a_few_pages(county_web, browser, url,
                                                                     screens, sheets):
    """In the application, with its menu and the reminders' part: the dashboard was 85
    phone screens and 24 printed pages. The pages carry their styles, so the browser is
    given each page as the application served it."""
    answer = county_web.client("kx").get(url, follow_redirects=True)
    assert answer.status_code == 200
    tab = browser.new_page(viewport=PHONE)
    tab.set_content(answer.text)
    assert tab.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    tall = tab.evaluate("document.documentElement.scrollHeight") / PHONE["height"]
    assert tall <= screens, (url, tall)
    printed = tab.pdf(format="A4", prefer_css_page_size=True, print_background=True)
    tab.close()
    pages = len(re.findall(rb"/Type\s*/Page[^s]", printed))
    assert 1 <= pages <= sheets, (url, pages)


def test_units_prints_each_unit_whole_and_no_page_with_the_footer_alone(county_web, browser,
                                                                        tmp_path):
    """各单位 on A4: a 5th page held only the last unit's links and the footer. On paper
    the links lead nowhere; each unit's lines stay on one page, and every page has units."""
    answer = county_web.client("kx").get("/units")
    tab = browser.new_page()
    tab.set_content(answer.text)
    printed = tmp_path / "units.pdf"
    printed.write_bytes(tab.pdf(format="A4", print_background=True))
    tab.close()
    text = subprocess.run(["pdftotext", "-layout", str(printed), "-"], capture_output=True,
                          text=True, check=True).stdout
    pages = [page for page in text.split("\f") if page.strip()]
    names = "|".join(re.escape(u.name) for u in county_web.site.plan().units.values())
    starts = re.compile(rf"^\s*(?:{names})\s", re.M)
    for number, page in enumerate(pages, 1):
        heads = len(starts.findall(page))
        assert heads, (number, page)  # no page of a footer alone
        # a unit's name, its rate and its accounts on the same page
        rates, accounts = (len(re.findall(rf"^\s*{word}", page, re.M)) for word in ("完成率", "账号："))
        assert heads == rates == accounts, (number, page)
    assert "首页 · 月历" not in text and "依据：" in pages[-1]
    assert sum(len(starts.findall(page)) for page in pages) == 36
