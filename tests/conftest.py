"""Shared fixtures: named plan files under tests/data, a temporary database, the real CLI."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from calendar_app.build import revision_time
from calendar_app.cli import cli
from calendar_app.model import TZ
from calendar_app.plan import load_plan
from calendar_app.schedule import expand
from calendar_app.store import Store

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent
SHIPPED = ROOT / "recurring.yaml"


def data_file(name: str) -> Path:
    return DATA / name


@pytest.fixture
def small_plan():
    return load_plan(DATA / "small.yaml")


@pytest.fixture(scope="session")
def shipped_plan():
    return load_plan(SHIPPED)


class Workspace:
    """A temporary folder holding a copy of a plan, its database and exports."""

    def __init__(self, root: Path, plan: Path):
        self.root = root
        self.plan = root / "recurring.yaml"
        shutil.copy(plan, self.plan)
        self.db = root / "calendar.db"
        self.exports = root / "exports"
        self.runner = CliRunner()

    def run(self, *args: str, ok: bool = True):
        result = self.runner.invoke(cli, ["--plan", str(self.plan), "--db", str(self.db),
                                          "--exports", str(self.exports), *args])
        if ok:
            assert result.exit_code == 0, result.output
        return result

    def edit(self, old: str, new: str) -> None:
        text = self.plan.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in the plan"
        self.plan.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def small(tmp_path) -> Workspace:
    return Workspace(tmp_path, DATA / "small.yaml")


@pytest.fixture
def shipped(tmp_path) -> Workspace:
    return Workspace(tmp_path, SHIPPED)


@pytest.fixture
def built_small(small) -> Workspace:
    small.run("build", "--today", "2025-01-01")
    return small


@pytest.fixture(scope="session")
def _small_database(tmp_path_factory) -> Path:
    """The small plan expanded and stored once a session, by expand + sync: no view rendered."""
    plan = load_plan(DATA / "small.yaml")
    path = tmp_path_factory.mktemp("stored") / "calendar.db"
    with Store.open(path, create=True) as store:
        store.sync(expand(plan).events, (plan.start, plan.end), revision_time(date(2025, 1, 1)),
                   "build")
    return path


@pytest.fixture
def stored_small(small, _small_database) -> Workspace:
    """The small plan's workspace with its events stored as a build on 2025-01-01 would
    store them, and no exports yet: for tests of the store, records and sheets."""
    shutil.copy(_small_database, small.db)
    return small


# -- the web application ------------------------------------------------------------------------

WEB_NOW = datetime(2025, 6, 20, 10, 0, tzinfo=TZ)
PASSWORDS = {"yj": "yingji-password-1", "xc": "xuanchuan-password-1",
             "kx": "coordinator-password-1", "old": "disabled-password-1"}


@pytest.fixture(scope="session")
def _web_database(_small_database, tmp_path_factory) -> Path:
    """The stored small plan with four accounts: 县应急管理局 (yj), 县委宣传部 (xc), the
    coordinator (kx) and a disabled one of 县应急管理局 (old). Hashing is slow on purpose,
    so it is done once a session."""
    from calendar_app import accounts

    path = tmp_path_factory.mktemp("web") / "calendar.db"
    shutil.copy(_small_database, path)
    plan = load_plan(DATA / "small.yaml")
    with Store.open(path) as store:
        for login, unit in (("yj", "yingji"), ("xc", "xuanchuan"), ("old", "yingji")):
            accounts.add(store, plan, login, unit, False, PASSWORDS[login], WEB_NOW)
        accounts.add(store, plan, "kx", None, True, PASSWORDS["kx"], WEB_NOW)
        accounts.disable(store, "old", WEB_NOW)
    return path


class Web:
    """The web application on a workspace, with a Flask test client per person."""

    def __init__(self, workspace: Workspace):
        from calendar_app.web import Site, create_app

        self.ws = workspace
        self.site = Site(workspace.plan, workspace.db, workspace.exports, clock=lambda: WEB_NOW)
        self.app = create_app(self.site, refresh_in_background=False)

    def client(self, login: str | None = None, password: str | None = None):
        client = self.app.test_client()
        if login is not None:
            page = client.get("/login").text
            answer = client.post("/login", data={"login": login,
                                                 "password": password or PASSWORDS[login],
                                                 "csrf_token": csrf(page)})
            assert answer.status_code == 303, answer.text
        return client

    def post(self, client, url: str, data: dict | None = None, page: str | None = None, **kw):
        """A form post as a browser makes it: with the CSRF token of the page it came from."""
        page = page if page is not None else client.get(url.rsplit("/", 1)[0]).text
        return client.post(url, data={"csrf_token": csrf(page), **(data or {})}, **kw)

    def entry(self, uid: str):
        with Store.open(self.ws.db) as store:
            return store.entry(uid)


def csrf(page: str) -> str:
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found[1]


@pytest.fixture
def web(small, _web_database) -> Web:
    """The small plan stored with the four accounts (exports/ is written by the first
    report, or by a build the test runs)."""
    shutil.copy(_web_database, small.db)
    return Web(small)


@pytest.fixture(scope="session")
def realistic(tmp_path_factory):
    """The shipped plan with five years of realistic records (tests/realistic.py), built once
    per session: tests that change it work on a copy (`realistic_ws`)."""
    from .realistic import make

    return make(tmp_path_factory.mktemp("realistic"))


@pytest.fixture(scope="session")
def snapshot(realistic):
    """What the realistic database holds: (plan, entries, reports), read once."""
    with Store.open(realistic.db) as store:
        return load_plan(realistic.plan), store.entries(), store.reports()


@pytest.fixture
def realistic_ws(realistic, tmp_path) -> Workspace:
    """A workspace holding a copy of the realistic plan and database, free to change."""
    ws = Workspace(tmp_path, realistic.plan)
    shutil.copy(realistic.db, ws.db)
    return ws
