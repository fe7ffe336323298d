"""Province benchmark: 100 counties, each the shipped plan with its units renamed, each with
its own database and exports, built cold and then warm by two worker processes (one per
core). Reports wall time, events, and the peak RSS of a worker, for 10 and 100 counties, so
that memory can be seen not to grow with the number of counties.

    python bench/province.py [--counties 100] [--workers 2] [--runs 3]

With --reporters N (and --seconds S), the counties are then built once more and N processes
report events done in random counties for S seconds, each report a store opened, checked,
written and closed, as the web application makes them: reports/s, the median and p99
latency of a report, and (on PostgreSQL) the server's peak memory.

    python bench/province.py --reporters 8 --seconds 30 [--counties 100]
    python bench/province.py --postgres URL --reporters 8 --seconds 30 [--counties 100]

--postgres stores county n in the schema county_NNN of the database at URL (start a
throwaway server with `.ci/postgres start DIR`), builds cold and warm once, and measures the
server's memory as the proportional set size (PSS) of all its processes, sampled.
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
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from time import perf_counter, sleep

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


def build_all(folders: list[Path], workers: int, db: str | None = None) -> dict:
    shares = [folders[i::workers] for i in range(workers)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if db:
        env["BENCH_DB"] = db

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


def county_url(url: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}schema={{county}}"


def report_all(plan: Path, dbs: list[str], reporters: int, seconds: float) -> dict:
    """`reporters` processes reporting at once for `seconds`."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        go = Path(tmp) / "go"
        procs = [subprocess.Popen([sys.executable, str(CHILD), "report", str(plan), str(go),
                                   str(seconds), str(seed), *dbs], stdout=subprocess.PIPE,
                                  text=True, env=env) for seed in range(reporters)]
        sleep(3)  # let every process load the plan before the clock starts
        go.touch()
        results = [json.loads(p.communicate()[0]) for p in procs]
        assert all(p.returncode == 0 for p in procs)
    latencies = sorted(t for r in results for t in r["latencies"])
    return {"reports": len(latencies), "per_s": len(latencies) / seconds,
            "p50_ms": 1000 * latencies[len(latencies) // 2],
            "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)],
            "failed": sum(r["failed"] for r in results),
            "rss_mib": max(r["rss_mib"] for r in results)}


def drop_counties(url: str, count: int) -> None:
    """A cold build starts from nothing: the schemas of an earlier run go."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for n in range(1, count + 1):
            conn.execute(f"DROP SCHEMA IF EXISTS county_{n:03d} CASCADE")


class ServerMemory:
    """The PostgreSQL server's memory, sampled while it works: the PSS of the postmaster and
    all its children (shared buffers counted once, unlike RSS). Needs to read /proc of the
    server's processes: the same user, or root."""

    def __init__(self, url: str):
        import psycopg

        with psycopg.connect(url) as conn:
            data = conn.execute("SHOW data_directory").fetchone()[0]
        self.postmaster = int(Path(data, "postmaster.pid").read_text().split()[0])
        self.peak = 0.0

    def __enter__(self):
        """Sampling starts afresh: `peak` is the most used until the block ends."""
        self.peak = self.now()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _sample(self):
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, self.now())

    def now(self) -> float:
        pids = [self.postmaster]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == self.postmaster:
                    pids.append(int(stat.parent.name))
            except (OSError, IndexError, ValueError):
                continue
        kib = 0
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        kib += int(line.split()[1])
            except OSError:
                continue
        return kib / 1024


def with_reports(count: int, workers: int, reporters: int, seconds: float,
                 url: str | None) -> None:
    where = f"PostgreSQL ({count} schemas)" if url else f"SQLite ({count} files)"
    print(f"province on {where}: shipped plan x {count} counties, {workers} build workers, "
          f"then {reporters} reporters for {seconds:.0f} s")
    print()
    memory = ServerMemory(url) if url else None
    if url:
        drop_counties(url, count)
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        folders = make_counties(Path(tmp), count)
        db = county_url(url) if url else None
        dbs = ([db.format(county=f.name.replace("-", "_")) for f in folders] if db
               else [str(f / "calendar.db") for f in folders])
        print(f"{'run':>7} {'events':>9} {'wall s':>8} {'events/s':>9} {'worker MiB':>11} "
              f"{'server MiB':>11}")
        for run in ("cold", "warm"):
            if memory:
                with memory:
                    r = build_all(folders, workers, db)
            else:
                r = build_all(folders, workers, db)
            server = f"{memory.peak:11.0f}" if memory else f"{'-':>11}"
            print(f"{run:>7} {r['events']:9.0f} {r['wall']:8.1f} {r['events'] / r['wall']:9.0f} "
                  f"{r['rss_mib']:11.0f} {server}", flush=True)
        print()
        if memory:
            with memory:
                r = report_all(folders[0] / "recurring.yaml", dbs, reporters, seconds)
        else:
            r = report_all(folders[0] / "recurring.yaml", dbs, reporters, seconds)
        server = f"{memory.peak:11.0f}" if memory else f"{'-':>11}"
        print(f"{'reports':>9} {'per s':>7} {'p50 ms':>7} {'p99 ms':>7} {'failed':>7} "
              f"{'reporter MiB':>13} {'server MiB':>11}")
        print(f"{r['reports']:9d} {r['per_s']:7.0f} {r['p50_ms']:7.1f} {r['p99_ms']:7.1f} "
              f"{r['failed']:7d} {r['rss_mib']:13.0f} {server}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counties", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reporters", type=int, default=0,
                        help="processes reporting at once after the builds")
    parser.add_argument("--seconds", type=float, default=30, help="how long they report")
    parser.add_argument("--postgres", metavar="URL", help="store the counties on this server")
    args = parser.parse_args()
    if args.reporters or args.postgres:
        with_reports(args.counties, args.workers, args.reporters or 8, args.seconds,
                     args.postgres)
        return
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
