"""Province benchmark: 100 counties, each the shipped plan with its units renamed, each with
its own database and exports, built cold and then warm by two worker processes (one per
core). Reports wall time, events, and the peak RSS of a worker, for 10 and 100 counties, so
that memory can be seen not to grow with the number of counties.

    python bench/province.py [--counties 100] [--workers 2] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from time import perf_counter

ROOT = Path(__file__).resolve().parent.parent
# Scratch space beside the project, where a county keeps its exports: on the machines this was
# measured on, creating a file under /tmp cost about 15 times as much as anywhere else.
WORK = Path(__file__).resolve().parent / ".work"
WORK.mkdir(exist_ok=True)
CHILD = Path(__file__).resolve().parent / "_child.py"
TODAY = "2025-01-01"


def make_counties(root: Path, count: int) -> list[Path]:
    """County n: every unit id gets a suffix, the plan its own name."""
    text = (ROOT / "recurring.yaml").read_text(encoding="utf-8")
    folders = []
    for n in range(1, count + 1):
        folder = root / f"county-{n:03d}"
        folder.mkdir(parents=True)
        head, rest = text.split("\ngroups:", 1)  # unit ids are all in the units section
        head = re.sub(r"\{id: ([a-z0-9-]+),", lambda m, n=n: f"{{id: {m[1]}-c{n:03d},", head)
        own = head + "\ngroups:" + rest
        own = own.replace("  name: 崇阳县全民科学素质行动", f"  name: 第{n:03d}县全民科学素质行动", 1)
        (folder / "recurring.yaml").write_text(own, encoding="utf-8")
        folders.append(folder)
    return folders


def build_all(folders: list[Path], workers: int) -> dict:
    shares = [folders[i::workers] for i in range(workers)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def work(share: list[Path]) -> dict:
        out = subprocess.run([sys.executable, str(CHILD), "many", TODAY, *map(str, share)],
                             capture_output=True, text=True, check=True, env=env).stdout
        return json.loads(out)

    start = perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(work, shares))
    return {"wall": perf_counter() - start, "events": sum(r["events"] for r in results),
            "rss_mib": max(r["rss_mib"] for r in results)}


def measure(count: int, workers: int, runs: int) -> dict[str, dict]:
    rounds = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(dir=WORK) as tmp:
            folders = make_counties(Path(tmp), count)
            rounds.append({"cold": build_all(folders, workers),
                           "warm": build_all(folders, workers)})
    return {run: {key: statistics.median(r[run][key] for r in rounds)
                  for key in ("wall", "events", "rss_mib")} for run in ("cold", "warm")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--counties", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sizes = sorted({max(1, args.counties // 10), args.counties})
    print(f"province benchmark: shipped plan x counties, {args.workers} workers, "
          f"median of {args.runs} runs")
    print()
    print(f"{'counties':>8} {'run':>5} {'events':>9} {'wall s':>8} {'peak RSS MiB':>13}")
    for size in sizes:
        result = measure(size, args.workers, args.runs)
        for run in ("cold", "warm"):
            r = result[run]
            print(f"{size:8d} {run:>5} {r['events']:9.0f} {r['wall']:8.1f} {r['rss_mib']:13.0f}")


if __name__ == "__main__":
    main()
