"""Report tasks: the reporting grain of an obligation. Pure, deterministic, no clock.

An obligation reported by period (`report: weekly | monthly | quarterly`) gets, for every
period that holds some of its events, one report task: an event of its own on the day the
period's report is due (`report_due_days` working days after the period ends), for the unit
that reports them: the lead of a joint obligation, each unit of a fanned-out one. Its
slot is the period, and its uid, like every event's, comes from the obligation, the slot and
the unit, so a rebuild finds it again. The events it reports on stay in the calendar; they
are judged through it, never one by one (a month of daily pushes is one task).
"""

from __future__ import annotations

from datetime import date, timedelta

from ..model import ONE_DAY, Entry, Event, Grain, Obligation, Plan, Slot, day_of
from ..months import following
from ..plan.workdays import WorkCalendar

QUARTERS = "一二三四"


def period(day: date, grain: Grain) -> Slot:
    """The week (ISO, Monday first), month or quarter `day` falls in."""
    if grain == "weekly":
        monday = day - timedelta(days=day.weekday())
        iso = monday.isocalendar()
        return Slot(f"{iso.year}-W{iso.week:02d}", monday, monday + timedelta(days=7))
    if grain == "monthly":
        first = day.replace(day=1)
        return Slot(f"{first:%Y-%m}", first, following(first))
    if grain == "quarterly":
        quarter = (day.month - 1) // 3
        first = date(day.year, 3 * quarter + 1, 1)
        return Slot(f"{day.year}-Q{quarter + 1}", first, following(following(following(first))))
    raise ValueError(f"no period for the grain {grain!r}")


def slot_of(key: str) -> Slot | None:
    """The period a key names (2025-W23, 2025-06, 2025-Q2), None when it names none."""
    try:
        if "-W" in key:
            year, week = key.split("-W")
            return period(date.fromisocalendar(int(year), int(week), 1), "weekly")
        if "-Q" in key:
            year, quarter = key.split("-Q")
            if not 1 <= int(quarter) <= 4:
                return None
            return period(date(int(year), 3 * int(quarter) - 2, 1), "quarterly")
        year, month = key.split("-")
        return period(date(int(year), int(month), 1), "monthly")
    except ValueError:
        return None


def grain_of(key: str) -> Grain:
    """The grain of a period by its key (2025-W23, 2025-06, 2025-Q2): a report task's."""
    return "weekly" if "-W" in key else "quarterly" if "-Q" in key else "monthly"


def period_words(grain: Grain, slot: Slot) -> str:
    """How an office names the period: 2025年6月, 2025年第二季度, 2025年6月2日至6月8日."""
    first, last = slot.start, slot.end - ONE_DAY
    if grain == "monthly":
        return f"{first.year}年{first.month}月"
    if grain == "quarterly":
        return f"{first.year}年第{QUARTERS[(first.month - 1) // 3]}季度"
    tail = f"{last.year}年" if last.year != first.year else ""
    return f"{first.year}年{first.month}月{first.day}日至{tail}{last.month}月{last.day}日"


def due_day(end: date, working_days: int, calendar: WorkCalendar) -> date:
    """The `working_days`-th working day from `end` (the day after a period) on; with 0,
    the period's last day."""
    day = end - ONE_DAY
    for _ in range(working_days):
        day += ONE_DAY
        while not calendar.is_workday(day):
            day += ONE_DAY
    return day


def opens(slot: Slot) -> date:
    """The first day a period's report may be made: its last week."""
    return max(slot.start, slot.end - timedelta(days=7))


def task_title(obligation: Obligation, grain: Grain, slot: Slot) -> str:
    """A report task's title: its period, then its name (2025年5月“天天科普”推送情况报送)."""
    return f"{period_words(grain, slot)}{task_name(obligation)}"


def task_name(obligation: Obligation) -> str:
    """An obligation's report task without its period (“天天科普”推送情况报送): what a line
    about several periods' reports calls them."""
    return f"{obligation.short or obligation.title}情况报送"


def task_period(entry: Entry) -> str:
    """The period a stored report task reports on, as `task_title` wrote it (2025年5月);
    "" for an event."""
    if entry.kind != "report":
        return ""
    return period_words(grain_of(entry.slot), Slot(entry.slot, entry.slot_start, entry.slot_end))


def name_without_period(entry: Entry) -> str:
    """What a line about several of one obligation's stored entries calls them (the home's
    backlog, a reminder): an event's title, a report task's `task_name` as its title holds
    it, never the latest period's title for them all. From the title, not the plan, so a
    line says what the unit's pages say until the next build."""
    return entry.title.removeprefix(task_period(entry))


def report_tasks(plan: Plan, events: list[Event]) -> list[Event]:
    """The report tasks of every obligation reported by period, from its events (expanded
    over whole years, so that a task does not depend on the window asked for)."""
    obligations = {o.id: o for o in plan.obligations if o.report != "each"}
    periods: dict[tuple[str, str, tuple[str, ...]], Slot] = {}
    for event in events:
        obligation = obligations.get(event.obligation)
        if obligation is None:
            continue
        # Its lead reports a joint obligation's period; each unit its own when fanned out.
        units: tuple[str, ...] = (event.lead,)
        slot = period(day_of(event.start), obligation.report)
        periods.setdefault((obligation.id, slot.key, units), slot)
    last = plan.last
    tasks = []
    for (oid, key, units), slot in periods.items():
        obligation = obligations[oid]
        due = due_day(slot.end, obligation.report_due_days, plan.calendar)
        notes: tuple[str, ...] = ()
        if due > last:
            due = last
            notes += (f"实施期于{last.year}年{last.month}月{last.day}日结束，"
                      "本期情况须在此前报送",)
        if plan.calendar.is_estimated(due.year):
            notes += (f"{due.year}年法定节假日未公布，工作日按周末推算",)
        uid = f"{oid}/report-{key}" + (f"/{units[0]}" if obligation.fanout else "")
        title = task_title(obligation, obligation.report, slot)
        measure = plan.measures[obligation.measure]
        names = "、".join(plan.units[u].name for u in units)
        context = (f"{measure.title}\n{obligation.quote}\n{obligation.report_reason}\n{names}"
                   f"\n{obligation.report_due_days}")
        tasks.append(Event(uid=uid, obligation=oid, measure=obligation.measure,
                           category=measure.category, slot=slot, title=title, start=due,
                           end=due + ONE_DAY, units=units, notes=notes, context=context,
                           kind="report"))
    return tasks
