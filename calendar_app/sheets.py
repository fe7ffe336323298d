"""Monthly report sheets: a unit's events of a month written out as CSV and XLSX, filled in
by the unit, and read back as records.

An import is all or nothing: every row is checked first and every bad row is reported with
its row number; only a clean sheet is applied, in one transaction. Rows that say what the
database already says change nothing, so importing the same sheet twice is harmless.
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import signal
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import openpyxl
from openpyxl.styles import Font

from .errors import CalendarAppError, Problem
from .listing import STATUS_CN
from .model import Entry, Plan
from .publish import write_if_changed
from .records import Recorder
from .schedule import TZ
from .store import Store
from .yearday import WEEKDAY_CN

COLUMNS = ("uid", "日期", "星期", "活动", "措施", "牵头单位", "状态", "实际日期", "参加人数",
           "备注", "佐证材料", "取消原因", "改期至")
FILL_IN = ("状态", "实际日期", "参加人数", "备注", "佐证材料", "取消原因", "改期至")
STATUS_WORDS = {"完成": "done", "已完成": "done", "done": "done", "取消": "cancelled",
                "已取消": "cancelled", "cancelled": "cancelled", "改期": "moved",
                "moved": "moved", "计划": "planned", "planned": "planned"}
# Set in tests to kill the importing process after N rows, inside the transaction.
CRASH_AFTER = "CALENDAR_APP_CRASH_AFTER_ROWS"


class SheetError(CalendarAppError):
    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


# -- the template --------------------------------------------------------------------------

def template_rows(entries: list[Entry], plan: Plan) -> list[list[object]]:
    rows = []
    for e in entries:
        day = e.start.date() if isinstance(e.start, datetime) else e.start
        status = e.shown_status
        rows.append([
            e.uid, day.isoformat(), WEEKDAY_CN[day.weekday()], e.title, e.measure or "",
            plan.units[e.lead].name if e.lead in plan.units else e.lead,
            STATUS_CN[status] if status != "planned" else "",
            e.done_on.isoformat() if e.done_on else "",
            e.attendance if e.attendance is not None else "",
            e.remark if e.status == "done" else "", "",
            e.remark if e.status == "cancelled" else "",
            e.start.isoformat() if e.moved else "",
        ])
    return rows


def write_template(entries: list[Entry], plan: Plan, folder: Path, unit: str, month: str,
                   today: date) -> tuple[Path, Path]:
    """`<unit>-<YYYY-MM>.csv` and `.xlsx` in `folder`; returns both paths."""
    rows = template_rows(entries, plan)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    # A BOM, so that Excel on a Chinese Windows opens the UTF-8 text correctly.
    csv_path = folder / f"{unit}-{month}.csv"
    write_if_changed(csv_path, ("\ufeff" + out.getvalue()).encode("utf-8"))

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = month
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    widths = (34, 12, 6, 40, 6, 16, 8, 12, 10, 24, 24, 20, 18)
    for column, size in zip("ABCDEFGHIJKLM", widths, strict=True):
        sheet.column_dimensions[column].width = size
    sheet.freeze_panes = "B2"
    stamp = datetime.combine(today, datetime.min.time())
    book.properties.created = book.properties.modified = stamp
    buffer = io.BytesIO()
    book.save(buffer)
    xlsx_path = folder / f"{unit}-{month}.xlsx"
    write_if_changed(xlsx_path, buffer.getvalue())
    return csv_path, xlsx_path


# -- reading a sheet back ------------------------------------------------------------------

def read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(sheet row number, {header: text}) for every non-empty row below the header."""
    if path.suffix.lower() == ".xlsx":
        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (OSError, ValueError, KeyError) as exc:
            raise SheetError([Problem(f"cannot read the workbook: {exc}", str(path))]) from None
        raw = [[_cell(v) for v in row] for row in book.active.iter_rows(values_only=True)]
        book.close()
    else:
        raw = list(csv.reader(io.StringIO(_decode(path))))
    if not raw or "uid" not in [h.strip() for h in raw[0]]:
        raise SheetError([Problem("the first row must be the header, starting with uid",
                                  str(path), 1)])
    header = [h.strip() for h in raw[0]]
    rows = []
    for number, values in enumerate(raw[1:], start=2):
        cells = {h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(header)}
        if any(cells.values()):
            rows.append((number, cells))
    return rows


