"""Lights, completion rates and ranking: how each unit and each measure stands against its
deadlines as of `today`, the way county supervision (督查督办) shows it. Pure: the plan, the
stored events, the gap report and what the history says of reports in; values out.

The rules (also printed on the dashboard, see `RULES`):
- an event is *due* once it has ended (or as soon as it is reported done); a cancelled event
  is due, and not done, only while its slot lacks it (cancelled and not made up);
- red: an event overdue (ended more than `overdue_days` ago, nothing recorded), a slot
  cancelled and not made up, or a quota or milestone behind its pace by `pace_margin`
  percent or more;
- amber: none of that, but a report falls overdue within `warn_days`, or a quota or
  milestone is behind its pace by less than `pace_margin` percent;
- green: none of that: nothing overdue, missed or falling overdue soon, quotas and
  milestones on pace;
- a unit with no event in the period, or none due yet, has no light (本期无活动, 尚无到期事项).
Each event counts for its lead unit, who reports it; an obligation reported by period counts by
its report tasks, not its events. Idle months and crowded days are notes
on the plan's arrangement and change no light.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from ..formats.words import cn_date, cn_period
from ..model import Entry, Light, Plan, Reported, Settings, days
from ..months import firsts
from .gaps import Progress, Report, analyse, only

LIGHTS: tuple[Light, ...] = ("red", "amber", "green", "none")  # worst first
LIGHT_CN: dict[Light, str] = {"red": "红灯", "amber": "黄灯", "green": "绿灯", "none": "无"}


def rules(settings: Settings) -> dict[str, str]:
    """The rules as the coordinator reads them, with this plan's numbers."""
    d, w, m = settings.overdue_days, settings.warn_days, settings.pace_margin
    return {
        "red": f"有活动结束超过{d}天仍未登记（逾期未报），有活动取消后未补办，"
               f"或年度指标、目标进度落后于应达进度{m}%及以上。",
        "amber": f"没有红灯情形，但有活动将在{w}天内逾期而尚未登记，有登记被退回待补充，"
                 f"或年度指标、目标进度落后于应达进度不足{m}%。",
        "green": "没有逾期未报、取消未补办和即将逾期的活动，年度指标和目标进度达到应达进度。",
        "rate": "完成率 = 已登记完成的活动 ÷ 应办的活动（已结束的活动，及取消后未补办的活动）。"
                "每项活动计入其牵头单位。按期汇总报送的工作（如每日推送）每期计一项报送任务，"
                "不逐日计。" + ("登记须经县科协复核通过才计为完成。" if settings.review == "required"
                       else "退回待补充的登记不计为完成。"),
    }


@dataclass(frozen=True)
class Tally:
    """Counts of one unit's (or measure's, or month's) events."""

    events: int = 0  # live in the period, due or not
    due: int = 0
    done: int = 0
    overdue: int = 0
    missed: int = 0  # cancelled, slot not made up
    soon: int = 0  # a report falls overdue within warn_days
    returned: int = 0  # its report returned by the coordinator, to be completed (待补充)
    unreviewed: int = 0  # reported, but counted done only once passed (review: required)

    @property
    def rate(self) -> float | None:
        return self.done / self.due if self.due else None

    def __add__(self, other: Tally) -> Tally:
        return Tally(*(a + b for a, b in zip(self.astuple(), other.astuple(), strict=True)))

    def astuple(self) -> tuple[int, ...]:
        return (self.events, self.due, self.done, self.overdue, self.missed, self.soon,
                self.returned, self.unreviewed)


@dataclass(frozen=True)
class Pace:
    """A quota or milestone with its light."""

    progress: Progress
    light: Light


@dataclass(frozen=True)
class Standing:
    id: str  # the unit id, or the measure's number as text
    name: str
    light: Light
    reasons: tuple[str, ...]
    tally: Tally
    paces: tuple[Pace, ...] = ()
    rank: int | None = None
    lead: str = ""  # a measure's lead unit (its name)
    last_report: date | None = None
    findings: int = 0

    @property
    def light_cn(self) -> str:
        return LIGHT_CN[self.light]


@dataclass(frozen=True)
class Stage:
    """Where the plan stands on `today`: before | running | over, and a sentence saying so."""

    state: str
    text: str


@dataclass(frozen=True)
class Review:
    """Everything the supervision views show, for [start, end) as of `as_of`."""

    as_of: date
    start: date
    end: date
    report: Report
    units: tuple[Standing, ...]  # ranked; units with nothing due last
    measures: tuple[Standing, ...]
    heat: dict[str, dict[str, Tally]]  # unit -> "YYYY-MM" -> tally
    months: tuple[str, ...]
    total: Tally
    stage: Stage
    paces: tuple[Pace, ...]
    settings: Settings = field(default_factory=Settings)

    @property
    def last(self) -> date:
        return self.end - timedelta(days=1)

    def count(self, light: Light) -> int:
        return sum(1 for s in self.units if s.light == light)


