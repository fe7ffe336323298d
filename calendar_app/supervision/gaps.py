"""The coordinator's gap report: what the plan requires against what the calendar holds and
what the units reported. Pure: the plan, the stored events, `today` and the period in,
findings out; no clock, no I/O.

The analysis first finds one detail per cause: a past event with nothing recorded is
`overdue`; a slot whose events were all cancelled (and not made up) is `unfilled_slot`; a
rotation place still to be reached is `rotation_uncovered` only while its visit lies ahead.
`aggregate` then folds the details into findings, one per problem of one obligation for one
unit ("崇阳网推送逾期未报214次"), which is what a person reads; `Report.detail` keeps the
details for `gaps --detail`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta

from ..formats.words import cn_date, cn_months, cn_period
from ..model import ONE_DAY, SEVERITIES, Entry, Obligation, Plan, Settings, Severity, Target, day_of
from ..months import firsts, following
from ..plan.rules import Rotation, TimesAYear
from ..schedule.expansion import title_across_years

KINDS = ("uncovered_measure", "unfilled_slot", "overdue", "quota_behind", "milestone_behind",
         "rotation_uncovered", "idle_unit", "overload")
# Notes on the plan's arrangement rather than a unit's failure: they change no light.
HINTS = ("rotation_uncovered", "idle_unit", "overload")


@dataclass(frozen=True)
class Finding:
    """One problem: of one event or slot (a detail), or of one obligation for one unit with
    every event it covers (`count` of them, from `start` to `end`, exclusive)."""

    kind: str
    severity: Severity
    measure: int | None
    obligation: str | None
    unit: str | None
    slot: str | None
    start: date
    end: date  # exclusive
    message: str
    uids: tuple[str, ...] = ()
    title: str = ""  # what it is about: the obligation's (or event's) title, for the summary
    count: int = 1  # events it covers; for an unfilled slot, the events lacking
    note: str = ""  # what tells a detail from its siblings, for the summary of them all

    @property
    def last(self) -> date:
        return self.end - ONE_DAY

    def as_json(self) -> dict:
        return {"kind": self.kind, "severity": self.severity, "measure": self.measure,
                "obligation": self.obligation, "unit": self.unit, "slot": self.slot,
                "start": self.start.isoformat(), "end": self.end.isoformat(),
                "message": self.message, "uids": list(self.uids), "title": self.title,
                "count": self.count, "first": self.start.isoformat(),
                "last": self.last.isoformat(), "events": list(self.uids)}


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
    what: str = ""  # what is counted: 人次, 名 ...
    over: bool = False  # the year or the deadline has passed: what is recorded is final
    # False for a deadline before the plan began (the table's 2020 volunteer count): nothing
    # in the calendar could meet it, so it is shown as a target and judged by no light.
    judged: bool = True

    @property
    def behind(self) -> float:
        """How far behind the pace, as a share of it: 0 when on pace or ahead."""
        if not self.judged or not self.due_now:
            return 0.0
        return max(0.0, 1 - self.recorded / self.due_now)


@dataclass
class Report:
    as_of: date
    start: date
    end: date
    findings: list[Finding]  # aggregated: one per problem, most severe first
    progress: list[Progress]
    detail: list[Finding]  # one per event or slot
    missed: frozenset[str] = frozenset()  # cancelled events whose slot is still short

    def at_least(self, severity: Severity) -> list[Finding]:
        floor = SEVERITIES.index(severity)
        return [f for f in self.findings if SEVERITIES.index(f.severity) >= floor]


def _when(e: Entry) -> tuple[date, str]:
    """Events in date order, whatever order they came in."""
    return day_of(e.start), e.uid


def _lateness(days: int) -> str:
    return "high" if days > 60 else "medium" if days > 14 else "low"


class _Analysis:
    def __init__(self, plan: Plan, entries: list[Entry], today: date, start: date, end: date,
                 settings: Settings):
        self.plan, self.today, self.start, self.end = plan, today, start, end
        self.entries = entries
        self.obligations = {o.id: o for o in plan.obligations}
        # What findings call each obligation: one title for all its years (read once).
        self.titles = {o.id: title_across_years(o) for o in plan.obligations}
        self.settings = settings
        self.findings: list[Finding] = []
        self.progress: list[Progress] = []
        self.missed: set[str] = set()

    def name(self, unit: str) -> str:
        return self.plan.units[unit].name if unit in self.plan.units else unit

    def add(self, **fields) -> None:
        self.findings.append(Finding(**fields))

    def in_period(self, first: date, stop: date) -> bool:
        return first < self.end and stop > self.start

    # -- the kinds ---------------------------------------------------------------------

    def uncovered_measures(self) -> None:
        """A measure with no obligation; or, for each whole year of the period inside the
        plan, a measure with no live event that year (a shorter period proves nothing)."""
        with_obligations = {o.measure for o in self.plan.obligations}
        years = [y for y in range(self.start.year, self.end.year + 1)
                 if self.start <= date(y, 1, 1) and date(y + 1, 1, 1) <= self.end
                 and self.plan.start <= date(y, 1, 1) < self.plan.end]
        busy = {(e.measure, day_of(e.start).year) for e in self.entries
                if e.live and e.kind == "event"}
        for number, measure in sorted(self.plan.measures.items()):
            lead = measure.units[0] if measure.units else None
            common = dict(kind="uncovered_measure", severity="high", measure=number,
                          obligation=None, unit=lead, title=measure.title)
            if number not in with_obligations:
                self.add(**common, slot=None, start=self.start, end=self.end,
                         message=f"措施{number}“{measure.title}”计划中没有任何对应的工作安排")
                continue
            for year in years:
                if (number, year) not in busy:
                    self.add(**common, slot=str(year), start=date(year, 1, 1),
                             end=date(year + 1, 1, 1),
                             message=f"措施{number}“{measure.title}”{year}年日历中没有任何活动")

    def slots(self) -> None:
        """Unfilled slots: fewer live events than the rule requires."""
        groups: dict[tuple, list[Entry]] = defaultdict(list)
        for e in self.entries:
            # A period's report counts the events it reports on, and says which were missed.
            if not e.obligation or e.obligation not in self.obligations or e.kind == "report" \
                    or not e.reported_alone:
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
            cancelled = sorted((e for e in planned if e.status == "cancelled"),
                               key=lambda e: (day_of(e.start), e.uid))
            self.missed.update(e.uid for e in cancelled[:need - len(live)])
            first, stop = events[0].slot_start, events[0].slot_end
            late = (self.today - stop).days
            severity = _lateness(late) if late >= 0 else "medium" if first <= self.today else "low"
            unit, title = who or obligation.lead, self.titles[oid]
            self.add(kind="unfilled_slot", severity=severity, measure=obligation.measure,
                     obligation=oid, unit=unit, slot=slot, start=first, end=stop,
                     title=title, count=need - len(live),
                     message=f"{title}：{cn_period(first, stop)}应办{need}次，"
                             f"现有{len(live)}次（已取消且未补办）",
                     uids=tuple(e.uid for e in sorted(events, key=_when)))

    def overdue(self) -> None:
        for e in self.entries:
            if not e.overdue(self.today, self.settings.overdue_days):
                continue
            obligation = self.obligations.get(e.obligation)
            if obligation and obligation.target and obligation.target.kind == "milestone":
                continue  # its deadline unreported is the milestone's finding, said once
            stop = e.after
            if not self.in_period(day_of(e.start), stop):
                continue
            late = (self.today - stop).days + 1
            when = f"截止{cn_date(day_of(e.start))}" if e.kind == "report" else \
                cn_date(day_of(e.start))
            self.add(kind="overdue", severity=_lateness(late), measure=e.measure or None,
                     obligation=e.obligation or None, unit=e.lead, slot=e.slot,
                     start=day_of(e.start), end=stop,
                     title=self.titles.get(e.obligation, e.title),
                     message=f"{e.title}（{when}）逾期未报，已过{late}天",
                     uids=(e.uid,))

    def targets(self) -> None:
        done: defaultdict[str, list[Entry]] = defaultdict(list)
        for e in self.entries:
            if e.status == "done" and e.obligation:
                done[e.obligation].append(e)
        for obligation in self.plan.obligations:
            target = obligation.target
            if target is None:
                continue
            if target.kind == "quota":
                self.quota(obligation, target, done[obligation.id])
            elif target.by is not None:
                self.milestone(obligation, target, target.by, done[obligation.id])

    def quota(self, obligation: Obligation, target: Target, done: list[Entry]) -> None:
        title = self.titles[obligation.id]
        for year in range(self.start.year, (self.end - ONE_DAY).year + 1):
            first, stop = date(year, 1, 1), date(year + 1, 1, 1)
            if first > self.today or not (self.plan.start <= first < self.plan.end):
                continue
            share = min(1.0, ((self.today - first).days + 1) / (stop - first).days)
            due = target.amount * share
            got = sum(e.attendance or 0 for e in done if day_of(e.done_on or e.start).year == year)
            self.progress.append(Progress("quota", obligation.id, obligation.measure,
                                          title, obligation.lead, str(year),
                                          target.amount, due, got, target.unit, share >= 1))
            if got >= due:
                continue
            gap = 1 - got / due if due else 0
            severity = "high" if gap > 0.5 and share >= 0.5 else "medium" if gap > 0.25 else "low"
            what = target.unit
            # A year that is over has no pace left, only its target.
            note = (f"{year}年已记录{got}{what}，全年目标{target.amount}{what}" if share >= 1
                    else f"{year}年已记录{got}{what}，按进度应达{due:.0f}{what}")
            tail = "" if share >= 1 else f"（全年目标{target.amount}{what}）"
            self.add(kind="quota_behind", severity=severity, measure=obligation.measure,
                     obligation=obligation.id, unit=obligation.lead, slot=str(year),
                     start=first, end=stop, title=title, note=note,
                     message=f"{title}：{note}{tail}")

    def milestone(self, obligation: Obligation, target: Target, by: date,
                  done: list[Entry]) -> None:
        """`by`: the milestone's deadline (`target.by`)."""
        title = self.titles[obligation.id]
        since = target.since or self.plan.start
        if since > self.today:
            return
        span = max(1, (by - since).days + 1)
        share = min(1.0, ((self.today - since).days + 1) / span)
        due = target.amount * share
        if max(by, self.plan.start) < self.start or since >= self.end:
            return
        units = obligation.units if obligation.fanout else (obligation.lead,)
        late = self.today > by
        # A deadline before the plan began (the table's 2020 volunteer count) is a target no
        # event of the calendar could meet: shown, never judged behind.
        judged = by >= self.plan.start
        what = target.unit
        for unit in units:
            got = sum(e.attendance or 0 for e in done if not obligation.fanout or e.lead == unit)
            period = f"{since}—{by}" if since < by else f"{by}前"
            self.progress.append(Progress("milestone", obligation.id, obligation.measure,
                                          title, unit, period, target.amount, due,
                                          got, what, late, judged))
            if got >= due or not judged:
                continue
            severity = "high" if late or (share >= 0.5 and got < due / 2) else "medium"
            goal = f"{cn_date(by)}前目标{target.amount}{what}"
            said = (f"已记录{got}{what}，{goal}，已过期限" if late
                    else f"已记录{got}{what}，按进度应达{due:.0f}{what}（{goal}）")
            self.add(kind="milestone_behind", severity=severity, measure=obligation.measure,
                     obligation=obligation.id, unit=unit, slot=f"by-{by}", start=since,
                     end=by + ONE_DAY, title=title, message=f"{title}：{said}")

    def rotations(self) -> None:
        for obligation in self.plan.obligations:
            if not isinstance(obligation.rule, Rotation):
                continue
            visits = [e for e in self.entries if e.obligation == obligation.id]
            title = self.titles[obligation.id]
            reached = {e.slot for e in visits if e.status == "done"}
            for e in visits:
                start = day_of(e.start)
                if (e.slot in reached or not e.live or e.origin != "plan"
                        or start <= self.today or not self.in_period(e.slot_start, e.slot_end)):
                    continue  # reached, or already an overdue or unfilled finding
                place = e.slot.split("/", 1)[1]
                left = (e.slot_end - self.today).days
                severity = "medium" if left < 120 else "info"
                self.add(kind="rotation_uncovered", severity=severity, measure=obligation.measure,
                         obligation=obligation.id, unit=obligation.lead, slot=e.slot,
                         start=e.slot_start, end=e.slot_end, title=title,
                         note=f"{self.name(place)}（计划于{cn_date(start)}）",
                         message=f"{title}尚未到达{self.name(place)}，计划于{cn_date(start)}，"
                                 f"本轮剩余{left}天", uids=(e.uid,))

    def idle_units(self) -> None:
        # Only months the plan covers: a period reaching past it is not idle out there.
        months = firsts(max(self.start, self.plan.start), min(self.end, self.plan.end))
        busy = defaultdict(set)
        for e in self.entries:
            if e.live and e.kind == "event":  # a report is no activity
                for unit in e.units:
                    busy[unit].add(day_of(e.start).replace(day=1))
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
                             start=run[0], end=stop, title=self.name(unit),
                             message=f"{self.name(unit)}连续{len(run)}个月（"
                                     f"{cn_months(run[0], run[-1])}）没有任何活动")
                run = []

    def overloads(self) -> None:
        per_day, per_week = defaultdict(list), defaultdict(list)
        for e in self.entries:
            start = day_of(e.start)
            if not e.live or e.kind == "report" or not self.in_period(start, start + ONE_DAY):
                continue
            if e.flexible and not self.plan.calendar.is_workday(start):
                self.add(kind="overload", severity="low", measure=e.measure or None,
                         obligation=e.obligation or None, unit=e.lead, slot=e.slot,
                         start=start, end=start + ONE_DAY, title=e.title,
                         message=f"{e.title}安排在休息日{cn_date(start)}", uids=(e.uid,))
            iso = start.isocalendar()
            for unit in e.units:
                per_day[(unit, start)].append(e.uid)
                per_week[(unit, iso.year, iso.week)].append(e.uid)
        day_cap, week_cap = self.settings.overload_day, self.settings.overload_week
        for (unit, day), uids in sorted(per_day.items()):
            if len(uids) > day_cap:
                self.add(kind="overload", severity="medium", measure=None, obligation=None,
                         unit=unit, slot=day.isoformat(), start=day, end=day + ONE_DAY,
                         title="day", uids=tuple(sorted(uids)),
                         message=f"{self.name(unit)}在{cn_date(day)}有{len(uids)}项活动（上限{day_cap}）")
        for (unit, year, week), uids in sorted(per_week.items()):
            if len(uids) > week_cap:
                monday = date.fromisocalendar(year, week, 1)
                self.add(kind="overload", severity="low", measure=None, obligation=None,
                         unit=unit, slot=f"{year}-W{week:02d}", start=monday,
                         end=monday + timedelta(days=7), title="week", uids=tuple(sorted(uids)),
                         message=f"{self.name(unit)}在{year}年第{week}周有{len(uids)}项活动"
                                 f"（上限{week_cap}）")


