"""Monthly report sheets: export, fill in, import back; all or nothing; every encoding."""

import json
import re
import zipfile
from datetime import datetime

import openpyxl
import pytest

from .bounded import cli_bounded
from .conftest import DATA, on_both_databases
from .test_unit_words import SPACED

pytestmark = on_both_databases


@pytest.fixture
def built(stored_small):
    return stored_small


def _dump(database):
    return (database.rows("SELECT * FROM event ORDER BY uid"),
            database.rows("SELECT * FROM history ORDER BY id"))


def _statuses(ws):
    rows = json.loads(ws.run("events", "--format", "json", "--month", "2025-05").output)
    return {r["uid"]: (r["status"], r["attendance"]) for r in rows}


def test_template_lists_the_units_month_title_first_and_its_key_hidden_last(built):
    out = built.run("export", "report-template", "--unit", "县应急管理局", "--month", "2025-05",
                    "--today", "2025-05-31").output.split()
    csv_path, xlsx_path = out
    assert str(csv_path).endswith("exports/reports/yingji-2025-05.csv")
    text = open(csv_path, encoding="utf-8-sig").read().splitlines()
    assert text[0] == ("活动,日期,星期,措施,牵头单位,状态,实际日期,数量,数量说明,备注,佐证材料,"
                       "取消原因,改期至,编号")
    assert len(text) == 1 + 7
    assert text[3] == "防灾减灾日宣传,2025年5月12日,周一,2,县应急管理局,,,,参加人数,,,,,m02-day/2025"
    sheet = openpyxl.load_workbook(xlsx_path).active
    assert sheet["A1"].value == "活动" and sheet["N1"].value == "编号" and sheet.max_row == 8
    assert sheet.column_dimensions["N"].hidden and not sheet.column_dimensions["A"].hidden
    assert sheet.freeze_panes == "B2"


def test_the_workbook_offers_status_as_a_drop_down(built):
    xlsx_path = built.run("export", "report-template", "--unit", "yingji", "--month", "2025-05",
                          "--today", "2025-05-31").output.split()[1]
    sheet = openpyxl.load_workbook(xlsx_path).active
    (choice,) = sheet.data_validations.dataValidation
    assert (choice.type, choice.formula1, str(choice.sqref)) == ("list", '"完成,取消,改期"',
                                                                 "F2:F8")
    assert sheet["F1"].value == "状态" and choice.showErrorMessage and choice.allow_blank


def test_the_same_month_on_the_same_day_is_the_same_xlsx_whatever_the_clock(built, monkeypatch):
    """openpyxl dates the zip members by the clock: a later save must still give the same bytes."""
    import time
    import zipfile

    real = time.time
    made = []
    for later in (0, 3600 * 5 + 7):
        monkeypatch.setattr(time, "time", lambda later=later: real() + later)
        out = built.run("export", "report-template", "--unit", "yingji", "--month", "2025-05",
                        "--today", "2025-05-31").output.split()
        made.append(open(out[1], "rb").read())
    monkeypatch.setattr(time, "time", real)
    assert made[0] == made[1]
    with zipfile.ZipFile(out[1]) as book:
        assert {i.date_time for i in book.infolist()} == {(2025, 5, 31, 0, 0, 0)}
        assert b">2025-05-31T00:00:00Z<" in book.read("docProps/core.xml")


@pytest.mark.parametrize("name", ["report_may_filled.csv", "report_may_gb18030.csv"])
def test_a_filled_sheet_lands_and_a_second_import_changes_nothing(built, name):
    out = built.run("import", str(DATA / name)).output
    assert out.strip().endswith("6 events changed")
    got = _statuses(built)
    assert got["m02-day/2025"] == ("done", 120) and got["m02-week/2025"] == ("done", 300)
    assert got["m02-tv/2025-W20"] == ("cancelled", None)
    assert got["m02-tv/2025-W21"] == ("moved", None)
    assert got["m02-tv/2025-W22"] == ("planned", None)
    before = _dump(built.database)
    assert built.run("import", str(DATA / name)).output.strip().endswith("0 events changed")
    assert _dump(built.database) == before


