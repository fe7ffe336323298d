"""What units report about their events: done, cancelled, moved, reset, or added.

Each report is checked against the plan and the stored event and applied through one of the
store's verbs, which writes the new state, a new revision (SEQUENCE + 1, so feeds pick it up)
and an append-only history row together. The check runs inside the same write transaction as
the change, so two reports racing for one event cannot both pass it: contradictory reports
(cancelling an event recorded done) are refused with the command that would fix them.
"""

from __future__ import annotations

import bisect
import difflib
import hashlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from .. import limits
from ..errors import CalendarAppError
from ..formats.words import cn_date, cn_period
from ..model import NO_COUNT, ONE_DAY, Entry, Event, Grain, Plan, Slot, day_of, days, length
from ..schedule.reporting import grain_of, opens, period_words
from ..store.store import Store
from .evidence import Files, Upload

MOST_ATTENDANCE = 1_000_000  # more people than the county has: a typo, not an event
NOT_COUNTED = "本项工作不统计人数等数量，数量请留空"  # a number given where none is asked
TEXTS = {"note": ("note", "备注"), "reason": ("reason", "取消原因"),  # in English, in Chinese
         "evidence": ("evidence", "佐证材料"), "title": ("title", "活动名称"),
         "by": ("--by name", "登记人"), "verdict": ("reason for returning it", "退回理由")}


class RecordError(CalendarAppError):
    """A report that cannot be applied: unknown event, date off the plan, contradiction.

    `cn` says it to a unit's staff in the web application (the message names commands);
    `field` names the form field it is about, where the message goes."""

    def __init__(self, message: str, cn: str = "", field: str = ""):
        super().__init__(message)
        self.cn = cn or message
        self.field = field


class Conflict(RecordError):
    """Someone else reported on the event since the reporter last saw it."""

    def __init__(self, entry: Entry):
        super().__init__(f"{entry.uid} changed since it was shown (now revision "
                         f"{entry.sequence}, {entry.shown_status})")
        self.entry = entry


def check_text(value: str, most: int, what: str) -> None:
    """RecordError unless `value` (a text people typed: `what` is one of TEXTS) is at most
    `most` characters long and holds no NUL character, which no database stores."""
    en, cn = TEXTS[what]
    if "\x00" in value:
        raise RecordError(f"the {en} holds a NUL character (\\0); take it out",
                          f"{cn}含有无法保存的控制字符（NUL），请删去后再提交")
    if len(value) > most:
        raise RecordError(f"the {en} is {len(value):,} characters long; at most {most} are "
                          "allowed", f"{cn}不超过{most}字（现有{len(value):,}字）")


class _Rollback(Exception):
    """Ends a dry run's transaction without committing it."""


