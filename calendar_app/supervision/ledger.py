"""The ledger (台账): the plan period's record of what was due and what was done, as the
workbook the county hands in at the year-end review. Pure: a review in, XLSX bytes out.

Four sheets: 按措施 (one row per measure), 按单位 (one per unit, ranked), 活动明细 (every
event) and 说明 (the period and the rules). Each sheet has a title row and a header row,
both frozen, with filters on the header; dates are real dates, numbers real numbers, and
columns are as wide as their Chinese text (up to a limit, then wrapped).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..formats import xlsx
from ..formats.termtable import width
from ..formats.words import cn_date, cn_period, count_short
from ..model import Entry, Light, Plan, Reported, days
from ..plan.yearday import WEEKDAY_CN
from ..schedule.expansion import title_across_years
from .lights import LIGHT_CN, Review, due_soon, rules

FILLS = {"red": "F4B6B6", "amber": "FFE08A", "green": "D5ECD4", "none": "FFFFFF"}
WIDEST = 60  # characters; longer text wraps
DATE = "yyyy-mm-dd"


def workbook(review: Review, plan: Plan, entries: list[Entry],
             reports: Mapping[str, Reported] | None = None) -> bytes:
    """The ledger of `review`'s period as XLSX bytes."""
    reports = reports or {}
    shown = counted(review, entries)
    book = openpyxl.Workbook(write_only=True)
    period = cn_period(review.start, review.end)
    title = f"{plan.name}重点任务台账（{period}）"
    _sheet(book, "按措施", title, review, *by_measure(review, plan, shown, reports))
    _sheet(book, "按单位", title, review, *by_unit(review, plan, shown, reports))
    _sheet(book, "活动明细", title, review, *_events(review, plan, shown, reports))
    _notes(book, review, plan, title)
    book.properties.title = title
    return xlsx.saved(book, review.as_of)


def counted(review: Review, entries: list[Entry]) -> list[Entry]:
    """The events the ledger counts: of the review's period, still the plan's or added, and
    reported on their own (those reported by period count by their report task)."""
    return [e for e in entries if not e.orphaned and e.units and e.reported_alone
            and _in(e, review)]


def _in(e: Entry, review: Review) -> bool:
    first, after = days(e.start, e.end)
    return first < review.end and after > review.start


def _names(plan: Plan, units) -> str:
    return "、".join(plan.units[u].name for u in units if u in plan.units)


def _light(light: Light) -> tuple[str, str]:
    return (LIGHT_CN[light] if light != "none" else "无活动", light)


def by_measure(review: Review, plan: Plan, shown: list[Entry], reports) -> tuple[list, list]:
    """The 按措施 sheet: (header, width) pairs and a row per measure (the summary reads the
    same rows, so their numbers agree)."""
    by_measure: dict[int, list[Entry]] = defaultdict(list)
    for e in shown:
        by_measure[e.measure].append(e)
    titles = {o.id: title_across_years(o) for o in plan.obligations}
    headers = [("措施", 6), ("重点任务", 0), ("主要措施", 0), ("方案原文", 0), ("牵头单位", 0),
               ("配合单位", 0), ("应办（次）", 0), ("完成（次）", 0), ("完成率", 0), ("逾期未报", 0),
               ("取消未补办", 0), ("完成情况", 0), ("参加人数合计", 0), ("佐证材料（份）", 0),
               ("灯色", 0), ("说明", 0)]
    rows = []
    for s in review.measures:
        number = int(s.id)
        measure = plan.measures[number]
        mine = by_measure[number]
        done = [e for e in mine if e.status == "done"]
        t = s.tally
        rows.append([number, plan.categories[measure.category].name, measure.title, measure.text,
                     s.lead, _names(plan, measure.units[1:]), t.due, t.done, _ratio(t.rate),
                     t.overdue, t.missed, _what_was_done(mine, titles, review, plan),
                     sum(e.attendance or 0 for e in done) if any(map(plan.asks, mine))
                     else "—",  # a measure whose work asks no number (TV, budget)
                     sum(reports[e.uid].evidence for e in done if e.uid in reports),
                     _light(s.light), "；".join(s.reasons)])
    return headers, rows


