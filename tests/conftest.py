"""Shared fixtures: named plan files under tests/data, a temporary database, the real CLI.

The database under test is the `database` fixture: a SQLite file by default. A module whose
tests must hold on both databases says

    pytestmark = on_both_databases

(or marks one test `@on_both_databases`) and each of its tests that stores a calendar (through
`small`, `stored_small`, `built_small` or `database` itself) runs twice, `[sqlite]` and
`[postgresql]`; tests that store nothing run once. The second in a fresh schema of the PostgreSQL
server whose URL is in CALENDAR_APP_TEST_PG (`.ci/run` starts a throwaway one with
`.ci/postgres`), skipped with the reason when there is none or psycopg is not installed, so
`pytest` alone runs the SQLite half anywhere. `database.rows(sql)` and `database.execute(sql)`
reach the tables directly, on either, for what a test must see or break behind the program.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from importlib.util import find_spec
from pathlib import Path

import pytest
from click.testing import CliRunner

from calendar_app.build import revision_time
from calendar_app.cli import cli
from calendar_app.model import TZ
from calendar_app.plan.reader import load_plan
from calendar_app.schedule.expansion import expand
from calendar_app.store import Store

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent
SHIPPED = ROOT / "recurring.yaml"
CHROMIUM = Path("/usr/bin/chromium")


def data_file(name: str) -> Path:
    return DATA / name


@pytest.fixture(scope="session", autouse=True)
def product_hasher():
    """The product's password hasher, given back to a test that checks its parameters. The
    rest of the session hashes with argon2id at its cheapest (as Django's docs advise for
    tests): the tests are about who may sign in, and 600 hashes at 20 ms were 12 s of the
    suite. A server started as a subprocess hashes as the product does."""
    from argon2 import PasswordHasher

    from calendar_app.store import accounts

    product = accounts._HASHER
    accounts._HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    yield product
    accounts._HASHER = product


@pytest.fixture
def small_plan():
    return load_plan(DATA / "small.yaml")


@pytest.fixture(scope="session")
def shipped_plan():
    return load_plan(SHIPPED)


PG_URL = "CALENDAR_APP_TEST_PG"
on_both_databases = pytest.mark.on_both_databases


def pytest_configure(config):
    config.addinivalue_line("markers", "on_both_databases: run each test that stores a "
                            "calendar on SQLite and on PostgreSQL (see tests/conftest.py)")


def pytest_generate_tests(metafunc):
    if ("database" in metafunc.fixturenames
            and metafunc.definition.get_closest_marker("on_both_databases")):
        metafunc.parametrize("database", ["sqlite", "postgresql"], indirect=True)


class DatabaseUnderTest:
    """Where a test's calendar is stored: `target` is what `--db` and `Store.open` take."""

    def __init__(self, kind: str, target: str | Path, connect):
        self.kind = kind
        self.target = target
        self._connect = connect

    @property
    def sqlite(self) -> bool:
        return self.kind == "sqlite"

    @property
    def integrity_error(self) -> type[Exception]:
        """What the driver raises when the database refuses a change."""
        if self.sqlite:
            return sqlite3.IntegrityError
        import psycopg

        return psycopg.IntegrityError

    def rows(self, sql: str) -> list[tuple]:
        conn = self._connect()
        try:
            return [tuple(row) for row in conn.execute(sql).fetchall()]
        finally:
            conn.close()

    def execute(self, sql: str) -> None:
        """One statement, committed; errors are the driver's own."""
        conn = self._connect()
        try:
            conn.execute(sql)
            conn.commit()
        finally:
            conn.close()

    def refuse_inserts(self, table: str, message: str) -> None:
        """From now on the database refuses every new row of `table`, as a full disk would."""
        if self.sqlite:
            self.execute(f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} "
                         f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
            return
        self.execute(f"CREATE FUNCTION refuse_{table}() RETURNS trigger AS $$ BEGIN "
                     f"RAISE EXCEPTION '{message}'; END $$ LANGUAGE plpgsql")
        self.execute(f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} "
                     f"FOR EACH ROW EXECUTE PROCEDURE refuse_{table}()")


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The URL of a PostgreSQL database the tests may make schemas in, or a skip."""
    url = os.environ.get(PG_URL)
    if not url:
        pytest.skip(f"no PostgreSQL to test on: set {PG_URL} to a database URL "
                    "(`.ci/postgres start DIR` starts a throwaway server and prints one)")
    if find_spec("psycopg") is None:
        pytest.skip("psycopg is not installed: pip install -e '.[pg]'")
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.Error as exc:
        pytest.fail(f"{PG_URL}={url} does not answer: {exc}")
    return url


@pytest.fixture
def database(request, tmp_path) -> Iterator[DatabaseUnderTest]:
    kind = getattr(request, "param", "sqlite")
    if kind == "sqlite":
        path = tmp_path / "calendar.db"
        yield DatabaseUnderTest(kind, path, lambda: sqlite3.connect(path))
        return
    server = request.getfixturevalue("postgres_server")  # skips unless psycopg is installed
    import psycopg

    schema = f"test_{uuid.uuid4().hex[:12]}"
    url = f"{server}{'&' if '?' in server else '?'}schema={schema}"

    def connect():
        return psycopg.connect(server, options=f"-c search_path={schema}")

    yield DatabaseUnderTest(kind, url, connect)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


class Workspace:
    """A temporary folder holding a copy of a plan, its database and exports."""

    def __init__(self, root: Path, plan: Path, database: DatabaseUnderTest | None = None):
        self.root = root
        self.plan = root / "recurring.yaml"
        # Not over the same bytes: a folder `made_once` shares may be read by another worker.
        if not (self.plan.exists() and self.plan.read_bytes() == Path(plan).read_bytes()):
            shutil.copy(plan, self.plan)
        self.database = database
        self.db = database.target if database else root / "calendar.db"
        self.exports = root / "exports"
        self.runner = CliRunner()

    def run(self, *args: str, ok: bool = True, input: str | None = None):
        if args[:1] == ("build",) and "--jobs" not in args and "PYTEST_XDIST_WORKER" in os.environ:
            # Under `pytest -n` every core has a test runner of its own: a build's workers
            # would only queue behind them (tests/test_workers.py builds in two processes).
            args = (*args, "--jobs", "1")
        result = self.runner.invoke(cli, ["--plan", str(self.plan), "--db", str(self.db),
                                          "--exports", str(self.exports), *args], input=input)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    def edit(self, old: str, new: str) -> None:
        text = self.plan.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in the plan"
        self.plan.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def small(tmp_path, database) -> Workspace:
    return Workspace(tmp_path, DATA / "small.yaml", database)


@pytest.fixture
def shipped(tmp_path) -> Workspace:
    return Workspace(tmp_path, SHIPPED)


def made_once(tmp_path_factory, name: str, make) -> Path:
    """A folder `make(folder)` fills, made once a run: under `pytest -n` every worker is a
    session of its own, so the first worker to ask makes it in the run's shared temporary
    folder while the others wait for it (a lock file), and all read the same one. What is
    in it is for reading; a test that would change it works on a copy."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        folder = tmp_path_factory.mktemp(name)
        make(folder)
        return folder
    shared = tmp_path_factory.getbasetemp().parent
    folder, made = shared / name, shared / f"{name}.made"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        if not made.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            made.touch()
    return folder


