"""What units report about their events: done, cancelled, moved, reset, or added.

Each report is checked against the plan and the stored event, then applied as new columns, a
new revision (SEQUENCE + 1, so feeds pick it up) and an append-only history row. Contradictory
reports (cancelling an event recorded done) are refused with the command that would fix them.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .errors import CalendarAppError
from .model import Entry, Event, Plan, Slot, day_span
from .store import Store

ONE_DAY = timedelta(days=1)


class RecordError(CalendarAppError):
    """A report that cannot be applied: unknown event, date off the plan, contradiction."""


def _iso(value: date | datetime) -> str:
    return value.isoformat()


@dataclass
class Recorder:
    store: Store
    plan: Plan
    at: datetime  # when the report is made: the history's clock, passed in
    by: str

    # -- checks --------------------------------------------------------------------------

    def find(self, uid: str) -> Entry:
        entry = self.store.entry(uid)
        if entry is None:
            close = difflib.get_close_matches(uid, self.store.uids(), n=3, cutoff=0.6)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise RecordError(f"unknown event {uid!r}{hint}")
        return entry

    def check_day(self, day: date, what: str) -> None:
        if not self.plan.start <= day < self.plan.end:
            last = self.plan.end - ONE_DAY
            raise RecordError(f"{what} {day} is outside the plan period {self.plan.start} to {last}")

    # -- reports -------------------------------------------------------------------------

    def done(self, uid: str, on: date | None = None, attendance: int | None = None,
             note: str = "", evidence: str = "") -> None:
        entry = self.find(uid)
        if entry.status == "cancelled":
            raise RecordError(f"{uid} is recorded cancelled; run `calendar-app record reset {uid}` "
                              "first if it took place after all")
        if attendance is not None and attendance < 0:
            raise RecordError(f"attendance must be 0 or more, got {attendance}")
        day = on or (entry.start.date() if isinstance(entry.start, datetime) else entry.start)
        self.check_day(day, "done on")
        self.store.record(uid, self.at, self.by, "done",
                          {"status": "done", "done_on": day.isoformat(),
                           "attendance": attendance, "remark": note},
                          {"on": day.isoformat(), "attendance": attendance, "note": note,
                           "evidence": evidence})

    def cancel(self, uid: str, reason: str) -> None:
        entry = self.find(uid)
        if not reason.strip():
            raise RecordError("a cancellation needs a reason")
        if entry.status == "done":
            raise RecordError(f"{uid} is recorded done; run `calendar-app record reset {uid}` "
                              "first if it did not take place")
        self.store.record(uid, self.at, self.by, "cancelled",
                          {"status": "cancelled", "remark": reason}, {"reason": reason})

    def move(self, uid: str, to: date | datetime) -> None:
        entry = self.find(uid)
        if entry.status == "cancelled":
            raise RecordError(f"{uid} is cancelled; add a make-up with "
                              f"`calendar-app add --fills {uid}` instead of moving it")
        self.check_day(to.date() if isinstance(to, datetime) else to, "move to")
        start, end = _moved(entry, to)
        day_start, day_end = day_span(start, end)
        self.store.record(uid, self.at, self.by, "moved",
                          {"moved_start": _iso(start), "moved_end": _iso(end),
                           "day_start": day_start, "day_end": day_end},
                          {"from": _iso(entry.start), "to": _iso(start)})

    def reset(self, uid: str) -> None:
        """Forget what was recorded: back to what the plan says."""
        entry = self.find(uid)
        planned = self.store.planned_span(uid)
        self.store.record(uid, self.at, self.by, "reset",
                          {"status": "planned", "moved_start": None, "moved_end": None,
                           "attendance": None, "done_on": None, "remark": "",
                           "day_start": planned[0], "day_end": planned[1]},
                          {"was": entry.shown_status})

    def add(self, unit: str, title: str, on: date | datetime, measure: int | None = None,
            fills: str = "", toward: str = "") -> str:
        """An event the unit adds itself; with `fills`, a make-up in a cancelled event's slot;
        with `toward`, one whose recorded attendance counts toward an obligation's target."""
        unit_id = self.plan.resolve_unit(unit)
        if not title.strip():
            raise RecordError("an added event needs a title")
        self.check_day(on.date() if isinstance(on, datetime) else on, "add on")
        units: tuple[str, ...] = (unit_id,)
        obligation, slot = "", None
        if fills:
            target = self.find(fills)
            if target.live:
                raise RecordError(f"{fills} is not cancelled; a make-up fills only a cancelled "
                                  f"event's slot (`calendar-app record cancel {fills}` first)")
            units += tuple(u for u in target.units if u != unit_id)
            obligation, measure = target.obligation, target.measure
            slot = Slot(target.slot, target.slot_start, target.slot_end)
        if toward:
            found = next((o for o in self.plan.obligations if o.id == toward), None)
            if found is None or found.target is None:
                with_targets = ", ".join(o.id for o in self.plan.obligations if o.target)
                raise RecordError(f"{toward!r} is not an obligation with a target "
                                  f"(those with one: {with_targets})")
            obligation, measure = found.id, found.measure
        if measure is not None and measure not in self.plan.measures:
            raise RecordError(f"unknown measure {measure} (the plan has 1-{len(self.plan.measures)})")
        day = on.date() if isinstance(on, datetime) else on
        slot = slot or Slot("added", day, day + ONE_DAY)
        digest = hashlib.sha1(f"{title}\n{fills}\n{toward}".encode()).hexdigest()[:8]
        uid = f"added/{unit_id}/{day.isoformat()}/{digest}"
        if self.store.entry(uid) is not None:
            raise RecordError(f"{uid} already exists: the same title was added that day")
        end = on + (timedelta(hours=1) if isinstance(on, datetime) else ONE_DAY)
        category = self.plan.measures[measure].category if measure else ""
        event = Event(uid=uid, obligation=obligation, measure=measure or 0, category=category,
                      slot=slot, title=title.strip(), start=on, end=end, units=units)
        self.store.add(event, self.at, self.by, fills)
        return uid


def _moved(entry: Entry, to: date | datetime) -> tuple[date | datetime, date | datetime]:
    """The new start and end: the same length, and the same time of day unless one is given."""
    length = entry.end - entry.start
    if isinstance(to, datetime):
        if entry.all_day:
            return to, to + timedelta(hours=1)
        return to, to + length
    if entry.all_day:
        return to, to + length
    start = datetime.combine(to, entry.start.timetz())
    return start, start + length