def analyse(plan: Plan, entries: list[Entry], today: date, start: date | None = None,
            end: date | None = None, settings: Settings | None = None) -> Report:
    """Every finding for [start, end) as of `today` (default period: the plan's)."""
    start, end = start or plan.start, end or plan.end
    settings = settings or plan.settings
    run = _Analysis(plan, entries, today, start, end, settings)
    run.uncovered_measures()
    run.slots()
    run.overdue()
    run.targets()
    run.rotations()
    run.idle_units()
    run.overloads()
    detail = sorted(run.findings, key=_order)
    return Report(today, start, end, aggregate(detail, plan, settings), run.progress, detail,
                  frozenset(run.missed))


def _order(f: Finding) -> tuple:
    return (-SEVERITIES.index(f.severity), KINDS.index(f.kind), f.start, f.unit or "",
            f.slot or "", f.obligation or "")


# -- one finding per problem -------------------------------------------------------------------

def aggregate(detail: list[Finding], plan: Plan, settings: Settings) -> list[Finding]:
    """Details of one kind, one obligation (or measure) and one unit as one finding: the
    worst severity, the whole span, every event, and a message that counts them."""
    groups: dict[tuple, list[Finding]] = defaultdict(list)
    for f in detail:
        about = f.obligation or (f.title if f.kind != "overload" else None)
        groups[(f.kind, f.unit, f.measure, about)].append(f)
    found = []
    for parts in groups.values():
        first = parts[0]
        if len(parts) == 1 and not (first.kind == "overload" and first.title in ("day", "week")):
            found.append(first)
            continue
        start = min(f.start for f in parts)
        end = max(f.end for f in parts)
        uids = tuple(dict.fromkeys(u for f in parts for u in f.uids))
        severity = max((f.severity for f in parts), key=SEVERITIES.index)
        slots = [f.slot for f in parts if f.slot]
        slot = slots[0] if len(set(slots)) == 1 else f"{slots[0]}—{slots[-1]}" if slots else None
        count = sum(f.count for f in parts) if first.kind in ("overdue", "unfilled_slot") \
            else len(parts)
        title = first.title if first.kind != "overload" else ""
        merged = replace(first, severity=severity, slot=slot, start=start, end=end, uids=uids,
                         count=count, title=title)
        found.append(replace(merged, message=_summary(merged, parts, plan, settings)))
    return sorted(found, key=_order)


