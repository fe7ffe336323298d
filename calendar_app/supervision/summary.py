"""The period's summary (实施情况总结), or while the period runs its mid-term review (中期评估):
the Word document a county office edits and reports upward. Pure: a review in, DOCX bytes out.

Its numbers are the ledger's (the same rows of `ledger.by_measure` and `ledger.by_unit` for the
same period and day), so the summary and the 台账 handed in with it agree: an overview, a
section per measure (what the table requires, what the calendar shows was done, quotas and
milestones reached or missed, who led), the units' completion, and what fell short in the gap
report's own words. The last section is left for the county to write.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from ..formats.office import docx_saved
from ..formats.words import cn_date, cn_period, cn_target_period
from ..model import Entry, Plan, Reported
from ..schedule.expansion import title_across_years
from .gaps import HINTS, Progress
from .ledger import by_measure, by_unit, counted
from .lights import Review, rules

BODY_FONT = "仿宋"  # what county offices write reports in; WPS and Word both have it
HEADING_FONT = "黑体"
TITLE_FONT = "宋体"
TABLE_SIZE = 10.5  # points: 五号


def final(review: Review, plan: Plan) -> bool:
    """A summary of the whole period once it has ended; a mid-term review before."""
    return review.as_of >= plan.end


def document(review: Review, plan: Plan, entries: list[Entry],
             reports: Mapping[str, Reported] | None = None) -> bytes:
    """The summary of `review`'s period as DOCX bytes, dated its day."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    reports = reports or {}
    shown = counted(review, entries)
    _, measure_rows = by_measure(review, plan, shown, reports)
    _, unit_rows = by_unit(review, plan, shown, reports)
    kind = "实施情况总结" if final(review, plan) else "中期评估报告"
    title = f"{plan.name}{kind}"

    doc = docx.Document()
    _fonts(doc, Pt)
    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(heading, title, TITLE_FONT, Pt(18), bold=True)
    under = doc.add_paragraph()
    under.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(under, f"（草稿：根据日历登记情况生成，统计期间{cn_period(review.start, review.end)}，"
                f"截至{cn_date(review.as_of)}）", BODY_FONT, Pt(12))
    period = f"实施期{cn_period(plan.start, plan.end)}"
    if final(review, plan):
        doc.add_paragraph(f"根据{plan.source}，现将{plan.name}{period}的实施情况总结如下。")
    else:
        doc.add_paragraph(f"根据{plan.source}，现将{plan.name}自{cn_date(plan.start)}实施以来"
                          f"至{cn_date(review.as_of)}的进展情况评估如下（{period}）。")

    _overview(doc, review, shown, measure_rows)
    doc.add_heading("二、各项措施完成情况", level=1)
    for row, standing in zip(measure_rows, review.measures, strict=True):
        _measure(doc, plan, review, row, standing.paces)
    _units(doc, unit_rows)
    _shortfalls(doc, review)
    doc.add_heading("五、下一步工作打算", level=1)
    doc.add_paragraph("（请结合本县实际填写。）")
    doc.add_heading("附：统计口径", level=1)
    said = rules(review.settings)
    for line in (said["rate"], f"红灯：{said['red']}", f"黄灯：{said['amber']}",
                 f"绿灯：{said['green']}", f"数据来源：{plan.source}；与同期台账一致。"):
        doc.add_paragraph(line)
    signed = doc.add_paragraph(f"{review.settings.issuer}\n{cn_date(review.as_of)}")
    signed.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return docx_saved(doc, review.as_of, title, review.settings.issuer)


def _fonts(doc: Any, pt: Any) -> None:
    """Chinese fonts on every style the document uses: python-docx's template names only
    Latin ones, and WPS would show the rest in whatever it falls back to."""
    from docx.oxml.ns import qn

    for name, font, size in (("Normal", BODY_FONT, 14), ("Heading 1", HEADING_FONT, 16),
                             ("Heading 2", HEADING_FONT, 14), ("Table Grid", BODY_FONT, TABLE_SIZE)):
        style = doc.styles[name]
        style.font.name = font
        style.font.size = pt(size)
        if name.startswith("Heading"):
            style.font.color.rgb = None
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)


def _run(paragraph: Any, text: str, font: str, size: Any, bold: bool = False) -> None:
    from docx.oxml.ns import qn

    run = paragraph.add_run(text)
    run.font.name, run.font.size, run.bold = font, size, bold
    run.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)


def _table(doc: Any, header: list[str], rows: list[list[object]],
           widths: tuple[float, ...] = ()) -> None:
    """A bordered table; `widths` in centimetres, one per column (an A4 page holds 15.9)."""
    from docx.shared import Cm, Pt

    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.autofit = not widths
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = _text(value)
    for row_ in table.rows:  # a table's text smaller than the body's, as in county reports
        for cell in row_.cells:
            for run in cell.paragraphs[0].runs:
                run.font.size = Pt(TABLE_SIZE)
    for i, width in enumerate(widths):
        table.columns[i].width = Cm(width)  # the grid, which WPS and LibreOffice follow
        for cell in table.columns[i].cells:  # and each cell, which Word follows
            cell.width = Cm(width)


def _text(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.1%}"
    if isinstance(value, tuple):  # a light: its word and its colour
        return str(value[0])
    if isinstance(value, date):
        return cn_date(value)
    return str(value)


def _rate(done: int, due: int) -> str:
    return f"{done / due:.1%}" if due else "—"


