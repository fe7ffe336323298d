"""Keeping exports/ current after reports made on the web, without making anyone wait.

A report commits first; then the spans it touched are handed to one background thread,
which rewrites the feeds, the months and the gap report they affect. Reports that arrive
while it works are taken together in its next round, so fifty people reporting at once cost a
few refreshes, not fifty, and a subscriber sees each report on the next poll after that.
"""

from __future__ import annotations

import logging
import threading

from .. import publish
from ..store import Store

log = logging.getLogger(__name__)


class Refresher:
    def __init__(self, site, background: bool = True):
        self.site = site
        self.background = background
        self._pending: list[tuple] = []
        self._lock = threading.Condition()
        self._busy = False
        self._thread: threading.Thread | None = None

    def touched(self, spans: list[tuple]) -> None:
        """Spans (start, end) whose views must be rewritten; done now unless in background."""
        if not spans:
            return
        if not self.background:
            self._refresh(list(spans))
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

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._lock.wait_for(lambda: self._pending, timeout=30):
                    self._thread = None
                    return
                spans, self._pending = self._pending, []
                self._busy = True
            try:
                self._refresh(spans)
            except Exception:  # a full disk must not end the thread: the next report retries
                log.exception("refreshing exports/ failed")
            finally:
                with self._lock:
                    self._busy = False
                    self._lock.notify_all()

    def _refresh(self, spans: list[tuple]) -> None:
        plan = self.site.plan()
        with Store.open(self.site.db) as store:
            entries = store.entries()
        publish.refresh(plan, entries, self.site.out(), self.site.clock().date(), spans)
