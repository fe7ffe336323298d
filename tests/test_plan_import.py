"""`calendar-app plan import`: the county's responsibility table, as the Word and Excel files a
county office sends, read into a draft plan that validates, builds, and keeps the table's
measures, units and rhythms; a table the reader cannot take is one line naming its row or
cell, exit 1, and no file written."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from calendar_app.cli import cli
from calendar_app.plan.reader import load_plan
from calendar_app.plan.writer import plan_text
from calendar_app.schedule.expansion import expand

from .conftest import SHIPPED, Workspace
from .tables import HEADER, make_docx, make_xlsx, seed_rows

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _import(table: Path, out: Path, *more: str):
    return CliRunner().invoke(cli, ["--plan", str(SHIPPED), "plan", "import", str(table),
                                    "--out", str(out), *more])


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """The table as DOCX and XLSX, each imported; the DOCX's plan built for 2025."""
    folder = tmp_path_factory.mktemp("imported")
    rows = seed_rows()
    made = {}
    for kind, make in (("docx", make_docx), ("xlsx", make_xlsx)):
        table = make(folder / f"分工表.{kind}", rows)
        result = _import(table, folder / kind / "recurring.yaml")
        assert result.exit_code == 0, result.output
        made[kind] = (folder / kind / "recurring.yaml", result.output)
    ws = Workspace(folder / "docx", made["docx"][0])
    ws.run("build", "--from", "2025-01-01", "--to", "2025-12-31", "--today", "2025-01-01")
    return made, ws


def _events(ws: Workspace, unit: str) -> list[dict]:
    return json.loads(ws.run("events", "--unit", unit, "--format", "json").output)


@pytest.mark.parametrize("kind", ["docx", "xlsx"])
def test_the_table_s_30_measures_come_in_verbatim_with_their_units(imported, shipped_plan,
                                                                   kind):
    path, output = imported[0][kind]
    plan = load_plan(path)
    assert sorted(plan.measures) == list(range(1, 31))
    for number, measure in plan.measures.items():
        table = shipped_plan.measures[number]  # the shipped plan keeps the table's words
        assert (measure.title, measure.text, measure.category) == \
            (table.title, table.text, table.category), number
        assert measure.listed == table.listed, number  # as the table writes them
        assert measure.units == table.units, number  # read against the county's bodies
    assert plan.measures[23].listed == ("县科经局", "教育局")
    assert plan.measures[6].units[0] == "xuanchuan"  # the first unit leads
    assert "36 units (24 county units plus the 12 townships)" in output.splitlines()[0]
    for note in ("measure 23: 教育局 read as 县教育局 (alias)",
                 "measure 6: 县广文旅局 read as 县文旅局 (alias)",
                 "measure 17: 县文旅局 listed twice, kept once"):
        assert f"note: {note}" in output


def test_docx_and_xlsx_give_the_same_plan(imported):
    docx, xlsx = (imported[0][k][0].read_text("utf-8") for k in ("docx", "xlsx"))
    assert docx.splitlines()[2:] == xlsx.splitlines()[2:]  # the heading names the file


def test_each_rhythm_the_table_states_is_an_obligation_quoting_it(imported):
    plan = load_plan(imported[0]["docx"][0])
    kinds = {o.id: o.rule.kind for o in plan.obligations}
    assert kinds == {
        "m2-term": "per_term", "m2-rotation": "rotation", "m3-quota": "quota",
        "m4-quota": "quota", "m4-quota-2": "quota", "m6-day": "observance",
        "m9-times": "times_a_year", "m12-day": "observance", "m16-milestone": "milestone",
        "m16-milestone-2": "milestone", "m16-milestone-3": "milestone", "m19-weekly": "weekly",
        "m21-day": "observance", "m21-day-2": "observance", "m21-day-3": "observance",
        "m21-day-4": "observance", "m27-milestone": "milestone"}
    for o in plan.obligations:
        assert o.assumed.startswith("分工表"), o.id  # marked as the county's reading
        assert o.quote in plan.measures[o.measure].text, o.id
        assert o.lead == plan.measures[o.measure].units[0], o.id
    by_id = {o.id: o for o in plan.obligations}
    assert (by_id["m16-milestone-3"].target.amount, by_id["m16-milestone-3"].target.unit,
            by_id["m16-milestone-3"].target.by) == (50, "个", date(2025, 12, 31))
    assert (by_id["m4-quota"].target.amount, by_id["m4-quota"].target.unit) == (2000, "人次")
    assert by_id["m2-term"].assumed.startswith("分工表规定“每学期开展巡回演讲”")


def test_validate_lists_the_measures_without_a_rhythm_as_decisions(imported, tmp_path):
    path = imported[0]["docx"][0]
    result = CliRunner().invoke(cli, ["--plan", str(path), "validate"])
    assert result.exit_code == 0, result.output
    section = result.output.split("decisions for the coordinator (", 1)[1]
    assert section.startswith("20 measures without an obligation")
    assert "\n  measure 14: 强化领导干部和公务员科学素质教育\n" in section
    assert "measure 19:" not in section and "measure 21:" not in section


def test_the_draft_builds_on_the_table_s_rhythms(imported):
    ws = imported[1]
    weekly = [e for e in _events(ws, "县委宣传部") if e["obligation"] == "m19-weekly"]
    assert len(weekly) >= 52 and weekly[0]["lead"] == "xuanchuan"
    assert {date.fromisoformat(e["start"]).weekday() for e in weekly} == {2}
    disaster = [e for e in _events(ws, "县应急管理局") if e["obligation"] == "m21-day"]
    assert [(e["start"], e["lead"]) for e in disaster] == [("2025-05-12", "yingji")]
    tours = [e for e in _events(ws, "县教育局") if e["obligation"] == "m2-term"]
    terms = {e["slot"] for e in tours}
    assert terms == {"2025-spring", "2025-autumn"} and len(tours) == 2
    assert all(e["lead"] == "jiaoyu" for e in tours)


