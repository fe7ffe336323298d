"""Real processes, on SQLite and PostgreSQL: two recording at once both land; one killed
mid-import changes nothing; a done and a cancel racing cannot both land; reports made while a
build syncs wait for it and are all kept."""

import signal
import subprocess
import sys
import textwrap

from .conftest import DATA, ROOT, on_both_databases

pytestmark = on_both_databases

RECORDER = textwrap.dedent("""
    import pathlib, sys
    from datetime import datetime, timezone
    from calendar_app.plan.reader import load_plan
    from calendar_app.reports.records import Recorder
    from calendar_app.store import Store
    from tests.handshake import wait_for

    plan, db, go, who = load_plan(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    uids = sys.argv[5:]
    wait_for(pathlib.Path(go))  # sleeping, not spinning: the build it waits for needs the core
    open(f"{go}.{who}", "w").close()  # here, about to record: a test may wait for this
    for uid in uids:
        with Store.open(db) as store:
            Recorder(store, plan, datetime.now(timezone.utc), who).done(uid, attendance=1)
""")


# The real CLI in a process that kills itself once the third row of an import has been
# written, inside the import's transaction: the fault is injected here, not in the product.
KILLED_IMPORT = textwrap.dedent("""
    import os, signal, sys
    from calendar_app import cli
    from calendar_app.store import store

    record, rows = store.Store._record, []

    def record_then_die(self, *args, **kwargs):
        record(self, *args, **kwargs)
        rows.append(args)
        if len(rows) == 3:
            os.kill(os.getpid(), signal.SIGKILL)

    store.Store._record = record_then_die
    sys.argv[0] = "calendar-app"
    cli.main()
""")


def test_two_processes_recording_at_the_same_moment_both_land(built_small, database):
    ws = built_small
    uids = sorted(u for (u,) in database.rows(
        "SELECT uid FROM event WHERE obligation = 'm03-push'"))
    halves = uids[:40], uids[40:80]
    go = ws.root / "go"
    procs = [subprocess.Popen([sys.executable, "-c", RECORDER, str(ws.plan), str(ws.db),
                               str(go), who, *half], cwd=ROOT)
             for who, half in zip(("a", "b"), halves, strict=True)]
    go.touch()
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    [(done,)] = database.rows("SELECT COUNT(*) FROM event WHERE status = 'done'")
    by = dict(database.rows("SELECT by, COUNT(*) FROM history WHERE action = 'done' GROUP BY by"))
    assert done == 80 and by == {"a": 40, "b": 40}


