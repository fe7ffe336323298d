"""The application on the office network: signing in over plain http with an ordinary
client, the session cookie Secure only over https (directly or through the reverse proxy
the plan names), forwarded headers believed from that proxy alone, and what `serve` says
about where it is reached."""

from dataclasses import replace

import pytest

from calendar_app.model import Settings
from calendar_app.plan.reader import load_plan
from calendar_app.web import addresses

from .conftest import DATA, PASSWORDS, Served, csrf, sign_in


def with_settings(ws, **values) -> None:
    lines = "".join(f"  {key}: {value}\n" for key, value in values.items())
    text = ws.plan.read_text(encoding="utf-8")
    ws.plan.write_text(f"{text}\nsettings:\n{lines}", encoding="utf-8")


def test_a_plain_http_client_signs_in_over_http_and_reaches_the_units_home(web):
    web.ws.run("build", "--today", "2025-06-20")  # the plan's base_url is https (the placeholder)
    served = Served(web.ws)
    try:
        home, client = sign_in(served.url, {"X-Forwarded-Proto": "https"})  # forged: ignored
        assert home.url == served.url + "/"
        assert "县应急管理局 · 任务一览" in home.read().decode()
        (cookie,) = [c for c in client.jar if c.name == "calendar_session"]
        assert not cookie.secure and cookie.has_nonstandard_attr("HttpOnly")
    finally:
        err = served.stop()
    assert served.said[0].startswith("serving the web application and ")
    assert served.said[1] == f"  {served.url}/\n"
    assert err.count("warning: settings.base_url is still the placeholder") == 1


def cookie_of(web, headers: dict[str, str] | None = None, **environ) -> str:
    # A browser names the page a form came from; over https the CSRF check wants it to.
    headers = {"Referer": "https://localhost/login", **(headers or {})}
    client = web.app.test_client()
    page = client.get("/login", headers=headers, **environ).text
    answer = client.post("/login", data={"login": "yj", "password": PASSWORDS["yj"],
                                         "csrf_token": csrf(page)}, headers=headers, **environ)
    assert answer.status_code == 303, answer.text
    return answer.headers["Set-Cookie"]


def test_the_cookie_is_secure_over_https_whatever_base_url_says(web):
    plain = cookie_of(web)
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain
    secure = cookie_of(web, base_url="https://localhost")
    assert "HttpOnly" in secure and "Secure" in secure


def test_forwarded_headers_are_believed_from_the_named_proxy_alone(web):
    with_settings(web.ws, proxy="10.0.0.7")
    forged = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9",
              "Referer": "https://localhost/login"}
    assert "Secure" not in cookie_of(web, headers=forged)  # from 127.0.0.1: not the proxy
    assert "Secure" not in cookie_of(web, headers=forged,
                                     environ_base={"REMOTE_ADDR": "10.0.0.8"})
    assert "Secure" in cookie_of(web, headers=forged, environ_base={"REMOTE_ADDR": "10.0.0.7"})
    # Failed sign-ins are counted against the client the proxy names, and only the proxy's
    # word is taken for it.
    client = web.app.test_client()
    for remote in ("127.0.0.1", "10.0.0.7"):
        page = client.get("/login").text
        client.post("/login", headers=forged, environ_base={"REMOTE_ADDR": remote},
                    data={"login": "yj", "password": "wrong-password", "csrf_token": csrf(page)})
    assert sorted(web.ws.database.rows("SELECT address FROM login_failure")) == [
        ("127.0.0.1",), ("203.0.113.9",)]


def test_a_proxy_that_is_not_an_address_is_a_plan_error(small):
    with_settings(small, proxy="nginx")
    result = small.run("validate", ok=False)
    assert result.exit_code == 1
    assert "settings proxy 'nginx': 'nginx' is not an IP address or network" in result.output


def test_serve_lists_every_address_it_answers_on():
    assert addresses.listening("0.0.0.0", 8080, local=lambda: ["127.0.0.1", "192.168.1.20"]) \
        == ["http://127.0.0.1:8080/", "http://192.168.1.20:8080/"]
    assert addresses.listening("127.0.0.1", 8000) == ["http://127.0.0.1:8000/"]
    assert addresses.local_addresses()[0] == "127.0.0.1"


@pytest.mark.parametrize("base_url, proxy, warned", [
    ("http://192.168.1.20:8080", "", ""),
    ("http://192.168.1.20:8080/", "", ""),
    ("http://server.office:8080", "", ""),  # a name that resolves to the address
    ("https://kx.chongyang.example/calendar", "127.0.0.1", ""),  # nginx in front, named
    ("http://192.168.1.20:8000", "", "it names another host or port"),
    ("http://10.1.1.1:8080", "", "it names another host or port"),
    ("https://192.168.1.20:8080", "", "this server speaks plain http"),
    ("http://192.168.1.20:8080/calendar", "", "the feeds are served at the root"),
    ("https://example.invalid/calendar", "", "is still the placeholder"),
])
def test_serve_warns_when_base_url_is_not_how_it_is_reached(base_url, proxy, warned):
    plan = load_plan(DATA / "small.yaml")
    plan = replace(plan, settings=Settings(base_url=base_url.rstrip("/"), proxy=proxy))
    urls = ["http://127.0.0.1:8080/", "http://192.168.1.20:8080/"]
    names = {"server.office": {"192.168.1.20"}}
    said = addresses.base_url_warning(plan, urls, lambda name: names.get(name, set()))
    assert (warned in said and "\n" not in said) if warned else said == ""


def test_sixty_wrong_sign_ins_at_once_get_ten_passwords_checked(web):
    """Counted before checking, not after: 60 at once had 17 passwords checked, not 10."""
    import concurrent.futures
    import threading

    import requests

    web.ws.run("build", "--today", "2025-06-20")
    served = Served(web.ws, "--threads", "16")
    try:
        ready = threading.Barrier(60)

        def guess(i: int) -> int:
            session = requests.Session()
            page = session.get(served.url + "/login", timeout=30).text
            ready.wait(timeout=60)  # then all at once
            return session.post(served.url + "/login", timeout=60, data={
                "login": "yj", "password": f"guess-{i:04d}", "csrf_token": csrf(page)},
                allow_redirects=False).status_code

        with concurrent.futures.ThreadPoolExecutor(60) as pool:
            answers = list(pool.map(guess, range(60)))
    finally:
        served.stop()
    assert sorted(answers) == [401] * 10 + [429] * 50, answers
