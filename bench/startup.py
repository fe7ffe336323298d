"""Start-up and whole-process build times, each beside the floor it is held against.

    python bench/startup.py [--runs 7]

Every figure is a whole process (`python -m calendar_app ...` or `python -c ...`) with its
bytecode already cached, as on a user's machine after the first run; medians of --runs.

- `--help` against `python -c "import click"`;
- a warm build (nothing changed since the last) against importing the libraries a build
  needs: click, PyYAML, python-dateutil, chinesecalendar, lunardate and peewee;
- a cold build of the shipped plan against a floor that imports the whole stack a build uses
  (those, plus icalendar and Jinja2), stores the same rows with sqlite3's executemany into
  the same schema, and writes the same export files.
"""

from __future__ import annotations

import argparse
import os
import pickle
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(__file__).resolve().parent / ".work"  # not /tmp: see bench/README.md
TODAY = "2025-01-01"
BUILD_LIBS = "import click, yaml, dateutil.rrule, chinese_calendar, lunardate, peewee"
STACK = BUILD_LIBS + ", icalendar, jinja2, markupsafe"

FLOOR = """
import pickle, sqlite3, sys
{stack}
schema, tables, files = pickle.load(open(sys.argv[1], "rb"))
conn = sqlite3.connect(sys.argv[2])
for sql in schema:
    conn.execute(sql)
with conn:
    for name, rows in tables.items():
        if rows:
            marks = ", ".join("?" * len(rows[0]))
            conn.executemany(f"INSERT INTO {{name}} VALUES ({{marks}})", rows)
import os
root = sys.argv[3]
for rel, data in files.items():
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
"""


def timed(args: list[str], cwd: Path, before=None) -> float:
    if before:
        before()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def median(args: list[str], cwd: Path, runs: int, before=None) -> float:
    timed(args, cwd, before)  # compiles and caches bytecode
    return statistics.median(timed(args, cwd, before) for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    WORK.mkdir(exist_ok=True)
    py = sys.executable
    app = [py, "-m", "calendar_app"]
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        home = Path(tmp)
        shutil.copy(ROOT / "recurring.yaml", home / "recurring.yaml")
        build = [*app, "build", "--today", TODAY]

        def fresh() -> None:
            (home / "calendar.db").unlink(missing_ok=True)
            shutil.rmtree(home / "exports", ignore_errors=True)

        cold = median(build, home, runs, before=fresh)
        warm = median(build, home, runs)
        help_ = median([*app, "--help"], home, runs)
        click_floor = median([py, "-c", "import click"], home, runs)
        build_floor = median([py, "-c", BUILD_LIBS], home, runs)

        with sqlite3.connect(home / "calendar.db") as conn:
            schema = [sql for (sql,) in conn.execute(
                "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL "
                "AND name NOT LIKE 'sqlite_%' ORDER BY rowid")]
            tables = {name: conn.execute(f"SELECT * FROM {name}").fetchall()
                      for name in ("setting", "event", "event_unit", "history")}
        files = {str(p.relative_to(home / "exports")): p.read_bytes()
                 for p in sorted((home / "exports").rglob("*")) if p.is_file()}
        data = home / "floor.pickle"
        data.write_bytes(pickle.dumps((schema, tables, files)))
        floor_dir = home / "floor"

        def clear_floor() -> None:
            shutil.rmtree(floor_dir, ignore_errors=True)
            floor_dir.mkdir()

        cold_floor = median([py, "-c", FLOOR.format(stack=STACK), str(data),
                             str(floor_dir / "floor.db"), str(floor_dir / "exports")], home, runs,
                            before=clear_floor)

    print(f"start-up and builds, whole processes, median of {runs} runs "
          f"({len(files)} export files, {len(tables['event'])} events)")
    print()
    print(f"{'':44} {'ours s':>7} {'floor s':>8} {'ratio':>6} {'target':>7}")
    for label, ours, floor, target in (
            ("calendar-app --help vs import click", help_, click_floor, 2.0),
            ("warm build vs importing a build's libraries", warm, build_floor, 1.5),
            ("cold build vs imports + executemany + files", cold, cold_floor, 3.0)):
        print(f"{label:44} {ours:7.3f} {floor:8.3f} {ours / floor:6.2f} {target:7.1f}")


if __name__ == "__main__":
    main()
