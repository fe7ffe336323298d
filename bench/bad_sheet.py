"""How long a report sheet full of unknown uids takes to be refused (every row named, with
its "did you mean" hint), on the shipped plan.

    python bench/bad_sheet.py [--rows 100000] [--runs 3]

Each row is a real uid with one character changed, the mistake a person makes typing one.
"""

from __future__ import annotations

import argparse
import random
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        home = Path(tmp)
        shutil.copy(ROOT / "recurring.yaml", home / "recurring.yaml")
        app = [sys.executable, "-m", "calendar_app", "--plan", str(home / "recurring.yaml")]
        subprocess.run([*app, "build", "--today", "2025-01-01"], check=True,
                       capture_output=True)
        with sqlite3.connect(home / "calendar.db") as conn:
            uids = [u for (u,) in conn.execute("SELECT uid FROM event")]
        rng = random.Random(7)
        lines = ["uid,状态,参加人数"]
        for i in range(args.rows):
            uid = list(rng.choice(uids))
            uid[rng.randrange(len(uid))] = rng.choice("abcxyz0123")
            lines.append(f"{''.join(uid)}-{i},完成,1")
        sheet = home / "sheet.csv"
        sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            result = subprocess.run([*app, "import", str(sheet)], capture_output=True,
                                    text=True)
            times.append(time.perf_counter() - start)
            assert result.returncode == 1 and result.stderr.count("\n") >= args.rows
    print(f"a sheet of {args.rows} rows with unknown uids: refused in "
          f"{statistics.median(times):.1f} s (median of {args.runs}), every row named")


if __name__ == "__main__":
    main()
