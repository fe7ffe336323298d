"""The coordinator's gap report: what the plan requires against what the calendar holds and
what the units reported. Pure: the plan, the stored events, `today` and the period in,
findings out; no clock, no I/O.

Each finding has one cause and is raised once for it: a past event with nothing recorded is
`overdue`; a slot whose events were all cancelled (and not made up) is `unfilled_slot`; a
rotation place still to be reached is `rotation_uncovered` only while its visit lies ahead.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from .model import ONE_DAY, Entry, Obligation, Plan, days
from .model import day_of as _day
from .months import firsts, following
from .rules import Rotation, TimesAYear

SEVERITIES = ("info", "low", "medium", "high")
KINDS = ("uncovered_measure", "unfilled_slot", "overdue", "quota_behind", "milestone_behind",
         "rotation_uncovered", "idle_unit", "overload")


@dataclass(frozen=True)
class Finding:
    kind: str
    severity: str
    measure: int | None
    obligation: str | None
    unit: str | None
    slot: str | None
    start: date
    end: date  # exclusive
    message: str
    uids: tuple[str, ...] = ()

    def as_json(self) -> dict:
        return {"kind": self.kind, "severity": self.severity, "measure": self.measure,
                "obligation": self.obligation, "unit": self.unit, "slot": self.slot,
                "start": self.start.isoformat(), "end": self.end.isoformat(),
                "message": self.message, "uids": list(self.uids)}


@dataclass(frozen=True)
class Progress:
    """A quota's year or a milestone: recorded against its target and the pace as of today."""

    kind: str  # quota | milestone
    obligation: str
    measure: int
    title: str
    unit: str
    period: str  # "2025", or "2021-01-01—2025-12-31"
    target: int
    due_now: float  # what the pace line asks for by today
    recorded: int


@dataclass
class Report:
    as_of: date
    start: date
    end: date
    findings: list[Finding]
    progress: list[Progress]
    # unit -> "YYYY-MM" -> (events, of which overdue)
    heat: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)

    def at_least(self, severity: str) -> list[Finding]:
        floor = SEVERITIES.index(severity)
        return [f for f in self.findings if SEVERITIES.index(f.severity) >= floor]


def _end_day(entry: Entry) -> date:
    """The day after the event ends."""
    return days(entry.start, entry.end)[1]


def _lateness(days: int) -> str:
    return "high" if days > 60 else "medium" if days > 14 else "low"


