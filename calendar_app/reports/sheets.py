"""Monthly report sheets: a unit's events of a month written out as CSV and XLSX, filled in
by the unit, and read back as records.

An import is all or nothing: every row is checked first and every bad row is reported with
its row number; only a clean sheet is applied, in one transaction. Rows that say what the
database already says change nothing, so importing the same sheet twice is harmless.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet.datavalidation import DataValidation

from .. import exports, limits
from ..errors import CalendarAppError, Problem
from ..formats import xlsx
from ..formats.words import cn_date, cn_moment, cn_period, read_date, read_moment
from ..model import STATUS_CN, TZ, Entry, Plan, day_of
from ..plan.yearday import WEEKDAY_CN
from ..textfile import decode
from .records import Recorder, RecordError

# The activity first; the key that matches a row to its event last, and hidden in the
# workbook: people fill in the columns between. 数量 is what the row's 数量说明 asks for
# (参加人数, 队伍人数, 不填 where none is asked, or a period report's 完成条数 of its plan).
COLUMNS = ("活动", "日期", "星期", "措施", "牵头单位", "状态", "实际日期", "数量", "数量说明", "备注",
           "佐证材料", "取消原因", "改期至", "编号")
KEY, COUNT = "编号", "数量"
# Sheets made before the key and the count had their present names still import.
ALIASES = {"uid": KEY, "参加人数": COUNT}
HINTS = 20  # unknown uids of one sheet given a "did you mean"
FILL_IN = ("状态", "实际日期", "数量", "备注", "佐证材料", "取消原因", "改期至")
STATUS_CHOICES = ("完成", "取消", "改期")  # the 状态 drop-down of the workbook
STATUS_WORDS = {"完成": "done", "已完成": "done", "done": "done", "取消": "cancelled",
                "已取消": "cancelled", "cancelled": "cancelled", "改期": "moved",
                "moved": "moved", "计划": "planned", "planned": "planned"}
BACKLOG = "逾期未报清单"  # the catch-up sheet's name, in place of a month's
NOT_ASKED = "不填"  # the 数量说明 of an event whose obligation asks no number (counted: 无)


class SheetError(CalendarAppError):
    """Rows of a sheet that cannot be imported; every one is listed as FILE:ROW: message."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class SheetForbidden(SheetError):
    """A sheet about events its sender may not report: refused whole."""


# -- the template --------------------------------------------------------------------------

def asked(entry: Entry, plan: Plan, planned: Mapping[str, int]) -> str:
    """What the row's 数量 is, in the words of its obligation: 参加人数, 队伍人数, 不填 where
    it asks no number, or for a period's report task how many were done of its plan
    (完成推送条数（本期计划31）)."""
    if entry.kind == "report":
        obligation = plan.obligation(entry.obligation)
        count = planned.get(entry.uid)
        return f"完成{obligation.tallied if obligation else '数量'}" + (
            f"（本期计划{count}）" if count is not None else "")
    return plan.asks(entry) or NOT_ASKED


def template_rows(entries: list[Entry], plan: Plan,
                  planned: Mapping[str, int] | None = None) -> list[list[object]]:
    """The sheet's rows; `planned` gives a report task's planned count, for its 数量说明."""
    rows: list[list[object]] = []
    for e in entries:
        day = e.start.date() if isinstance(e.start, datetime) else e.start
        status = e.shown_status
        count = e.done_count if e.kind == "report" else e.attendance
        rows.append([
            e.title, cn_date(day), WEEKDAY_CN[day.weekday()], e.measure or "",
            plan.units[e.lead].name if e.lead in plan.units else e.lead,
            STATUS_CN[status] if status != "planned" else "",
            cn_date(e.done_on) if e.done_on and e.kind == "event" else "",
            count if count is not None else "", asked(e, plan, planned or {}),
            e.remark if e.status == "done" else "", "",
            e.remark if e.status == "cancelled" else "",
            _written(e.start) if e.moved else "", e.uid,
        ])
    return rows


