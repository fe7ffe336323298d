"""Keeping exports/ current after reports made on the web, without making anyone wait.

A report commits first; then the spans it touched are handed to one background thread,
which has a worker process rewrite the feeds, the months and the gap report they affect.
Reports that arrive while it works are taken together in its next round, so fifty people
reporting at once cost a few refreshes, not fifty, and a subscriber sees each report on the
next poll after that. The rewriting runs in its own process so that it never holds the
interpreter while page views wait for it.

The worker ends with the server however the server ends, kill -9 included: it asks Linux for
a parent-death signal as it starts (prctl PR_SET_PDEATHSIG), and it is started by the
refresh thread, which lives as long as the refresher (that signal follows the thread that
started the process, not the process). With it goes multiprocessing's resource tracker,
which ends when the last process holding its pipe does.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

from .. import publish
from ..plan.reader import load_plan
from ..store.store import Store

log = logging.getLogger(__name__)


def refresh(plan_path: Path, db: Path, exports: Path, today: date, spans: list[tuple]) -> None:
    """One round: the views these spans touched, from the database as it is now."""
    from ..exports import Exports
    from ..feeds.view import feed_domain

    plan = _plan(plan_path)
    with Store.open(db) as store:
        entries, reports = store.entries(), store.reports()
        domain = feed_domain(plan, store.uid_domain)
    publish.refresh(plan, entries, Exports(exports, plan.settings.base_url), today, spans,
                    domain, reports=reports)


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent: int) -> None:
    """In a worker process as it starts: be killed when `parent` (the server) dies, however
    it dies. Where Linux's prctl is not to be had, a thread watches for the parent instead."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl")
    except (OSError, AttributeError):
        threading.Thread(target=_watch, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # it died before the signal was asked for
        os._exit(1)


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        threading.Event().wait(1)
    os._exit(1)


_plans: dict[Path, tuple[float, object]] = {}


def _plan(path: Path):
    """The plan, read again only when its file changed (the worker lives on)."""
    stamp = Path(path).stat().st_mtime
    known = _plans.get(path)
    if known is None or known[0] != stamp:
        known = _plans[path] = (stamp, load_plan(path))
    return known[1]


class Refresher:
    def __init__(self, site, background: bool = True):
        self.site = site
        self.background = background
        self._pending: list[tuple] = []
        self._lock = threading.Condition()
        self._busy = False
        self._thread: threading.Thread | None = None
        self._worker: ProcessPoolExecutor | None = None
        self._closing = False

    def touched(self, spans: list[tuple]) -> None:
        """Spans (start, end) whose views must be rewritten; done now unless in background."""
        if not spans:
            return
        if not self.background:
            self._round(list(spans))
            return
        with self._lock:
            self._pending += spans
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="refresh", daemon=True)
                self._thread.start()
            self._lock.notify_all()

    def wait(self, timeout: float = 60.0) -> bool:
        """Block until nothing is pending or being refreshed (for tests and shutdown)."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._pending and not self._busy, timeout)

    def close(self, timeout: float = 60.0) -> None:
        """Finish the refresh under way and what is pending, then stop the worker and the
        thread."""
        self.wait(timeout)
        with self._lock:
            self._closing = True
            self._lock.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._lock:
                self._lock.wait_for(lambda: self._pending or self._closing)
                if not self._pending:  # closing, with nothing left to do
                    self._thread = None
                    break
                spans, self._pending = self._pending, []
                self._busy = True
            try:
                self._round(spans)
            except Exception:  # a full disk must not end the thread: the next report retries
                log.exception("refreshing exports/ failed")
            finally:
                with self._lock:
                    self._busy = False
                    self._lock.notify_all()
        # This thread started the worker: it stops it (a parent-death signal would, too).
        if self._worker is not None:
            self._worker.shutdown(wait=True)
            self._worker = None

    def _round(self, spans: list[tuple]) -> None:
        site = self.site
        args = (site.plan_path, site.db, site.exports, site.clock().date(), spans)
        if not self.background:
            refresh(*args)
            return
        if self._worker is None:
            # spawn, not fork: this process has threads, and a forked copy could inherit a
            # lock one of them held. Started here, by the refresh thread, which outlives it.
            self._worker = ProcessPoolExecutor(1, multiprocessing.get_context("spawn"),
                                               initializer=die_with_parent,
                                               initargs=(os.getpid(),))
        self._worker.submit(refresh, *args).result()
