"""A unit's staff member in a real browser (Playwright driving the Debian chromium) against
the real server (`calendar-app serve`): sign in, report an event done with attendance and a
photo, then find it done on the month page and in the feed."""

import io
import re
import time
import urllib.request

import pytest
from PIL import Image

from .conftest import CHROMIUM, PASSWORDS, Served

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium "
                                "(apt-get install chromium; .ci/run installs it)")


@pytest.fixture
def server(web):
    web.ws.run("build", "--today", "2025-06-20")
    served = Served(web.ws, "--today", "2025-06-20")
    yield served.url
    served.stop()


def test_a_unit_reports_an_event_done_with_a_photo_and_finds_it_done(server, browser, tmp_path):
    picture = tmp_path / "现场照片.jpg"
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 120, 60)).save(out, "JPEG")
    picture.write_bytes(out.getvalue())

    page = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}).new_page()
    page.goto(server + "/")
    assert page.url.startswith(server + "/login")
    page.get_by_label("用户名").fill("yj")
    page.get_by_label("密码").fill(PASSWORDS["yj"])
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(server + "/")
    assert "县应急管理局 · 任务一览" in page.content()

    page.goto(server + "/month/2025-05")
    page.get_by_role("link", name="防灾减灾日宣传").click()
    page.wait_for_url(re.compile(r".*/events/m02-day/2025$"))
    page.get_by_label("参加人数").fill("120")
    page.get_by_label("备注").fill("广场演练")
    _choose(page, "佐证材料（照片、文件，可多选）", picture)
    assert page.locator(".chosen").first.inner_text() == "已选择1个文件：现场照片.jpg"
    page.get_by_role("button", name="登记完成").click()
    page.wait_for_selector(".flash")
    assert "已登记完成，附件1个" in page.inner_text(".flash")
    thumb = page.locator("img[src^='/evidence/']")
    assert thumb.count() == 1 and thumb.evaluate("img => img.naturalWidth") > 0

    page.goto(server + "/month/2025-05")
    row = page.locator("li", has_text="防灾减灾日宣传")
    assert "完成（120人）" in row.inner_text()

    # The feed is rewritten in the background just after the report: a client polling it
    # sees the report within moments.
    for _ in range(100):
        feed = urllib.request.urlopen(server + "/feeds/yingji.ics", timeout=10).read().decode()
        if "已完成（参加120人）；备注：广场演练" in feed.replace("\r\n ", ""):
            break
        time.sleep(0.1)
    else:
        pytest.fail("the feed never showed the report")


def _choose(page, label: str, *files) -> None:
    """Files chosen as a person does: a tap on the field's 选择文件, then the picker. The
    browser's own control, which says Choose Files and No file chosen in an English Chromium,
    is there for the picker but not to be seen."""
    field = page.get_by_label(label)
    assert field.evaluate("e => getComputedStyle(e).opacity") == "0"
    assert field.bounding_box()["width"] <= 1
    pick = page.locator(f"label.pick[for='{field.get_attribute('id')}']")
    assert pick.inner_text() == "选择文件" and pick.is_visible()
    with page.expect_file_chooser() as chooser:
        pick.click()
    chooser.value.set_files([str(f) for f in files])


def _signed_in(browser, server: str, login: str, script: bool = True):
    page = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844},
                               java_script_enabled=script).new_page()
    page.goto(server + "/login")
    page.get_by_label("用户名").fill(login)
    page.get_by_label("密码").fill(PASSWORDS[login])
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    return page


