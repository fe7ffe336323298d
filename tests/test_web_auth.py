"""Who may see and do what in the web application: sign-in, sessions, CSRF, and the whole
permission matrix, through Flask's test client on the real database."""

from datetime import timedelta

import pytest

from calendar_app.store import accounts

from .conftest import PASSWORDS, csrf, on_both_databases

pytestmark = on_both_databases

OWN = "m02-day/2025"  # led by 县应急管理局, co-organised by 县文旅局 and 县委宣传部
OTHERS = "m03-push/2025-01-02"  # the townships'


def with_settings(web, **values) -> None:
    """Give the small plan (which has none) a settings section."""
    lines = "".join(f"  {key}: {value}\n" for key, value in values.items())
    text = web.ws.plan.read_text(encoding="utf-8")
    assert "\nsettings:" not in text
    web.ws.plan.write_text(f"{text}\nsettings:\n{lines}", encoding="utf-8")


PAGES = ["/", "/dashboard", "/dashboard.json", "/ledger.xlsx", "/circular", "/events/" + OWN,
         "/month/2025-06", "/month/2025-06/print", "/month/2025-06/pdf", "/sheets",
         "/sheets/2025-06.xlsx", "/evidence/" + "0" * 64]


def test_the_sign_in_page_is_in_chinese_with_its_labels(web):
    page = web.client().get("/login").text
    assert '<label for="login">用户名</label>' in page
    assert '<label for="password">密码</label>' in page
    assert '<button class="primary" type="submit">登录</button>' in page


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_requests_go_to_the_sign_in_page(web, url):
    answer = web.client().get(url)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/login?next=")


def test_feeds_and_the_subscription_page_are_public_and_the_rest_of_exports_is_not(web):
    web.ws.run("build", "--today", "2025-06-20")
    client = web.client()
    feed = client.get("/feeds/yingji.ics")
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    assert "BEGIN:VCALENDAR" in feed.text and feed.headers["ETag"]
    assert client.get("/feeds/yingji.ics", headers={"If-None-Match": feed.headers["ETag"]}
                      ).status_code == 304
    assert client.get("/index.html").status_code == 200
    assert (web.ws.exports / "gaps" / "index.html").exists()
    for private in ("/gaps/index.html", "/gaps/gaps.json", "/print/2025-06/yingji.html"):
        answer = client.get(private)
        assert answer.status_code == 404 and "差距" not in answer.text, private


def test_printed_months_are_public_when_the_coordinator_turns_it_on(web):
    with_settings(web, public_print="true")
    web.ws.run("build", "--today", "2025-06-20")
    answer = web.client().get("/print/2025-06/yingji.html")
    assert answer.status_code == 200 and "2025年6月" in answer.text
    assert web.client().get("/gaps/index.html").status_code == 404


def test_a_wrong_password_or_a_disabled_account_does_not_sign_in(web):
    client = web.client()
    for login, password in (("yj", "not-the-password"), ("old", PASSWORDS["old"]),
                            ("nobody", "whatever-it-is")):
        answer = client.post("/login", data={"login": login, "password": password,
                                             "csrf_token": csrf(client.get("/login").text)})
        assert answer.status_code == 401
        assert "用户名或密码不正确" in answer.text
        assert client.get("/").status_code == 302


def test_signing_in_goes_back_where_it_was_asked_for_and_never_elsewhere(web):
    client = web.client()
    page = client.get("/login?next=/month/2025-06").text
    answer = client.post("/login", data={"login": "yj", "password": PASSWORDS["yj"],
                                         "next": "/month/2025-06", "csrf_token": csrf(page)})
    assert answer.headers["Location"] == "/month/2025-06"
    client = web.client()
    page = client.get("/login").text
    answer = client.post("/login", data={"login": "yj", "password": PASSWORDS["yj"],
                                         "next": "//evil.example/x", "csrf_token": csrf(page)})
    assert answer.headers["Location"] == "/"


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(web):
    client = web.client("yj")
    before = web.entry(OWN)
    for data in ({}, {"csrf_token": "forged"}):
        answer = client.post(f"/events/{OWN}/done", data={"seen": "0", **data})
        assert answer.status_code == 400 and "页面已过期" in answer.text
    assert client.post("/logout").status_code == 400  # even signing out needs the token
    assert web.entry(OWN) == before


