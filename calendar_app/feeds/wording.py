"""What a feed event says, in the words of a county office notice: its title and description.

Pure functions of the plan and the stored event. Nothing here names a slot code, an internal
id or an English word: a unit reads the measure of the 《重点任务责任分工表》 and its words,
the lead and co-organising units in the table's order, the date written out, where the rhythm
comes from (方案规定, or 县里安排 with the reason), and what the unit recorded.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ..formats.words import cn_date, count_phrase
from ..model import COUNTED, ROLE_CN, Entry, Obligation, Plan, day_of

TABLE = "《重点任务责任分工表》"
WEEKDAYS = "一二三四五六日"
CANCELLED = "【已取消】"
OVERDUE = "【逾期未报】"


def unit_name(plan: Plan, unit_id: str) -> str:
    unit = plan.units.get(unit_id)
    return unit.name if unit else unit_id


def summary(plan: Plan, entry: Entry, role: str | None, overdue: bool) -> str:
    """The title, with the reader's role in a unit feed or the lead unit in the others.

    Some clients show a cancelled event of a subscription as if nothing happened, and an
    overdue one looks like any other: both say so first.
    """
    title = f"{entry.title}（{ROLE_CN[role]}）" if role else f"{entry.title} · {unit_name(plan, entry.lead)}"
    if not entry.live:
        return CANCELLED + title
    return OVERDUE + title if overdue else title


def day_text(d: date, year: bool = True) -> str:
    """2025年4月21日, or 4月21日 where the year goes without saying: as official documents
    write dates, without spaces."""
    return cn_date(d) if year else f"{d.month}月{d.day}日"


def _weekday(d: date) -> str:
    return f"（星期{WEEKDAYS[d.weekday()]}）"


def when_text(start: date | datetime, end: date | datetime) -> str:
    """2025年3月12日（星期三）19:30—19:45, or a span of days (the end is exclusive)."""
    if isinstance(start, datetime):
        first, last = start.date(), day_of(end - timedelta(microseconds=1))
        text = f"{day_text(first)}{_weekday(first)}{start:%H:%M}—"
        if last != first:
            text += f"{day_text(last, last.year != first.year)}{_weekday(last)} "
        return text + f"{end:%H:%M}"
    last = end - timedelta(days=1)
    text = f"{day_text(start)}{_weekday(start)}"
    if last > start:
        text += f"至{day_text(last, last.year != start.year)}{_weekday(last)}"
    return text


def rhythm_text(weekdays: tuple[int, ...], start: date | datetime, end: date | datetime,
                until: date) -> str:
    """每周三19:30—19:45, 每天, 每周一、周四: a routine's time, until its last day."""
    if len(weekdays) == 7:
        text = "每天"
    else:
        text = "每周" + "、周".join(WEEKDAYS[d] for d in weekdays)
    if isinstance(start, datetime):
        text += f"{start:%H:%M}—{end:%H:%M}"
    return f"{text}（至{day_text(until)}）"


def quote_text(quote: str) -> str:
    """The table's words as one quotation: its omissions as ……, inner quotes as ‘’."""
    text = quote.replace("“", "‘").replace("”", "’")
    parts = [p.strip() for p in text.replace("…", "...").split("...")]
    return "……".join(p for p in parts if p) if len(parts) > 1 else text.strip()


def record_text(entry: Entry, overdue_days: int, overdue: bool,
                planned: date | datetime | None = None, asked: str = COUNTED) -> str:
    """What was recorded: 已完成（参加120人）, 已取消（原因：设备检修）, 已改期（原定3月12日）; a
    number in the words of what was `asked` (听众80人, 新创建基地3处)."""
    if entry.orphaned:
        return "已取消（计划调整后不再安排）"
    if entry.kind == "report":
        return _report_text(entry, overdue)
    if entry.status == "cancelled":
        return f"已取消（原因：{entry.remark}）" if entry.remark else "已取消"
    if entry.status == "done":
        details = []
        first = entry.start.date() if isinstance(entry.start, datetime) else entry.start
        if entry.done_on is not None and entry.done_on != first:
            details.append(f"{day_text(entry.done_on, entry.done_on.year != first.year)}举行")
        if entry.attendance is not None:
            details.append(count_phrase(asked, entry.attendance))
        text = "已完成" + (f"（{'，'.join(details)}）" if details else "")
        return text + (f"；备注：{entry.remark}" if entry.remark else "")
    if overdue:
        return f"逾期未报（活动结束已超过{overdue_days}天，尚未报送完成情况）"
    planned = planned if planned is not None else entry.planned_start
    if entry.moved and planned is not None:
        day = planned.date() if isinstance(planned, datetime) else planned
        start = entry.start.date() if isinstance(entry.start, datetime) else entry.start
        return f"已改期（原定{day_text(day, day.year != start.year)}）"
    return ""