def _written(start: date | datetime) -> str:
    """A moved event's new day as the 改期至 column writes it: 2025年6月18日, with its time
    of day (14:30) when it has one."""
    return cn_moment(start) if isinstance(start, datetime) else cn_date(start)


def month_rows(entries: list[Entry]) -> list[Entry]:
    """A month sheet's events: each one reported on its own and each period's report task.
    A routine reported by period is judged in its report task, so its days are not rows to
    fill in (a month of daily pushes is one row, not 31), unless one was recorded alone."""
    return [e for e in entries if not e.orphaned and (e.reported_alone or e.status != "planned")]


def backlog(entries: list[Entry], unit: str, today: date, overdue_days: int) -> list[Entry]:
    """The catch-up sheet's events (逾期未报清单): every one the unit leads that is overdue
    today, across months, oldest first."""
    return sorted((e for e in entries if e.units and e.lead == unit and not e.orphaned
                   and e.overdue(today, overdue_days)),
                  key=lambda e: (day_of(e.start), e.uid))


def template_files(entries: list[Entry], plan: Plan, unit: str, month: str,
                   today: date, planned: Mapping[str, int] | None = None) -> dict[str, bytes]:
    """A unit's month (or, as `month` BACKLOG, its catch-up list) as a report sheet to fill
    in: its CSV and XLSX, by path under exports/. In the workbook, 状态 is a drop-down of
    完成, 取消 and 改期, and the 编号 column that matches a row to its event is hidden.

    Nothing written is ever a formula: an XLSX text cell is a string cell even when it
    begins with `=`, and a CSV field that a spreadsheet would read as a formula is prefixed
    with `'`, as OWASP recommends (CSV injection); import takes the `'` off again."""
    rows = template_rows(entries, plan, planned)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows([[_neutral(v) for v in row] for row in rows])
    # A BOM, so that Excel on a Chinese Windows opens the UTF-8 text correctly.
    csv_bytes = ("\ufeff" + out.getvalue()).encode("utf-8")

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = month
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # openpyxl makes a formula of any text starting with =
    widths = (40, 16, 6, 6, 16, 8, 16, 8, 24, 24, 24, 20, 22, 30)
    for i, size in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = size
    key = get_column_letter(COLUMNS.index(KEY) + 1)
    sheet.column_dimensions[key].hidden = True
    status = get_column_letter(COLUMNS.index("状态") + 1)
    choice = DataValidation(type="list", formula1='"' + ",".join(STATUS_CHOICES) + '"',
                            allow_blank=True, showErrorMessage=True, errorTitle="状态",
                            error="请从下拉列表中选择：" + "、".join(STATUS_CHOICES),
                            promptTitle="状态", prompt="完成、取消或改期；未举行也未取消的留空")
    choice.add(f"{status}2:{status}{max(2, len(rows) + 1)}")
    sheet.add_data_validation(choice)
    sheet.freeze_panes = "B2"
    return {exports.sheet(unit, month, ".csv"): csv_bytes,
            exports.sheet(unit, month, ".xlsx"): xlsx.saved(book, today)}


# -- reading a sheet back ------------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets read as a formula
ZIP = b"PK\x03\x04"  # an XLSX workbook is a zip archive, whatever its name says


