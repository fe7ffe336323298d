"""Feed sizes on the shipped plan: the largest unit feed, all.ics and the whole feeds folder,
as of several days of the plan (the window holds all five years on the first day and shrinks
from there), with the time to write them and whether an unchanged rebuild is byte-identical.

    python bench/feeds.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from time import perf_counter

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(__file__).resolve().parent / ".work"  # beside the project (see bench/README.md)
DAYS = ("2021-01-01", "2022-07-01", "2023-01-01", "2025-01-01", "2025-10-01")


def run(tmp: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "calendar_app.cli", "--plan", str(tmp / "recurring.yaml"),
                    "--db", str(tmp / "calendar.db"), "--exports", str(tmp / "exports"), *args],
                   check=True, capture_output=True, cwd=ROOT)


def sizes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in folder.glob("*.ics")}


def main() -> None:
    WORK.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=WORK) as name:
        tmp = Path(name)
        shutil.copy(ROOT / "recurring.yaml", tmp / "recurring.yaml")
        run(tmp, "build", "--today", DAYS[0])
        folder = tmp / "exports" / "feeds"
        print(f"{'today':12} {'unit max KB':>11} {'(feed)':>14} {'all.ics KB':>10} "
              f"{'all feeds KB':>12} {'export s':>8} {'same bytes':>10}")
        for day in DAYS:
            start = perf_counter()
            run(tmp, "export", "feeds", "--today", day)
            took = perf_counter() - start
            found = sizes(folder)
            before = {p.name: p.read_bytes() for p in folder.glob("*.ics")}
            run(tmp, "export", "feeds", "--today", day)
            same = before == {p.name: p.read_bytes() for p in folder.glob("*.ics")}
            units = {n: s for n, s in found.items()
                     if n != "all.ics" and not n.startswith("category-")}
            top = max(units, key=units.get)
            print(f"{day:12} {units[top] / 1000:11.0f} {top:>14} {found['all.ics'] / 1000:10.0f} "
                  f"{sum(found.values()) / 1000:12.0f} {took:8.2f} {str(same):>10}")


if __name__ == "__main__":
    main()
