"""The county's responsibility table (the attachment 重点任务责任分工表 the plan comes from), made
into the Word and Excel files a county office would send: key tasks in merged cells, a measure's
number and title on its first line and its text below, the units in one cell."""

from __future__ import annotations

from pathlib import Path

SEED = Path("/work/shared/seed/000_f7ee605860f3a756.txt")
HEADER = ("重点任务", "主要措施", "责任单位")

Row = tuple[str, str, str]  # key task ("" below its first row), measure, units


def seed_rows(path: Path = SEED) -> list[Row]:
    """The table's rows from its text copy: a cell starts with a tab, a line without one
    goes on the cell before it, a blank line ends the row."""
    text = path.read_text(encoding="utf-8")
    blocks = text.split("\n\n")
    rows: list[Row] = []
    for block in blocks:
        cells: list[str] = []
        for line in block.split("\n"):
            if line.startswith("\t"):
                cells.append(line[1:])
            elif cells:
                cells[-1] += "\n" + line
        cells = [c.strip() for c in cells]
        if len(cells) == 3 and tuple(cells) != HEADER and cells[1]:
            rows.append((cells[0], cells[1], cells[2]))
    return rows


def _paragraphs(cell, text: str) -> None:
    lines = text.split("\n")
    cell.paragraphs[0].text = lines[0]
    for line in lines[1:]:
        cell.add_paragraph(line)


def make_docx(path: Path, rows: list[Row], header: tuple[str, ...] = HEADER,
              merge: bool = True) -> Path:
    """A Word document as the county prints it: a title above, the table with its header,
    each key task merged over the rows of its measures."""
    import docx

    document = docx.Document()
    document.add_paragraph("附件")
    document.add_paragraph("重点任务责任分工表")
    table = document.add_table(rows=1 + len(rows), cols=len(header))
    for c, word in enumerate(header):
        table.cell(0, c).text = word
    top = None
    for r, (group, measure, units) in enumerate(rows, start=1):
        if group or not merge:
            _paragraphs(table.cell(r, 0), group)
            top = r
        elif top is not None:
            table.cell(top, 0).merge(table.cell(r, 0))
        _paragraphs(table.cell(r, 1), measure)
        _paragraphs(table.cell(r, 2), units)
    document.save(path)
    return path


def make_xlsx(path: Path, rows: list[Row], header: tuple[str, ...] = HEADER) -> Path:
    """An Excel workbook of the same table: a merged title row, the header, the key tasks
    merged down their measures, line breaks inside the cells."""
    import openpyxl
    from openpyxl.styles import Alignment

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "分工表"
    sheet.append(["重点任务责任分工表"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append(list(header))
    top = None
    for r, (group, measure, units) in enumerate(rows, start=3):
        sheet.append([group or None, measure, units])
        sheet.cell(r, 2).alignment = Alignment(wrap_text=True)
        if group:
            top = r
        elif top is not None:
            sheet.merge_cells(start_row=top, start_column=1, end_row=r, end_column=1)
    book.save(path)
    return path