def _neutral(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(sheet row number, {header: text}) for every non-empty row below the header.

    What a sheet may cost is bounded before it is parsed: its size as sent, an XLSX
    workbook's size unpacked (read from the zip's directory), its rows and its columns. A
    sheet whose reading would be a guess is refused, naming the cells: two columns of one
    header (two 状态: which one counts?), merged cells (which row do they belong to?)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(limits.SHEET_BYTES + 1)
    except OSError as exc:
        raise _refused(path, f"无法读取文件（{exc.strerror}）") from None
    if len(data) > limits.SHEET_BYTES:
        raise _refused(path, f"文件超过{limits.SHEET_BYTES // 1024 // 1024} MB：一个单位一个月的"
                             "报表只有几十 KB，请用导出的报表模板填写")
    if data.startswith(ZIP):
        raw = _workbook_rows(path, data)
    elif path.suffix.lower() == ".xlsx":
        what = "文件是空的" if not data else "文件不是 xlsx 格式"
        raise _refused(path, f"不是 Excel 工作簿（{what}）：请重新导出报表，或在 Excel 中另存为 "
                             ".xlsx")
    else:
        raw = _csv_rows(path, _decode(path, data))
    if not raw or not {KEY, "uid"} & {h.strip() for h in raw[0]}:
        raise SheetError([Problem(f"第一行应为表头，含“{KEY}”一列：请用导出的报表模板填写",
                                  str(path), 1)])
    header = [h.strip() for h in raw[0]]
    _check_header(path, header)
    rows = []
    for number, values in enumerate(raw[1:], start=2):
        cells = {h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(header)
                 if h}
        if any(cells.values()):
            rows.append((number, cells))
    return rows


def _refused(path: Path, message: str, row: int | None = None) -> SheetError:
    return SheetError([Problem(message, str(path), row)])


def _check_header(path: Path, header: list[str]) -> None:
    """Each heading once: a sheet with two 状态 columns cannot say which one it means."""
    columns: dict[str, list[str]] = {}
    for i, name in enumerate(header):
        if name:
            columns.setdefault(name, []).append(f"{get_column_letter(i + 1)}1")
    twice = [(name, cells) for name, cells in columns.items() if len(cells) > 1]
    if twice:
        raise SheetError([Problem(f"表头有{len(cells)}列“{name}”（{'、'.join(cells)}）：每项只能有"
                                  "一列，请删去多余的列", str(path), 1) for name, cells in twice])


def _workbook_rows(path: Path, data: bytes) -> list[list[str]]:
    """Every row as text. A formula is refused, naming its row: openpyxl reads a formula
    saved without its result as blank, which would silently erase what the cell held."""
    unreadable = _refused(path, "无法读取这个工作簿，文件可能已损坏：请重新导出报表，或在 Excel "
                                "中另存为 .xlsx")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise unreadable from None
    # The sizes the zip's directory declares are what reading may yield: zipfile stops at
    # them (and then fails the member's check), so they bound what openpyxl can unpack.
    unpacked = sum(member.file_size for member in members)
    if unpacked > limits.SHEET_UNPACKED or len(members) > 1000:
        raise _refused(path, f"工作簿解压后超过{limits.SHEET_UNPACKED // 1024 // 1024} MB：一个单位"
                             "一个月的报表只有几十 KB，请用导出的报表模板填写")
    problems = []
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        try:
            sheet = book.active
            raw: list[list[str]] = []
            header: list[str] = []
            for number, row in enumerate(sheet.iter_rows(), start=1):
                texts: list[str] = []
                for cell in row:
                    if cell.data_type == "f":
                        column = header[len(texts)] if len(texts) < len(header) else \
                            f"第{len(texts) + 1}列"
                        problems.append(Problem(
                            f"{column}是公式（{str(cell.value)[:40]}），请直接填写它的值", str(path),
                            number))
                        texts.append("")
                    else:
                        texts.append(_cell(cell.value))
                _check_row(path, number, texts)
                header = header or [t.strip() for t in texts]
                raw.append(texts)
            merged = _merged(book, sheet)
        finally:
            book.close()
    except SheetError:
        raise
    except Exception:  # any damage to the zip or its XML, however openpyxl reports it
        raise unreadable from None
    if merged:
        shown = "、".join(merged[:5]) + (f"等{len(merged)}处" if len(merged) > 5 else "")
        problems.insert(0, Problem(f"合并了单元格 {shown}：报表中不能合并单元格，请取消合并，"
                                   "每格只填一项", str(path)))
    if problems:
        raise SheetError(problems)
    return raw