@dataclass
class Recorder:
    store: Store
    plan: Plan
    at: datetime  # when the report is made: the history's clock, passed in
    by: str
    # (start, end) of every event reported, before and after: what views must be refreshed.
    touched: list[tuple] = field(default_factory=list)
    files: Files | None = None  # where evidence uploaded with a report is kept
    _uids: UidIndex | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        check_text(self.by, limits.LOGIN, "by")

    # -- checks --------------------------------------------------------------------------

    def lookup(self, uid: str) -> Entry | None:
        return self.store.entry(uid)

    def find(self, uid: str, seen: int | None = None) -> Entry:
        """The stored event; with `seen` (the revision the reporter was shown), Conflict if
        it has changed since, so that two people reporting at once both get a true answer."""
        entry = self.store.entry(uid)
        if entry is None:
            raise RecordError(f"unknown event {uid!r}{self.hint(uid)}")
        if seen is not None and entry.sequence != seen:
            raise Conflict(entry)
        return entry

    def hint(self, uid: str) -> str:
        """" (did you mean ...?)" for a uid that is not stored, or ""."""
        close = self.suggest(uid)
        return f" (did you mean {', '.join(close)}?)" if close else ""

    def suggest(self, uid: str) -> list[str]:
        """Stored uids close to one that is not stored."""
        if self._uids is None:
            self._uids = UidIndex(self.store.uids())
        return self._uids.close(uid)

    def check_day(self, day: date, what: str) -> None:
        if not self.plan.start <= day < self.plan.end:
            last = self.plan.last
            raise RecordError(f"{what} {day} is outside the plan period {self.plan.start} to {last}",
                              f"日期须在实施方案期限内（{cn_period(self.plan.start, self.plan.end)}）")

    def check_held(self, day: date, planned: bool) -> None:
        """Done is reported once it took place: not for a day after today's, whether the
        event's planned day (`planned`) or the day given as the one it was held on."""
        today = day_of(self.at)
        if day <= today:
            return
        if planned:
            raise RecordError(f"the event is planned for {day}, after today ({today}); report "
                              "it once it has taken place, or give --on the day it was held",
                              f"这项活动安排在{cn_date(day)}，还没到：举行后再登记完成；如已提前举行，"
                              "请填写实际举行的日期", "on")
        raise RecordError(f"done on {day} is after today ({today})",
                          f"实际日期{cn_date(day)}还没到：请填写活动实际举行的日期", "on")

    @contextmanager
    def batch(self, dry_run: bool = False) -> Iterator[None]:
        """Reports made inside are one transaction: all land or none does. A dry run makes
        them, with every check, and then takes them back."""
        before = len(self.touched)
        try:
            with self.store.transaction():
                yield
                if dry_run:
                    raise _Rollback
        except _Rollback:
            del self.touched[before:]

    # -- reports -------------------------------------------------------------------------

    def event(self, uid: str, seen: int | None = None) -> Entry:
        """The stored event, refused when it is a period's report task (`period` reports
        it: how many of the period's events were done, never one event's day)."""
        entry = self.find(uid, seen)
        if entry.kind == "report":
            raise RecordError(f"{uid} is a period's report task; report it with `calendar-app "
                              f"record period {uid} --done N`",
                              "这是按期报送的情况报送任务，请填写本期完成数量后报送")
        return entry

    def done(self, uid: str, on: date | None = None, attendance: int | None = None,
             note: str = "", evidence: str = "", uploads: list[Upload] | None = None,
             seen: int | None = None) -> None:
        """Record an event done; `uploads` (checked files, kept in `files`) are written only
        once the report has passed its checks, inside its transaction."""
        if attendance is not None and not 0 <= attendance <= MOST_ATTENDANCE:
            raise RecordError(f"attendance must be a whole number from 0 to {MOST_ATTENDANCE}, "
                              f"got {attendance}", f"参加人数须为0至{MOST_ATTENDANCE:,}的整数",
                              "attendance")
        check_text(note, limits.NOTE, "note")
        check_text(evidence, limits.NOTE, "evidence")
        with self.storing(uid, uploads or []) as keep:
            with self.store.transaction():
                entry = self.event(uid, seen)
                if entry.status == "cancelled":
                    raise RecordError(f"{uid} is recorded cancelled; run `calendar-app record "
                                      f"reset {uid}` first if it took place after all",
                                      "这项活动已登记为取消；如确已举行，请先撤销登记，再登记完成")
                if attendance is not None and not self.plan.asks(entry):
                    raise RecordError(f"{uid} asks no number: its obligation says counted: "
                                      f"{NO_COUNT}; drop --attendance", NOT_COUNTED)
                day = on or day_of(entry.start)
                self.check_day(day, "done on")
                self.check_held(day, on is None)
                self.store.mark_done(uid, self.at, self.by, day, attendance, note, evidence,
                                     keep())
                self._touch(entry)

    def storing(self, uid: str,
                 uploads: list[Upload]) -> AbstractContextManager[Callable[[], tuple]]:
        if not uploads:
            return nullcontext(tuple)
        if self.files is None:
            raise ValueError("uploads need the evidence folder (Recorder.files)")
        return self.files.storing(uploads, uid, self.by, self.at,
                                  referenced=lambda sha: bool(self.store.evidence_of(sha)))

    def cancel(self, uid: str, reason: str, seen: int | None = None) -> None:
        if not reason.strip():
            raise RecordError("a cancellation needs a reason", "请填写取消原因")
        check_text(reason, limits.NOTE, "reason")
        with self.store.transaction():
            entry = self.event(uid, seen)
            if entry.status == "done":
                raise RecordError(f"{uid} is recorded done; run `calendar-app record reset {uid}` "
                                  "first if it did not take place",
                                  "这项活动已登记为完成；如实际未举行，请先撤销登记，再登记取消")
            self.store.cancel(uid, self.at, self.by, reason)
            self._touch(entry)

    def move(self, uid: str, to: date | datetime, seen: int | None = None) -> None:
        self.check_day(day_of(to), "move to")
        with self.store.transaction():
            entry = self.event(uid, seen)
            if entry.status == "cancelled":
                raise RecordError(f"{uid} is cancelled; add a make-up with "
                                  f"`calendar-app add --fills {uid}` instead of moving it",
                                  "这项活动已取消，不能改期；请用“补办”另行安排")
            start, end = _moved(entry, to)
            self._check_not_twice(entry, start, end)
            self.store.move(uid, self.at, self.by, start, end, was=entry.start)
            self._touch(entry)

    def _check_not_twice(self, entry: Entry, start: date | datetime,
                         end: date | datetime) -> None:
        """A move onto a day that already has an event of the same obligation for the same
        units (a routine's own occurrence) would show two identical events there in every
        calendar: refused, naming the one already on that day."""
        if not entry.obligation:
            return
        first, after = days(start, end)
        for other in self.store.entries(start=first, end=after, obligations=[entry.obligation],
                                        include_removed=False):
            if (other.uid != entry.uid and other.live and other.units == entry.units
                    and days(other.start, other.end)[0] == first):
                raise RecordError(
                    f"{entry.uid} cannot move to {first}: {other.uid} of the same obligation "
                    "is on that day already",
                    f"{cn_date(first)}已有同一项活动（{other.title}），不能改期到这一天；"
                    "请另选日期")

    def period(self, uid: str, done: int, note: str = "", missed: tuple[date, ...] = (),
               uploads: list[Upload] | None = None, seen: int | None = None) -> int:
        """File a period's report task: `done` of the period's events took place (the days
        `missed` did not, when named). Allowed from the period's last week on, for a
        period not yet reported; `uploads` are kept as `done`'s are. Returns how many were
        planned."""
        check_text(note, limits.NOTE, "note")
        today = day_of(self.at)
        with self.storing(uid, uploads or []) as keep, self.store.transaction():
            entry = self.find(uid, seen)
            if entry.kind != "report":
                raise RecordError(f"{uid} is an event, not a period's report task; use "
                                  f"`calendar-app record done {uid}`",
                                  "这是一项活动，不是按期报送任务；请用“登记完成”")
            slot = Slot(entry.slot, entry.slot_start, entry.slot_end)
            words = period_words(grain_of(entry.slot), slot)
            if today < opens(slot):
                raise RecordError(
                    f"{uid}: the period {slot.start} to {slot.end - ONE_DAY} has not ended; "
                    f"its report may be made from {opens(slot)} on",
                    f"本期（{words}）尚未结束，{cn_date(opens(slot))}起方可报送", "done")
            if entry.status == "done":
                raise RecordError(f"{uid} is reported already; run `calendar-app record reset "
                                  f"{uid}` first to report it again",
                                  "本期已报送；如需更正，请先撤销登记再重新报送")
            events = [e for e in self.store.period_events(entry) if e.live]
            planned = len(events)
            if done < 0:
                raise RecordError(f"the number done must not be negative, got {done}",
                                  "完成数量不能为负数", "done")
            if done > planned:
                raise RecordError(f"{done} done is more than the {planned} planned in the period",
                                  f"完成数量（{done}）多于本期计划数量（{planned}）", "done")
            planned_days = {day_of(e.start) for e in events}
            for day in missed:
                if day not in planned_days:
                    raise RecordError(
                        f"{day} is not a day the period plans one ({words})",
                        f"{cn_date(day)}不是本期（{words}）计划安排的日期", "missed")
            if len(set(missed)) > planned - done:
                raise RecordError(
                    f"{len(set(missed))} days missed, but {done} of {planned} done leaves "
                    f"{planned - done}",
                    f"未完成日期有{len(set(missed))}天，多于计划与完成之差（{planned - done}）",
                    "missed")
            self.store.report_period(uid, self.at, self.by, today, done, planned, note,
                                     tuple(sorted(set(missed))), keep())
            self._touch(entry)
        return planned

    # -- review (复核) and what a unit adds to a done report -----------------------------------

    def review(self, uid: str, passed: bool, reason: str = "", coordinator: bool = True,
               seen: int | None = None) -> Entry:
        """The coordinator's review of a done report: passed, or returned (退回) with the
        reason (需补充佐证材料). A unit's account does not review. Returns the event."""
        if not coordinator:
            raise RecordError(f"{self.by} is a unit's account; only the coordinator reviews "
                              "reports", "只有县科协统筹账号可以复核登记", "review")
        reason = reason.strip()
        check_text(reason, limits.NOTE, "verdict")
        if not passed and not reason:
            raise RecordError("a return needs its reason (--return 需补充佐证材料, say)",
                              "退回须写明理由，如“需补充佐证材料”", "verdict")
        with self.store.transaction():
            entry = self.find(uid, seen)
            if entry.status != "done":
                raise RecordError(f"{uid} is not reported done: there is no report to review",
                                  "这项活动尚未登记完成，没有可复核的登记", "review")
            if entry.review == ("passed" if passed else "returned"):
                raise RecordError(f"{uid} is {'passed' if passed else 'returned'} already",
                                  "这项登记已复核通过" if passed else
                                  "这项登记已退回，正等待单位补充", "review")
            self.store.review(uid, self.at, self.by, passed, reason)
            self._touch(entry)
        return entry

    def supplement(self, uid: str, note: str = "", uploads: list[Upload] | None = None,
                   resubmit: bool = False, seen: int | None = None) -> None:
        """A note or evidence added to a done report, which stays done; with `resubmit`, a
        report the coordinator returned goes back for review (only a returned one)."""
        note = note.strip()
        check_text(note, limits.NOTE, "note")
        if not note and not uploads and not resubmit:
            raise RecordError("nothing to add: give a note or a file",
                              "请填写补充说明，或选择要补充的佐证材料", "note")
        with self.storing(uid, uploads or []) as keep, self.store.transaction():
            entry = self.find(uid, seen)
            if entry.status != "done":
                raise RecordError(f"{uid} is not reported done: nothing to add to",
                                  "只有已登记完成的活动可以补充材料", "note")
            if resubmit and entry.review != "returned":
                raise RecordError(f"{uid} was not returned: there is nothing to resubmit",
                                  "这项登记没有被退回，无需重新提交", "note")
            remark = f"{entry.remark}；补充：{note}" if entry.remark and note else \
                entry.remark or note
            if len(remark) > limits.NOTE:
                raise RecordError(f"the note would be {len(remark)} characters long; at most "
                                  f"{limits.NOTE} are allowed",
                                  f"备注连同补充不超过{limits.NOTE}字，请精简", "note")
            self.store.supplement(uid, self.at, self.by, remark, note, keep(), resubmit)
            self._touch(entry)

    def reset(self, uid: str, seen: int | None = None) -> None:
        """Forget what was recorded: back to what the plan says."""
        with self.store.transaction():
            entry = self.find(uid, seen)
            self.store.reset(uid, self.at, self.by, was=entry.shown_status)
            self._touch(entry)

    def add(self, unit: str, title: str, on: date | datetime, measure: int | None = None,
            fills: str = "", toward: str = "", seen: int | None = None) -> str:
        """An event the unit adds itself; with `fills`, a make-up in a cancelled event's slot
        (one per slot: decided inside the transaction, so two made at once cannot both land;
        `seen` is the cancelled event's revision the reporter was shown); with `toward`, one
        whose recorded attendance counts toward an obligation's target."""
        unit_id = self.plan.resolve_unit(unit)
        if not title.strip():
            raise RecordError("an added event needs a title", "请填写活动名称")
        check_text(title.strip(), limits.TYPED_TITLE, "title")
        day = day_of(on)
        self.check_day(day, "add on")
        with self.store.transaction():
            units: tuple[str, ...] = (unit_id,)
            obligation, slot = "", None
            reported: Grain = "each"
            if fills:
                target = self.event(fills, seen)
                reported = target.reported  # judged in the same period's report, if any
                if target.live:
                    raise RecordError(f"{fills} is not cancelled; a make-up fills only a "
                                      f"cancelled event's slot (`calendar-app record cancel "
                                      f"{fills}` first)", "只有已取消的活动才能补办")
                made = next((e for e in self.store.make_ups(fills) if e.live), None)
                if made is not None:
                    raise RecordError(
                        f"{fills} has a make-up already, {made.uid}; cancel that one first "
                        "to arrange another",
                        f"这项活动已安排补办（{made.title}，{cn_date(day_of(made.start))}），"
                        "一项取消的活动只补办一次；如需另行安排，请先取消原补办")
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
                raise RecordError(f"unknown measure {measure} "
                                  f"(the plan has 1-{len(self.plan.measures)})")
            slot = slot or Slot("added", day, day + ONE_DAY)
            digest = hashlib.sha1(f"{title}\n{fills}\n{toward}".encode()).hexdigest()[:8]
            uid = f"added/{unit_id}/{day.isoformat()}/{digest}"
            if self.store.entry(uid) is not None:
                raise RecordError(f"{uid} already exists: the same title was added that day",
                                  "当天已登记过同名活动")
            end = on + (timedelta(hours=1) if isinstance(on, datetime) else ONE_DAY)
            category = self.plan.measures[measure].category if measure else ""
            event = Event(uid=uid, obligation=obligation, measure=measure or 0,
                          category=category, slot=slot, title=title.strip(), start=on, end=end,
                          units=units, reported=reported)
            self.store.add_event(event, self.at, self.by, fills)
            self.touched.append((event.start, event.end))
        return uid

    def _touch(self, before: Entry) -> None:
        after = self.find(before.uid)
        self.touched += [(before.start, before.end), (after.start, after.end)]


