"""County benchmark: the shipped plan, 2021-2025, built cold, warm and after one edit, with
each stage timed and set beside its library floor. Medians of several runs; peak RSS per run.

    python bench/county.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Scratch space beside the project, where a county keeps its exports: on the machines this was
# measured on, creating a file under /tmp cost about 15 times as much as anywhere else.
WORK = Path(__file__).resolve().parent / ".work"
WORK.mkdir(exist_ok=True)
CHILD = Path(__file__).resolve().parent / "_child.py"
TODAY = "2025-01-01"
STAGES = ("load", "expand", "store", "read", "views", "total")


def child(*args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, str(CHILD), *args], capture_output=True, text=True,
                         check=True, env=env).stdout
    return json.loads(out)


def one_round(tmp: Path) -> dict[str, dict]:
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    plan = tmp / "recurring.yaml"
    shutil.copy(ROOT / "recurring.yaml", plan)
    args = (str(plan), str(tmp / "calendar.db"), str(tmp / "exports"), TODAY)
    cold = child("build", *args)
    warm = child("build", *args)
    text = plan.read_text(encoding="utf-8")
    assert "weekly: 周三" in text
    plan.write_text(text.replace("weekly: 周三", "weekly: 周四", 1), encoding="utf-8")
    edit = child("build", *args)
    floors = child("floors", str(plan), str(tmp / "calendar.db"), TODAY)
    return {"cold": cold, "warm": warm, "edit": edit, "floors": floors}


def median(rounds: list[dict], run: str, key: str) -> float:
    return statistics.median(r[run].get(key, 0.0) for r in rounds)  # a skipped stage took 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        rounds = [one_round(Path(tmp) / "county") for _ in range(runs)]
    print(f"county benchmark: shipped plan 2021-2025, {rounds[0]['cold']['events']} events, "
          f"median of {runs} runs, {platform.python_implementation()} "
          f"{platform.python_version()}, {os.cpu_count()} cores")
    print()
    print(f"{'stage':8} {'cold s':>8} {'warm s':>8} {'edit s':>8}")
    for stage in STAGES:
        print(f"{stage:8} " + " ".join(f"{median(rounds, run, stage):8.3f}"
                                       for run in ("cold", "warm", "edit")))
    print(f"{'written':8} " + " ".join(f"{median(rounds, run, 'written'):8.0f}"
                                       for run in ("cold", "warm", "edit")))
    print(f"{'RSS MiB':8} " + " ".join(f"{median(rounds, run, 'rss_mib'):8.0f}"
                                       for run in ("cold", "warm", "edit")))
    print()
    print(f"{'stage vs floor':34} {'ours s':>8} {'floor s':>8} {'ratio':>7}")
    for ours, floor, label in (("expand", "floor_dateutil", "expand vs dateutil rrule"),
                               ("store", "floor_executemany", "store vs sqlite3 executemany"),
                               ("feeds", "floor_to_ical", "feeds vs icalendar to_ical")):
        a, b = median(rounds, "floors", ours), median(rounds, "floors", floor)
        print(f"{label:34} {a:8.3f} {b:8.3f} {a / b:7.2f}")


if __name__ == "__main__":
    main()