def _merged(book: openpyxl.Workbook, sheet: ReadOnlyWorksheet) -> list[str]:
    """The merged ranges of a sheet read in read-only mode (which does not read them): from
    the sheet's XML, where they follow the cells, streamed."""
    merged = []
    with book._archive.open(sheet._worksheet_path) as xml:
        for _, element in ElementTree.iterparse(xml):
            if element.tag.endswith("}mergeCell"):
                merged.append(element.get("ref", ""))
            element.clear()
    return merged


def _check_row(path: Path, number: int, texts: list[str]) -> None:
    """A row within `limits.SHEET_ROWS` rows of data, of at most `limits.SHEET_COLUMNS`
    filled columns. (A NUL cannot come: a CSV holding one is refused whole, and XML has
    none.)"""
    if number > limits.SHEET_ROWS + 1:
        raise _refused(path, f"表格超过{limits.SHEET_ROWS:,}行：一份报表是一个单位一个月的活动，"
                             "请按月分开上传", number)
    while texts and not texts[-1]:
        texts.pop()
    if len(texts) > limits.SHEET_COLUMNS:
        raise _refused(path, f"表格超过{limits.SHEET_COLUMNS}列：请用导出的报表模板填写", number)


def _csv_rows(path: Path, text: str) -> list[list[str]]:
    rows = csv.reader(io.StringIO(text, newline=None))  # CR-only line ends too
    raw = []
    try:
        for number, row in enumerate(rows, start=1):
            texts = [_unneutral(v) for v in row]
            _check_row(path, number, texts)
            raw.append(texts)
    except csv.Error:
        raise _refused(path, "无法按 CSV 读取这一行（引号不成对，或一格过长）：请另存为“CSV UTF-8”"
                             "或 .xlsx", rows.line_num) from None
    return raw


def _unneutral(value: str) -> str:
    """Undo `_neutral`: the template's `'=...` is the note `=...`."""
    if value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def _decode(path: Path, data: bytes) -> str:
    """The sheet's text (see `textfile.decode`), or a SheetError saying how to save it."""
    text = decode(data)
    if text is None:
        raise _refused(path, "文件不是 UTF-8、UTF-16 或 GB18030 编码的文本：请另存为“CSV UTF-8”"
                             "或 .xlsx")
    if "\x00" in text:
        raise _refused(path, "文件含有 NUL 字符（可能是不带 BOM 的 UTF-16）：请另存为“CSV UTF-8”"
                             "或 .xlsx")
    return text


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):  # a cell the spreadsheet took for a date
        return cn_date(value.date()) if value.time() == datetime.min.time() else \
            cn_moment(value.replace(tzinfo=TZ))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass
class Change:
    row: int
    uid: str
    action: str  # done | period | cancelled | moved, or "" for a row that asks for nothing
    args: dict = field(default_factory=dict)
    title: str = ""  # the event's, once the row is matched to it
    day: date | None = None

    @property
    def said(self) -> str:
        """What the row did, as the upload's result says it: 完成, 报送, 取消, 改期."""
        return {"done": "登记完成", "period": "报送本期情况", "cancelled": "登记取消",
                "moved": "登记改期"}.get(self.action, "")

    def for_period(self) -> Change:
        """A 完成 row of a period's report task: its 数量 is how many were done."""
        done = self.args["attendance"]
        if done is None:
            raise RecordError("", f"这是按期报送任务，请在“{COUNT}”一栏填写本期完成的数量")
        note = "；".join(t for t in (self.args["note"], self.args["evidence"] and
                                     f"佐证材料：{self.args['evidence']}") if t)
        return Change(self.row, self.uid, "period", {"done": done, "note": note}, self.title,
                      self.day)

    def describe(self) -> str:
        detail = ", ".join(f"{k}={v}" for k, v in self.args.items() if v not in (None, ""))
        return f"row {self.row}: {self.action} {self.uid}" + (f" ({detail})" if detail else "")

    def says_what_is_stored(self, entry: Entry) -> bool:
        """The row repeats what the database already holds: importing it again is a no-op."""
        args = self.args
        if not self.action:
            return True
        if self.action == "done":
            return (entry.status == "done" and entry.attendance == args["attendance"]
                    and args["on"] in (None, entry.done_on) and entry.remark == args["note"])
        if self.action == "period":
            return (entry.status == "done" and entry.done_count == args["done"]
                    and entry.remark == args["note"])
        if self.action == "cancelled":
            return entry.status == "cancelled" and entry.remark == args["reason"]
        return entry.moved and _same_start(entry, args["to"])

    def apply(self, recorder: Recorder) -> None:
        verb: dict[str, Callable[..., object]] = {
            "done": recorder.done, "period": recorder.period, "cancelled": recorder.cancel,
            "moved": recorder.move}
        verb[self.action](self.uid, **self.args)