def _what_was_done(mine: list[Entry], titles: dict[str, str], review: Review,
                   plan: Plan) -> str:
    """Per obligation: done of due, with each date and its number, in the words the
    obligation asks it (听众80人, 新创建基地3处), when there are few."""
    by_obligation: dict[str, list[Entry]] = defaultdict(list)
    for e in mine:
        by_obligation[titles.get(e.obligation, "其他活动")].append(e)
    parts = []
    for title, events in by_obligation.items():
        done = [e for e in events if e.status == "done"]
        due = sum(1 for e in events if e.live and (e.status == "done" or e.after <= review.as_of))
        if events[0].kind == "report":
            parts.append(f"{title}：报送{len(done)}期/应报{due}期（报送的各期完成"
                         f"{sum(e.done_count or 0 for e in done)}/计划"
                         f"{sum(e.planned_count or 0 for e in done)}）")
            continue
        said = f"{title}：完成{len(done)}次/应办{due}次"
        if 0 < len(done) <= 6:
            said += "（" + "，".join(
                cn_date(e.done_on or days(e.start, e.end)[0])
                + (f" {count_short(plan.asks(e), e.attendance)}" if e.attendance else "")
                for e in done) + "）"
        parts.append(said)
    return "；".join(parts)


def _ratio(rate: float | None) -> float | str:
    return rate if rate is not None else "—"


def by_unit(review: Review, plan: Plan, shown: list[Entry], reports) -> tuple[list, list]:
    """The 按单位 sheet: (header, width) pairs and a row per unit, ranked."""
    people: dict[str, int] = defaultdict(int)
    evidence: dict[str, int] = defaultdict(int)
    for e in shown:
        if e.status == "done":
            people[e.lead] += e.attendance or 0
            evidence[e.lead] += reports[e.uid].evidence if e.uid in reports else 0
    headers = [("名次", 6), ("单位", 0), ("类别", 0), ("应办（次）", 0), ("完成（次）", 0),
               ("完成率", 0), ("逾期未报", 0), ("取消未补办", 0), ("参加人数合计", 0),
               ("佐证材料（份）", 0), ("最近登记", 12), ("灯色", 0), ("说明", 0)]
    rows = [[s.rank if s.rank is not None else "—", s.name,
             "乡镇" if plan.units[s.id].kind == "township" else "县直单位", s.tally.due,
             s.tally.done, _ratio(s.tally.rate), s.tally.overdue, s.tally.missed, people[s.id],
             evidence[s.id], s.last_report or "", _light(s.light), "；".join(s.reasons)]
            for s in review.units]
    return headers, rows


def state_cn(e: Entry, review: Review, made_up: frozenset[str] = frozenset()) -> str:
    """An event's state as of the review's day, in the ledger's words; `made_up`: the
    cancelled events a make-up fills."""
    settings = review.settings
    if e.uid in review.report.missed:
        return "取消（未补办）"
    if e.status == "cancelled":
        return "取消（已补办）" if e.uid in made_up else "取消"
    if e.status == "done":
        if e.counts_done(settings.review):
            return "完成"
        return "退回待补充" if e.review == "returned" else "待复核"
    if e.overdue(review.as_of, settings.overdue_days):
        return "逾期未报"
    if e.after <= review.as_of or due_soon(e, review.as_of, settings):
        return "待登记"
    return "未到期"