def _summary(f: Finding, parts: list[Finding], plan: Plan, settings: Settings) -> str:
    span = f"（{_spans(parts)}）"
    name = plan.units[f.unit].name if f.unit in plan.units else (f.unit or "")
    if f.kind == "overdue":
        return f"{f.title}：逾期未报{f.count}次{span}"
    if f.kind == "unfilled_slot":
        return f"{f.title}：{len(parts)}个时段的活动已取消且未补办，共少办{f.count}次{span}"
    if f.kind == "uncovered_measure":
        years = "、".join(p.slot for p in parts if p.slot)
        return f"措施{f.measure}“{f.title}”{years}年日历中没有任何活动"
    if f.kind == "quota_behind":
        return f"{f.title}：" + "；".join(p.note for p in parts)
    if f.kind == "rotation_uncovered":
        return f"{f.title}尚未到达{len(parts)}处：{'、'.join(p.note for p in parts)}"
    if f.kind == "idle_unit":
        runs = "、".join(cn_months(p.start, p.last) for p in parts)
        return f"{name}有{len(parts)}段连续{settings.idle_months}个月以上没有任何活动：{runs}"
    kinds = Counter(p.title if p.title in ("day", "week") else "rest" for p in parts)
    said = []
    if kinds["day"]:
        said.append(f"{kinds['day']}天单日活动超过{settings.overload_day}项")
    if kinds["week"]:
        said.append(f"{kinds['week']}周单周活动超过{settings.overload_week}项")
    if kinds["rest"]:
        said.append(f"{kinds['rest']}项灵活安排的活动落在休息日")
    return f"{name}活动过于集中：{'，'.join(said)}{span}"


