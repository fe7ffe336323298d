"""A county's responsibility table (重点任务责任分工表) read from Word (DOCX), Excel (XLSX) or
CSV into rows: the key task (重点任务), the numbered measure (主要措施: its title and text) and
the responsible units (责任单位, the first leading), each row knowing which cell it came from.

The header row is found by the words counties write (序号, 重点任务, 主要措施, 责任单位, 牵头单位,
配合单位 ...) in the first rows of any table or sheet. A key task written once for several
measures (a merged cell, or left empty below its first row) is carried down. Anything the
reader cannot take as it stands is a `Problem` naming the file and the row or cell, before
anything is written. Reads files; no other side effect.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Problem
from ..textfile import decode

MAX_BYTES = 50 * 1024 * 1024  # a table of a few pages is well under 1 MB; scans are larger
MAX_ROWS = 2_000  # rows read from a sheet; a responsibility table has a few dozen
MAX_COLUMNS = 30
HEADER_ROWS = 15  # the header is looked for among a table's first rows

# Header words, by the column they name. A cell names a column when it contains one of them.
NUMBER_WORDS = ("序号", "编号")
UNIT_WORDS = ("责任单位", "责任部门", "牵头单位", "牵头部门", "配合单位", "配合部门", "协办单位",
              "参与单位", "责任主体", "实施单位")
LEAD_WORDS = ("牵头",)
CO_WORDS = ("配合", "协办", "参与")
MEASURE_WORDS = ("措施", "工作内容", "主要内容", "任务内容", "具体任务", "工作任务及措施")
GROUP_WORDS = ("重点任务", "主要任务", "重点工作", "工作任务", "任务类别", "类别", "任务")

# "1." "1、" "（1）": a measure's number before its title (not the 2020 of 2020年底).
_NUMBERED = re.compile(r"^\s*(?:[（(]\s*(\d{1,3})\s*[)）]|(\d{1,3})\s*[.．、,，:：](?!\d))\s*")
_SPLIT_UNITS = re.compile(r"[、，,；;/／\s]+")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Row:
    """One measure as the table writes it; `where` names its row, `units_cell` the cell of
    its units, for messages."""

    where: str
    group: str
    number: int
    title: str
    text: str
    units: tuple[str, ...]
    units_cell: str


@dataclass
class Table:
    """What was read: the rows, the title found above the table, and how the reading went."""

    file: str
    rows: list[Row] = field(default_factory=list)
    title: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class _Grid:
    """A table or sheet as text cells, and how to name a cell in a message: `table` is a
    Word table's number, `sheet` an Excel sheet's name (neither: a CSV file)."""

    rows: list[list[str]]
    table: int = 0
    sheet: str = ""
    before: str = ""  # text above the table (a docx's paragraphs): where its title is

    def name(self, r: int, c: int) -> str:
        """A cell: 分工表!C12, table 1, row 12, column 3, or row 12, column 3."""
        if self.sheet:
            from openpyxl.utils import get_column_letter

            return f"{self.sheet}!{get_column_letter(c + 1)}{r + 1}"
        return f"{self.row_name(r)}, column {c + 1}"

    def row_name(self, r: int) -> str:
        if self.sheet:
            return f"sheet {self.sheet}, row {r + 1}"
        return f"table {self.table}, row {r + 1}" if self.table else f"row {r + 1}"


@dataclass(frozen=True)
class _Columns:
    header: int  # index of the last header row
    number: int | None
    group: int | None
    measure: int
    units: tuple[int, ...]  # 责任单位, or 牵头单位 then 配合单位
    unit_header: str  # how the table calls its units column, for messages


def read_table(path: str | Path) -> Table:
    """The rows of the responsibility table in a DOCX, XLSX or CSV file."""
    path = Path(path)
    file = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise Problem(f"the file is {size // 1024 // 1024} MB; a responsibility table is "
                          "well under 1 MB (is it a scan?)", file)
        data = path.read_bytes()
    except OSError as exc:
        raise Problem(f"cannot read the table: {exc.strerror}", file) from None
    suffix = path.suffix.lower()
    if suffix in (".doc", ".xls", ".wps", ".et"):
        raise Problem(f"an old {suffix} file cannot be read: open it in WPS or Word and save it "
                      "as .docx (or Excel .xlsx)", file)
    if suffix == ".pdf" or data.startswith(b"%PDF"):
        raise Problem("a PDF cannot be read as a table: ask for the Word (.docx) or Excel "
                      "(.xlsx) original", file)
    if suffix == ".csv":
        grids = [_csv_grid(file, data)]
    elif suffix in (".docx", ".xlsx", ".xlsm"):
        if not zipfile.is_zipfile(io.BytesIO(data)):
            what = "the file is empty" if not data else "it is not a zip archive"
            raise Problem(f"not a {suffix} file: {what}; save it again from WPS, Word or Excel",
                          file)
        grids = _docx_grids(file, data) if suffix == ".docx" else _xlsx_grids(file, data)
    else:
        raise Problem(f"cannot read a {suffix or 'file without a suffix'}: give the table as "
                      ".docx, .xlsx or .csv", file)
    return _read(file, grids)


# -- the formats ---------------------------------------------------------------------------

def _docx_grids(file: str, data: bytes) -> list[_Grid]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise Problem(f"not a Word document ({' '.join(str(exc).split())[:80]}); save it again "
                      "from WPS or Word as .docx", file) from None
    texts = [p.text.strip() for p in document.paragraphs if p.text.strip()]
    grids = []
    for t, table in enumerate(document.tables, start=1):
        # python-docx gives a merged cell's text in every position it covers.
        rows = [[_text(cell.text) for cell in row.cells][:MAX_COLUMNS]
                for row in table.rows[:MAX_ROWS + 1]]
        grids.append(_Grid(rows, table=t, before="\n".join(texts)))
    if not any(cell for grid in grids for row in grid.rows for cell in row) and not texts:
        pictures = document.element.body.xpath(".//w:drawing | .//w:pict")
        if pictures:
            raise Problem("the document holds only pictures (a scanned table?), no text to "
                          "read: ask for the Word (.docx) or Excel (.xlsx) original", file)
        raise Problem("the document is empty: no table to read", file)
    return grids


def _xlsx_grids(file: str, data: bytes) -> list[_Grid]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # any damage to the zip or its XML, however openpyxl reports it
        reason = " ".join(str(exc).split())[:80] or type(exc).__name__
        raise Problem(f"not an Excel workbook ({reason}); save it again from WPS or Excel as "
                      ".xlsx", file) from None
    grids = []
    try:
        for sheet in book.worksheets:
            rows: list[list[str]] = []
            # Read-only: a merged cell's text is in its first cell only; the key task is
            # carried down below, like a cell a county left empty.
            for row in sheet.iter_rows(max_row=MAX_ROWS + 1, max_col=MAX_COLUMNS,
                                       values_only=True):
                rows.append([_text(_value(v)) for v in row])
            if len(rows) > MAX_ROWS:
                raise Problem(f"sheet {sheet.title} has more than {MAX_ROWS} rows; a "
                              "responsibility table has a few dozen", file)
            grids.append(_Grid(rows, sheet=sheet.title))
    finally:
        book.close()
    return grids


def _csv_grid(file: str, data: bytes) -> _Grid:
    text = decode(data)
    if text is None or "\x00" in text:
        raise Problem("not text in UTF-8, UTF-16 or GB18030; save the table as CSV UTF-8 or as "
                      ".xlsx", file)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[str]] = []
    try:
        for row in reader:
            if len(rows) == MAX_ROWS:
                raise Problem(f"more than {MAX_ROWS} rows; a responsibility table has a few "
                              "dozen", file)
            rows.append([_text(v) for v in row[:MAX_COLUMNS]])
    except csv.Error as exc:
        raise Problem(f"not a readable CSV row: {exc}", file, reader.line_num) from None
    return _Grid(rows)


def _value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _text(value: str) -> str:
    """A cell's text: line ends as \\n, no trailing spaces on a line, none around it."""
    lines = value.replace("\r\n", "\n").replace("\r", "\n").replace("\u3000", " ").split("\n")
    return "\n".join(line.strip() for line in lines).strip("\n ")