@pytest.mark.parametrize("who, uid, status", [
    ("yj", OWN, 200), ("xc", OWN, 200), ("yj", OTHERS, 403), ("xc", OTHERS, 403),
    ("kx", OWN, 200), ("kx", OTHERS, 200), ("yj", "no-such/event", 404),
])
def test_who_may_open_an_event(web, who, uid, status):
    assert web.client(who).get(f"/events/{uid}").status_code == status


@pytest.mark.parametrize("who, uid, status", [
    ("yj", OWN, 303), ("xc", OWN, 303), ("yj", OTHERS, 403), ("kx", OTHERS, 303),
])
def test_who_may_report_an_event(web, who, uid, status):
    client = web.client(who)
    page = client.get("/").text if status == 403 else client.get(f"/events/{uid}").text
    answer = client.post(f"/events/{uid}/cancel", data={
        "seen": "0", "reason": "下雨", "csrf_token": csrf(page)})
    assert answer.status_code == status
    entry = web.entry(uid)
    assert entry.status == ("cancelled" if status == 303 else "planned")
    if status == 303:
        assert web.ws.run("history", uid, "--format", "json").output.count(f'"by": "{who}"') == 1


def test_only_the_coordinator_sees_the_units_and_other_units_pages(web):
    for url in ("/dashboard", "/dashboard.json", "/ledger.xlsx", "/circular", "/circular.pdf"):
        assert web.client("yj").get(url).status_code == 403, url
    assert web.client("yj").get("/?unit=xuanchuan").status_code == 200  # its own, whatever asked
    assert "县应急管理局" in web.client("yj").get("/?unit=xuanchuan").text
    coordinator = web.client("kx")
    assert coordinator.get("/").headers["Location"] == "/dashboard"
    page = coordinator.get("/dashboard").text
    assert "县委宣传部" in page and "天城镇" in page
    assert "县委宣传部 · 任务一览" in coordinator.get("/?unit=xuanchuan").text
    assert coordinator.get("/?unit=nowhere").status_code == 404


def test_a_new_password_or_disabling_ends_the_accounts_sessions(web):
    client = web.client("yj")
    assert client.get("/").status_code == 200
    web.ws.run("accounts", "passwd", "yj")
    assert client.get("/").status_code == 302
    client = web.client("xc")
    web.ws.run("accounts", "disable", "xc")
    assert client.get("/").status_code == 302


def test_guessing_is_slowed_then_refused_after_too_many_failures(web):
    held = []
    web.site.pause = held.append  # the delays asked for, without waiting them out
    client = web.client()
    for _ in range(accounts.REFUSE_LOGIN):
        client.post("/login", data={"login": "yj", "password": "guess-guess",
                                    "csrf_token": csrf(client.get("/login").text)})
    answer = client.post("/login", data={"login": "yj", "password": PASSWORDS["yj"],
                                         "csrf_token": csrf(client.get("/login").text)})
    assert answer.status_code == 429 and "登录失败次数过多" in answer.text
    assert held[:accounts.SLOW_AFTER] == [0.0] * accounts.SLOW_AFTER
    assert held[-1] > held[accounts.SLOW_AFTER] > 0


def test_signing_out_ends_the_session_on_the_server_not_only_in_the_browser(web):
    """A cookie copied before POST /logout still worked afterwards: a cancellation was saved
    with it."""
    client = web.client("yj")
    page = client.get(f"/events/{OWN}").text
    copy = web.app.test_client()
    copy.set_cookie("calendar_session", client.get_cookie("calendar_session").value)
    assert copy.get("/").status_code == 200  # the copy works while the session lasts
    assert client.post("/logout", data={"csrf_token": csrf(page)}).status_code == 303
    answer = copy.post(f"/events/{OWN}/cancel", data={"csrf_token": csrf(page), "seen": "0",
                                                       "reason": "下雨"})
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
    assert copy.get("/").status_code == 302
    assert web.entry(OWN).status == "planned"