def _spans(parts: list[Finding]) -> str:
    """When the details fall: runs of consecutive months, or first to last beyond three runs
    (30 pushes in 2024-11 and 8 in 2025-12 are not one stretch from 2024 to 2025)."""
    runs: list[tuple[date, date, int]] = []  # first day, last day, last month's number
    for f in sorted(parts, key=lambda f: f.start):
        month = f.start.year * 12 + f.start.month
        if runs and month <= runs[-1][2] + 1:
            first, last, last_month = runs[-1]
            runs[-1] = (first, max(last, f.last),
                        max(last_month, f.last.year * 12 + f.last.month))
        else:
            runs.append((f.start, f.last, f.last.year * 12 + f.last.month))
    if len(runs) > 3:
        runs = [(runs[0][0], max(r[1] for r in runs), 0)]
    return "、".join(cn_period(a, b + ONE_DAY) for a, b, _ in runs)


def only(report: Report, plan: Plan, unit: str | None = None,
         category: str | None = None) -> Report:
    """The report narrowed to one unit's findings and/or one category's measures."""
    def keep(f: Finding) -> bool:
        if unit and f.unit != unit:
            return False
        return not (category and (f.measure is None or plan.measures[f.measure].category != category))

    progress = [p for p in report.progress if (not unit or p.unit == unit)
                and (not category or plan.measures[p.measure].category == category)]
    return Report(report.as_of, report.start, report.end,
                  [f for f in report.findings if keep(f)], progress,
                  [f for f in report.detail if keep(f)], report.missed)