class _Analysis:
    def __init__(self, plan: Plan, entries: list[Entry], today: date, start: date, end: date):
        self.plan, self.today, self.start, self.end = plan, today, start, end
        self.entries = entries
        self.obligations = {o.id: o for o in plan.obligations}
        self.settings = plan.settings
        self.findings: list[Finding] = []
        self.progress: list[Progress] = []

    def name(self, unit: str) -> str:
        return self.plan.units[unit].name if unit in self.plan.units else unit

    def add(self, **fields) -> None:
        self.findings.append(Finding(**fields))

    def in_period(self, first: date, stop: date) -> bool:
        return first < self.end and stop > self.start

    # -- the kinds ---------------------------------------------------------------------

    def uncovered_measures(self) -> None:
        by_measure = Counter(e.measure for e in self.entries
                             if e.live and self.in_period(_day(e.start), _end_day(e)))
        with_obligations = {o.measure for o in self.plan.obligations}
        for number, measure in sorted(self.plan.measures.items()):
            if number not in with_obligations:
                why = "计划中没有任何对应的工作安排"
            elif not by_measure[number]:
                why = "本期内日历中没有任何活动"
            else:
                continue
            self.add(kind="uncovered_measure", severity="high", measure=number, obligation=None,
                     unit=measure.units[0] if measure.units else None, slot=None,
                     start=self.start, end=self.end,
                     message=f"措施{number}“{measure.title}”{why}")

    def slots(self) -> None:
        """Unfilled slots: fewer live events than the rule requires."""
        groups: dict[tuple, list[Entry]] = defaultdict(list)
        for e in self.entries:
            if not e.obligation or e.obligation not in self.obligations:
                continue
            obligation = self.obligations[e.obligation]
            who = e.lead if obligation.fanout else ""
            groups[(e.obligation, e.slot, who)].append(e)
        for (oid, slot, who), events in sorted(groups.items()):
            planned = [e for e in events if e.origin == "plan" and not e.orphaned]
            if not planned or not self.in_period(events[0].slot_start, events[0].slot_end):
                continue
            obligation = self.obligations[oid]
            rule = obligation.rule
            need = rule.least if isinstance(rule, TimesAYear) else len(planned)
            live = [e for e in events if e.live]
            if len(live) >= need:
                continue
            first, stop = events[0].slot_start, events[0].slot_end
            late = (self.today - stop).days
            severity = _lateness(late) if late >= 0 else "medium" if first <= self.today else "low"
            unit = who or obligation.lead
            self.add(kind="unfilled_slot", severity=severity, measure=obligation.measure,
                     obligation=oid, unit=unit, slot=slot, start=first, end=stop,
                     message=f"{obligation.title}：时段{slot}应有{need}次，现有{len(live)}次"
                             f"（已取消且未补办）", uids=tuple(e.uid for e in events))

    def overdue(self) -> None:
        grace = timedelta(days=self.settings.overdue_days)
        for e in self.entries:
            if not e.live or e.status != "planned":
                continue
            stop = _end_day(e)
            if stop + grace > self.today or not self.in_period(_day(e.start), stop):
                continue
            late = (self.today - stop).days + 1
            self.add(kind="overdue", severity=_lateness(late), measure=e.measure or None,
                     obligation=e.obligation or None, unit=e.lead, slot=e.slot,
                     start=_day(e.start), end=stop,
                     message=f"{e.title}（{_day(e.start)}）已过{late}天，尚未记录完成或取消",
                     uids=(e.uid,))

    def targets(self) -> None:
        done = defaultdict(list)
        for e in self.entries:
            if e.status == "done" and e.obligation:
                done[e.obligation].append(e)
        for obligation in self.plan.obligations:
            target = obligation.target
            if target is None:
                continue
            if target.kind == "quota":
                self.quota(obligation, done[obligation.id])
            else:
                self.milestone(obligation, done[obligation.id])

    def quota(self, obligation: Obligation, done: list[Entry]) -> None:
        target = obligation.target
        for year in range(self.start.year, (self.end - ONE_DAY).year + 1):
            first, stop = date(year, 1, 1), date(year + 1, 1, 1)
            if first > self.today or not (self.plan.start <= first < self.plan.end):
                continue
            share = min(1.0, ((self.today - first).days + 1) / (stop - first).days)
            due = target.amount * share
            got = sum(e.attendance or 0 for e in done if _day(e.done_on or e.start).year == year)
            self.progress.append(Progress("quota", obligation.id, obligation.measure,
                                          obligation.title, obligation.lead, str(year),
                                          target.amount, due, got))
            if got >= due:
                continue
            gap = 1 - got / due if due else 0
            severity = "high" if gap > 0.5 and share >= 0.5 else "medium" if gap > 0.25 else "low"
            self.add(kind="quota_behind", severity=severity, measure=obligation.measure,
                     obligation=obligation.id, unit=obligation.lead, slot=str(year),
                     start=first, end=stop,
                     message=f"{obligation.title}：{year}年已记录{got}{target.unit}，按进度应达"
                             f"{due:.0f}{target.unit}（全年目标{target.amount}{target.unit}）")

    def milestone(self, obligation: Obligation, done: list[Entry]) -> None:
        target = obligation.target
        since = target.since or self.plan.start
        by = target.by
        if since > self.today:
            return
        span = max(1, (by - since).days + 1)
        share = min(1.0, ((self.today - since).days + 1) / span)
        due = target.amount * share
        units = obligation.units if obligation.fanout else (obligation.lead,)
        for unit in units:
            got = sum(e.attendance or 0 for e in done if not obligation.fanout or e.lead == unit)
            period = f"{since}—{by}"
            self.progress.append(Progress("milestone", obligation.id, obligation.measure,
                                          obligation.title, unit, period, target.amount, due, got))
            if got >= due:
                continue
            late = self.today > by
            severity = "high" if late or (share >= 0.5 and got < due / 2) else "medium"
            self.add(kind="milestone_behind", severity=severity, measure=obligation.measure,
                     obligation=obligation.id, unit=unit, slot=f"by-{by}", start=since,
                     end=by + ONE_DAY,
                     message=f"{obligation.title}：已记录{got}{target.unit}，按进度应达{due:.0f}"
                             f"{target.unit}（{by}前目标{target.amount}{target.unit}）"
                             + ("，已过期限" if late else ""))

    def rotations(self) -> None:
        for obligation in self.plan.obligations:
            if not isinstance(obligation.rule, Rotation):
                continue
            visits = [e for e in self.entries if e.obligation == obligation.id]
            reached = {e.slot for e in visits if e.status == "done"}
            for e in visits:
                start = _day(e.start)
                if (e.slot in reached or not e.live or e.origin != "plan"
                        or start <= self.today or not self.in_period(e.slot_start, e.slot_end)):
                    continue  # reached, or already an overdue or unfilled finding
                place = e.slot.split("/", 1)[1]
                left = (e.slot_end - self.today).days
                severity = "medium" if left < 120 else "info"
                self.add(kind="rotation_uncovered", severity=severity, measure=obligation.measure,
                         obligation=obligation.id, unit=obligation.lead, slot=e.slot,
                         start=e.slot_start, end=e.slot_end,
                         message=f"{obligation.title}尚未到达{self.name(place)}，计划于{start}，"
                                 f"本轮剩余{left}天", uids=(e.uid,))

    def idle_units(self) -> None:
        months = firsts(self.start, self.end)
        busy = defaultdict(set)
        for e in self.entries:
            if e.live:
                for unit in e.units:
                    busy[unit].add(_day(e.start).replace(day=1))
        n = max(1, self.settings.idle_months)
        for unit in self.plan.units:
            run: list[date] = []
            for month in [*months, None]:
                if month is not None and month not in busy[unit]:
                    run.append(month)
                    continue
                if len(run) >= n:
                    stop = following(run[-1])
                    self.add(kind="idle_unit", severity="high" if len(run) >= 2 * n else "medium",
                             measure=None, obligation=None, unit=unit, slot=None,
                             start=run[0], end=stop,
                             message=f"{self.name(unit)}连续{len(run)}个月（{run[0]:%Y-%m}至"
                                     f"{run[-1]:%Y-%m}）没有任何活动")
                run = []

    def overloads(self) -> None:
        per_day, per_week = defaultdict(list), defaultdict(list)
        for e in self.entries:
            start = _day(e.start)
            if not e.live or not self.in_period(start, start + ONE_DAY):
                continue
            if e.flexible and not self.plan.calendar.is_workday(start):
                self.add(kind="overload", severity="low", measure=e.measure or None,
                         obligation=e.obligation or None, unit=e.lead, slot=e.slot,
                         start=start, end=start + ONE_DAY,
                         message=f"{e.title}安排在休息日{start}", uids=(e.uid,))
            iso = start.isocalendar()
            for unit in e.units:
                per_day[(unit, start)].append(e.uid)
                per_week[(unit, iso.year, iso.week)].append(e.uid)
        day_cap, week_cap = self.settings.overload_day, self.settings.overload_week
        for (unit, day), uids in sorted(per_day.items()):
            if len(uids) > day_cap:
                self.add(kind="overload", severity="medium", measure=None, obligation=None,
                         unit=unit, slot=day.isoformat(), start=day, end=day + ONE_DAY,
                         message=f"{self.name(unit)}在{day}有{len(uids)}项活动（上限{day_cap}）",
                         uids=tuple(uids))
        for (unit, year, week), uids in sorted(per_week.items()):
            if len(uids) > week_cap:
                monday = date.fromisocalendar(year, week, 1)
                self.add(kind="overload", severity="low", measure=None, obligation=None,
                         unit=unit, slot=f"{year}-W{week:02d}", start=monday,
                         end=monday + timedelta(days=7),
                         message=f"{self.name(unit)}在{year}年第{week}周有{len(uids)}项活动"
                                 f"（上限{week_cap}）", uids=tuple(uids))

    def heat(self) -> dict[str, dict[str, tuple[int, int]]]:
        overdue = {u for f in self.findings if f.kind == "overdue" for u in f.uids}
        cells: dict[str, dict[str, list[int]]] = {u: {} for u in self.plan.units}
        for e in self.entries:
            start = _day(e.start)
            if not e.live or not self.in_period(start, start + ONE_DAY):
                continue
            month, late = start.isoformat()[:7], e.uid in overdue
            for unit in e.units:
                cell = cells.setdefault(unit, {}).setdefault(month, [0, 0])
                cell[0] += 1
                cell[1] += late
        return {u: {m: (c[0], c[1]) for m, c in row.items()} for u, row in cells.items()}