# -- the header and the rows ---------------------------------------------------------------

def _flat(text: str) -> str:
    return _SPACES.sub("", text)


def _role(cell: str) -> str:
    word = _flat(cell)
    if not word or len(word) > 20:  # a header names a column in a few words
        return ""
    if any(w in word for w in NUMBER_WORDS):
        return "number"
    if any(w in word for w in UNIT_WORDS) or word in ("单位", "部门"):
        if any(w in word for w in LEAD_WORDS):
            return "lead"
        if any(w in word for w in CO_WORDS):
            return "co"
        return "units"
    if any(w in word for w in MEASURE_WORDS):
        return "measure"
    if any(w in word for w in GROUP_WORDS):
        return "group"
    return ""


def _columns(grid: _Grid) -> _Columns | None:
    for r, row in enumerate(grid.rows[:HEADER_ROWS]):
        roles: dict[str, int] = {}
        for c, cell in enumerate(row):
            role = _role(cell)
            if role and role not in roles:
                roles[role] = c
        if "measure" not in roles or not {"units", "lead"} & set(roles):
            continue
        header = r
        # 责任单位 over 牵头单位 | 配合单位 on the row below: a header of two rows.
        below = grid.rows[r + 1] if r + 1 < len(grid.rows) else []
        split = {_role(cell): c for c, cell in enumerate(below) if _role(cell) in ("lead", "co")}
        if "lead" in split:
            roles.update(split)
            roles.pop("units", None)
            header = r + 1
        if "lead" in roles:
            units = tuple(roles[k] for k in ("lead", "co") if k in roles)
            said = grid.rows[header][roles["lead"]] or "牵头单位"
        else:
            units = (roles["units"],)
            said = row[roles["units"]]
        # A merged group heading repeats over the measure column; a distinct column only.
        group = roles.get("group")
        if group is not None and group == roles["measure"]:
            group = None
        return _Columns(header, roles.get("number"), group, roles["measure"], units,
                        _flat(said))
    return None


