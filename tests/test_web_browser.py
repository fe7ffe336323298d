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
    page.get_by_label("佐证材料（照片、文件，可多选）").set_input_files(str(picture))
    page.get_by_role("button", name="登记完成").click()
    page.wait_for_selector(".flash")
    assert "已登记完成，附件 1 个" in page.inner_text(".flash")
    thumb = page.locator("img[src^='/evidence/']")
    assert thumb.count() == 1 and thumb.evaluate("img => img.naturalWidth") > 0

    page.goto(server + "/month/2025-05")
    row = page.locator("li", has_text="防灾减灾日宣传")
    assert "完成（120人）" in row.inner_text()

    # The feed is rewritten in the background just after the report: a client polling it
    # sees the report within moments.
    for _ in range(100):
        feed = urllib.request.urlopen(server + "/feeds/yingji.ics", timeout=10).read().decode()
        if "已完成（参加 120 人）；备注：广场演练" in feed.replace("\r\n ", ""):
            break
        time.sleep(0.1)
    else:
        pytest.fail("the feed never showed the report")