def _decode(path: Path) -> str:
    """UTF-8 (with or without BOM), else GB18030 as Chinese offices save CSV from Excel."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SheetError([Problem(f"cannot read: {exc.strerror}", str(path))]) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else \
            value.isoformat(timespec="minutes")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass
class Change:
    row: int
    uid: str
    action: str  # done | cancelled | moved
    args: dict = field(default_factory=dict)

    def describe(self) -> str:
        detail = ", ".join(f"{k}={v}" for k, v in self.args.items() if v not in (None, ""))
        return f"row {self.row}: {self.action} {self.uid}" + (f" ({detail})" if detail else "")


def plan_changes(path: Path, store: Store, plan: Plan) -> list[Change]:
    """Check every row; SheetError lists all bad rows, else the changes a clean sheet makes."""
    problems: list[Problem] = []
    changes: list[Change] = []
    seen: dict[str, int] = {}
    known = store.uids()
    for row, cells in read_rows(path):
        def bad(message: str, row: int = row) -> None:
            problems.append(Problem(message, str(path), row))

        uid = cells.get("uid", "")
        if not uid:
            bad("missing uid")
            continue
        if uid in seen:
            bad(f"duplicate row for {uid} (first at row {seen[uid]})")
            continue
        seen[uid] = row
        entry = store.entry(uid)
        if entry is None:
            close = difflib.get_close_matches(uid, known, n=3, cutoff=0.6)
            bad(f"unknown uid {uid!r}" + (f" (did you mean {', '.join(close)}?)" if close else ""))
            continue
        try:
            change = _row_change(row, uid, cells, entry, plan)
        except ValueError as exc:
            bad(str(exc))
            continue
        if change is not None:
            changes.append(change)
    if problems:
        raise SheetError(problems)
    return changes


def _row_change(row: int, uid: str, cells: dict[str, str], entry: Entry,
                plan: Plan) -> Change | None:
    word = cells.get("状态", "")
    status = STATUS_WORDS.get(word.lower()) if word else None
    if word and status is None:
        raise ValueError(f"状态 {word!r} is not one of 完成, 取消, 改期, 计划")
    filled = [c for c in FILL_IN[1:] if cells.get(c)]
    if status in (None, "planned"):
        if filled:
            raise ValueError(f"{'、'.join(filled)} filled in but 状态 is {word or 'empty'}")
        return None
    others = {"done": ("取消原因", "改期至"), "cancelled": ("参加人数", "实际日期", "改期至"),
              "moved": ("参加人数", "实际日期", "取消原因")}[status]
    clash = [c for c in others if cells.get(c)]
    if clash:
        raise ValueError(f"状态 {word} contradicts {'、'.join(clash)}")
    if status == "done":
        attendance = _attendance(cells.get("参加人数", ""))
        on = _day(cells.get("实际日期", ""), plan, "实际日期")
        note, evidence = cells.get("备注", ""), cells.get("佐证材料", "")
        if (entry.status == "done" and entry.attendance == attendance
                and (on is None or on == entry.done_on) and note == entry.remark):
            return None
        return Change(row, uid, "done", {"on": on, "attendance": attendance, "note": note,
                                         "evidence": evidence})
    if status == "cancelled":
        reason = cells.get("取消原因", "")
        if not reason:
            raise ValueError("状态 取消 needs a 取消原因")
        if entry.status == "cancelled" and entry.remark == reason:
            return None
        return Change(row, uid, "cancelled", {"reason": reason})
    to = _when(cells.get("改期至", ""), plan)
    if to is None:
        raise ValueError("状态 改期 needs 改期至 (a date like 2025-06-18)")
    if entry.moved and _same_start(entry, to):
        return None
    return Change(row, uid, "moved", {"to": to})


def _same_start(entry: Entry, to: date | datetime) -> bool:
    if isinstance(to, datetime) or entry.all_day:
        return entry.start == to
    return entry.start.date() == to  # a timed event moved by date keeps its time of day


def _attendance(text: str) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        raise ValueError(f"参加人数 {text!r} must be a whole number of 0 or more")
    return int(text)


def _day(text: str, plan: Plan, column: str) -> date | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text.replace("/", "-"))
    except ValueError:
        raise ValueError(f"{column} {text!r} is not a date like 2025-06-18") from None
    if not plan.start <= day < plan.end:
        raise ValueError(f"{column} {day} is outside the plan period")
    return day


def _when(text: str, plan: Plan) -> date | datetime | None:
    if "T" in text or " " in text:
        try:
            moment = datetime.fromisoformat(text.replace("/", "-"))
        except ValueError:
            raise ValueError(f"改期至 {text!r} is not a date or date-time") from None
        _day(moment.date().isoformat(), plan, "改期至")
        return moment if moment.tzinfo else moment.replace(tzinfo=TZ)
    return _day(text, plan, "改期至")


def apply_changes(changes: list[Change], recorder: Recorder) -> None:
    """All in one transaction: a crash part-way leaves the database as it was."""
    crash_after = os.environ.get(CRASH_AFTER)
    with recorder.store.transaction():
        for count, change in enumerate(changes, start=1):
            if change.action == "done":
                recorder.done(change.uid, **change.args)
            elif change.action == "cancelled":
                recorder.cancel(change.uid, **change.args)
            else:
                recorder.move(change.uid, **change.args)
            if crash_after and count == int(crash_after):
                os.kill(os.getpid(), signal.SIGKILL)
