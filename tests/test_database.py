"""Where the calendar is stored: paths and URLs, what goes wrong with a database server, the
build lock, threads with a store each, and backups of a SQLite database in use."""

import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime
from importlib.util import find_spec

import pytest

from calendar_app.cli import cli
from calendar_app.plan.reader import load_plan
from calendar_app.reports.records import Recorder
from calendar_app.store import Store

from .conftest import ROOT, on_both_databases

needs_psycopg = pytest.mark.skipif(find_spec("psycopg") is None,
                                   reason="psycopg is not installed: pip install -e '.[pg]'")


@pytest.mark.parametrize("url, message", [
    ("mysql://calendar@localhost/province",
     "mysql://calendar@localhost/province: not a database calendar-app stores in: give a "
     "SQLite file's path or a postgresql://user@host/dbname URL"),
    ("postgresql://calendar:secret@localhost",
     "postgresql://calendar:***@localhost: the URL names no database "
     "(postgresql://user@host/dbname)"),
    ("postgresql://calendar@localhost:port/province",
     "postgresql://calendar@localhost:port/province: not a database URL: "),
    ("postgresql://calendar@localhost/province?schema=Chong-Yang",
     "postgresql://calendar@localhost/province?schema=Chong-Yang: schema 'Chong-Yang' must be "
     "lower-case letters, digits and _, starting with a letter"),
    pytest.param("postgresql://calendar:secret@127.0.0.1:1/province",
                 "postgresql://calendar:***@127.0.0.1:1/province: cannot connect to the "
                 "database: ", marks=needs_psycopg),
], ids=["another scheme", "no database", "a port that is no number", "a bad schema",
        "refused"])
def test_a_wrong_or_unreachable_database_is_one_line_without_the_password(small, url, message):
    for command in (["events"], ["build", "--today", "2025-01-01"]):
        result = small.runner.invoke(cli, ["--plan", str(small.plan), "--db", url, *command])
        assert result.exit_code == 1 and "Traceback" not in result.output, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(message), lines
        assert "secret" not in result.output
    assert not (small.root / "calendar.db").exists() and not small.exports.exists()


@on_both_databases
def test_the_database_can_come_from_the_environment(small, database):
    env = {"CALENDAR_APP_DB": str(database.target)}
    built = small.runner.invoke(cli, ["--plan", str(small.plan), "--exports", str(small.exports),
                                      "build", "--today", "2025-01-01"], env=env)
    assert built.exit_code == 0, built.output
    assert database.rows("SELECT COUNT(*) FROM event") == [(188,)]
    if not database.sqlite:
        assert not (small.root / "calendar.db").exists()
    listed = small.runner.invoke(cli, ["--plan", str(small.plan), "events", "--month", "2025-05"],
                                 env=env)
    assert "m02-day/2025" in listed.output


@on_both_databases
def test_a_read_of_nothing_stored_says_build_first_and_creates_nothing(small, database):
    result = small.run("events", ok=False)
    assert result.exit_code == 1
    assert result.output.strip().endswith("run `calendar-app build` first")
    if database.sqlite:
        assert not small.db.exists()
    else:
        assert database.rows("SELECT COUNT(*) FROM information_schema.tables "
                             "WHERE table_schema = current_schema()") == [(0,)]