def _read(file: str, grids: list[_Grid]) -> Table:
    found = [(grid, columns) for grid in grids if (columns := _columns(grid)) is not None]
    if not found:
        raise Problem("no header row found: a responsibility table needs a row naming its "
                      "columns, such as 重点任务 | 主要措施 | 责任单位 (or 牵头单位 and 配合单位), "
                      f"within its first {HEADER_ROWS} rows", file)
    table = Table(file, title=_title(found[0][0].before))
    first_seen: dict[int, str] = {}
    numbered = 0
    for grid, columns in found:
        group = ""
        for r in range(columns.header + 1, len(grid.rows)):
            row = grid.rows[r]

            def cell(c: int | None, row: list[str] = row) -> str:
                return row[c] if c is not None and c < len(row) else ""

            texts = [t for t in row if t]
            if not texts:
                continue
            if _columns(_Grid([row])) is not None:
                continue  # the header again, where a table goes on over a page
            if len(set(texts)) == 1 and len(texts) > 1:
                group = "".join(texts[0].split("\n"))  # a heading row across the table
                continue
            if columns.group is not None and cell(columns.group):
                group = "".join(cell(columns.group).split("\n"))
            measure = cell(columns.measure)
            if not measure:
                raise Problem(f"{grid.name(r, columns.measure)}: the 主要措施 cell is empty "
                              f"({grid.row_name(r)})", file)
            number, title, text = _measure(measure, cell(columns.number))
            if number is None:
                numbered += 1
                number = numbered
            else:
                numbered = number
            if number in first_seen:
                raise Problem(f"{grid.row_name(r)}: measure number {number} is used twice "
                              f"(first at {first_seen[number]})", file)
            first_seen[number] = grid.row_name(r)
            units: list[str] = []
            for c in columns.units:
                units += [u for u in _SPLIT_UNITS.split(cell(c)) if u]
            if not units:
                raise Problem(f"{grid.name(r, columns.units[0])}: the {columns.unit_header} "
                              f"cell of measure {number} is empty", file)
            table.rows.append(Row(grid.row_name(r), group, number, title, text, tuple(units),
                                  grid.name(r, columns.units[0])))
    if not table.rows:
        raise Problem("the table has a header row but no measures below it", file)
    return table


def _measure(cell: str, number_cell: str) -> tuple[int | None, str, str]:
    """(number, title, text) of a 主要措施 cell: "1.title" on its first line, the text below.
    A 序号 column, when there is one, gives the number."""
    number = None
    if number_cell.strip().isdigit():
        number = int(number_cell)
    else:
        found = _NUMBERED.match(number_cell)
        if found and not number_cell[found.end():].strip():
            number = int(found[1] or found[2])
    head = _NUMBERED.match(cell)
    if head and (number is None or int(head[1] or head[2]) == number):
        number = int(head[1] or head[2])
        cell = cell[head.end():]
    first, _, rest = cell.partition("\n")
    if not rest.strip():  # one paragraph: the title is its first sentence
        title, stop, rest = first.partition("。")
        if not rest.strip():
            return number, first.rstrip("。"), first
        return number, title, rest.strip()
    return number, first.strip(), rest.strip()


def _title(text: str) -> str:
    """The table's own name, from the paragraphs above it (附件 重点任务责任分工表)."""
    for line in text.split("\n"):
        line = _flat(line)
        if line.endswith("表") and len(line) <= 40:
            return line.removeprefix("附件").lstrip("：:0123456789一二三四五六七八九十")
    return ""