def test_a_session_ends_half_a_day_after_signing_in(web):
    client = web.client("yj")
    later = web.site.clock() + accounts.SESSION
    web.site.clock = lambda: later
    assert client.get("/").status_code == 200
    web.site.clock = lambda: later + timedelta(minutes=1)
    assert client.get("/").status_code == 302


def _attempt(client, password: str, login: str = "yj"):
    return client.post("/login", data={"login": login, "password": password,
                                       "csrf_token": csrf(client.get("/login").text)})


def test_a_lock_says_when_it_ends_and_spares_the_owner_s_browser(web):
    web.site.pause = lambda seconds: None
    owner = web.client("yj")  # signed in before: the browser keeps its device cookie
    owner.post("/logout", data={"csrf_token": csrf(owner.get("/").text)})
    stranger = web.client()  # the same office network: the same address
    for _ in range(accounts.REFUSE_LOGIN):
        assert _attempt(stranger, "guess-guess").status_code == 401
    locked = _attempt(stranger, PASSWORDS["yj"])
    assert locked.status_code == 429
    assert "登录失败次数过多，已暂停登录，请于10:15后再试。" in locked.text  # failures at 10:00
    assert _attempt(web.client(), PASSWORDS["yj"]).status_code == 429  # any other browser
    assert _attempt(owner, PASSWORDS["yj"]).status_code == 303  # but the owner's
    elsewhere = web.app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    assert _attempt(elsewhere, PASSWORDS["yj"]).status_code == 303  # and another address


MAY_TV = [f"m02-tv/2025-W{w}" for w in (19, 20, 21, 22)]  # 县委宣传部's weekly TV segment


@pytest.mark.parametrize("who, status", [
    (None, 302), ("yj", 404), ("xc", 200), ("kx", 404),  # the coordinator names the unit
])
def test_who_may_open_a_routines_batch_form(web, who, status):
    answer = web.client(who).get("/batch/m02-tv?period=2025-05")
    assert answer.status_code == status
    if who is None:
        assert answer.headers["Location"].startswith("/login?next=")
    if who == "kx":
        assert web.client(who).get("/batch/m02-tv?period=2025-05&unit=xuanchuan"
                                   ).status_code == 200


@pytest.mark.parametrize("who, status", [("yj", 404), ("xc", 303), ("kx", 303)])
def test_who_may_report_a_month_of_a_routine_in_one_form(web, who, status):
    client = web.client(who)
    page = client.get("/", follow_redirects=True).text  # a token of its own session
    url = "/batch/m02-tv?period=2025-05" + ("&unit=xuanchuan" if who == "kx" else "")
    answer = client.post(url, data={"csrf_token": csrf(page), "period": "2025-05",
                                    "uid": MAY_TV, "note": "按节目单播出"})
    assert answer.status_code == status
    done = [web.entry(uid).status for uid in MAY_TV]
    assert done == (["done"] * 4 if status == 303 else ["planned"] * 4)


@pytest.mark.parametrize("who, action, status", [
    (None, "pass", 302), ("yj", "pass", 403), ("xc", "pass", 403), ("kx", "pass", 303),
    (None, "return", 302), ("yj", "return", 403), ("xc", "return", 403), ("kx", "return", 303),
])
def test_only_the_coordinator_reviews_a_report(web, who, action, status):
    lead = web.client("yj")
    page = lead.get(f"/events/{OWN}").text
    assert lead.post(f"/events/{OWN}/done", data={
        "seen": str(web.entry(OWN).sequence), "attendance": "120",
        "csrf_token": csrf(page)}).status_code == 303
    client = web.client(who)
    token = csrf(client.get("/login" if who is None else "/", follow_redirects=True).text)
    answer = client.post(f"/events/{OWN}/{action}", data={
        "seen": str(web.entry(OWN).sequence), "verdict": "需补充佐证材料", "csrf_token": token})
    assert answer.status_code == status
    after = {"pass": "passed", "return": "returned"}[action] if status == 303 else "filed"
    assert web.entry(OWN).review == after


@pytest.mark.parametrize("who, status", [(None, 302), ("yj", 403), ("xc", 403), ("kx", 200)])
def test_only_the_coordinator_sees_what_awaits_review(web, who, status):
    assert web.client(who).get("/reviews").status_code == status
