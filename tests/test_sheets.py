"""Monthly report sheets: export, fill in, import back; all or nothing; every encoding."""

import json

import openpyxl
import pytest

from .conftest import DATA, on_both_databases

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


def test_template_lists_the_units_month_uid_first(built):
    out = built.run("export", "report-template", "--unit", "县应急管理局", "--month", "2025-05",
                    "--today", "2025-05-31").output.split()
    csv_path, xlsx_path = out
    assert str(csv_path).endswith("exports/reports/yingji-2025-05.csv")
    text = open(csv_path, encoding="utf-8-sig").read().splitlines()
    assert text[0].startswith("uid,日期,星期,活动,措施,牵头单位,状态,实际日期,参加人数")
    assert len(text) == 1 + 7 and text[3].startswith("m02-day/2025,2025-05-12,周一,防灾减灾日宣传")
    sheet = openpyxl.load_workbook(xlsx_path).active
    assert sheet["A1"].value == "uid" and sheet.max_row == 8


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
    assert "没有 uid 为 m02-tv/2025-W99 的活动" in lines[0]
    assert "与第 2 行重复（uid m02-monthly/2025-05）" in lines[5]
    assert _dump(built.database) == before


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
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == "m02-day/2025":
            row[header.index("状态")].value = "完成"
            row[header.index("参加人数")].value = 88  # a number cell, as Excel stores it
        if row[0].value == "m02-tv/2025-W21":
            row[header.index("状态")].value = "改期"
            row[header.index("改期至")].value = "2025-05-23"
    book.save(path)
    assert built.run("import", str(path)).output.strip().endswith("2 events changed")
    got = _statuses(built)
    assert got["m02-day/2025"] == ("done", 88) and got["m02-tv/2025-W21"][0] == "moved"


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
