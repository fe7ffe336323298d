"""The next period's plan from the current one: the same measures, units and obligations,
moved to the new years. Pure: a plan and the new years in, a plan and notes out; `writer`
writes it into a folder of its own, so the ended period keeps its database, evidence and
exports untouched as its archive.

What moves: the plan's name and dates, each milestone's deadline (and the years its title and
reasons name outside the table's quoted words), rotations and daily rules (they start with the
plan). What is worked out again: the dates of observances set each year (全国科技活动周,
老年健康宣传周 ...), by their rule, and marked as estimated until announced. What the working
calendar cannot know yet (holidays of years without 调休 data, school terms not in the table)
is said in the notes; events on such days already say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date

from ..errors import CalendarAppError
from ..model import ONE_DAY, Obligation, Plan, Target
from . import rules
from .draft import named_for
from .workdays import Observance, WorkCalendar

_QUOTED = re.compile(r"(“[^”]*”)")


@dataclass
class NextPlan:
    plan: Plan
    notes: list[str] = field(default_factory=list)
    estimated: list[int] = field(default_factory=list)  # years without holiday data


def next_period(plan: Plan, first: int, last: int) -> NextPlan:
    """`plan` moved to the years `first` to `last`; CalendarAppError when those years do not
    come after the current period."""
    old_first, old_last = plan.start.year, plan.last.year
    if first <= old_last:
        what = "overlaps" if last >= old_first else "comes before"
        raise CalendarAppError(f"--period {first}-{last} {what} the current period "
                               f"{old_first}-{old_last}; the next period starts in "
                               f"{old_last + 1} or later")
    shift = first - old_first
    start, end = date(first, 1, 1), date(last + 1, 1, 1)
    notes: list[str] = []
    obligations = tuple(_moved(o, shift, notes) for o in plan.obligations)
    calendar = _calendar(plan.calendar, start, end, notes)
    estimated = [y for y in range(first, last + 1) if calendar.is_estimated(y)]
    if estimated:
        notes.append(f"holidays: no statutory holiday data for {_years(estimated)} yet; their "
                     "working days are reckoned by weekends only (add calendar.holidays from "
                     "the State Council's notice each year)")
    notes.append(f"the measures' texts and quotes are the {old_first}-{old_last} table's: when "
                 "the new period's table is issued, read it with `calendar-app plan import`")
    moved = replace(plan, name=named_for(plan.name, first, last), start=start, end=end,
                    obligations=obligations, calendar=calendar, notes=())
    return NextPlan(moved, notes, estimated)


def _years(years: list[int]) -> str:
    return ", ".join(str(y) for y in years)


def _later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 02-29 in a year without it
        return day.replace(year=day.year + years, day=28)


def _shift_words(text: str, old: int, new: int) -> str:
    """`old`年 as `new`年 in a title or reason, but not inside the table's quoted words."""
    return "".join(part if _QUOTED.fullmatch(part) else part.replace(f"{old}年", f"{new}年")
                   for part in _QUOTED.split(text))


def _moved(o: Obligation, years: int, notes: list[str]) -> Obligation:
    rule, target = o.rule, o.target
    by = rule.by if isinstance(rule, rules.Milestone) else \
        target.by if target is not None and target.by is not None else None
    if by is None:
        return o
    new = _later(by, years)
    if isinstance(rule, rules.Milestone):
        rule = replace(rule, by=new, since=None)
    if target is not None and target.by is not None:
        target = Target(target.kind, target.amount, target.unit, new)
    notes.append(f"{o.id}: deadline {by} moved to {new}")
    return replace(o, rule=rule, target=target,
                   title=_shift_words(o.title, by.year, new.year),
                   short=_shift_words(o.short, by.year, new.year),
                   assumed=_shift_words(o.assumed, by.year, new.year))


def _calendar(cal: WorkCalendar, start: date, end: date, notes: list[str]) -> WorkCalendar:
    years = range(start.year, end.year)
    moved: dict[int, Observance] = {}  # by id(): one observance under several names
    for obs in cal.observances.values():
        if id(obs) in moved:
            continue
        if not obs.table:  # a day fixed by definition (5/12): the rule holds every year
            moved[id(obs)] = obs
            continue
        table = {y: d for y, d in obs.table.items() if y in years and y not in obs.estimated}
        worked: list[int] = []
        for year in years:
            if year in table or obs.rule is None:
                continue
            found = replace(obs, table={}).dates(year)
            if found is not None:
                table[year] = (found[0], found[1])
                worked.append(year)
        if worked:
            notes.append(f"observance {obs.name}: {_years(worked)} worked out by its rule and "
                         "marked estimated (replace each year's dates when announced)")
        moved[id(obs)] = replace(obs, table=dict(sorted(table.items())),
                                 estimated=frozenset(worked))
    observances = {name: moved[id(obs)] for name, obs in cal.observances.items()}
    terms = tuple(t for t in cal.terms if t.end > start and t.start < end)
    if cal.term_shape:
        last = max((t.end for t in terms), default=start)
        if last < end:
            notes.append(f"school terms after {last - ONE_DAY} follow the usual shape (推定) "
                         "until the school calendar is added to calendar.terms")
    overrides = {y: h for y, h in cal.overrides.items() if y in years}
    return WorkCalendar(observances=observances, terms=terms, term_shape=cal.term_shape,
                        overrides=overrides)


def heading(made: NextPlan, old: Plan) -> list[str]:
    """What the next period's plan file says on top, to the coordinator who finishes it."""
    plan = made.plan
    first, last = old.start.year, old.last.year
    lines = [
        f"{plan.name}：重点任务日历数据",
        f"由{old.name}的日历数据顺延而来：措施、单位和日程不变，年份移到新的实施期。",
        "",
        f"措施原文仍是{first}—{last}年分工表的原文；新一期分工表印发后，用 calendar-app plan import",
        "导入新表。各项指标的截止日期已顺延，请按新方案核对指标数。",
        "每年公布日期的节日活动（如全国科技活动周、老年健康宣传周）已按规则推算，列在各节日的",
        "estimated 里：公布后改为实际日期，并从 estimated 中删去该年。",
    ]
    if made.estimated:
        lines += [f"{'、'.join(str(y) for y in made.estimated)}年的法定节假日和调休尚未公布，工作日暂按"
                  "周末推算；国务院通知发布后在 calendar.holidays 中补上。"]
    return lines