def test_a_sheet_with_bad_rows_names_every_row_and_changes_nothing(built):
    before = _dump(built.database)
    result = built.run("import", str(DATA / "report_may_bad.csv"), ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    rows = [int(line.split(":")[1]) for line in lines]
    assert rows == [3, 4, 5, 6, 7, 8, 9, 10]
    assert "没有编号为m02-tv/2025-W99的活动" in lines[0]
    assert "与第2行是同一项活动（编号重复）" in lines[5]
    # Written as the rest of the application writes: 第2行, and a date off the plan in words
    # with the plan's period beside it, not 2026-01-05 and （2025-01-01 至 2025-12-31）.
    assert lines[3].endswith(": 改期至2026年1月5日不在实施方案期限内（2025年1月1日至12月31日）")
    assert "应为完成、取消、改期或计划" in lines[6]
    assert not [line for line in lines if SPACED.search(line)], lines
    assert _dump(built.database) == before


def test_a_formula_in_a_column_without_a_heading_names_the_column_by_its_number(built,
                                                                                tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["编号", "状态"])
    book.active.append(["m02-day/2025", "完成", "=1+1"])
    sheet = tmp_path / "formula.xlsx"
    book.save(sheet)
    result = built.run("import", str(sheet), ok=False)
    assert result.output == f"{sheet}:2: 第3列是公式（=1+1），请直接填写它的值\n"


def test_dry_run_shows_the_changes_and_applies_none(built):
    before = _dump(built.database)
    out = built.run("import", "--dry-run", str(DATA / "report_may_filled.csv")).output
    assert "row 5: cancelled m02-tv/2025-W20 (reason=设备检修)" in out
    assert out.strip().endswith("6 events would change")
    assert _dump(built.database) == before


def test_the_xlsx_template_filled_in_by_hand_imports(built):
    built.run("export", "report-template", "--unit", "yingji", "--month", "2025-05")
    path = built.exports / "reports" / "yingji-2025-05.xlsx"
    book = openpyxl.load_workbook(path)
    sheet = book.active
    header = [c.value for c in sheet[1]]
    key = header.index("编号")
    for row in sheet.iter_rows(min_row=2):
        if row[key].value == "m02-day/2025":
            row[header.index("状态")].value = "完成"
            row[header.index("数量")].value = 88  # a number cell, as Excel stores it
        if row[key].value == "m02-tv/2025-W21":
            row[header.index("状态")].value = "改期"
            row[header.index("改期至")].value = "2025-05-23"
    book.save(path)
    assert built.run("import", str(path)).output.strip().endswith("2 events changed")
    got = _statuses(built)
    assert got["m02-day/2025"] == ("done", 88) and got["m02-tv/2025-W21"][0] == "moved"


def test_dates_are_written_as_an_office_writes_them_and_read_back_in_any_usual_form(built):
    """日期, 实际日期 and 改期至 say 2025年5月12日 (with 14:30 for a timed move) in both files;
    a unit may type a day as 2025年5月12日, 2025/5/12 or 2025-05-12, or let Excel make a date
    cell of it, and an impossible day is refused by its row."""
    built.run("export", "report-template", "--unit", "yingji", "--month", "2025-05")
    path = built.exports / "reports" / "yingji-2025-05.xlsx"
    book = openpyxl.load_workbook(path)
    sheet = book.active
    header = [c.value for c in sheet[1]]
    col = {name: header.index(name) for name in ("状态", "实际日期", "改期至", "编号", "日期")}
    rows = {row[col["编号"]].value: row for row in sheet.iter_rows(min_row=2)}
    assert rows["m02-day/2025"][col["日期"]].value == "2025年5月12日"
    rows["m02-day/2025"][col["状态"]].value = "完成"
    rows["m02-day/2025"][col["实际日期"]].value = datetime(2025, 5, 13)  # a date cell
    rows["m02-tv/2025-W21"][col["状态"]].value = "改期"
    rows["m02-tv/2025-W21"][col["改期至"]].value = "2025年5月23日 14：30"
    rows["m02-tv/2025-W20"][col["状态"]].value = "完成"
    rows["m02-tv/2025-W20"][col["实际日期"]].value = "2025/5/14"
    book.save(path)
    assert built.run("import", str(path)).output.strip().endswith("3 events changed")
    got = _statuses(built)
    assert [got[uid][0] for uid in ("m02-day/2025", "m02-tv/2025-W20", "m02-tv/2025-W21")] \
        == ["done", "done", "moved"]

    built.run("export", "report-template", "--unit", "yingji", "--month", "2025-05")
    lines = (built.exports / "reports" / "yingji-2025-05.csv").read_text("utf-8-sig")
    by_key = {line.rsplit(",", 1)[-1]: line for line in lines.splitlines()}
    assert ",完成,2025年5月13日," in by_key["m02-day/2025"]
    assert ",完成,2025年5月14日," in by_key["m02-tv/2025-W20"]
    assert by_key["m02-tv/2025-W21"].endswith(",2025年5月23日 14:30,m02-tv/2025-W21")
    shown = [line.rsplit(",", 1)[0] for line in lines.splitlines()]  # all but the hidden key
    assert not [line for line in shown if re.search(r"\d{4}-\d\d", line)]
    for suffix in ("csv", "xlsx"):
        out = built.run("import", str(built.exports / "reports" / f"yingji-2025-05.{suffix}"))
        assert out.output.strip().endswith("0 events changed"), suffix

    sheet_path = built.exports / "reports" / "yingji-2025-05.csv"
    bad = lines.replace(",2025年5月13日,", ",2025年2月30日,")
    sheet_path.write_text(bad, encoding="utf-8-sig")
    before = _dump(built.database)
    result = built.run("import", str(sheet_path), ok=False)
    assert result.exit_code == 1
    assert "实际日期“2025年2月30日”不是日期（如2025年6月18日）" in result.output
    assert _dump(built.database) == before


def test_an_exported_sheet_of_recorded_events_reimports_as_no_change(built):
    built.run("import", str(DATA / "report_may_filled.csv"))
    built.run("export", "report-template", "--unit", "yingji", "--month", "2025-05")
    for suffix in ("csv", "xlsx"):
        out = built.run("import", str(built.exports / "reports" / f"yingji-2025-05.{suffix}"))
        assert out.output.strip().endswith("0 events changed"), suffix


def test_a_dry_run_finds_a_contradiction_with_the_database_as_the_import_does(built, tmp_path):
    built.run("record", "done", "m02-day/2025", "--attendance", "120")
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("uid,状态,取消原因\nm02-monthly/2025-05,完成,\nm02-day/2025,取消,下雨\n",
                     encoding="utf-8")
    before = _dump(built.database)
    for args in (["--dry-run"], []):
        result = built.run("import", *args, str(sheet), ok=False)
        assert result.exit_code == 1, args
        assert result.output.strip() == (f"{sheet}:3: 这项活动已登记为完成；如实际未举行，"
                                         "请先撤销登记，再登记取消")
    assert _dump(built.database) == before


BAD = DATA / "bad_sheets"
REFUSED = {  # file -> (row or None, message)
    "attendance_1e30.xlsx": (4, "参加人数“1000000000000000019…”应为0至10,000,000的整数"),
    "attendance_30_nines.csv": (4, "应为0至10,000,000的整数"),
    "attendance_superscript.csv": (4, "参加人数“12²”应为0至10,000,000的整数"),
    "empty.xlsx": (None, "不是 Excel 工作簿（文件是空的）：请重新导出报表，或在 Excel 中另存为 .xlsx"),
    "not_a_zip.xlsx": (None, "不是 Excel 工作簿（文件不是 xlsx 格式）"),
    "truncated.xlsx": (None, "无法读取这个工作簿，文件可能已损坏"),
    "invalid_bytes.csv": (None, "文件不是 UTF-8、UTF-16 或 GB18030 编码的文本：请另存为“CSV UTF-8”"),
    "utf16_no_bom.csv": (None, "文件不是 UTF-8、UTF-16 或 GB18030 编码的文本"),
    "formula.xlsx": (4, "参加人数是公式（=100+20），请直接填写它的值"),
    # Which one counts? Both were read, and the last won: a sheet that says two things is
    # refused, naming the cells.
    "two_status_columns.csv": (1, "表头有2列“状态”（G1、N1）：每项只能有一列，请删去多余的列"),
    "two_attendance_columns.xlsx": (1, "表头有2列“参加人数”（I1、N1）"),
    "merged_cells.xlsx": (None, "合并了单元格 G2:L3：报表中不能合并单元格，请取消合并，每格只填一项"),
}
READ = ["utf16.csv", "cr_only.csv", "xlsx_named_csv.csv"]  # odd, but what they say is clear


def test_every_bad_sheet_has_its_case():
    assert sorted(p.name for p in BAD.iterdir()) == sorted([*REFUSED, *READ])


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_damaged_sheet_is_one_clear_line_per_problem_and_changes_nothing(built, name):
    row, message = REFUSED[name]
    before = _dump(built.database)
    for command in (["import", "--dry-run"], ["import"]):
        result = built.run(*command, str(BAD / name), ok=False)
        assert result.exit_code == 1 and "Traceback" not in result.output
        first = result.output.splitlines()[0]
        where = f"{BAD / name}:{row}: " if row else f"{BAD / name}: "
        assert first.startswith(where) and message in first, result.output
    assert _dump(built.database) == before


def test_every_formula_of_a_workbook_is_named(built):
    lines = built.run("import", str(BAD / "formula.xlsx"), ok=False).output.splitlines()
    assert lines[1] == (f"{BAD / 'formula.xlsx'}:5: 备注是公式"
                        '（=HYPERLINK("http://x","y")），请直接填写它的值')


@pytest.mark.parametrize("name", READ)
def test_utf16_cr_line_ends_and_a_workbook_named_csv_are_read(built, name):
    assert built.run("import", str(BAD / name)).output.strip().endswith("6 events changed")
    assert _statuses(built)["m02-day/2025"] == ("done", 120)


def test_a_field_longer_than_csv_allows_names_its_row(built, tmp_path):
    text = (DATA / "report_may_filled.csv").read_text(encoding="utf-8-sig")
    path = tmp_path / "long.csv"
    path.write_text(text.replace("广场演练", "长" * 140_000), encoding="utf-8")
    result = built.run("import", str(path), ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.startswith(f"{path}:4: 无法按 CSV 读取这一行（引号不成对，或一格过长）")


def test_record_refuses_an_attendance_beyond_any_event(built):
    result = built.run("record", "done", "m02-day/2025", "--attendance",
                       "99999999999999999999", ok=False)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "99999999999999999999 is not in the range 0<=x<=10000000" in result.output


NOTE = '=HYPERLINK("http://x","y")'


def test_text_that_looks_like_a_formula_stays_text_both_ways(built):
    built.run("record", "done", "m02-day/2025", "--attendance", "120", "--note", NOTE)
    built.run("record", "cancel", "m02-tv/2025-W20", "--reason", "+1 设备检修")
    built.run("export", "report-template", "--unit", "yingji", "--month", "2025-05")
    folder = built.exports / "reports"
    sheet = openpyxl.load_workbook(folder / "yingji-2025-05.xlsx").active
    header = [c.value for c in sheet[1]]
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)  # not one formula in the workbook
    note = next(r for r in sheet.iter_rows(min_row=2)
                if r[header.index("编号")].value == "m02-day/2025")
    assert note[header.index("备注")].value == NOTE
    text = (folder / "yingji-2025-05.csv").read_text(encoding="utf-8-sig")
    assert ",\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"," in text  # OWASP: a leading '
    assert ",'+1 设备检修," in text
    history = _dump(built.database)[1]
    for suffix in ("csv", "xlsx"):
        out = built.run("import", str(folder / f"yingji-2025-05.{suffix}")).output
        assert out.strip().endswith("0 events changed"), suffix
    assert _dump(built.database)[1] == history  # no history row: nothing was erased or rewritten


def test_a_row_naming_an_unknown_event_refuses_the_sheet_even_with_nothing_filled_in(
        built, tmp_path):
    text = (DATA / "report_may_filled.csv").read_text(encoding="utf-8-sig")
    sheet = tmp_path / "edited.csv"
    sheet.write_text(text.rstrip("\n") + "\nm02-tv/2025-W88,2025-07-09,三,电视科普栏目,2,县委宣传部"
                     ",,,,,,,\n", encoding="utf-8")
    row = len(text.rstrip("\n").splitlines()) + 1
    before = _dump(built.database)
    for command in (["import", "--dry-run"], ["import"]):
        result = built.run(*command, str(sheet), ok=False)
        assert result.exit_code == 1 and "Traceback" not in result.output
        (line,) = result.output.strip().splitlines()
        assert line.startswith(f"{sheet}:{row}: 没有编号为m02-tv/2025-W88的活动")
    assert _dump(built.database) == before


def test_hints_for_unknown_uids_stop_after_the_first_few(built, tmp_path):
    sheet = tmp_path / "other.csv"
    rows = [f"m02-tv/2025-W{w:02d}x,完成," for w in range(1, 26)]
    sheet.write_text("uid,状态,参加人数\n" + "\n".join(rows) + "\n", encoding="utf-8")
    lines = built.run("import", str(sheet), ok=False).output.strip().splitlines()
    assert len(lines) == 25
    assert all("是否应为m02-tv/2025-W" in line for line in lines[:20])
    assert not any("是否应为" in line for line in lines[20:])


def test_a_sheet_larger_than_a_month_s_is_refused_before_it_is_read(built, tmp_path):
    """The reported CSV of 1,000,000 unknown uids took 22 s and 2.5 GB and listed them all;
    refused by its size, it is one line, in a process allowed 300 MB."""
    sheet = tmp_path / "million.csv"
    with open(sheet, "w", encoding="utf-8") as out:
        out.write("uid,状态\n")
        out.writelines(f"unknown-{i:07d},完成\n" for i in range(1_000_000))
    result = cli_bounded(["--plan", str(built.plan), "--db", str(built.db), "import", str(sheet)],
                         megabytes=300)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr == (f"{sheet}: 文件超过5 MB：一个单位一个月的报表只有几十 KB，请用导出的"
                             "报表模板填写\n")


def test_a_workbook_that_unpacks_beyond_the_bound_is_refused_by_its_directory(built, tmp_path):
    """A workbook of a few hundred KB whose sheet is padded with 400 MB of spaces: refused
    from the sizes its zip declares, before any of it is unpacked (in 300 MB)."""
    template = tmp_path / "template.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["uid", "状态"])
    book.save(template)
    padded = tmp_path / "padded.xlsx"
    with zipfile.ZipFile(template) as source, \
            zipfile.ZipFile(padded, "w", zipfile.ZIP_DEFLATED) as out:
        for member in source.infolist():
            data = source.read(member)
            if member.filename != "xl/worksheets/sheet1.xml":
                out.writestr(member, data)
                continue
            with out.open(member.filename, "w", force_zip64=True) as sheet:
                head, tail = data.split(b"<sheetData>")
                sheet.write(head + b"<sheetData>")
                for _ in range(400):
                    sheet.write(b" " * (1024 * 1024))
                sheet.write(tail)
    assert padded.stat().st_size < 2 * 1024 * 1024
    result = cli_bounded(["--plan", str(built.plan), "--db", str(built.db), "import", str(padded)],
                         megabytes=300)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr == f"{padded}: 工作簿解压后超过20 MB：一个单位一个月的报表只有几十 KB，" \
                            "请用导出的报表模板填写\n"


def test_a_sheet_of_more_rows_than_a_unit_s_year_is_refused(built, tmp_path):
    sheet = tmp_path / "rows.csv"
    sheet.write_text("uid,状态\n" + "".join(f"x{i},\n" for i in range(2_001)), encoding="utf-8")
    result = built.run("import", str(sheet), ok=False)
    assert result.output == f"{sheet}:2002: 表格超过2,000行：一份报表是一个单位一个月的活动，请按月" \
                            "分开上传\n"


def test_the_first_fifty_problems_are_listed_and_the_rest_counted(built, tmp_path):
    sheet = tmp_path / "other.csv"
    sheet.write_text("uid,状态\n" + "".join(f"other-{i},完成\n" for i in range(80)),
                     encoding="utf-8")
    lines = built.run("import", str(sheet), ok=False).output.strip().splitlines()
    assert len(lines) == 51 and lines[49].startswith(f"{sheet}:51: 没有编号为other-49的活动")
    assert lines[50] == f"{sheet}: 另有30处问题未列出：请先改正以上各处，再上传检查"


@pytest.mark.parametrize("column, value, message", [
    ("备注", "演" * 501, "备注不超过500字（现有501字）"),
    ("取消原因", "雨" * 501, "取消原因不超过500字（现有501字）"),
    ("佐证材料", "照" * 501, "佐证材料不超过500字（现有501字）"),
])
def test_a_text_over_its_bound_in_a_sheet_names_its_row(built, tmp_path, column, value, message):
    status = "取消" if column == "取消原因" else "完成"
    sheet = tmp_path / "long.csv"
    sheet.write_text(f"uid,状态,{column}\nm02-day/2025,{status},{value}\n", encoding="utf-8")
    before = _dump(built.database)
    result = built.run("import", str(sheet), ok=False)
    assert result.output == f"{sheet}:2: {message}\n"
    assert _dump(built.database) == before