def import_sheet(path: Path, recorder: Recorder, dry_run: bool = False,
                 owner: Callable[[Entry], bool] | None = None) -> list[Change]:
    """Check every row of a filled-in sheet and apply it, all in one transaction.

    SheetError lists every bad row as FILE:ROW and nothing changes. A row is checked against
    the stored event inside the transaction that applies it, so what passes is what lands; a
    dry run takes the same path and then takes its changes back. With `owner`, a sheet with
    a row about an event it does not allow (another unit's) is SheetForbidden, whole.
    Returns the changes made (rows that repeat what is stored change nothing).
    """
    changes, problems = read_changes(path, recorder.plan)
    made, hinted = [], 0
    with recorder.batch(dry_run):
        for change in changes:
            try:
                entry = recorder.lookup(change.uid)
                if entry is None:
                    # Hints for the first few: past them, a sheet is of another calendar.
                    hinted += 1
                    close = recorder.suggest(change.uid) if hinted <= HINTS else []
                    hint = f"，是否应为{'、'.join(close)}？" if close else ""
                    raise RecordError("", f"没有编号为{change.uid}的活动{hint}")
                if owner is not None and not owner(entry):
                    raise SheetForbidden([Problem(f"“{entry.title}”不是本单位牵头或配合的活动",
                                                  str(path), change.row)])
                change.title, change.day = entry.title, day_of(entry.start)
                if entry.kind == "report" and change.action == "done":
                    change = change.for_period()
                if not change.says_what_is_stored(entry):
                    change.apply(recorder)
                    made.append(change)
            except RecordError as exc:
                problems.append(Problem(exc.cn, str(path), change.row))
        if problems:
            raise SheetError(_first(sorted(problems, key=lambda p: p.line or 0), path))
    return made


def _first(problems: list[Problem], path: Path) -> list[Problem]:
    """The first `limits.SHEET_PROBLEMS` problems, and how many more there are: a sheet of
    a thousand bad rows is of another calendar, and a page listing them all helps no one."""
    most = limits.SHEET_PROBLEMS
    if len(problems) <= most:
        return problems
    return [*problems[:most], Problem(f"另有{len(problems) - most:,}处问题未列出：请先改正以上"
                                      "各处，再上传检查", str(path))]


def read_changes(path: Path, plan: Plan) -> tuple[list[Change], list[Problem]]:
    """What each row asks for (nothing, for a row left as it was), checked as far as the
    sheet alone allows, and the bad rows."""
    problems: list[Problem] = []
    changes: list[Change] = []
    seen: dict[str, int] = {}
    for row, cells in read_rows(path):
        # A sheet of before says uid and 参加人数; its messages say what it says.
        count = next((old for old, new in ALIASES.items() if new == COUNT and old in cells),
                     COUNT)
        uid = cells.get(KEY, "") or cells.get("uid", "")
        try:
            if not uid:
                raise ValueError(f"缺少{KEY}（隐藏的最后一列，请勿删改）")
            if uid in seen:
                raise ValueError(f"与第{seen[uid]}行是同一项活动（{KEY}重复）")
            seen[uid] = row
            change = _row_change(row, uid, cells, plan, count)
        except ValueError as exc:
            problems.append(Problem(str(exc), str(path), row))
            continue
        # A row that asks for nothing is still checked against the database: a sheet
        # naming events this calendar does not have comes from another one, or was edited.
        changes.append(change or Change(row, uid, ""))
    return changes, problems


