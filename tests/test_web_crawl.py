"""No link leads nowhere: signed in as the coordinator and as a unit, with the real clock
(after the plan's end) and in training (on a pretend day inside it), every same-site link
reachable from the home page, two levels deep, answers neither 404 nor 500; and in training
every page says so."""

import html
import re
from collections import deque
from datetime import datetime
from urllib.parse import urljoin, urlsplit

import pytest

from calendar_app.model import TZ
from calendar_app.web import create_app
from calendar_app.web import training as practice

from .conftest import WEB_NOW, Web
from .test_unit_words import SPACED

HREF = re.compile(r'<a\b[^>]*?\shref="([^"]*)"')
BANNER = "培训模式（数据不会保存到正式系统）"


def twin(path: str) -> str:
    """A PDF's HTML twin: the same view and checks, without the seconds a PDF takes to
    print (each PDF route is fetched once on its own below)."""
    return path.replace("/circular.pdf", "/circular").replace("/pdf", "/print")


def crawl(client, depth: int = 2) -> dict[str, int]:
    """Every same-site link from the home page `depth` levels deep: url -> status."""
    seen: dict[str, int] = {}
    queue = deque([("/", 0)])
    while queue:
        url, level = queue.popleft()
        if url in seen:
            continue
        answer = client.get(url, follow_redirects=True)
        seen[url] = answer.status_code
        if level == depth or answer.mimetype != "text/html":
            continue
        here = answer.request.path
        for href in HREF.findall(answer.text):
            href = href.replace("&amp;", "&")
            target = urlsplit(urljoin("http://localhost" + here, href))
            if target.scheme != "http" or target.netloc != "localhost":
                continue  # the feeds' https:// and webcal:// addresses, other sites
            path = twin(target.path + (f"?{target.query}" if target.query else ""))
            if path not in seen:
                queue.append((path, level + 1))
    return seen


def check(web: Web, login: str, banner: bool) -> dict[str, int]:
    client = web.client(login)
    found = crawl(client)
    bad = {url: status for url, status in found.items() if status in (404, 500)}
    assert not bad, bad
    assert len(found) > 20
    if banner:
        for url in found:
            answer = client.get(url, follow_redirects=True)
            if answer.mimetype == "text/html":
                assert BANNER in answer.text, url
    return found


@pytest.fixture
def built(web) -> Web:
    web.ws.run("build", "--today", "2025-06-20")
    return web


@pytest.mark.parametrize("login", ["kx", "yj"])
def test_no_link_leads_nowhere_with_the_real_clock_after_the_plan(built, login):
    built.site.clock = lambda: datetime.now(TZ)
    assert built.site.clock().date() > built.site.plan().end
    found = check(built, login, banner=False)
    # Months and sheets stay in the plan's period (an event of ISO week 2026-W01 is its own).
    assert not [url for url in found if re.search(r"(month[/=]|sheets/)2026", url)]
    assert "/month/2025-12" in found or login == "kx"
    if login == "kx":
        assert {"/dashboard", "/units", "/accounts", "/circulars", "/sheets",
                "/index.html"} <= set(found)
        for pdf in ("/circular.pdf?month=2025-12", "/month/2025-12/pdf"):
            assert built.client(login).get(pdf).status_code == 200, pdf


@pytest.mark.parametrize("login", ["kx", "yj"])
def test_no_link_leads_nowhere_in_training_and_every_page_says_training(built, login):
    site = practice.prepare(built.site)
    site.clock = lambda: WEB_NOW
    trained = Web.__new__(Web)
    trained.ws, trained.site = built.ws, site
    trained.app = create_app(site, refresh_in_background=False)
    found = check(trained, login, banner=True)
    assert ("/units" in found) == (login == "kx")


@pytest.mark.parametrize("login", ["kx", "yj"])
def test_every_page_writes_dates_and_numbers_without_spaces(built, login):
    """What a unit or the coordinator reads on the site writes 2025年6月20日, 3项, 共36个单位
    as official documents do (issue 28, point 7), as the feeds and printed months do."""
    client = built.client(login)
    found = []
    for url in crawl(client):
        answer = client.get(url, follow_redirects=True)
        if answer.mimetype != "text/html":
            continue
        page = re.sub(r"<(script|style)\b.*?</\1>", "", answer.text, flags=re.S)
        text = html.unescape(re.sub(r"<[^>]+>", "", page))
        found += [(url, text[max(0, m.start() - 12):m.end() + 12]) for m in SPACED.finditer(text)]
    assert not found, found[:10]
