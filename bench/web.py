"""Load on the web application: simulated unit staff against `calendar-app serve` on loopback.

    python bench/web.py [--users 50] [--rounds 6] [--think 1.0] [--runs 3]

The shipped plan is built in bench/.work/, one account made per user (spread over the units),
and the real server started. Users arrive over --arrive seconds; each signs in, then for
--rounds rounds opens its home, opens one of its unit's events, reports it done with an
attendance, and opens it again, waiting --think seconds (randomised +-50%) between steps as a
person would: a mixed load in which a quarter of the requests are reports, each of which has
the server rewrite the feeds, months and gap report it touched. Reported for each of --runs
runs and their median: requests/s, the share that are reports, p50 and p99 latency of page
views (GET) and of sign-ins and reports (POST), errors, whether every accepted report is in
the history afterwards, and whether the feeds the server kept current are the ones
`calendar-app export feeds` writes from the database after the run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(__file__).resolve().parent / ".work"  # not /tmp: see bench/README.md
TODAY = "2025-06-20"
PASSWORD = "load-test-password"


class User(threading.Thread):
    def __init__(self, port: int, login: str, events: list[str], rounds: int, think: float,
                 arrive: float):
        super().__init__(daemon=True)
        self.arrive = arrive
        self.port, self.login, self.events = port, login, events
        self.rounds, self.think = rounds, think
        self.cookies: dict[str, str] = {}
        self.views: list[float] = []
        self.posts: list[float] = []
        self.errors: list[str] = []
        self.accepted: list[str] = []
        self.log: list[tuple] = []
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            answer = self.conn.getresponse()
            text = answer.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            self.errors.append(f"{method} {path}: {exc}")
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            return 0, ""
        took = time.perf_counter() - start
        self.log.append((start, took, method, path.split("?")[0]))
        for value in answer.headers.get_all("Set-Cookie") or ():
            cookie = SimpleCookie(value)
            self.cookies.update({k: m.value for k, m in cookie.items()})
        (self.posts if method == "POST" else self.views).append(took)
        if answer.status >= 500 or (answer.status >= 400 and answer.status != 409):
            self.errors.append(f"{method} {path}: {answer.status}")
        return answer.status, text

    def pause(self) -> None:
        time.sleep(self.think * random.uniform(0.5, 1.5))

    def run(self) -> None:
        time.sleep(self.arrive)
        _, page = self.request("GET", "/login")
        status, _ = self.request("POST", "/login", {"login": self.login, "password": PASSWORD,
                                                    "csrf_token": _token(page)})
        if status != 303:
            self.errors.append(f"sign-in of {self.login}: {status}")
            return
        for uid in self.events[:self.rounds]:
            path = quote(uid, safe="/")
            self.pause()
            self.request("GET", "/")
            self.pause()
            status, page = self.request("GET", f"/events/{path}")
            if status != 200:
                continue
            seen = re.search(r'name="seen" value="(\d+)"', page)
            self.pause()
            status, _ = self.request("POST", f"/events/{path}/done", {
                "csrf_token": _token(page), "seen": seen[1] if seen else "0",
                "attendance": str(random.randint(5, 200))})
            if status == 303:
                self.accepted.append(uid)
            self.request("GET", f"/events/{path}")


def _token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    return found[1] if found else ""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def prepare(home: Path, users: int, rounds: int) -> list[tuple[str, list[str]]]:
    shutil.copy(ROOT / "recurring.yaml", home / "recurring.yaml")
    app = [sys.executable, "-m", "calendar_app", "--plan", str(home / "recurring.yaml")]
    subprocess.run([*app, "build", "--today", TODAY], check=True, capture_output=True)
    units = json.loads(subprocess.run([*app, "units", "--format", "json"], check=True,
                                      capture_output=True, text=True).stdout)
    with sqlite3.connect(home / "calendar.db") as conn:
        planned = {u["id"]: [uid for (uid,) in conn.execute(
            "SELECT e.uid FROM event e JOIN event_unit u ON u.uid = e.uid WHERE u.unit = ? "
            "AND u.role = 'lead' AND e.status = 'planned' AND e.day_end <= ? ORDER BY e.uid",
            (u["id"], TODAY))] for u in units}
    ids = [u for u in planned if len(planned[u]) >= rounds] or list(planned)
    plan = []
    for i in range(users):
        unit = ids[i % len(ids)]
        share = i // len(ids)  # users of one unit report different events
        plan.append((f"user{i:02d}", unit, planned[unit][share * rounds:(share + 1) * rounds]))
    for login, unit, _ in plan:
        subprocess.run([*app, "accounts", "add", login, "--unit", unit, "--password-stdin"],
                       input=PASSWORD + "\n", text=True, check=True, capture_output=True)
    return [(login, events) for login, _, events in plan]


def one_run(args: argparse.Namespace) -> dict[str, float]:
    """One server, one crowd: the figures of the run, printed as it ends."""
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        home = Path(tmp)
        people = prepare(home, args.users, args.rounds)
        app = [sys.executable, "-m", "calendar_app", "--plan", str(home / "recurring.yaml")]
        log = open(home / "serve.log", "w")  # noqa: SIM115 (closed with the folder)
        server = subprocess.Popen(
            [*app, "serve", "--port", "0", "--threads", str(args.threads), "--today", TODAY],
            stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            port = int(re.search(r":(\d+)/", server.stdout.readline() +
                                 server.stdout.readline())[1])
            crowd = [User(port, login, events, args.rounds, args.think,
                          random.uniform(0, args.arrive)) for login, events in people]
            start = time.perf_counter()
            for user in crowd:
                user.start()
            for user in crowd:
                user.join()
            wall = time.perf_counter() - start
        finally:
            server.terminate()  # it finishes the refresh under way and what is pending
            server.wait(timeout=120)
            log.close()
        # `serve --today` is training: the server works on its copy, beside the database,
        # and the reports, the refreshed feeds and the history are there.
        copy = home / "calendar.training"
        with sqlite3.connect(copy / "calendar.db") as conn:
            recorded = set(conn.execute("SELECT uid, by FROM history WHERE action = 'done'"))
        stale = _stale_feeds([*app, "--db", str(copy / "calendar.db")], copy)
    views = [t for u in crowd for t in u.views]
    posts = [t for u in crowd for t in u.posts]
    errors = [e for u in crowd for e in u.errors]
    accepted = [(uid, u.login) for u in crowd for uid in u.accepted]
    reports = sum(1 for u in crowd for entry in u.log if entry[3].endswith("/done"))
    lost = [a for a in accepted if a not in recorded]
    total = len(views) + len(posts)
    figures = {"requests/s": total / wall, "reports %": 100 * reports / total,
               "views p50": 1000 * statistics.median(views),
               "views p99": 1000 * percentile(views, 0.99),
               "posts p50": 1000 * statistics.median(posts),
               "posts p99": 1000 * percentile(posts, 0.99),
               "errors": len(errors), "accepted": len(accepted), "lost": len(lost),
               "stale feeds": stale}
    print(f"requests {total} in {wall:.1f} s: {total / wall:.1f} requests/s, "
          f"{reports} reports ({figures['reports %']:.0f}%)")
    print(f"page views {len(views)}: p50 {figures['views p50']:.0f} ms, "
          f"p99 {figures['views p99']:.0f} ms")
    print(f"posts (sign-in, reports) {len(posts)}: p50 {figures['posts p50']:.0f} ms, "
          f"p99 {figures['posts p99']:.0f} ms")
    print(f"errors {len(errors)}; reports accepted {len(accepted)}, lost {len(lost)}; "
          f"feeds not current after the run: {stale}")
    for error in errors[:10]:
        print("  ", error)
    began = min(e[0] for u in crowd for e in u.log)
    slow = sorted((e for u in crowd for e in u.log), key=lambda e: -e[1])[:8]
    print("slowest:", "; ".join(f"{m} {p.split('/')[1] or '/'} {t * 1000:.0f} ms at "
                                f"{s - began:.1f} s" for s, t, m, p in slow))
    return figures


def _stale_feeds(app: list[str], home: Path) -> int:
    """How many of the feeds the server kept current (in `home`/exports) differ from those
    written afresh from the database `app` names: each report must have reached the feeds
    it touched."""
    kept = {p.name: p.read_bytes() for p in (home / "exports" / "feeds").glob("*.ics")}
    fresh = home / "fresh"
    subprocess.run([*app, "--exports", str(fresh), "export", "feeds", "--today", TODAY],
                   check=True, capture_output=True)
    made = {p.name: p.read_bytes() for p in (fresh / "feeds").glob("*.ics")}
    return sum(1 for name in made.keys() | kept.keys() if made.get(name) != kept.get(name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--arrive", type=float, default=10.0,
                        help="users arrive (sign in) over this many seconds")
    parser.add_argument("--runs", type=int, default=1, help="runs, each with a fresh server")
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    print(f"web load: {args.users} users arriving over {args.arrive} s, {args.rounds} rounds, "
          f"think {args.think} s, {args.threads} server threads, shipped plan as of {TODAY}")
    runs = []
    for number in range(1, args.runs + 1):
        print(f"-- run {number}")
        runs.append(one_run(args))
    if args.runs > 1:
        print(f"-- median of {args.runs} runs")
        print(", ".join(f"{key} {statistics.median(r[key] for r in runs):.1f}"
                        for key in runs[0]))


if __name__ == "__main__":
    main()