def _row_change(row: int, uid: str, cells: dict[str, str], plan: Plan,
                count: str = COUNT) -> Change | None:
    word = cells.get("状态", "")
    status = STATUS_WORDS.get(word.lower()) if word else None
    if word and status is None:
        raise ValueError(f"状态“{word}”应为完成、取消、改期或计划")
    fill_in = [count if c == COUNT else c for c in FILL_IN]
    filled = [c for c in fill_in[1:] if cells.get(c)]
    if status in (None, "planned"):
        if filled:
            raise ValueError(f"填写了{'、'.join(filled)}，但状态{'为' + word if word else '未填'}")
        return None
    others = {"done": ("取消原因", "改期至"), "cancelled": (count, "实际日期", "改期至"),
              "moved": (count, "实际日期", "取消原因")}[status]
    clash = [c for c in others if cells.get(c)]
    if clash:
        raise ValueError(f"状态“{word}”与所填{'、'.join(clash)}矛盾")
    if status == "done":
        return Change(row, uid, "done", {
            "on": _parse_day(cells.get("实际日期", ""), plan, "实际日期"),
            "attendance": _attendance(cells.get(count, ""), count),
            "note": cells.get("备注", ""), "evidence": cells.get("佐证材料", "")})
    if status == "cancelled":
        reason = cells.get("取消原因", "")
        if not reason:
            raise ValueError("状态为取消时须填写取消原因")
        return Change(row, uid, "cancelled", {"reason": reason})
    to = _when(cells.get("改期至", ""), plan)
    if to is None:
        raise ValueError("状态为改期时须填写改期至（如2025年6月18日）")
    return Change(row, uid, "moved", {"to": to})


def _same_start(entry: Entry, to: date | datetime) -> bool:
    if isinstance(to, datetime) or not isinstance(entry.start, datetime):
        return entry.start == to
    return entry.start.date() == to  # a timed event moved by date keeps its time of day


def _attendance(text: str, column: str = COUNT) -> int | None:
    if not text:
        return None
    # isdecimal, not isdigit: superscripts (²) are digits that int() refuses.
    if not text.isdecimal() or len(text) > 12 or int(text) > limits.ATTENDANCE:
        short = text if len(text) <= 20 else text[:19] + "…"
        raise ValueError(f"{column}“{short}”应为0至{limits.ATTENDANCE:,}的整数")
    return int(text)


def _parse_day(text: str, plan: Plan, column: str) -> date | None:
    if not text:
        return None
    day = read_date(text)
    if day is None:
        raise ValueError(f"{column}“{text}”不是日期（如2025年6月18日）")
    return _within(day, plan, column)


def _within(day: date, plan: Plan, column: str) -> date:
    if not plan.start <= day < plan.end:
        raise ValueError(f"{column}{cn_date(day)}不在实施方案期限内（{cn_period(plan.start, plan.end)}）")
    return day


def _when(text: str, plan: Plan) -> date | datetime | None:
    """改期至: a day, or a day and time (Chongyang's); sheets written before dates were
    in words carry ISO moments with their offset (2025-06-18T14:30:00+08:00)."""
    if not text:
        return None
    moment = read_moment(text)
    if moment is None:
        try:
            moment = datetime.fromisoformat(text.replace("/", "-"))
        except ValueError:
            raise ValueError(f"改期至“{text}”不是日期或时间（如2025年6月18日 14:30）") from None
    if not isinstance(moment, datetime):
        return _within(moment, plan, "改期至")
    _within(moment.date(), plan, "改期至")
    return moment if moment.tzinfo else moment.replace(tzinfo=TZ)
