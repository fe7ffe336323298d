"""Reminders from inside `serve`: a thread that runs the day's reminders (`job.remind`) once in
each hour from the plan's `reminders.hour` on, for HOURS hours (9:00 to 18:00 by default), so
a channel that failed is tried again within the hour and what fell due since goes out. Several
servers on one database each run one; the lock in the database leaves the sending to one at a
time, and the log makes the others' runs send nothing.

The clock is the application's (`serve --today` moves the day, keeping the time of day).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime

from ..errors import CalendarAppError
from ..model import Plan
from ..store.store import Store
from . import job
from .channels import TIMEOUT

HOURS = 10  # hours from `reminders.hour` in which a run is made, one in each
CHECK = 60.0  # seconds between looks at the clock


class Timer:
    """The reminders' thread of one server: `start`, then `close` when the server stops.
    `say` takes a line for the server's log: a run's summary, or why it could not run."""

    def __init__(self, plan: Callable[[], Plan], db: str, clock: Callable[[], datetime],
                 say: Callable[[str], None], check: float = CHECK, timeout: float = TIMEOUT):
        self.plan = plan
        self.db = db
        self.clock = clock
        self.say = say
        self.check = check
        self.timeout = timeout
        self.done: tuple[date, int] | None = None  # the day and hour of the last run
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="reminders", daemon=True)
        self.store: Store | None = None

    def start(self) -> None:
        self.thread.start()

    def close(self) -> None:
        """Stop; a run under way ends first (its sends are bounded by the timeout)."""
        self.stopping.set()
        self.thread.join()
        if self.store is not None:
            self.store.close()

    def _loop(self) -> None:
        while not self.stopping.is_set():
            try:
                self.tick()
            except CalendarAppError as exc:  # the plan mid-edit, the database away: next time
                self.say(f"reminders: not sent this time: {exc}")
            self.stopping.wait(self.check)

    def tick(self) -> job.Run | None:
        """A run, if this hour is one to run in and has had none from this server yet."""
        now = self.clock()
        plan = self.plan()
        first = plan.reminders.hour
        if not first <= now.hour < min(first + HOURS, 24) or self.done == (now.date(), now.hour):
            return None
        self.done = (now.date(), now.hour)
        if self.store is None:
            self.store = Store.open(self.db)
        try:
            run = job.remind(self.store, plan, now.date(), now, timeout=self.timeout)
        finally:
            self.store.release()
        if run.sent or run.failed:
            self.say(f"reminders {run.summary()}")
        return run