def deadline(entry: Entry, overdue_days: int) -> date:
    """The last day to report an event before it counts as overdue."""
    return entry.overdue_since(overdue_days) - timedelta(days=1)


def due_soon(entry: Entry, today: date, settings: Settings) -> bool:
    """Not reported, not overdue yet, but will be within warn_days."""
    if not entry.live or entry.status != "planned" or not entry.reported_alone:
        return False
    left = (entry.overdue_since(settings.overdue_days) - today).days
    return 0 < left <= settings.warn_days


@dataclass(frozen=True)
class Reminders:
    """What a unit must report: overdue (oldest first) and falling due soon (by deadline)."""

    overdue: tuple[Entry, ...]
    soon: tuple[Entry, ...]


def reminders(entries: list[Entry], unit: str, today: date, settings: Settings) -> Reminders:
    """The top of a unit's home page: the events it leads that wait for its report."""
    mine = [e for e in entries if e.units and e.lead == unit and not e.orphaned]
    overdue = sorted((e for e in mine if e.overdue(today, settings.overdue_days)),
                     key=lambda e: (e.after, e.uid))
    soon = sorted((e for e in mine if due_soon(e, today, settings)),
                  key=lambda e: (e.after, e.uid))
    return Reminders(tuple(overdue), tuple(soon))


def stage(plan: Plan, today: date) -> Stage:
    last = plan.last
    period = f"实施期{cn_period(plan.start, plan.end)}"
    if today < plan.start:
        return Stage("before", f"{period}尚未开始（还有{(plan.start - today).days}天），暂无到期事项。")
    if today >= plan.end:
        return Stage("over", f"{period}已于{cn_date(last)}结束，以下为最终完成情况。")
    if today == last:
        return Stage("running", f"{period}，今天是最后一天。")
    share = ((today - plan.start).days + 1) / (plan.end - plan.start).days
    return Stage("running", f"{period}，已过{share:.0%}，还剩{(last - today).days}天。")


# What one event adds to its unit's, measure's and month's tallies, by its state as of today.
_ADDS = {"missed": Tally(due=1, missed=1), "gone": Tally(), "done": Tally(events=1, due=1, done=1),
         "overdue": Tally(events=1, due=1, overdue=1), "waiting": Tally(events=1, due=1),
         "waiting-soon": Tally(events=1, due=1, soon=1), "ahead": Tally(events=1),
         "ahead-soon": Tally(events=1, soon=1), "returned": Tally(events=1, due=1, returned=1),
         "unreviewed": Tally(events=1, due=1, unreviewed=1)}


def _state(entry: Entry, today: date, settings: Settings, missed: frozenset[str]) -> str:
    if entry.uid in missed:
        return "missed"
    if not entry.live or not entry.reported_alone:
        return "gone"  # or counted in its period's report task
    if entry.status == "done":
        if entry.counts_done(settings.review):
            return "done"
        return "returned" if entry.review == "returned" else "unreviewed"
    if entry.overdue(today, settings.overdue_days):
        return "overdue"
    state = "waiting" if entry.after <= today else "ahead"
    return state + "-soon" if due_soon(entry, today, settings) else state


def _summed(states: Counter) -> Tally:
    """A tally from how many events were in each state: counted, then added up once (adding
    tallies event by event was a third of the review's time)."""
    return Tally(*(sum(n * _ADDS[state].astuple()[i] for state, n in states.items())
                   for i in range(len(Tally().astuple()))))


def _pace(progress: Progress, margin: int) -> Pace:
    if not progress.judged:
        return Pace(progress, "none")
    if progress.behind <= 0:
        return Pace(progress, "green")
    return Pace(progress, "amber" if progress.behind * 100 < margin else "red")


def _light(tally: Tally, paces: list[Pace], settings: Settings, extra_red: tuple[str, ...] = ()
           ) -> tuple[Light, tuple[str, ...]]:
    red = list(extra_red)
    if tally.overdue:
        red.append(f"逾期未报{tally.overdue}项")
    if tally.missed:
        red.append(f"取消未补办{tally.missed}项")
    red += _behind(paces, "red", "落后于进度")
    if red:
        return "red", tuple(red)
    amber = [f"{tally.soon}项将在{settings.warn_days}天内逾期"] if tally.soon else []
    amber += [f"退回待补充{tally.returned}项"] if tally.returned else []
    amber += _behind(paces, "amber", "略落后于进度")
    if amber:
        return "amber", tuple(amber)
    if not tally.events and not tally.due and not paces:
        return "none", ("本期无活动",)
    if not tally.due and not paces:
        return "none", ("尚无到期事项",)
    waiting = tally.due - tally.done - tally.missed - tally.overdue - tally.unreviewed
    said = [f"{waiting}项待登记（未到期限）"] if waiting else []
    said += [f"{tally.unreviewed}项待复核"] if tally.unreviewed else []
    return "green", ("按期推进，" + "，".join(said),) if said else ("按期完成",)


