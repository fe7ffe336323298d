"""An ended period beside the current one in the web application: the switcher on every page,
the ended period read-only under /periods/<years>/ with its own sign-in, its folder left as its
archive, and the feeds following the current period."""

from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from werkzeug.test import Client

from calendar_app.cli import cli
from calendar_app.model import TZ
from calendar_app.web import Site, create_app
from calendar_app.web.periods import with_archives

from .conftest import DATA, PASSWORDS, Served, Workspace, csrf

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=TZ)
ARCHIVE = "/periods/2025-2025"


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def periods(tmp_path, _web_database):
    """The small plan (2025, with its accounts and a build) and its next period, 2026-2030,
    built for 2026 with a coordinator's account."""
    (tmp_path / "2025").mkdir()
    old = Workspace(tmp_path / "2025", DATA / "small.yaml")
    shutil.copy(_web_database, old.db)
    old.run("build", "--today", "2025-06-20")
    result = CliRunner().invoke(cli, ["--plan", str(old.plan), "plan", "next", "--period",
                                      "2026-2030", "--out", str(tmp_path / "2026")])
    assert result.exit_code == 0, result.output
    new = Workspace(tmp_path / "2026", tmp_path / "2026" / "recurring.yaml")
    new.run("build", "--from", "2026-01-01", "--to", "2026-12-31", "--today", "2026-03-10")
    new.run("accounts", "add", "kx", "--coordinator", "--password-stdin",
            input=PASSWORDS["kx"] + "\n")
    return old, new


def _records(db: Path) -> list[tuple]:
    """Every event, its revision and what was reported, and the history."""
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = "
                                             "'table' AND name IN ('event', 'history', "
                                             "'evidence') ORDER BY name")]
        assert "event" in tables
        return [(t, conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()) for t in tables]


def _client(old: Workspace, new: Workspace):
    site = Site(new.plan, new.db, new.exports, clock=lambda: NOW)
    app = create_app(site, refresh_in_background=False)
    served, _ = with_archives(app, site, [old.plan])
    return Client(served)


def _sign_in(client: Client, prefix: str, login: str) -> None:
    page = client.get(f"{prefix}/login").get_data(as_text=True)
    answer = client.post(f"{prefix}/login", data={"login": login, "password": PASSWORDS[login],
                                                   "csrf_token": csrf(page)})
    assert answer.status_code == 303, answer.get_data(as_text=True)


def test_every_page_carries_the_switcher(periods):
    client = _client(*periods)
    page = client.get("/login").get_data(as_text=True)
    assert '实施期：<strong>2026—2030</strong>　<a href="/periods/2025-2025">2025—2025（已结束）</a>' \
        in page
    archived = client.get(f"{ARCHIVE}/login").get_data(as_text=True)
    assert '实施期：<a href="/">2026—2030</a>　<strong>2025—2025（已结束）</strong>' in archived
    assert "2025—2025（已结束）实施期存档：只能查看，不能登记。" in archived
    assert f'action="{ARCHIVE}/login"' in archived


def test_the_ended_period_is_read_only_with_its_own_accounts(periods):
    old, new = periods
    before, records = _digest(old.root), _records(old.db)
    client = _client(old, new)
    assert client.get(f"{ARCHIVE}/").headers["Location"].startswith(f"{ARCHIVE}/login")
    _sign_in(client, ARCHIVE, "yj")  # an account of the ended period
    home = client.get(f"{ARCHIVE}/").get_data(as_text=True)
    assert "县应急管理局" in home and f'href="{ARCHIVE}/events/' in home
    assert 'href="/events/' not in home
    uid = "m02-day/2025"
    page = client.get(f"{ARCHIVE}/events/{uid}")
    assert page.status_code == 200
    refused = client.post(f"{ARCHIVE}/events/{uid}/done",
                          data={"csrf_token": csrf(page.get_data(as_text=True)), "seen": "0"})
    assert refused.status_code == 403
    assert "2025—2025（已结束）实施期已结束，这里是它的存档，只能查看" in refused.get_data(as_text=True)
    # the current period does not know the ended one's session
    assert client.get("/").headers["Location"].startswith("/login")
    # Its events, their history and evidence, and its exports are as they were; signing in
    # keeps the session in its database, as any sign-in does (accounts and sessions alone).
    after = _digest(old.root)
    assert {k: v for k, v in after.items() if k != "calendar.db"} == \
        {k: v for k, v in before.items() if k != "calendar.db"}
    assert _records(old.db) == records
    with sqlite3.connect(old.db) as conn:
        assert conn.execute("SELECT status FROM event WHERE uid = ?", (uid,)).fetchone()[0] \
            == "planned"