def analyse(plan: Plan, entries: list[Entry], today: date, start: date | None = None,
            end: date | None = None) -> Report:
    """Every finding for [start, end) as of `today` (default period: the plan's)."""
    start, end = start or plan.start, end or plan.end
    run = _Analysis(plan, entries, today, start, end)
    run.uncovered_measures()
    run.slots()
    run.overdue()
    run.targets()
    run.rotations()
    run.idle_units()
    run.overloads()
    order = {k: i for i, k in enumerate(KINDS)}
    findings = sorted(run.findings, key=lambda f: (-SEVERITIES.index(f.severity),
                                                  order[f.kind], f.start, f.unit or "",
                                                  f.slot or "", f.obligation or ""))
    return Report(today, start, end, findings, run.progress, run.heat())


def only(report: Report, plan: Plan, unit: str | None = None,
         category: str | None = None) -> Report:
    """The report narrowed to one unit's findings and/or one category's measures."""
    def keep(f: Finding) -> bool:
        if unit and f.unit != unit:
            return False
        return not (category and (f.measure is None or plan.measures[f.measure].category != category))

    progress = [p for p in report.progress if (not unit or p.unit == unit)
                and (not category or plan.measures[p.measure].category == category)]
    heat = {u: row for u, row in report.heat.items() if not unit or u == unit}
    return Report(report.as_of, report.start, report.end, [f for f in report.findings if keep(f)],
                  progress, heat)

