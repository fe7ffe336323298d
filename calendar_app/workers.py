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


def run(jobs: Sequence[Callable[[], T]], workers: int | None = None) -> list[T]:
    """The result of every one of `jobs`, in their order: from `workers` forked processes
    (default: one per core, at most MOST) when there are two or more and forking is safe
    here, else from this process. Put the longest jobs first: a worker takes the next job
    when it is done with one."""
    workers = min(min(cores(), MOST) if workers is None else workers, len(jobs))
    if workers >= 2 and can_fork():
        done = _forked(jobs, workers)
        if done is not None:
            return done
    return [job() for job in jobs]


def _forked(jobs: Sequence[Callable[[], T]], workers: int) -> list[T] | None:
    """The jobs' results from forked workers; None when no process could be started."""
    global _jobs
    _jobs = jobs
    # What exists now is the workers' to read: kept out of their garbage collector, which
    # would otherwise touch (and so copy) every page of it in each of them.
    gc.freeze()
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    try:
        try:
            futures = [pool.submit(_call, i) for i in range(len(jobs))]
        except OSError:  # no process to be had (the user's limit, no memory): work here
            return None
        return [future.result() for future in futures]
    except BrokenProcessPool:
        raise CalendarAppError("a worker process stopped before its part was done (out of "
                               "memory?): run the command again") from None
    finally:
        # All done, or a job failed: then the jobs not yet begun are dropped.
        pool.shutdown(wait=True, cancel_futures=True)
        _jobs = ()
        gc.unfreeze()


def _call(index: int):
    return _jobs[index]()