def lead_name(plan: Plan, units: tuple[str, ...]) -> str:
    """Who leads a measure, as the table says it: a group (各乡镇) the seed puts first is named
    as the group, not as its first member."""
    for group in plan.groups.values():
        if len(group.members) > 1 and units[:len(group.members)] == group.members:
            return group.name
    return plan.units[units[0]].name if units else ""


def _behind(paces: list[Pace], light: Light, words: str) -> list[str]:
    """One reason per quota or milestone, however many of its years are behind."""
    years: dict[str, int] = {}
    for p in paces:
        if p.light == light:
            years[p.progress.title] = years.get(p.progress.title, 0) + 1
    return [f"{title}{words}" + (f"（{n}个年度）" if n > 1 else "") for title, n in years.items()]


def _ranked(standings: list[Standing]) -> list[Standing]:
    """By completion rate, then fewer overdue and missed, then the milder light; equal keys
    share a rank (1, 2, 2, 4). Units with nothing due yet follow, unranked, in plan order."""
    def key(s: Standing) -> tuple:
        return (-(s.tally.rate or 0), s.tally.overdue + s.tally.missed, -LIGHTS.index(s.light))

    rated = sorted((s for s in standings if s.tally.due), key=key)  # stable: plan order in ties
    out, previous, rank = [], None, 0
    for place, s in enumerate(rated, start=1):
        if key(s) != previous:
            rank, previous = place, key(s)
        out.append(replace(s, rank=rank))
    return out + [s for s in standings if not s.tally.due]


def review(plan: Plan, entries: list[Entry], today: date, start: date | None = None,
           end: date | None = None, settings: Settings | None = None,
           reports: Mapping[str, Reported] | None = None, unit: str | None = None,
           category: str | None = None) -> Review:
    """Lights, rates, ranking and the heat map for [start, end) (default: the plan period)
    as of `today`. `reports` (Store.reports) gives each unit's last report; without it the
    views show none. `unit` keeps one unit's standing and findings; `category` judges only
    the measures of one key task."""
    settings = settings or plan.settings
    start, end = start or plan.start, end or plan.end
    report = analyse(plan, entries, today, start, end, settings)
    if unit or category:
        report = only(report, plan, unit, category)
    if category:
        entries = [e for e in entries if e.category == category]
    reports = reports or {}
    unit_states: dict[str, Counter] = defaultdict(Counter)
    measure_states: dict[int, Counter] = defaultdict(Counter)
    month_states: dict[tuple[str, str], Counter] = defaultdict(Counter)
    last: dict[str, date] = {}
    for e in entries:
        first, after = days(e.start, e.end)
        if e.orphaned or not e.units or not (first < end and after > start):
            continue
        state = _state(e, today, settings, report.missed)
        unit_states[e.lead][state] += 1
        measure_states[e.measure][state] += 1
        month_states[(e.lead, f"{first:%Y-%m}")][state] += 1
        seen = reports.get(e.uid)
        if seen is not None and (e.lead not in last or seen.at.date() > last[e.lead]):
            last[e.lead] = seen.at.date()
    by_unit = defaultdict(Tally, {u: _summed(c) for u, c in unit_states.items()})
    by_measure = defaultdict(Tally, {m: _summed(c) for m, c in measure_states.items()})
    heat: dict[str, dict[str, Tally]] = defaultdict(dict)
    for (lead, month), states in month_states.items():
        heat[lead][month] = _summed(states)
    paces = tuple(_pace(p, settings.pace_margin) for p in report.progress)
    findings: defaultdict[str | None, int] = defaultdict(int)
    for f in report.findings:
        findings[f.unit] += 1
    units = []
    for one in plan.units.values():
        if unit and one.id != unit:
            continue
        mine = [p for p in paces if p.progress.unit == one.id]
        light, why = _light(by_unit[one.id], mine, settings)
        units.append(Standing(one.id, one.name, light, why, by_unit[one.id], tuple(mine),
                              last_report=last.get(one.id), findings=findings[one.id]))
    uncovered = {f.measure for f in report.findings if f.kind == "uncovered_measure"}
    measures = []
    for number, measure in sorted(plan.measures.items()):
        if category and measure.category != category:
            continue
        mine = [p for p in paces if p.progress.measure == number]
        light, why = _light(by_measure[number], mine, settings,
                            ("没有安排活动",) if number in uncovered else ())
        lead = lead_name(plan, measure.units)
        count = sum(1 for f in report.findings if f.measure == number)
        measures.append(Standing(str(number), measure.title, light, why, by_measure[number],
                                 tuple(mine), lead=lead, findings=count))
    total = sum(by_unit.values(), Tally())
    months = tuple(f"{m:%Y-%m}" for m in firsts(start, end))
    return Review(today, start, end, report, tuple(_ranked(units)), tuple(measures),
                  dict(heat), months, total, stage(plan, today),
                  paces, settings)