# The ledger's 按措施 columns this document reads, by position (see `ledger.by_measure`).
_DUE, _DONE, _OVERDUE, _MISSED, _WHAT, _PEOPLE, _FILES = 6, 7, 9, 10, 11, 12, 13


def _overview(doc: Any, review: Review, shown: list[Entry], rows: list[list[Any]]) -> None:
    doc.add_heading("一、总体情况", level=1)
    planned = [e for e in shown if e.origin == "plan"]
    added = len(shown) - len(planned)
    cancelled = [e for e in shown if e.status == "cancelled"]
    made_up = [e for e in shown if e.fills]
    due, done = sum(r[_DUE] for r in rows), sum(r[_DONE] for r in rows)
    overdue, missed = sum(r[_OVERDUE] for r in rows), sum(r[_MISSED] for r in rows)
    people = sum(r[_PEOPLE] for r in rows if r[_PEOPLE] != "—")  # —: no number asked
    files = sum(r[_FILES] for r in rows)
    doc.add_paragraph(
        f"统计期间，日历共安排重点任务活动{len(planned)}项，各单位另行新增{added}项；"
        f"已到期应办{due}项，已完成{done}项，"
        f"完成率{_rate(done, due)}；取消{len(cancelled)}项，补办{len(made_up)}项，"
        f"取消后未补办{missed}项；逾期未报{overdue}项。已完成的活动共登记参加{people}人次，"
        f"提交佐证材料{files}份。")
    _table(doc, ["项目", "数量"], [
        ["日历安排的活动（项）", len(planned)], ["各单位新增（项）", added], ["应办（项）", due],
        ["完成（项）", done],
        ["完成率", _rate(done, due)], ["取消（项）", len(cancelled)], ["补办（项）", len(made_up)],
        ["取消未补办（项）", missed], ["逾期未报（项）", overdue], ["参加人数合计（人次）", people],
        ["佐证材料（份）", files]])


def _measure(doc: Any, plan: Plan, review: Review, row: list[Any],
             paces: tuple[Any, ...]) -> None:
    number = row[0]
    measure = plan.measures[number]
    doc.add_heading(f"措施{number}：{measure.title.rstrip('。')}", level=2)
    doc.add_paragraph(f"重点任务：{row[1]}。牵头单位：{row[4]}；配合单位："
                      f"{_co_organisers(plan, measure.listed) or row[5] or '无'}。")
    doc.add_paragraph(f"方案要求：{measure.text}")
    obligations = [o for o in plan.obligations if o.measure == number]
    if obligations:
        doc.add_paragraph("日程安排：" + "；".join(
            f"{title_across_years(o)}（{'县里安排' if o.assumed or o.assigned else '方案规定'}）"
            for o in obligations) + "。")
    else:
        doc.add_paragraph("日程安排：分工表未规定频次，日历未安排活动。")
    due, done = row[_DUE], row[_DONE]
    said = (f"完成情况：应办{due}项，完成{done}项，完成率{_rate(done, due)}，逾期未报"
            f"{row[_OVERDUE]}项，取消未补办{row[_MISSED]}项，"
            + (f"参加{row[_PEOPLE]}人次，" if row[_PEOPLE] != "—" else "")
            + f"佐证材料{row[_FILES]}份。")
    doc.add_paragraph(said + (f"其中：{row[_WHAT]}。" if row[_WHAT] else ""))
    for pace in paces:
        doc.add_paragraph(_target(pace.progress), style="List Bullet")
    findings = [f for f in review.report.findings
                if f.measure == number and f.kind not in HINTS]
    if findings:
        doc.add_paragraph("存在的不足：" + "；".join(f.message for f in findings) + "。")


def _co_organisers(plan: Plan, listed: tuple[str, ...]) -> str:
    """The table's co-organisers in its own words, read as the plan reads them: 各乡镇 as the
    group it names (not its twelve towns), 教育局 as 县教育局, a unit listed twice once."""
    names: list[str] = []
    for name in listed[1:]:
        called = plan.units[plan.names[name]].name if name in plan.names else name
        if called not in names and called != listed[0]:
            names.append(called)
    return "、".join(names)


def _target(p: Progress) -> str:
    """A quota's year or a milestone: reached, missed, or where it stands."""
    when = cn_target_period(p.period)
    got = f"已记录{p.recorded}{p.what}，目标{p.target}{p.what}"
    if p.recorded >= p.target:
        verdict = "已达到"
    elif p.over:
        verdict = "未达到"
    else:
        verdict = f"尚在进行，按进度应达{p.due_now:.0f}{p.what}"
    return f"{p.title}（{when}）：{got}，{verdict}。"


def _units(doc: Any, rows: list[list[Any]]) -> None:
    doc.add_heading("三、各单位完成情况", level=1)
    doc.add_paragraph("按完成率排名；每项活动计入其牵头单位。")
    _table(doc, ["名次", "单位", "类别", "应办", "完成", "完成率", "逾期未报", "取消未补办",
                 "参加人数", "佐证材料"], [row[:10] for row in rows],
           (1.0, 3.8, 1.6, 1.2, 1.2, 1.7, 1.3, 1.5, 1.7, 1.3))


def _shortfalls(doc: Any, review: Review) -> None:
    doc.add_heading("四、存在的问题和不足", level=1)
    findings = [f for f in review.report.findings if f.kind not in HINTS]
    if not findings:
        doc.add_paragraph("日历登记情况未见逾期未报、取消未补办或指标落后的情形。")
        return
    for finding in findings:
        doc.add_paragraph(finding.message, style="List Bullet")
