"""Work spread over forked processes, one per core: the printed months of a cold build.

A forked worker starts with a copy of this process's memory (the plan, the entries, the
month views already made), so only an item's index goes to it and only its small result
comes back; nothing is pickled but those. The results come back in the items' order, so
what runs in parallel gives exactly what runs in one process.

A process is forked only from a process with no other thread: a thread holding a lock at
the fork (a web server's, a test runner's) would leave it locked for ever in the child. So
the web application, whose requests run in threads, always works in one process.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from .errors import CalendarAppError

T = TypeVar("T")

_job: Callable | None = None  # what the forked workers run: set just before they fork


def cores() -> int:
    """The cores this process may run on (its affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    return hasattr(os, "fork") and threading.active_count() == 1


class Spread:
    """job(0), ..., job(count - 1), started in `workers` forked processes (default: one per
    core) when there are two or more and forking is safe here, so the caller can go on with
    other work meanwhile; `results()` waits for them, in the items' order. Where nothing was
    forked, the jobs run in this process when `results()` is asked for.

    Used as a context manager: leaving it stops the workers (and, on an error, drops the
    jobs not yet begun).
    """

    def __init__(self, job: Callable[[int], T], count: int, workers: int | None = None):
        self._job, self._count = job, count
        self._pool: ProcessPoolExecutor | None = None
        self._futures = []
        workers = min(cores() if workers is None else workers, count)
        if workers >= 2 and can_fork():
            global _job
            _job = job
            self._pool = ProcessPoolExecutor(workers,
                                             mp_context=multiprocessing.get_context("fork"))
            self._futures = [self._pool.submit(_call, i) for i in range(count)]

    def results(self) -> list[T]:
        if self._pool is None:
            return [self._job(i) for i in range(self._count)]
        try:
            return [future.result() for future in self._futures]
        except BrokenProcessPool:
            raise CalendarAppError("a worker process stopped before its part was done (out "
                                   "of memory?): run the command again") from None

    def __enter__(self) -> Spread:
        return self

    def __exit__(self, kind, error, trace) -> None:
        global _job
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=error is not None)
            _job = None


def _call(index: int):
    return _job(index)
