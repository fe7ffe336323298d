"""One measured run in a fresh process (so peak RSS is this run's alone); prints JSON.

    python bench/_child.py build PLAN DB EXPORTS TODAY
    python bench/_child.py floors PLAN DB TODAY
    python bench/_child.py many TODAY DIR...   (each DIR holds a county's recurring.yaml)
    python bench/_child.py report PLAN GO SECONDS SEED DB...

`many` stores each county in DIR/calendar.db, or, with BENCH_DB set to a URL holding
`{county}`, in that database (a PostgreSQL schema per county).
"""

from __future__ import annotations

import json
import os
import random
import resource
import sqlite3
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from time import perf_counter

from dateutil.rrule import DAILY, rrule

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/, for the reference writer
from calendar_app.build import BuildRequest, build
from calendar_app.errors import CalendarAppError
from calendar_app.feeds.view import render_feeds
from calendar_app.model import TZ
from calendar_app.plan.reader import load_plan
from calendar_app.schedule.expansion import expand
from calendar_app.store import Store
from tests.reference_ical import reference_calendars  # noqa: E402


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_build(plan: str, db: str, exports: str, today: str) -> dict:
    start = perf_counter()
    report = build(BuildRequest(plan, db, exports, date.fromisoformat(today), "bench"))
    total = perf_counter() - start
    return {"total": total, **report.timings, "events": report.events,
            "written": sum(report.written.values()), "rss_mib": peak_rss_mib()}


def floors(plan_path: str, db: str, today: str) -> dict:
    """The same work done by the libraries alone, beside our own stage doing it."""
    plan = load_plan(plan_path)
    out: dict[str, float] = {}

    t = perf_counter()
    events = expand(plan).events
    out["expand"] = perf_counter() - t
    t = perf_counter()
    occurrences = list(rrule(DAILY, dtstart=datetime(2021, 1, 1), count=len(events)))
    out["floor_dateutil"] = perf_counter() - t
    assert len(occurrences) == len(events)

    with Store.open(db) as store:
        entries = store.entries()
    t = perf_counter()
    ours = render_feeds(plan, entries, date.fromisoformat(today))
    out["feeds"] = perf_counter() - t
    calendars = reference_calendars(plan, entries, date.fromisoformat(today))
    t = perf_counter()
    theirs = {key: cal.to_ical(sorted=False) for key, cal in calendars.items()}
    out["floor_to_ical"] = perf_counter() - t
    assert len(theirs) == len(ours)

    with tempfile.TemporaryDirectory() as tmp:
        t = perf_counter()
        with Store.open(Path(tmp) / "c.db", create=True) as store:
            store.sync(events, (plan.start, plan.end), datetime(2025, 1, 1), "bench")
        out["store"] = perf_counter() - t
        out["floor_executemany"] = _executemany(db, Path(tmp) / "plain.db")
    out["rss_mib"] = peak_rss_mib()
    return out


def _executemany(source: str, target: Path) -> float:
    """The rows a cold store writes, inserted with plain sqlite3 into the same schema."""
    with sqlite3.connect(source) as conn:
        schema = [sql for (sql,) in conn.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'")]
        tables = {name: conn.execute(f"SELECT * FROM {name}").fetchall()
                  for name in ("event", "event_unit", "history")}
    t = perf_counter()
    conn = sqlite3.connect(target)
    conn.execute("PRAGMA journal_mode=wal")
    for sql in schema:
        conn.execute(sql)
    with conn:
        for name, rows in tables.items():
            marks = ",".join("?" * len(rows[0]))
            conn.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)
    conn.close()
    return perf_counter() - t


def many(today: str, *folders: str) -> dict:
    """Build several counties one after the other in this process: its peak RSS must not
    grow with their number. Each in this one process (`jobs=1`): the province's workers are
    already one per core."""
    start = perf_counter()
    events = 0
    for folder in map(Path, folders):
        report = build(BuildRequest(folder / "recurring.yaml", county_db(folder),
                                    folder / "exports", date.fromisoformat(today), "bench",
                                    jobs=1))
        events += report.events
    return {"seconds": perf_counter() - start, "events": events, "rss_mib": peak_rss_mib()}


def county_db(folder: Path) -> str:
    template = os.environ.get("BENCH_DB")
    if not template:
        return str(folder / "calendar.db")
    return template.format(county=folder.name.replace("-", "_"))


def report(plan_path: str, go: str, seconds: str, seed: str, *dbs: str) -> dict:
    """Report events done in random counties, as the web application does it (a store opened
    per report, the check and the write in one transaction), for `seconds` after GO appears;
    the latency of each report, from opening the store to closing it."""
    from calendar_app.reports.records import Recorder

    plan = load_plan(plan_path)  # every county has the shipped plan's period
    uids: dict[str, list[str]] = {}  # a county's own (a unit's id is in some)
    pick = random.Random(int(seed))
    while not os.path.exists(go):
        time.sleep(0.01)
    latencies, failed = [], 0
    deadline = perf_counter() + float(seconds)
    while perf_counter() < deadline:
        db = pick.choice(dbs)
        if db not in uids:
            with Store.open(db) as store:
                uids[db] = store.uids()
        uid = pick.choice(uids[db])
        t = perf_counter()
        try:
            with Store.open(db) as store:
                Recorder(store, plan, datetime.now(TZ), "bench").done(
                    uid, attendance=pick.randint(1, 300))
        except CalendarAppError as exc:
            failed += 1
            if failed <= 3:
                print(f"report failed: {exc}", file=sys.stderr)
            continue
        latencies.append(perf_counter() - t)
    return {"latencies": latencies, "failed": failed, "rss_mib": peak_rss_mib()}


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    run = {"build": run_build, "floors": floors, "many": many, "report": report}[command]
    print(json.dumps(run(*args)))
