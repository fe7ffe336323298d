"""What people see when something goes wrong: always a page in Chinese saying what happened
and that nothing was saved, never an English or generic error. The database going away (on
PostgreSQL, every page, the sign-in page included), a full disk, a NUL character in
anything sent, a text longer than its bound, a body over the limit."""

import io
import shutil

import pytest

from calendar_app.web import Site, create_app

from .conftest import PASSWORDS, WEB_NOW, Served, Web, csrf, on_both_databases
from .dbproxy import Proxy
from .test_disk_full import disk, fill  # noqa: F401 (the fixture)
from .test_web_reports import UID, photo, report

DB_AWAY = "数据库暂时不可用，请稍后再试"


def english_or_generic(text: str) -> bool:
    return any(word in text for word in ("Internal Server Error", "Bad Request", "Traceback",
                                         "Service Unavailable", "Request Entity Too Large"))


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_postgresql_going_away_is_a_chinese_503_on_every_page_until_it_returns(web, database):
    proxy = Proxy(str(database.target))
    try:
        web.ws.db = proxy.url
        through = Web(web.ws)
        client = through.client("yj")
        page = client.get(f"/events/{UID}").text
        assert client.get("/").status_code == 200
        proxy.stop()
        for url in ("/login", "/", f"/events/{UID}", "/month/2025-06", "/sheets"):
            answer = client.get(url)
            assert answer.status_code == 503, (url, answer.text)
            assert DB_AWAY in answer.text and "本次操作没有保存" in answer.text
            assert answer.headers["Retry-After"] == "30" and not english_or_generic(answer.text)
        posted = client.post(f"/events/{UID}/done", data={"csrf_token": csrf(page), "seen": "0",
                                                          "attendance": "30"})
        assert posted.status_code == 503 and DB_AWAY in posted.text
        signing = through.app.test_client().post("/login", data={
            "login": "yj", "password": PASSWORDS["yj"]})
        assert signing.status_code in (400, 503) and not english_or_generic(signing.text)
        proxy.start()
        assert client.get("/").status_code == 200  # back without a restart
        assert through.entry(UID).status == "planned"  # the report made meanwhile: not saved
    finally:
        proxy.stop()


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_an_application_started_while_postgresql_is_away_says_so_on_the_sign_in_page(web,
                                                                                      database):
    proxy = Proxy(str(database.target))
    proxy.stop()
    web.ws.db = proxy.url
    answer = create_app(Site(web.ws.plan, web.ws.db, web.ws.exports, clock=lambda: WEB_NOW),
                        refresh_in_background=False).test_client().get("/login")
    assert answer.status_code == 503 and DB_AWAY in answer.text


def test_a_report_on_a_full_disk_says_so_and_saves_nothing(web, disk):  # noqa: F811
    shutil.copy(web.ws.db, disk / "calendar.db")
    web.ws.db = disk / "calendar.db"
    shutil.rmtree(web.ws.root / "calendar.files", ignore_errors=True)
    site = Site(web.ws.plan, web.ws.db, disk / "exports", clock=lambda: WEB_NOW)
    web.ws.root = disk  # the evidence folder beside the database, on the full disk too
    full = Web(web.ws)
    full.site, full.app = site, create_app(site, refresh_in_background=False)
    client = full.client("yj")
    page = client.get(f"/events/{UID}").text
    fill(disk)
    for files in ([], [(io.BytesIO(photo()), "现场.jpg")]):
        answer = client.post(f"/events/{UID}/done", data={
            "csrf_token": csrf(page), "seen": "0", "attendance": "30", "note": "演练",
            "files": files}, content_type="multipart/form-data")
        assert answer.status_code == 507, answer.text
        assert "磁盘已满，本次登记未保存" in answer.text and not english_or_generic(answer.text)
    assert not [p for p in disk.rglob("*.tmp")]
    (disk / "filler").unlink()
    assert full.entry(UID).status == "planned"
    assert report(full, client, "done", {}, [("现场.jpg", photo())]).status_code == 303


@on_both_databases
@pytest.mark.parametrize("action, data, files", [
    ("done", {"note": "广场\x00演练"}, ()),
    ("cancel", {"reason": "下\x00雨"}, ()),
    ("done", {}, [("现场\x00.jpg", None)]),
], ids=["note", "reason", "file name"])
def test_a_nul_character_in_anything_sent_is_refused_at_the_door(web, action, data, files):
    client = web.client("yj")
    answer = report(web, client, action, data, [(name, photo()) for name, _ in files])
    assert answer.status_code == 400 and "含有无法保存的控制字符（NUL）" in answer.text
    assert web.entry(UID).status == "planned"


@on_both_databases
def test_a_nul_character_in_a_login_is_refused_at_the_door(web):
    client = web.app.test_client()
    page = client.get("/login").text
    answer = client.post("/login", data={"login": "y\x00j", "password": PASSWORDS["yj"],
                                         "csrf_token": csrf(page)})
    assert answer.status_code == 400 and "含有无法保存的控制字符（NUL）" in answer.text


