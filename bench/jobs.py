"""Cold builds of a plan in one process and in a process per core, one of each in turn.

    python bench/jobs.py [--runs 7] [--plan recurring.yaml] [--pdf]

Each build is the real CLI in a fresh process, into an empty folder; taking the two kinds in
turn keeps a machine that is slower at some moments from favouring either. Prints the
median and the range of each, in seconds.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(__file__).resolve().parent / ".work" / "jobs"  # not /tmp: see bench/README.md
KINDS = {"--jobs 1": ["--jobs", "1"], "default (a process per core)": []}


def cold_build(plan: Path, extra: list[str]) -> float:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    shutil.copy(plan, WORK / "recurring.yaml")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "calendar_app", "build", "--today", "2025-01-01",
                    *extra], cwd=WORK, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--plan", type=Path, default=ROOT / "recurring.yaml")
    parser.add_argument("--pdf", action="store_true", help="print PDFs as well")
    args = parser.parse_args()
    pdf = ["--pdf"] if args.pdf else []
    cold_build(args.plan, pdf)  # compiles and caches the bytecode
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for _ in range(args.runs):
        for kind, extra in KINDS.items():
            times[kind].append(cold_build(args.plan, [*extra, *pdf]))
    print(f"cold builds of {args.plan.name}{' with PDFs' if pdf else ''}, "
          f"{args.runs} of each in turn")
    for kind, seconds in times.items():
        print(f"{kind:30} median {statistics.median(seconds):7.3f} s  "
              f"({min(seconds):.2f}-{max(seconds):.2f})")


if __name__ == "__main__":
    main()