def _events(review: Review, plan: Plan, shown: list[Entry], reports) -> tuple[list, list]:
    headers = [("日期", 12), ("星期", 6), ("时间", 7), ("活动", 0), ("措施", 6), ("重点任务", 0),
               ("牵头单位", 0), ("配合单位", 0), ("状态", 0), ("完成日期", 12), ("参加人数", 0),
               ("佐证材料（份）", 0), ("备注", 0)]
    planned_on = {e.uid: days(e.start, e.end)[0] for e in shown}
    made_up = frozenset(e.fills for e in shown if e.fills)
    rows = []
    for e in shown:
        first = days(e.start, e.end)[0]
        when = "" if e.all_day else f"{e.start:%H:%M}"
        note = e.remark
        if e.fills:
            note = "；".join(x for x in (f"补办：原定{planned_on.get(e.fills, '')}", note) if x)
        if e.moved:
            note = "；".join(x for x in ("已改期", note) if x)
        if e.done_count is not None:
            note = "；".join(x for x in (f"完成{e.done_count}/计划{e.planned_count}", note) if x)
        category = plan.categories[e.category].name if e.category in plan.categories else ""
        rows.append([first, WEEKDAY_CN[first.weekday()], when, e.title, e.measure or "",
                     category, _names(plan, e.units[:1]), _names(plan, e.units[1:]),
                     state_cn(e, review, made_up), e.done_on or "",
                     e.attendance if e.attendance is not None else "",
                     reports[e.uid].evidence if e.uid in reports and e.status == "done" else "",
                     note])
    return headers, rows


def _sheet(book, name: str, title: str, review: Review, headers: list, rows: list) -> None:
    sheet = book.create_sheet(name)
    widths = [max([w or width(h) + 2] + [min(WIDEST, width(_text(r[i])) + 2) for r in rows])
              for i, (h, w) in enumerate(headers)]
    for i, size in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = size
    sheet.freeze_panes = "B3"
    last = get_column_letter(len(headers))
    sheet.auto_filter.ref = f"A2:{last}{len(rows) + 2}"
    head = WriteOnlyCell(sheet, f"{title}　截至{cn_date(review.as_of)}")
    head.font = Font(bold=True, size=13)
    sheet.append([head])
    bold = Font(bold=True)
    header_row = []
    for h, _ in headers:
        cell = WriteOnlyCell(sheet, h)
        cell.font = bold
        cell.fill = PatternFill("solid", fgColor="E0E0E0")
        header_row.append(cell)
    sheet.append(header_row)
    # Styles only where they say something: setting one on each of 50,000 cells was most of
    # the time it took to write the ledger.
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            if isinstance(value, tuple):  # a light: its word on its colour
                cell = WriteOnlyCell(sheet, value[0])
                cell.fill = PatternFill("solid", fgColor=FILLS[value[1]])
            else:
                cell = WriteOnlyCell(sheet, value)
            if isinstance(value, date):
                cell.number_format = DATE
            elif isinstance(value, float):
                cell.number_format = "0.0%"
            if isinstance(value, str) and len(value) * 2 + 2 > widths[i] \
                    and width(value) + 2 > widths[i]:
                cell.alignment = wrap
            cells.append(cell)
        sheet.append(cells)


def _text(value) -> str:
    if isinstance(value, tuple):
        return value[0]
    if isinstance(value, float):
        return f"{value:.1%}"
    return str(value)


def _notes(book, review: Review, plan: Plan, title: str) -> None:
    sheet = book.create_sheet("说明")
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 90
    said = rules(review.settings)
    lines = [("台账", title), ("统计期间", cn_period(review.start, review.end)),
             ("截至", cn_date(review.as_of)), ("实施期", review.stage.text), ("来源", plan.source),
             ("红灯", said["red"]), ("黄灯", said["amber"]), ("绿灯", said["green"]),
             ("完成率", said["rate"])]
    wrap = Alignment(wrap_text=True, vertical="top")
    for key, text in lines:
        name = WriteOnlyCell(sheet, key)
        name.font = Font(bold=True)
        value = WriteOnlyCell(sheet, text)
        value.alignment = wrap
        sheet.append([name, value])