@on_both_databases
@pytest.mark.parametrize("action, data, field, message", [
    ("done", {"note": "演" * 501}, "note", "备注不超过500字（现有501字）"),
    ("cancel", {"reason": "雨" * 501}, "reason", "取消原因不超过500字（现有501字）"),
])
def test_a_text_over_its_bound_is_named_beside_its_field(web, action, data, field, message):
    client = web.client("yj")
    answer = report(web, client, action, data)
    assert answer.status_code == 400 and message in answer.text
    assert f'name="{field}"' in answer.text and 'maxlength="500"' in answer.text
    assert web.entry(UID).status == "planned"


def test_a_make_up_title_over_its_bound_is_refused(web):
    client = web.client("yj")
    assert report(web, client, "cancel", {"reason": "暴雨"}).status_code == 303
    answer = report(web, client, "makeup", {"title": "补" * 81, "day": "2025-05-19"})
    assert answer.status_code == 400 and "活动名称不超过80字（现有81字）" in answer.text
    assert 'maxlength="80"' in answer.text


def test_the_command_line_bounds_the_same_texts(built_small):
    long_note = built_small.run("record", "done", "m02-day/2025", "--note", "演" * 501, ok=False)
    assert long_note.exit_code == 1
    assert "the note is 501 characters long; at most 500 are allowed" in long_note.output
    built_small.run("record", "cancel", "m02-day/2025", "--reason", "雨" * 500)
    title = built_small.run("add", "--unit", "yingji", "--title", "补" * 81, "--on", "2025-05-19",
                            "--fills", "m02-day/2025", ok=False)
    assert title.exit_code == 1 and "the title is 81 characters long; at most 80" in title.output
    by = built_small.run("record", "reset", "m02-day/2025", "--by", "x" * 33, ok=False)
    assert by.exit_code == 1 and "the --by name is 33 characters long" in by.output


def test_a_body_over_the_limit_is_a_chinese_page(web):
    text = web.ws.plan.read_text(encoding="utf-8")
    web.ws.plan.write_text(text + "\nsettings:\n  evidence_mb: 1\n", encoding="utf-8")
    small = Web(web.ws)
    client = small.client("yj")
    page = client.get(f"/events/{UID}").text
    answer = client.post(f"/events/{UID}/done", data={
        "csrf_token": csrf(page), "seen": "0",
        "files": [(io.BytesIO(b"\0" * (12 * 1024 * 1024)), "大.pdf")]},
        content_type="multipart/form-data")
    assert answer.status_code == 413 and not english_or_generic(answer.text)
    assert "每次登记最多附10个文件，每个不超过1 MB" in answer.text


def test_an_http_refusal_of_werkzeug_s_own_is_a_chinese_page(web):
    answer = web.client("yj").put("/login")
    assert answer.status_code == 405 and "这个页面不接受这种操作" in answer.text
    assert not english_or_generic(answer.text)


# -- before sign-in: the refusal in the site's frame, with the way in -----------------------

FRAME = '<nav class="appmenu">'


def _framed_for_a_visitor(text: str) -> None:
    """The site's header and menu as someone not signed in sees them, and a way to sign in."""
    assert "测试县科学素质行动" in text and FRAME in text
    menu = text[text.index(FRAME):text.index("</nav>", text.index(FRAME))]
    assert '<a href="/login"' in menu and "登录" in menu and '<a href="/index.html">日历订阅' in menu
    assert '<a href="/login">返回登录页</a>' in text and "返回首页" not in text


def test_a_refusal_before_sign_in_has_the_site_s_frame_and_the_way_to_sign_in(web):
    visitor = web.client()
    forged = visitor.post("/login", data={"login": "yj", "password": PASSWORDS["yj"],
                                          "csrf_token": "forged"})
    assert forged.status_code == 400 and "页面已过期" in forged.text
    _framed_for_a_visitor(forged.text)
    text = web.ws.plan.read_text(encoding="utf-8")
    web.ws.plan.write_text(text + "\nsettings:\n  evidence_mb: 1\n", encoding="utf-8")
    big = Web(web.ws).client().post("/login", data={"login": "yj", "password": "x" * (12 << 20)})
    assert big.status_code == 413 and "提交的内容超过上限" in big.text
    _framed_for_a_visitor(big.text)
    # Signed in, the way back is the unit's home.
    signed = web.client("yj").post("/events/x/done", data={"csrf_token": "forged"})
    assert signed.status_code == 400 and '<a href="/">返回首页</a>' in signed.text


def test_what_the_server_refuses_itself_has_the_site_s_frame(web):
    """A body over what `serve` reads at all is refused by the server before the application
    sees it: the page is still the site's, with its menu and the way to sign in."""
    import socket
    from urllib.parse import urlsplit

    web.ws.run("build", "--today", "2025-06-20")
    served = Served(web.ws)
    try:
        where = urlsplit(served.url)
        with socket.create_connection((where.hostname, where.port), timeout=20) as conn:
            conn.sendall(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/"
                         b"x-www-form-urlencoded\r\nContent-Length: 999999999\r\n\r\nlogin=yj")
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
    finally:
        served.stop()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), head
    text = body.decode()
    assert "提交的内容超过上限，没有保存任何内容" in text and not english_or_generic(text)
    _framed_for_a_visitor(text)
