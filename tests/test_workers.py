"""Printing in forked worker processes: the same files as in one process, and a worker's
failure told as in one process.

A process forks only when it has no other thread; so that what must fork does, whatever
threads the test runner keeps, it runs in a process of its own (a script, or the real CLI).
"""

import os
import subprocess
import sys
import threading
from pathlib import Path

from calendar_app.workers import run

from .conftest import DATA

ROOT = Path(__file__).resolve().parent.parent

SPREAD = """
import os, sys, time
from functools import partial
from calendar_app.errors import CalendarAppError
from calendar_app.workers import run

def job(i):
    if sys.argv[1] == "raise" and i == 5:
        raise CalendarAppError("no font for page 5")
    if sys.argv[1] == "die" and i == 5:
        os._exit(9)
    time.sleep(0.02)  # long enough that both workers take some of the items
    return i * i, os.getpid()

if sys.argv[1] == "nofork":  # as when the user may start no more processes
    def fork():
        raise BlockingIOError(11, "Resource temporarily unavailable")
    os.fork = fork

workers = 2
if sys.argv[1] == "many":  # a server of 64 cores, and no number asked for
    import calendar_app.workers
    calendar_app.workers.cores = lambda: 64
    workers = None

results = run([partial(job, i) for i in range(12)], workers)
print(os.getpid(), *(f"{square}:{pid}" for square, pid in results))
"""


def spread(how: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", SPREAD, how], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)


def test_the_items_go_to_two_forked_workers_and_come_back_in_order():
    done = spread("ok")
    assert done.returncode == 0, done.stderr
    parent, *results = done.stdout.split()
    squares = [int(r.split(":")[0]) for r in results]
    pids = {r.split(":")[1] for r in results}
    assert squares == [i * i for i in range(12)]
    assert len(pids) == 2 and parent not in pids


def test_many_cores_get_at_most_eight_workers_unless_asked():
    done = spread("many")
    assert done.returncode == 0, done.stderr
    parent, *results = done.stdout.split()
    pids = {r.split(":")[1] for r in results}
    assert 2 < len(pids) <= 8 and parent not in pids


def test_an_error_in_a_worker_is_raised_in_the_parent_with_its_message():
    done = spread("raise")
    assert done.returncode != 0
    assert "CalendarAppError: no font for page 5" in done.stderr


def test_a_worker_that_dies_is_a_clear_error_not_a_hang():
    done = spread("die")
    assert done.returncode != 0
    assert "a worker process stopped before its part was done" in done.stderr


def test_where_no_process_can_be_started_the_jobs_run_in_this_one():
    done = spread("nofork")
    assert done.returncode == 0, done.stderr
    parent, *results = done.stdout.split()
    assert {r.split(":")[1] for r in results} == {parent}
    assert [int(r.split(":")[0]) for r in results] == [i * i for i in range(12)]


def test_a_process_with_another_thread_does_not_fork():
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert run([os.getpid] * 4, 2) == [os.getpid()] * 4
    finally:
        stop.set()
        other.join()


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_build_in_two_processes_writes_the_same_files_as_one_in_one(tmp_path):
    built = {}
    for jobs in ("1", "2"):
        folder = tmp_path / jobs
        folder.mkdir()
        done = subprocess.run([sys.executable, "-m", "calendar_app", "--plan",
                               str(DATA / "small.yaml"), "--db", str(folder / "calendar.db"),
                               "--exports", str(folder / "exports"), "build", "--today",
                               "2025-01-01", "--jobs", jobs],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "print: 0 " not in done.stdout
        built[jobs] = tree(folder / "exports")
    assert sorted(built["2"]) == sorted(built["1"]) and len(built["1"]) > 100
    assert [name for name in built["1"] if built["1"][name] != built["2"][name]] == []
