"""Work spread over forked processes, one per core: the views of a build (the feeds, the
dashboard, each printed month).

A forked worker starts with a copy of this process's memory (the plan, the entries, the
month views already made), so only a job's index goes to it and only its small result
comes back; nothing else is pickled. The results come back in the jobs' order, so what runs
in parallel gives exactly what runs in one process.

A process is forked only from a process with no other thread: a thread holding a lock at
the fork (a web server's, a test runner's) would leave it locked for ever in the child. So
the web application, whose requests run in threads, always works in one process.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from .errors import CalendarAppError

T = TypeVar("T")

_jobs: Sequence[Callable] = ()  # what the forked workers run: set just before they fork


# Workers at most by default: a build has some sixty jobs, one disk and one parent that
# waits, and on a server of many cores each worker past these costs memory and gains little.
MOST = 8


def cores() -> int:
    """The cores this process may run on (its affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether this process may fork workers: it can, and no other thread runs in it."""
    return hasattr(os, "fork") and threading.active_count() == 1


class Spread:
    """Every one of `jobs`, started in `workers` forked processes (default: one per core, at
    most MOST) when there are two or more and forking is safe here, so the caller may go on
    with other work meanwhile; `results()` waits for their results, in the jobs' order.
    Where nothing was forked, the jobs run in this process when `results()` is asked for.
    Put the longest jobs first: a worker takes the next job when it is done with one.

    Used as a context manager: leaving it stops the workers (and, on an error, drops the
    jobs not yet begun).
    """

    def __init__(self, jobs: Sequence[Callable[[], T]], workers: int | None = None):
        self._jobs = jobs
        self._pool: ProcessPoolExecutor | None = None
        self._futures = []
        workers = min(min(cores(), MOST) if workers is None else workers, len(jobs))
        if workers >= 2 and can_fork():
            self._start(workers)

    def _start(self, workers: int) -> None:
        global _jobs
        _jobs = self._jobs
        # What exists now is the workers' to read: kept out of their garbage collector,
        # which would otherwise touch (and so copy) every page of it in each of them.
        gc.freeze()
        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
        try:
            self._futures = [self._pool.submit(_call, i) for i in range(len(self._jobs))]
        except OSError:  # no process to be had (the user's limit, no memory): work here
            self._stop(cancel=True)
            self._futures = []

    def _stop(self, cancel: bool) -> None:
        global _jobs
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=cancel)
            self._pool = None
            _jobs = ()
            gc.unfreeze()

    def results(self) -> list[T]:
        if self._pool is None:
            return [job() for job in self._jobs]
        try:
            return [future.result() for future in self._futures]
        except BrokenProcessPool:
            raise CalendarAppError("a worker process stopped before its part was done (out "
                                   "of memory?): run the command again") from None

    def __enter__(self) -> Spread:
        return self

    def __exit__(self, kind, error, trace) -> None:
        self._stop(cancel=error is not None)


def _call(index: int):
    return _jobs[index]()
