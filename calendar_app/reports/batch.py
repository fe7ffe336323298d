"""按计划全部完成: a routine reported each (the weekly TV segment, every Wednesday), a week
or a month of it reported done in one report, with one note and one set of evidence.

Every event named is checked first, inside the report's transaction: it must be one of the
unit's events of that routine in that period, still planned; one that is not (another
unit's, another routine's, another period's, already reported) refuses the whole report and
nothing changes. Events the unit leaves out (they did not take place) stay as they are. Each
event gets its own done report on its own day and its own history row, saying it came in a
batch; the files are kept once and attached to each.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from .. import limits, months
from ..formats.words import cn_date
from ..model import Entry, Obligation, Plan, Slot, day_of
from ..plan.rules import routine
from ..schedule.reporting import grain_of, opens, period, period_words, slot_of
from .evidence import Upload
from .records import Recorder, RecordError, check_text

WEEKS_OFFERED = 8  # how many weeks back the form offers, besides every month of the plan


def routines(plan: Plan, unit: str) -> list[Obligation]:
    """The routines reported each that `unit` answers for: those it leads, or, fanned out,
    its own."""
    return [o for o in plan.obligations if o.report == "each" and routine(o.rule)
            and (o.lead == unit or (o.fanout and unit in o.units))]


def choices(plan: Plan, today: date) -> list[tuple[str, str]]:
    """(key, words) of the periods the form offers, newest first: the last weeks, then every
    month of the plan up to today's."""
    last = min(today, plan.last)
    if last < plan.start:
        return []
    weeks = []
    monday = period(last, "weekly").start
    for back in range(WEEKS_OFFERED):
        slot = period(monday - timedelta(weeks=back), "weekly")
        if slot.end > plan.start:
            weeks.append((slot.key, period_words("weekly", slot)))
    firsts = months.firsts(plan.start.replace(day=1), months.following(last.replace(day=1)))
    slots = [period(first, "monthly") for first in reversed(firsts)]
    return weeks + [(s.key, period_words("monthly", s)) for s in slots]


def default_choice(today: date) -> str:
    """This month once its last week has begun, else the month before."""
    month = period(today, "monthly")
    return month.key if today >= opens(month) else period(month.start - timedelta(days=1),
                                                           "monthly").key


def events(recorder: Recorder, obligation: Obligation, unit: str, slot: Slot) -> list[Entry]:
    """The unit's events of the routine in the period, cancelled and reported ones too."""
    return [e for e in recorder.store.entries(unit=unit, start=slot.start, end=slot.end,
                                              obligations=[obligation.id])
            if e.kind == "event" and e.lead == unit and not e.orphaned
            and slot.start <= day_of(e.start) < slot.end]


def open_to_report(entry: Entry, today: date) -> bool:
    """Still planned and held by `today`: what 按计划全部完成 may tick. A day still to come
    stays planned, to be reported when held."""
    return entry.live and entry.status == "planned" and day_of(entry.start) <= today


def chosen(plan: Plan, obligation_id: str, unit: str, key: str) -> tuple[Obligation, Slot]:
    """The routine and the week or month a batch is about, or RecordError naming the field."""
    obligation = next((o for o in routines(plan, unit) if o.id == obligation_id), None)
    if obligation is None:
        raise RecordError(f"{obligation_id!r} is not a routine reported each that "
                          f"{plan.units[unit].name} answers for",
                          "这不是本单位逐项登记的例行工作", "routine")
    slot = slot_of(key)
    if slot is None or grain_of(slot.key) not in ("weekly", "monthly") \
            or not (slot.start < plan.end and slot.end > plan.start):
        raise RecordError(f"{key!r} is not a week (2025-W23) or month (2025-06) of the plan",
                          "请选择实施期内的一周或一个月", "period")
    return obligation, slot


def complete(recorder: Recorder, obligation_id: str, unit: str, key: str, uids: list[str],
             note: str = "", uploads: list[Upload] | None = None) -> list[Entry]:
    """Report done, in one transaction, every event named of the unit's routine in the
    period `key` (a week or a month), each on its own day. Returns the events reported."""
    plan = recorder.plan
    obligation, slot = chosen(plan, obligation_id, unit, key)
    words = period_words(grain_of(slot.key), slot)
    today = day_of(recorder.at)
    if today < opens(slot):
        raise RecordError(f"the period {words} has not ended; it may be reported from "
                          f"{opens(slot)} on",
                          f"{words}尚未结束，{cn_date(opens(slot))}起方可按计划全部登记",
                          "period")
    check_text(note, limits.NOTE, "note")
    if not uids:
        raise RecordError("no event named: nothing to report",
                          "请至少勾选一项已完成的活动", "uids")
    name = obligation.short or obligation.title
    with recorder.storing(uids[0], uploads or []) as keep, recorder.store.transaction():
        found = []
        for uid in dict.fromkeys(uids):
            entry = recorder.store.entry(uid)
            if entry is None or entry.kind != "event" or entry.obligation != obligation.id \
                    or entry.lead != unit or not slot.start <= day_of(entry.start) < slot.end:
                what = f"{entry.title}（{cn_date(day_of(entry.start))}）" if entry else uid
                raise RecordError(f"{uid} is not one of {unit}'s {obligation.id} events in "
                                  f"{slot.key}", f"{what}不是本单位{name}在{words}的安排",
                                  "uids")
            if entry.status != "planned" or not entry.live:
                raise RecordError(f"{uid} is reported already ({entry.shown_status})",
                                  f"{cn_date(day_of(entry.start))}的{name}已登记，请刷新后再试",
                                  "uids")
            if day_of(entry.start) > today:
                raise RecordError(f"{uid} is planned for {day_of(entry.start)}, after today "
                                  f"({today}): report it once it has taken place",
                                  f"{cn_date(day_of(entry.start))}的{name}还没到，举行后再登记",
                                  "uids")
            found.append(entry)
        files = keep()
        for entry in found:
            recorder.store.mark_done(entry.uid, recorder.at, recorder.by, day_of(entry.start),
                                     None, note, "", tuple(replace(f, uid=entry.uid)
                                                           for f in files), batch=words)
            recorder.touched += [(entry.start, entry.end)]
    return found


def all_but(recorder: Recorder, obligation_id: str, unit: str, key: str,
            skipped: list[str]) -> list[str]:
    """The uids of the routine's events in the period still planned, but those `skipped`
    (they did not take place): what 按计划全部完成 reports when nothing is unticked."""
    obligation, slot = chosen(recorder.plan, obligation_id, unit, key)
    planned = [e for e in events(recorder, obligation, unit, slot)
               if e.live and e.status == "planned"]
    strays = [uid for uid in skipped if uid not in {e.uid for e in planned}]
    if strays:
        raise RecordError(f"{strays[0]} is not a planned {obligation_id} event of {unit} in "
                          f"{slot.key}", "所列未举行的活动不是本期仍待登记的安排", "uids")
    today = day_of(recorder.at)
    return [e.uid for e in planned if e.uid not in skipped and open_to_report(e, today)]
