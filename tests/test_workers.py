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

from calendar_app.publish import PARALLEL_FROM, processes
from calendar_app.workers import Spread

ROOT = Path(__file__).resolve().parent.parent

SPREAD = """
import os, sys, time
from functools import partial
from calendar_app.errors import CalendarAppError
from calendar_app.publish import PARALLEL_FROM, processes
from calendar_app.workers import Spread

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

with Spread([partial(job, i) for i in range(12)], workers) as spread:
    results = spread.results()
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
        with Spread([os.getpid] * 4, 2) as here:
            assert here.results() == [os.getpid()] * 4
    finally:
        stop.set()
        other.join()


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_build_printing_in_two_processes_writes_the_same_files_as_one(_built_small, tmp_path):
    # _built_small was built in one process: the small plan has too few pages to fork for.
    # With two workers, they write the feeds, the dashboard and the months between them.
    parallel = tmp_path
    done = subprocess.run([sys.executable, "-m", "calendar_app", "--plan", str(_built_small.plan),
                           "--db", str(parallel / "calendar.db"), "--exports",
                           str(parallel / "exports"), "build", "--today", "2025-01-01",
                           "--jobs", "2"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    printed = [line for line in done.stdout.splitlines() if line.startswith("print: ")]
    assert printed and not printed[0].startswith("print: 0 ")
    ours, theirs = tree(parallel / "exports"), tree(_built_small.exports)
    assert sorted(ours) == sorted(theirs)
    assert [name for name in ours if ours[name] != theirs[name]] == []


def test_a_build_forks_for_many_pages_or_for_pdfs_and_as_asked():
    few, many = PARALLEL_FROM - 1, PARALLEL_FROM
    assert processes(None, few, pdf=False) == 1  # the small plan's HTML: here
    assert processes(None, many, pdf=False) is None  # the shipped plan's: one per core
    assert processes(None, few, pdf=True) is None  # PDFs, however few
    assert processes(3, few, pdf=False) == 3 and processes(1, many, pdf=True) == 1