@on_both_databases
def test_a_damaged_database_is_one_line(stored_small, database):
    database.execute("DROP TABLE event_unit")
    result = stored_small.run("events", "--unit", "yingji", ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.output
    [line] = result.output.strip().splitlines()
    assert line.startswith(f"{stored_small.db}: ") and "event_unit" in line


@on_both_databases
def test_threads_each_with_its_own_store_all_land(stored_small, database):
    """The web application's shape: a store opened per request, in several threads at once."""
    plan = load_plan(stored_small.plan)
    uids = sorted(u for (u,) in database.rows(
        "SELECT uid FROM event WHERE obligation = 'm03-push'"))[:40]
    errors = []

    def report(share):
        try:
            for uid in share:
                with Store.open(stored_small.db) as store:
                    Recorder(store, plan, datetime.now(UTC), "web").done(uid, attendance=3)
        except Exception as exc:  # noqa: BLE001 (the assertion below shows it)
            errors.append(exc)

    threads = [threading.Thread(target=report, args=(uids[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert database.rows("SELECT COUNT(*) FROM event WHERE status = 'done'") == [(40,)]
    assert database.rows("SELECT COUNT(*) FROM history WHERE action = 'done'") == [(40,)]


# The real CLI, whose database server ends its session once the sync has written its second
# batch of rows, inside the sync's transaction: the fault is injected here, not in the product.
CUT_CONNECTION = textwrap.dedent("""
    import os, sys
    import psycopg
    from calendar_app import cli
    from calendar_app.store import store

    many, calls = store.Store._executemany, []

    def then_cut(self, sql, rows):
        many(self, sql, rows)
        calls.append(sql)
        if len(calls) == 2:
            pid = self.db.connection().info.backend_pid
            with psycopg.connect(os.environ["SERVER"], autocommit=True) as other:
                other.execute("SELECT pg_terminate_backend(%s)", (pid,))

    store.Store._executemany = then_cut
    sys.argv[0] = "calendar-app"
    cli.main()
""")


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_build_that_loses_its_connection_keeps_the_last_state_and_a_rerun_completes_it(
        built_small, database, postgres_server):
    ws = built_small
    ws.edit("weekly: 周三", "weekly: 周四")

    def dump():
        return (database.rows("SELECT * FROM event ORDER BY uid"),
                database.rows("SELECT * FROM history ORDER BY id"))

    before = dump()
    cut = subprocess.run(
        [sys.executable, "-c", CUT_CONNECTION, "--plan", str(ws.plan), "--db", ws.db,
         "--exports", str(ws.exports), "build", "--today", "2025-02-01"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "SERVER": postgres_server})
    assert cut.returncode == 1, cut.stderr
    assert "Traceback" not in cut.stderr and len(cut.stderr.strip().splitlines()) == 1
    assert "lost the connection to the database" in cut.stderr
    assert "nothing since the last commit was saved: run the command again" in cut.stderr
    assert dump() == before
    assert "0 new, 52 changed, 1 cancelled" in ws.run("build", "--today", "2025-02-01").output
    assert "0 new, 0 changed" in ws.run("build", "--today", "2025-02-01").output


# A build that, once synced and still holding the build lock, says so and pauses until the
# second build is about to ask for the lock, and a moment more.
SLOW_BUILD = textwrap.dedent("""
    import pathlib, sys
    from calendar_app import cli
    from calendar_app.store import store
    from tests.handshake import wait_for

    sync, synced = store.Store.sync, pathlib.Path(sys.argv.pop(1))
    second = pathlib.Path(sys.argv.pop(1))

    def slow(self, *args, **kwargs):
        result = sync(self, *args, **kwargs)
        synced.touch()
        wait_for(second, then=0.3)
        return result

    store.Store.sync = slow
    sys.argv[0] = "calendar-app"
    cli.main()
""")

# The real CLI's build, started once `go` exists, saying when it asks for the build lock.
SECOND_BUILD = textwrap.dedent("""
    import pathlib, sys
    from calendar_app import cli
    from calendar_app.store import store
    from tests.handshake import wait_for

    go, asking = pathlib.Path(sys.argv.pop(1)), pathlib.Path(sys.argv.pop(1))
    building = store.Store.building
    wait_for(go)

    def says_so(self):
        asking.touch()
        return building(self)

    store.Store.building = says_so
    sys.argv[0] = "calendar-app"
    cli.main()
""")


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_two_builds_at_once_take_turns(built_small, database):
    ws = built_small
    ws.edit("weekly: 周三", "weekly: 周四")
    args = ["--plan", str(ws.plan), "--db", ws.db, "--exports", str(ws.exports), "build",
            "--today", "2025-02-01"]
    synced, asking = ws.root / "synced", ws.root / "asking"
    first = subprocess.Popen([sys.executable, "-c", SLOW_BUILD, str(synced), str(asking), *args],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Once the first has synced and not yet written its files, the second starts.
    second = subprocess.run([sys.executable, "-c", SECOND_BUILD, str(synced), str(asking), *args],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0 and second.returncode == 0, (err, second.stderr)
    assert "0 new, 52 changed" in out and "feeds: 0 files" not in out
    # The second waited for the whole of the first, then found its sync and files done.
    assert "0 new, 0 changed" in second.stdout
    assert all(f"{kind}: 0 files" in second.stdout for kind in ("feeds", "print", "gaps")), \
        second.stdout
    [(changed,)] = database.rows("SELECT COUNT(*) FROM history WHERE action = 'changed'")
    assert changed == 52


# Records every planned event done, one report per store opened, as fast as it can.
WRITER = textwrap.dedent("""
    import sys
    from datetime import datetime, timezone
    from calendar_app.plan.reader import load_plan
    from calendar_app.reports.records import Recorder
    from calendar_app.store import Store

    plan, db = load_plan(sys.argv[1]), sys.argv[2]
    with Store.open(db) as store:
        uids = [e.uid for e in store.entries() if e.status == "planned"]
    for uid in uids:
        with Store.open(db) as store:
            Recorder(store, plan, datetime.now(timezone.utc), "load").done(uid, attendance=1)
""")


def test_a_backup_taken_under_write_load_is_a_consistent_calendar(built_small, tmp_path):
    ws = built_small
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(ws.plan), str(ws.db)], cwd=ROOT,
                              stderr=subprocess.PIPE, text=True)
    copies = []
    while writer.poll() is None or not copies:
        copy = tmp_path / f"backup-{len(copies)}.db"
        out = ws.run("backup", str(copy)).output
        assert out.startswith(f"{ws.db} backed up to {copy}: 188 events, ")
        copies.append(copy)
    assert writer.wait(timeout=120) == 0, writer.stderr.read()
    final = tmp_path / "final.db"
    ws.run("backup", str(final))
    seen = []
    for copy in [*copies, final]:
        assert not copy.with_name(f".{copy.name}.part").exists()
        with sqlite3.connect(copy) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
            done = conn.execute("SELECT COUNT(*) FROM event WHERE status = 'done'").fetchone()[0]
            # Each report and its history row are in a copy together, or neither is.
            said = conn.execute("SELECT COUNT(*) FROM history WHERE action = 'done'").fetchone()
            assert said == (done,)
        seen.append(done)
    assert seen == sorted(seen) and seen[-1] == 188
    assert any(0 < n < 188 for n in seen), seen  # taken while the writer was writing
    with Store.open(final) as store:  # a calendar database this program opens as it is
        assert len(store.entries()) == 188


def test_backup_refuses_the_database_itself_and_postgresql(built_small):
    result = built_small.run("backup", str(built_small.db), ok=False)
    assert result.exit_code == 1
    assert result.output.strip() == f"{built_small.db}: that is the database itself"


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_backup_of_postgresql_points_at_pg_dump(stored_small, tmp_path):
    result = stored_small.run("backup", str(tmp_path / "copy.db"), ok=False)
    assert result.exit_code == 1 and "back up PostgreSQL with pg_dump" in result.output
    assert not (tmp_path / "copy.db").exists()