def _report_text(entry: Entry, overdue: bool) -> str:
    """What a period's report task says it holds: 已报送（2025年7月3日）：完成28（计划30）,
    and the days missed; or that it is overdue."""
    if entry.status == "done":
        text = "已报送"
        if entry.done_on is not None:
            text += f"（{day_text(entry.done_on)}）"
        if entry.done_count is not None:
            text += f"：完成{entry.done_count}（计划{entry.planned_count}）"
        if entry.missed:
            text += "；未完成：" + "、".join(day_text(d, False) for d in entry.missed)
        return text + (f"；备注：{entry.remark}" if entry.remark else "")
    if overdue:
        return "逾期未报（已过报送截止日，尚未报送本期情况）"
    return ""


def description(plan: Plan, entry: Entry, obligation: Obligation | None, *, when: str,
                overdue: bool = False, fills: Entry | None = None,
                planned: date | datetime | None = None,
                together: list[tuple[Entry, bool]] | None = None) -> str:
    """The event's notice: measure, the table's words, units, time, rhythm, record.

    `together`: the events of several units gathered into one (the county's view of a
    fanned-out obligation), each with whether it is overdue, named with what it recorded.
    """
    lines = []
    measure = plan.measures.get(entry.measure)
    if measure is not None:
        lines.append(f"{TABLE}措施{measure.number}：{measure.title}")
    if obligation is not None and obligation.quote:
        lines.append(f"原文：“{quote_text(obligation.quote)}”")
    if together:
        names = "、".join(unit_name(plan, e.lead) for e, _ in together)
        lines.append(f"责任单位：{names}（各自开展）")
    else:
        lines.append(f"牵头单位：{unit_name(plan, entry.lead)}")
    if len(entry.units) > 1 and not together:
        lines.append("配合单位：" + "、".join(unit_name(plan, u) for u in entry.units[1:]))
    if entry.kind == "report":
        first, last = entry.slot_start, entry.slot_end - timedelta(days=1)
        lines.append(f"报送期：{day_text(first)}至{day_text(last, last.year != first.year)}")
        lines.append(f"报送截止：{when}")
        asked = obligation.tallied if obligation is not None else "数量"
        lines.append(f"报送内容：本期计划与完成的{asked}、未完成的日期、备注和佐证材料")
    else:
        lines.append(f"时间：{when}")
    if entry.origin == "added":
        if fills is not None:
            day = fills.planned_start or fills.start
            day = day.date() if isinstance(day, datetime) else day
            lines.append(f"安排：补办（补{day_text(day, False)}因故取消的一期）")
        else:
            lines.append("安排：本单位增加的活动")
    elif obligation is not None:
        # 县里安排 and its reasons on a line of their own: 安排：县里安排：… said it twice.
        lines.append(f"安排：{'县里安排' if obligation.reasons else '方案规定'}")
        if obligation.reasons:
            lines.append(f"安排理由：{obligation.reasons}")
    lines += [f"说明：{note}" for note in entry.notes]
    if together:
        days = plan.settings.overdue_days
        records = [unit_name(plan, e.lead) + text for e, late in together
                   if (text := record_text(e, days, late, asked=plan.asks(e)))]
        if records:
            lines.append("记录：" + "；".join(records))
        return "\n".join(lines)
    record = record_text(entry, plan.settings.overdue_days, overdue, planned, plan.asks(entry))
    if record:
        lines.append(f"记录：{record}")
    return "\n".join(lines)