def test_writing_a_plan_and_reading_it_back_gives_the_same_events(shipped_plan, tmp_path):
    path = tmp_path / "again.yaml"
    path.write_text(plan_text(shipped_plan, ["again"]), encoding="utf-8")
    again = load_plan(path)
    assert [(e.uid, e.digest) for e in expand(again).events] == \
        [(e.uid, e.digest) for e in expand(shipped_plan).events]
    assert again.notes == shipped_plan.notes


def test_csv_from_excel_in_gb18030_reads_the_same(imported, tmp_path):
    import csv

    rows = seed_rows()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow(row)
    table = tmp_path / "分工表.csv"
    table.write_bytes(buffer.getvalue().encode("gb18030"))
    result = _import(table, tmp_path / "csv.yaml")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "csv.yaml").read_text("utf-8").splitlines()[2:] == \
        imported[0]["docx"][0].read_text("utf-8").splitlines()[2:]


def test_a_unit_the_plan_does_not_know_but_is_a_body_comes_in_as_a_new_unit(tmp_path):
    rows = seed_rows()
    group, measure, units = rows[9]
    rows[9] = (group, measure, units + "、县公安局")
    result = _import(make_xlsx(tmp_path / "t.xlsx", rows), tmp_path / "out.yaml")
    assert result.exit_code == 0, result.output
    assert "note: measure 10: 县公安局 is not among the units of" in result.output
    plan = load_plan(tmp_path / "out.yaml")
    assert plan.units["unit-1"].name == "县公安局" and "unit-1" in plan.measures[10].units


# -- what the reader cannot take ------------------------------------------------------------

def _broken(tmp_path: Path, case: str) -> Path:
    rows = seed_rows()
    if case == "no header":
        return make_docx(tmp_path / "t.docx", rows, header=("一", "二", "三"))
    if case == "empty units":
        group, measure, _ = rows[9]
        rows[9] = (group, measure, "")
        return make_xlsx(tmp_path / "t.xlsx", rows)
    if case == "unknown unit":
        group, measure, _ = rows[9]
        rows[9] = (group, measure, "县科协、有关方面")
        return make_xlsx(tmp_path / "t.xlsx", rows)
    if case == "number twice":
        group, measure, units = rows[8]
        rows[8] = (group, measure.replace("9.", "8.", 1), units)
        return make_docx(tmp_path / "t.docx", rows)
    if case == "pictures only":
        import docx
        from PIL import Image

        picture = tmp_path / "scan.png"
        Image.new("RGB", (40, 20), "white").save(picture)
        document = docx.Document()
        document.add_picture(str(picture))
        document.save(tmp_path / "t.docx")
        return tmp_path / "t.docx"
    raise AssertionError(case)


@pytest.mark.parametrize("case, said", [
    ("no header", "no header row found: a responsibility table needs a row naming its columns"),
    ("empty units", "分工表!C12: the 责任单位 cell of measure 10 is empty"),
    ("unknown unit", "分工表!C12: unknown unit '有关方面' in measure 10"),
    ("number twice", "table 1, row 10: measure number 8 is used twice (first at table 1, row 9)"),
    ("pictures only", "the document holds only pictures (a scanned table?)"),
])
def test_a_table_that_cannot_be_read_is_one_line_naming_where(tmp_path, case, said):
    table = _broken(tmp_path, case)
    out = tmp_path / "out.yaml"
    result = _import(table, out)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{table}: ") and said in lines[0], \
        result.output
    assert "Traceback" not in result.output
    assert not out.exists() and [p.name for p in tmp_path.iterdir()
                                 if p.name.startswith(".")] == []


def test_an_existing_file_is_replaced_only_when_asked(imported, tmp_path):
    table = make_docx(tmp_path / "t.docx", seed_rows())
    out = tmp_path / "out.yaml"
    out.write_text("mine", encoding="utf-8")
    result = _import(table, out)
    assert result.exit_code == 1 and "exists already" in result.output
    assert out.read_text("utf-8") == "mine"
    assert _import(table, out, "--force").exit_code == 0
    assert load_plan(out).measures[30].title == "加强经费保障"


def test_the_period_comes_from_the_table_s_targets_or_the_option(tmp_path):
    table = make_docx(tmp_path / "t.docx", seed_rows())
    assert _import(table, tmp_path / "a.yaml", "--period", "2026-2030").exit_code == 0
    plan = load_plan(tmp_path / "a.yaml")
    assert (plan.start, plan.end) == (date(2026, 1, 1), date(2031, 1, 1))
    assert plan.name == "崇阳县全民科学素质行动实施方案（2026—2030年）"
    bad = _import(table, tmp_path / "b.yaml", "--period", "2030-2026")
    assert bad.exit_code == 1 and "runs backwards" in bad.output
    assert not (tmp_path / "b.yaml").exists()


def test_a_one_row_table_counts_one_unit_and_no_townships(tmp_path):
    table = make_docx(tmp_path / "t.docx", [("重点任务", "1.加强应急科普\n在防灾减灾日开展宣传。",
                                              "县科协")])
    result = _import(table, tmp_path / "out.yaml")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        f"{tmp_path / 'out.yaml'}: draft plan from {table}: 1 measure, 1 obligation, 1 unit "
        "(1 county unit, no townships), 0 groups, period 2021-01-01 to 2025-12-31")