def test_a_month_of_a_weekly_routine_in_one_form_then_returned_and_resubmitted(
        server, browser, tmp_path):
    """按计划全部完成 and 复核 on a phone: 县委宣传部 reports May's TV segments from its home,
    the coordinator returns one for evidence, and the unit finds it 待补充 and resubmits."""
    unit = _signed_in(browser, server, "xc")
    unit.get_by_role("link", name="按计划全部完成").click()
    unit.wait_for_url(re.compile(r".*/batch/m02-tv\?period=2025-05$"))
    assert unit.evaluate("document.documentElement.scrollWidth") <= 390
    boxes = unit.locator("input[name=uid]")
    assert boxes.count() == 4
    boxes.nth(3).uncheck()  # 5-28 did not go out
    unit.get_by_label("备注（各项相同）").fill("按节目单播出")
    unit.get_by_role("button", name=re.compile("按计划全部完成")).click()
    unit.wait_for_selector(".flash")
    assert "已按计划登记完成3项：2025年5月电视科普栏目" in unit.inner_text(".flash")
    unit.screenshot(path=str(tmp_path / "home-after-batch.png"), full_page=True)

    coordinator = _signed_in(browser, server, "kx")
    coordinator.goto(server + "/events/m02-tv/2025-W19")
    coordinator.get_by_label("退回理由").fill("需补充佐证材料")
    coordinator.get_by_role("button", name="退回").click()
    coordinator.wait_for_selector(".flash")
    assert coordinator.evaluate("document.documentElement.scrollWidth") <= 390

    unit.goto(server + "/")
    top = unit.locator("h2").first.inner_text()
    assert top == "待补充（1）"
    assert "退回理由：需补充佐证材料" in unit.locator("ul.items").first.inner_text()
    unit.get_by_role("link", name="电视科普栏目").first.click()
    unit.get_by_label("补充说明").fill("补传播出截图")
    picture = tmp_path / "截图.png"
    Image.new("RGB", (390, 700), (200, 200, 220)).save(picture, "PNG")
    _choose(unit, "佐证材料（照片、文件，可多选）", picture)
    unit.get_by_role("button", name="重新提交").click()
    unit.wait_for_selector(".flash")
    assert "已重新提交，等待县科协复核" in unit.inner_text(".flash")
    unit.goto(server + "/")
    assert "待补充" not in unit.content()
    # a unit's account has no 通过 to press, and one made up is refused
    unit.goto(server + "/events/m02-tv/2025-W19")
    assert unit.get_by_role("button", name="通过").count() == 0


def test_evidence_is_chosen_by_its_chinese_button_without_javascript_too(server, browser,
                                                                       tmp_path):
    """With scripts off the names are not repeated, but 选择文件 still opens the picker and
    the files chosen are sent with the report."""
    shots = []
    for name in ("播出截图.png", "节目单.pdf"):
        shots.append(tmp_path / name)
    Image.new("RGB", (300, 500), (20, 60, 120)).save(shots[0], "PNG")
    shots[1].write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    unit = _signed_in(browser, server, "xc", script=False)
    unit.goto(server + "/batch/m02-tv?period=2025-05")
    _choose(unit, "佐证材料（截图、文件，可多选，可不传）", *shots)
    assert unit.locator(".chosen").inner_text() == ""  # no script to write the names
    unit.get_by_role("button", name=re.compile("按计划全部完成")).click()
    unit.wait_for_selector(".flash")
    assert "已按计划登记完成4项" in unit.inner_text(".flash")
    unit.goto(server + "/events/m02-tv/2025-W19")
    assert "播出截图.png" in unit.content() and "节目单.pdf" in unit.content()


@pytest.fixture
def live_server(web):
    """Built and served with the real clock (after the plan's end), not in training, as a
    county's daily build leaves it."""
    web.ws.run("build")
    served = Served(web.ws)
    yield served.url
    served.stop()


def test_the_coordinators_day_on_a_phone_through_the_menu(live_server, browser):
    """At 390 px, every step by the menu and the links on the pages: 各单位 to a unit's home,
    账号管理 to a new account that then signs in, 通报 and 日历订阅; no page wider than the
    phone, and each menu item answered."""
    server = live_server
    page = _signed_in(browser, server, "kx")
    assert page.url == server + "/dashboard"
    menu = page.locator("nav.appmenu a")
    assert menu.all_inner_texts() == ["督查看板", "待复核", "各单位", "月历", "月度报表", "通报",
                                      "账号管理", "日历订阅"]
    for label in menu.all_inner_texts():
        with page.expect_navigation() as went:
            page.locator("nav.appmenu a", has_text=label).click()
        assert went.value.status == 200, page.url
        assert page.locator("nav.appmenu a.on").inner_text() == label, page.url
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url
    assert "已经结束" in page.inner_text("body")  # 日历订阅, after the plan's end

    page.locator("nav.appmenu a", has_text="各单位").click()
    page.get_by_role("link", name="县委宣传部", exact=True).click()
    page.wait_for_url(server + "/?unit=xuanchuan")
    assert "县委宣传部 · 任务一览" in page.inner_text("body")

    page.locator("nav.appmenu a", has_text="账号管理").click()
    page.get_by_label("用户名").fill("wangfang")
    page.get_by_label("所属单位").select_option(label="县委宣传部")
    password = page.get_by_label("初始密码").input_value()
    page.get_by_role("button", name="新建账号").click()
    page.wait_for_load_state()
    told = page.locator(".flash").inner_text()
    assert "已为县委宣传部新建账号 wangfang" in told and password in told

    newcomer = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    tab = newcomer.new_page()
    tab.goto(server + "/login")
    tab.get_by_label("用户名").fill("wangfang")
    tab.get_by_label("密码").fill(password)
    tab.get_by_role("button", name="登录").click()
    tab.wait_for_url(server + "/")
    assert "县委宣传部 · 任务一览" in tab.inner_text("body")
    newcomer.close()