def _build_shipped(folder: Path) -> None:
    ws = Workspace(folder, SHIPPED)
    ws.run("build", "--today", "2025-01-01")
    ws.run("export", "report-template", "--unit", "县科协", "--month", "2025-06")


@pytest.fixture(scope="session")
def shipped_built(tmp_path_factory) -> Workspace:
    """The shipped plan built on 2025-01-01 once a run, with 县科协's report sheet for June
    2025: for tests that read what a build writes (see `made_once`)."""
    return Workspace(made_once(tmp_path_factory, "shipped-built", _build_shipped), SHIPPED)


@pytest.fixture(scope="session")
def _built_small(tmp_path_factory) -> Workspace:
    """The small plan built on 2025-01-01 once a session; a build elsewhere gives the same
    bytes (no path is written into the database or the exports)."""
    ws = Workspace(tmp_path_factory.mktemp("built"), DATA / "small.yaml")
    ws.run("build", "--today", "2025-01-01")
    return ws


@pytest.fixture
def built_small(small, request) -> Workspace:
    """The small plan's workspace as `build --today 2025-01-01` leaves it: on SQLite a copy
    of the session's build, on PostgreSQL built in the test's schema."""
    if small.database.sqlite:
        done = request.getfixturevalue("_built_small")
        shutil.copy(done.db, small.db)
        shutil.copytree(done.exports, small.exports, dirs_exist_ok=True)
    else:
        small.run("build", "--today", "2025-01-01")
    return small


@pytest.fixture(scope="session")
def _small_expansion():
    plan = load_plan(DATA / "small.yaml")
    return plan, expand(plan).events


@pytest.fixture(scope="session")
def _small_database(tmp_path_factory, _small_expansion) -> Path:
    """The small plan expanded and stored once a session, by expand + sync: no view rendered."""
    path = tmp_path_factory.mktemp("stored") / "calendar.db"
    _store(path, *_small_expansion)
    return path


def _store(target, plan, events) -> None:
    with Store.open(target, create=True) as store:
        store.sync(events, (plan.start, plan.end), revision_time(date(2025, 1, 1)), "build")


@pytest.fixture
def stored_small(small, request) -> Workspace:
    """The small plan's workspace with its events stored as a build on 2025-01-01 would
    store them, and no exports yet: for tests of the store, records and sheets."""
    if small.database.sqlite:
        shutil.copy(request.getfixturevalue("_small_database"), small.db)
    else:
        _store(small.db, *request.getfixturevalue("_small_expansion"))
    return small


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium under Playwright (its own download is not reachable here), launched
    once a session; each test opens its own context."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium (apt-get install chromium; .ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        chromium.close()