def test_a_process_killed_in_the_middle_of_an_import_leaves_the_database_as_before(built_small,
                                                                                    database):
    ws = built_small

    def dump():
        return (database.rows("SELECT * FROM event ORDER BY uid"),
                database.rows("SELECT * FROM history ORDER BY id"))

    before = dump()
    result = subprocess.run(
        [sys.executable, "-c", KILLED_IMPORT, "--plan", str(ws.plan), "--db", str(ws.db),
         "import", str(DATA / "report_may_filled.csv")],
        cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == -signal.SIGKILL
    assert dump() == before


def _slow(verb: str) -> str:
    """The real CLI, whose store `verb` pauses (between the report's checks and its write),
    after saying so, until the rival is about to check (tests/handshake.py)."""
    return textwrap.dedent(f"""
        import pathlib, sys
        from calendar_app import cli
        from calendar_app.store import store
        from tests.handshake import wait_for

        verb, inside = store.Store.{verb}, pathlib.Path(sys.argv.pop(1))
        rival = pathlib.Path(sys.argv.pop(1))

        def slow(self, *args, **kwargs):
            inside.touch()
            wait_for(rival, then=0.3)
            verb(self, *args, **kwargs)

        store.Store.{verb} = slow
        sys.argv[0] = "calendar-app"
        cli.main()
    """)


# Records an event done, pausing between reading the event and writing it until the cancel
# is about to check.
SLOW_DONE = _slow("mark_done")

# The real CLI, started once `go` exists, saying when it is about to begin a cancel's
# transaction.
SAYS_WHEN_CANCELLING = textwrap.dedent("""
    import pathlib, sys
    from calendar_app import cli
    from calendar_app.reports import records
    from tests.handshake import wait_for

    go, here = pathlib.Path(sys.argv.pop(1)), pathlib.Path(sys.argv.pop(1))
    cancel = records.Recorder.cancel
    wait_for(go)

    def cancel_here(self, *args, **kwargs):
        here.touch()
        cancel(self, *args, **kwargs)

    records.Recorder.cancel = cancel_here
    sys.argv[0] = "calendar-app"
    cli.main()
""")


def test_a_done_and_a_cancel_racing_for_one_event_cannot_both_land(stored_small, database):
    ws = stored_small
    inside, cancelling = ws.root / "inside", ws.root / "cancelling"
    args = ["--plan", str(ws.plan), "--db", str(ws.db)]
    done = subprocess.Popen([sys.executable, "-c", SLOW_DONE, str(inside), str(cancelling),
                             *args, "record", "done", "m02-day/2025"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Once the done has read the event (planned) and not written yet, the cancel checks.
    cancel = subprocess.run([sys.executable, "-c", SAYS_WHEN_CANCELLING, str(inside),
                             str(cancelling), *args, "record", "cancel", "m02-day/2025",
                             "--reason", "下雨"], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert done.wait(timeout=60) == 0
    assert cancel.returncode == 1
    assert "m02-day/2025 is recorded done" in cancel.stderr
    assert database.rows("SELECT status FROM event WHERE uid = 'm02-day/2025'") == [("done",)]
    actions = [a for (a,) in database.rows(
        "SELECT action FROM history WHERE uid = 'm02-day/2025' ORDER BY id")]
    assert actions == ["created", "done"]


# A build whose sync pauses once inside its transaction, after saying so, until the recorder
# is about to report: the reports arrive then.
SLOW_SYNC = textwrap.dedent("""
    import pathlib, sys
    from calendar_app import cli
    from calendar_app.store import store
    from tests.handshake import wait_for

    many, inside = store.Store._executemany, pathlib.Path(sys.argv.pop(1))
    rival = pathlib.Path(sys.argv.pop(1))

    def slow(self, sql, rows):
        if not inside.exists():
            inside.touch()
            wait_for(rival, then=0.3)
        many(self, sql, rows)

    store.Store._executemany = slow
    sys.argv[0] = "calendar-app"
    cli.main()
""")


def test_reports_made_while_a_build_syncs_wait_for_it_and_all_land(built_small, database):
    ws = built_small
    ws.edit("weekly: 周三", "weekly: 周四")  # 52 TV events change in this build
    reported = [f"m02-tv/2025-W{w:02d}" for w in range(10, 20)]
    inside = ws.root / "inside"  # the recorder starts once the build is inside its sync
    build = subprocess.Popen([sys.executable, "-c", SLOW_SYNC, str(inside), f"{inside}.unit",
                              "--plan", str(ws.plan),
                              "--db", str(ws.db), "--exports", str(ws.exports), "build",
                              "--today", "2025-02-01"], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    recorder = subprocess.run([sys.executable, "-c", RECORDER, str(ws.plan), str(ws.db),
                               str(inside), "unit", *reported], cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
    out, err = build.communicate(timeout=120)
    assert build.returncode == 0 and recorder.returncode == 0, (err, recorder.stderr)
    assert "0 new, 52 changed" in out
    rows = dict(((uid, (status, sequence)) for uid, status, sequence in database.rows(
        "SELECT uid, status, sequence FROM event WHERE obligation = 'm02-tv'")))
    # Each reported event: changed by the build and then recorded done, one revision each.
    assert all(rows[uid] == ("done", 2) for uid in reported), rows
    assert sum(status == "done" for status, _ in rows.values()) == len(reported)
    for uid in reported:
        actions = [a for (a,) in database.rows(
            f"SELECT action FROM history WHERE uid = '{uid}' ORDER BY id")]
        assert actions == ["created", "changed", "done"], (uid, actions)


# Adds a make-up, pausing after its checks and before writing it until the rival is about to
# add its own.
SLOW_ADD = _slow("add_event")

SAYS_WHEN_ADDING = SAYS_WHEN_CANCELLING.replace("cancel", "add")


def test_two_make_ups_of_one_cancelled_event_racing_cannot_both_land(stored_small, database):
    ws = stored_small
    ws.run("record", "cancel", "m02-day/2025", "--reason", "暴雨")
    inside, adding = ws.root / "inside", ws.root / "adding"
    args = ["--plan", str(ws.plan), "--db", str(ws.db), "add", "--unit", "yingji",
            "--fills", "m02-day/2025"]
    first = subprocess.Popen([sys.executable, "-c", SLOW_ADD, str(inside), str(adding), *args,
                              "--title", "补办一", "--on", "2025-05-19"], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Once the first has checked (no make-up yet) and not written, the second checks.
    second = subprocess.run([sys.executable, "-c", SAYS_WHEN_ADDING, str(inside), str(adding),
                             *args, "--title", "补办二", "--on", "2025-05-20"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert first.wait(timeout=60) == 0, first.stderr.read()
    assert second.returncode == 1, second.stderr
    assert "m02-day/2025 has a make-up already" in second.stderr
    assert database.rows("SELECT title FROM event WHERE fills = 'm02-day/2025'") == [("补办一",)]