def _moved(entry: Entry, to: date | datetime) -> tuple[date | datetime, date | datetime]:
    """The new start and end: the same length, and the same time of day unless one is given."""
    lasts = length(entry.start, entry.end)
    if isinstance(to, datetime):
        if entry.all_day:
            return to, to + timedelta(hours=1)
        return to, to + lasts
    if not isinstance(entry.start, datetime):
        return to, to + lasts
    start = datetime.combine(to, entry.start.timetz())
    return start, start + lasts


class UidIndex:
    """"Did you mean" for uids, without comparing a mistyped uid with every stored one.

    A uid is `<obligation>/<slot>...`, so the uids worth suggesting sort next to the one that
    was meant: the neighbours of the mistyped uid in sorted order, of its letters and digits
    alone (a dropped "-", a lower-case "w"), of both cut short (a typo near the end moves where
    it sorts), and of its slot part under the obligations whose names are closest to its own.
    A hundred or so candidates, however many events are stored: a sheet of 100,000 wrong uids
    costs seconds, not hours.
    """

    REACH = 6  # neighbours taken on each side of where a key would sort

    def __init__(self, uids: list[str]):
        self.uids = sorted(uids)
        self.plain = sorted((_plain(u), u) for u in uids)
        self.plain_keys = [key for key, _ in self.plain]
        self.obligations = sorted({u.split("/", 1)[0] for u in self.uids})

    def close(self, uid: str, n: int = 3) -> list[str]:
        head, _, rest = uid.partition("/")
        keys = [uid] + [f"{o}/{rest}" for o in
                        difflib.get_close_matches(head, self.obligations, n=2, cutoff=0.6)]
        candidates: set[str] = set()
        for key in keys:
            candidates.update(_around(self.uids, key, self.REACH))
            plain = _plain(key)
            candidates.update(self.plain[i][1] for i in _around(
                range(len(self.plain)), plain, self.REACH, self.plain_keys))
        return difflib.get_close_matches(uid, sorted(candidates), n=n, cutoff=0.6)


def _plain(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def _around(items, key: str, reach: int, keys: list[str] | None = None) -> list:
    """Items sorting around `key` and around it cut short by one or two characters."""
    keys = keys if keys is not None else items
    found = []
    for cut in (key, key[:-1], key[:-2]):
        at = bisect.bisect_left(keys, cut)
        found += items[max(0, at - reach):at + reach]
    return found