# -- the web application ------------------------------------------------------------------------

WEB_NOW = datetime(2025, 6, 20, 10, 0, tzinfo=TZ)
PASSWORDS = {"yj": "yingji-password-1", "xc": "xuanchuan-password-1",
             "kx": "coordinator-password-1", "old": "disabled-password-1"}


@pytest.fixture(scope="session")
def _web_database(_small_database, tmp_path_factory) -> Path:
    """The stored small plan with four accounts: 县应急管理局 (yj), 县委宣传部 (xc), the
    coordinator (kx) and a disabled one of 县应急管理局 (old). Hashing is slow on purpose,
    so it is done once a session."""
    path = tmp_path_factory.mktemp("web") / "calendar.db"
    shutil.copy(_small_database, path)
    _add_web_accounts(path)
    return path


def _add_web_accounts(target) -> None:
    from calendar_app.store import accounts

    plan = load_plan(DATA / "small.yaml")
    with Store.open(target) as store:
        for login, unit in (("yj", "yingji"), ("xc", "xuanchuan"), ("old", "yingji")):
            accounts.add(store, plan, login, unit, False, PASSWORDS[login], WEB_NOW, "setup")
        accounts.add(store, plan, "kx", None, True, PASSWORDS["kx"], WEB_NOW, "setup")
        accounts.disable(store, "old", WEB_NOW, "setup")


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


_RUN_CLI = """
import sys
from calendar_app import cli
sys.argv[0] = "calendar-app"
cli.main()
"""


class Served:
    """`calendar-app serve` running in a process of its own, as a county runs it; with a
    `prelude`, Python run in that process first (a test's fault injected there, as in
    tests/test_concurrency.py)."""

    def __init__(self, ws: Workspace, *args: str, prelude: str = ""):
        import re
        import subprocess
        import sys

        command = [sys.executable, "-c", prelude + _RUN_CLI] if prelude else \
            [sys.executable, "-m", "calendar_app"]
        self.process = subprocess.Popen(
            [*command, "--plan", str(ws.plan), "--db", str(ws.db),
             "--exports", str(ws.exports), "serve", "--port", "0", *args],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.said = [self.process.stdout.readline()]
        while self.said[-1] and not self.said[-1].startswith("serving"):  # what it did first
            self.said.append(self.process.stdout.readline())
        while self.said[-1].startswith("serving"):  # then the addresses, one a line
            self.said.append(self.process.stdout.readline())
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", self.said[-1])
        if not found:
            self.stop()
            raise AssertionError("".join(self.said) + self.process.stderr.read())
        self.url = f"http://127.0.0.1:{found[1]}"

    def kill(self) -> None:
        """kill -9, as an out-of-memory killer or a power cut would end it."""
        self.process.kill()
        self.process.communicate(timeout=20)

    def stop(self) -> str:
        """Stops the server; what it wrote to stderr (`said` gets the rest of stdout)."""
        self.process.terminate()
        try:
            # Not communicate(): it would miss what readline() has buffered already.
            self.said.append(self.process.stdout.read())  # what it said after its addresses
            err = self.process.stderr.read()
            self.process.wait(timeout=20)
        except BaseException:
            self.process.kill()
            raise
        return err


def sign_in(url: str, headers: dict[str, str] | None = None, login: str = "yj"):
    """An ordinary HTTP client with a cookie jar, signed in at `url`: it keeps what the
    server sets and sends back what a browser would (a Secure cookie only over https).
    Returns the answer to the sign-in (the page it led to) and the client."""
    import http.cookiejar
    import urllib.parse
    import urllib.request

    jar = http.cookiejar.CookieJar()
    client = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    client.addheaders = list((headers or {}).items())
    page = client.open(url + "/login", timeout=20).read().decode()
    form = urllib.parse.urlencode({"login": login, "password": PASSWORDS[login],
                                   "csrf_token": csrf(page)}).encode()
    client.jar = jar  # type: ignore[attr-defined]
    return client.open(url + "/login", data=form, timeout=20), client


@pytest.fixture
def web(small, request) -> Web:
    """The small plan stored with the four accounts (exports/ is written by the first
    report, or by a build the test runs); on either database (`on_both_databases`)."""
    if small.database.sqlite:
        shutil.copy(request.getfixturevalue("_web_database"), small.db)
    else:
        _store(small.db, *request.getfixturevalue("_small_expansion"))
        _add_web_accounts(small.db)
    return Web(small)


@pytest.fixture(scope="session")
def realistic(tmp_path_factory):
    """The shipped plan with five years of realistic records (tests/realistic.py), made once
    a run (see `made_once`): tests that change it work on a copy (`realistic_ws`)."""
    from .realistic import found, make

    return found(made_once(tmp_path_factory, "realistic", make))


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