def test_an_archived_home_says_it_is_an_archive_and_asks_nothing(periods):
    old, new = periods
    client = _client(old, new)
    _sign_in(client, ARCHIVE, "yj")
    home = client.get(f"{ARCHIVE}/").get_data(as_text=True)
    assert "本期已结束，以下为归档记录：2025年1月1日至2025年12月31日各项活动到期末的登记情况，只能查看。" \
        in home
    assert "期末未登记（" in home and "本单位牵头、到期末仍未登记的活动" in home
    for asking in ("请尽快", "请按理由", "本周待办", "未来两周", "逾期未报清单", "订阅本单位日历",
                   "按计划全部完成", "提醒渠道"):
        assert asking not in home, asking
    # The same period served on its own (not as an archive) still asks for what is overdue.
    alone = Client(create_app(Site(old.plan, old.db, old.exports, clock=lambda: NOW),
                              refresh_in_background=False))
    _sign_in(alone, "", "yj")
    current = alone.get("/").get_data(as_text=True)
    assert "请尽快登记完成、取消或改期" in current and "归档记录" not in current


def _posting(html: str) -> list[str]:
    """The addresses of a page's forms that would write, signing out aside."""
    return [a for a in re.findall(r'<form method="post" action="([^"]*)"', html)
            if not a.endswith("/logout")]


def test_an_archives_pages_offer_no_form_it_would_refuse_and_name_no_work_to_do(periods):
    """Not hidden by a style sheet: the forms are not there, for a unit and for 县科协, and
    no page asks for a sheet to be uploaded, a channel set or an account made."""
    old, new = periods
    client = _client(old, new)
    _sign_in(client, ARCHIVE, "yj")
    unit_pages = ["/", "/events/m02-day/2025", "/events/m02-tv/2025-W21", "/month/2025-05",
                  "/sheets?month=2025-05"]
    for path in unit_pages:
        answer = client.get(ARCHIVE + path)
        html = answer.get_data(as_text=True)
        assert answer.status_code == 200, (path, answer.status_code)
        assert _posting(html) == [], path
        for asking in ("上传填好的报表", "逾期未报清单", "逾期未报</span>", "请在下方补充"):
            assert asking not in html, (path, asking)
    assert "本实施期已结束，报表不能再上传" in client.get(f"{ARCHIVE}/sheets?month=2025-05").get_data(
        as_text=True)
    assert '<span class="tag red">期末未登记</span>' in client.get(
        f"{ARCHIVE}/events/m02-day/2025").get_data(as_text=True)

    coordinator = _client(old, new)
    _sign_in(coordinator, ARCHIVE, "kx")
    for path in ["/dashboard", "/units", "/accounts", "/events/m02-day/2025",
                 "/?unit=yingji", "/sheets?unit=yingji&month=2025-05",
                 "/batch/m02-tv?period=2025-05&unit=xuanchuan"]:
        answer = coordinator.get(ARCHIVE + path)
        html = answer.get_data(as_text=True)
        assert answer.status_code == 200, (path, answer.status_code)
        assert _posting(html) == [], path
        for asking in ("催办与提醒渠道", '#add"', 'id="add"', "可代为登记",
                       '"/periods/2025-2025/accounts"'):
            assert asking not in html, (path, asking)
    # The current period's pages keep every form: the archive's words are its own.
    current = _client(old, new)
    _sign_in(current, "", "kx")
    dashboard = current.get("/dashboard").get_data(as_text=True)
    assert "催办与提醒渠道" in dashboard and "/urge" in _posting(dashboard)
    assert "/accounts" in _posting(current.get("/accounts").get_data(as_text=True))


def test_the_feeds_follow_the_current_period(periods):
    client = _client(*periods)
    feed = client.get("/feeds/all.ics").get_data(as_text=True)
    assert "DTSTART;VALUE=DATE:2026" in feed and "DTSTART;VALUE=DATE:2025" not in feed


def test_serve_shows_an_earlier_period_and_refuses_one_that_is_not(periods):
    old, new = periods
    served = Served(new, "--archive", str(old.plan), "--today", "2026-03-10")
    try:
        with urllib.request.urlopen(f"{served.url}{ARCHIVE}/login") as answer:
            page = answer.read().decode()
        assert "<strong>2025—2025（已结束）</strong>" in page
    finally:
        served.stop()
    result = CliRunner().invoke(cli, ["--plan", str(old.plan), "--db", str(old.db), "serve",
                                      "--port", "0", "--archive", str(new.plan)])
    assert result.exit_code == 1 and "only an earlier period is shown beside it" in result.output
