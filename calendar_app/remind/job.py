"""A run of the reminders: what is due today (`due`), less what the log says each channel has
had, sent through every channel of its unit, each attempt logged. The only side effects of
reminding are here (sending, through `channels`) and in the store's log.

One process sends at a time (`Store.sending`): a second server's run, or a cron line beside
`serve`, finds the lock held and leaves the day to the first. Channels are sent through side
by side, each one's messages in turn, and each delivery is logged as it ends: a channel that
fails or hangs (a few seconds at most) keeps none of the others waiting or unsent, and its
messages stay unlogged, so the next run sends them again.
"""

from __future__ import annotations

import os
import queue
import socket
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ..model import TZ, Channel, Entry, Plan
from ..store.store import Store
from . import wording
from .channels import TIMEOUT, Outbox
from .due import Key, Kind, Notice, Returned, due, quiet, urge

LEASE = timedelta(minutes=30)  # SQLite: a sender that died gives way after this
SIDE_BY_SIDE = 8  # channels sent through at once


@dataclass(frozen=True)
class Delivery:
    """One message through one channel, and what became of it ("" arrived)."""

    notice: Notice
    channel: Channel
    error: str = ""


@dataclass
class Run:
    """What a run did: the deliveries that arrived and failed, and the messages that had no
    channel to go through; `held` when another process was sending, `quiet` on a quiet day."""

    day: date
    sent: list[Delivery] = field(default_factory=list)
    failed: list[Delivery] = field(default_factory=list)
    unheard: list[Notice] = field(default_factory=list)  # for units without a channel
    before: list[Notice] = field(default_factory=list)  # every channel had it already
    held: bool = False
    quiet: bool = False

    def summary(self, dry_run: bool = False) -> str:
        """2025-05-09: 4 sent, 1 failed (json://...); 70 for 35 units without a channel."""
        failed = sorted({d.channel.shown for d in self.failed})
        units = len({n.to for n in self.unheard})
        return (f"{self.day}: {len(self.sent)} {'would be sent' if dry_run else 'sent'}, "
                f"{len(self.failed)} failed" + (f" ({', '.join(failed)})" if failed else "")
                + (f"; {len(self.unheard)} for {units} units without a channel" if units else ""))


def holder() -> str:
    """Who is sending, for the lease: host, process and this run (two servers' threads in one
    process are two senders)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def remind(store: Store, plan: Plan, today: date, at: datetime, dry_run: bool = False,
           timeout: float = TIMEOUT) -> Run:
    """Send what is due today and not yet sent; with `dry_run`, only say what would be sent
    (nothing is sent or logged, and no lock is taken)."""
    if dry_run:
        return _deliver(store, plan, today, due(plan, store.entries(), today, _returns(store)),
                        at, timeout, dry_run=True)
    with store.sending(holder(), at, LEASE) as mine:
        if not mine:
            return Run(today, held=True)
        # Read under the lock: what the previous sender logged is in.
        return _deliver(store, plan, today, due(plan, store.entries(), today, _returns(store)),
                        at, timeout)


def _returns(store: Store) -> list[Returned]:
    """Reports the coordinator returned and their units have still to complete, for 退回通知:
    each on the day it was returned, with why."""
    return [Returned(r.entry.uid, r.at.astimezone(TZ).date(), r.reason) for r in store.returned()]


def urge_units(store: Store, plan: Plan, units: Iterable[str], today: date, at: datetime,
               timeout: float = TIMEOUT) -> tuple[Run, list[str]]:
    """一键催办: each unit's overdue list, now (once a day each); and the units that had
    nothing overdue to send."""
    entries: list[Entry] = store.entries(unreported_by=today)
    notices, empty = [], []
    for unit in units:
        notice = urge(plan, entries, unit, today)
        if notice is None:
            empty.append(unit)
        else:
            notices.append(notice)
    return _deliver(store, plan, today, notices, at, timeout), empty


def test(store: Store, plan: Plan, unit: str, today: date, at: datetime,
         timeout: float = TIMEOUT) -> Run:
    """测试消息 through each channel of `unit` (COORDINATOR for the coordinator's): its state
    is kept (渠道异常 or not), nothing is logged as a reminder."""
    run = Run(today)
    notice = wording.test_notice(unit, today)
    for channel in store.channels(unit):
        error = Outbox(channel.url, timeout).send(*wording.text(plan, notice))
        store.log_reminders(channel, (), at, error)
        (run.failed if error else run.sent).append(Delivery(notice, channel, error))
    return run


def _deliver(store: Store, plan: Plan, today: date, notices: list[Notice], at: datetime,
             timeout: float, dry_run: bool = False) -> Run:
    run = Run(today, quiet=not notices and quiet(plan, today))
    by_unit: dict[str, list[Channel]] = {}
    for channel in store.channels():
        by_unit.setdefault(channel.unit, []).append(channel)
    days = [k.day for n in notices for k in n.keys()]
    sent: dict[str, set[Key]] = {}
    for unit, kind, subject, day, ident in store.reminders_sent(min(days)) if days else ():
        sent.setdefault(ident, set()).add(Key(unit, Kind(kind), subject, day))
    work: dict[int, tuple[Channel, list[Notice]]] = {}
    for notice in notices:
        channels = by_unit.get(notice.to, [])
        if not channels:
            run.unheard.append(notice)
        lefts = [(channel, notice.unsent(sent.get(channel.ident, set()))) for channel in channels]
        for channel, left in lefts:
            if left is not None:
                work.setdefault(channel.id, (channel, []))[1].append(left)
        if channels and all(left is None for _, left in lefts):
            run.before.append(notice)
    if dry_run:
        run.sent = [Delivery(n, channel) for channel, todo in work.values() for n in todo]
        return run
    results: queue.Queue[Delivery | None] = queue.Queue()

    def through(channel: Channel, todo: list[Notice]) -> None:
        """One channel's messages in turn; after a failure the rest wait for the next run
        (a service down would make each of them wait out the timeout)."""
        try:
            outbox, error = Outbox(channel.url, timeout), ""
            for notice in todo:
                if not error:
                    error = outbox.send(*wording.text(plan, notice))
                results.put(Delivery(notice, channel, error))
        finally:
            results.put(None)  # this channel is done

    with ThreadPoolExecutor(max_workers=SIDE_BY_SIDE, thread_name_prefix="remind") as pool:
        for channel, todo in work.values():
            pool.submit(through, channel, todo)
        for _ in range(len(work)):
            while (delivery := results.get()) is not None:
                store.log_reminders(delivery.channel, _logged(delivery.notice), at,
                                    delivery.error)
                (run.failed if delivery.error else run.sent).append(delivery)
    return run


def _logged(notice: Notice) -> list[tuple[str, str, str, date]]:
    return [(k.unit, str(k.kind), k.subject, k.day) for k in notice.keys()]


