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
    assert plan.units["gongan"].name == "县公安局" and "gongan" in plan.measures[10].units


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


# -- a county with no plan yet -----------------------------------------------------------------

# Another county's table, in its own words: 教育局 without 县, a body the program's plan does
# not know (县数据局), a town by name (城关镇), and 各乡镇 for the townships.
ANOTHER_COUNTY = [
    ("青少年科学素质提升行动",
     "1.开展科普进校园活动\n每学期在全县中小学开展科普讲座，到2030年建成科普示范学校10所以上。",
     "教育局、县科协"),
    ("", "2.推进数字科普\n依托县级数据平台每月发布科普信息。", "县数据局、县科协"),
    ("农民科学素质提升行动", "3.开展科普大篷车巡展\n3年内实现全县乡镇巡展全覆盖。", "县科协、各乡镇"),
    ("", "4.建设城关镇科普示范社区\n每年开展1-2次社区科普活动。", "城关镇、县科协"),
    ("应急科普工程", "5.加强应急科普\n在防灾减灾日开展应急科普宣传。", "县应急管理局、各乡镇"),
]


def _here(*args: str):
    """The CLI run in the current folder, without --plan, as a county's coordinator runs it."""
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def empty_folder(tmp_path, monkeypatch):
    folder = tmp_path / "county"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def test_a_county_with_no_plan_imports_its_table_and_builds(empty_folder):
    make_docx(empty_folder / "分工表.docx", ANOTHER_COUNTY)
    result = _here("plan", "import", "分工表.docx", "--out", "recurring.yaml",
                   "--townships", "城关镇,东风镇、南湖乡")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == ("recurring.yaml: draft plan from 分工表.docx: 5 measures, 6 obligations, "
                        "7 units (4 county units plus the 3 townships), 1 group, period "
                        "2026-01-01 to 2030-12-31")
    assert lines[1] == (f"note: no recurring.yaml here: the working calendar (terms, observance "
                        "days, holidays), the settings and the county bodies' names come from "
                        f"the program's own plan, {SHIPPED}; the townships from the table and "
                        "--townships")
    assert "settings.base_url" in lines[2] and "settings.issuer" in lines[2]
    assert ("note: measure 2: 县数据局 is not among the units of the program's own plan; added "
            "as a new unit (id shuju, from its name: shorten it before the first build if you "
            "like; it never changes once published)") in lines

    plan = load_plan(empty_folder / "recurring.yaml")
    assert {u.name: (u.id, u.kind) for u in plan.units.values()} == {
        "县教育局": ("jiaoyu", "county"), "县科协": ("kexie", "county"),
        "县数据局": ("shuju", "county"), "县应急管理局": ("yingji", "county"),
        "城关镇": ("chengguan", "township"), "东风镇": ("dongfeng", "township"),
        "南湖乡": ("nanhu", "township")}
    assert [plan.unit_name(u) for u in plan.groups["townships"].members] == \
        ["城关镇", "东风镇", "南湖乡"]
    assert plan.measures[3].units == ("kexie", "chengguan", "dongfeng", "nanhu")
    # Nothing of Chongyang's: not its townships, its issuer, its name, its address.
    assert "崇阳" not in (empty_folder / "recurring.yaml").read_text("utf-8")
    assert plan.settings.base_url == "https://example.invalid/calendar"
    assert plan.calendar == load_plan(SHIPPED).calendar  # its working calendar, lent

    validated = _here("validate")
    assert validated.exit_code == 0, validated.output
    assert validated.output.startswith("recurring.yaml: ok: 5 measures, 6 obligations, 7 units")
    built = _here("build", "--today", "2026-03-01")
    assert built.exit_code == 0, built.output
    assert (empty_folder / "exports" / "feeds" / "chengguan.ics").exists()

    def events(unit: str) -> list[dict]:
        listed = _here("events", "--unit", unit, "--format", "json")
        assert listed.exit_code == 0, listed.output
        return json.loads(listed.output)
    town = {(e["obligation"], e["start"][:4]) for e in events("城关镇")}
    assert {("m4-times", "2026"), ("m5-day", "2026")} <= town
    caravan = [e["slot"] for e in events("县科协") if e["obligation"] == "m3-rotation"]
    assert caravan[:3] == ["2026-2028/chengguan", "2026-2028/dongfeng", "2026-2028/nanhu"]
    monthly = [e for e in events("县数据局") if e["obligation"] == "m2-monthly"]
    assert len(monthly) == 60 and monthly[0]["lead"] == "shuju"


def test_the_table_s_own_towns_stand_for_its_townships_when_none_are_given(empty_folder):
    make_docx(empty_folder / "t.docx", ANOTHER_COUNTY)
    result = _here("plan", "import", "t.docx", "--out", "recurring.yaml")
    assert result.exit_code == 0, result.output
    assert ("note: measure 4: 城关镇 is not among the units of the program's own plan; added "
            "as a township (id chengguan, from its name)") in result.output.splitlines()
    assert ("note: 各乡镇 stands for the towns the table lists by name (城关镇): give all the "
            "county's with --townships") in result.output.splitlines()
    plan = load_plan(empty_folder / "recurring.yaml")
    assert plan.groups["townships"].members == ("chengguan",)


def test_各乡镇_with_no_township_known_is_one_line_asking_for_townships(empty_folder):
    rows = [row for row in ANOTHER_COUNTY if "城关镇" not in row[2]]
    make_docx(empty_folder / "t.docx", rows)
    result = _here("plan", "import", "t.docx", "--out", "recurring.yaml")
    assert result.exit_code == 1, result.output
    assert result.output.splitlines() == [
        "t.docx: table 1, row 4, column 3: measure 3 names 各乡镇, and no township is known: "
        "neither the table nor the program's own plan lists any; give the county's with "
        "--townships 甲镇,乙乡,…"]
    assert sorted(p.name for p in empty_folder.iterdir()) == ["t.docx"]


def test_a_plan_given_and_missing_is_not_replaced_by_the_program_s(empty_folder):
    make_docx(empty_folder / "t.docx", ANOTHER_COUNTY)
    result = CliRunner().invoke(cli, ["--plan", "ours.yaml", "plan", "import", "t.docx",
                                      "--out", "recurring.yaml", "--townships", "城关镇"])
    assert result.exit_code == 1, result.output
    assert result.output.splitlines() == ["ours.yaml: cannot read plan: No such file or directory"]
    assert sorted(p.name for p in empty_folder.iterdir()) == ["t.docx"]


def test_a_recurring_yaml_here_is_the_reference_not_the_program_s(empty_folder):
    (empty_folder / "plan").mkdir()
    (empty_folder / "plan" / "recurring.yaml").write_bytes(SHIPPED.read_bytes())
    make_docx(empty_folder / "t.docx", ANOTHER_COUNTY)
    with pytest.MonkeyPatch.context() as here:
        here.chdir(empty_folder / "plan")
        result = _here("plan", "import", "../t.docx", "--out", "../recurring.yaml")
    assert result.exit_code == 0, result.output
    assert "program's own plan" not in result.output
    plan = load_plan(empty_folder / "recurring.yaml")
    # Chongyang's 12 townships behind 各乡镇, and the table's 城关镇 with them.
    assert len(plan.groups["townships"].members) == 13
    assert plan.unit_name(plan.groups["townships"].members[0]) == "天城镇"


def test_without_the_program_s_plan_beside_it_the_user_is_told_to_give_plan(empty_folder,
                                                                           tmp_path):
    import shutil
    import subprocess
    import sys

    from .conftest import ROOT

    installed = tmp_path / "site"  # the package alone, as a wheel would put it
    shutil.copytree(ROOT / "calendar_app", installed / "calendar_app",
                    ignore=shutil.ignore_patterns("__pycache__"))
    make_docx(empty_folder / "t.docx", ANOTHER_COUNTY)
    done = subprocess.run([sys.executable, "-m", "calendar_app", "plan", "import", "t.docx",
                           "--out", "recurring.yaml"], capture_output=True, text=True,
                          env={"PYTHONPATH": str(installed), "PATH": "/usr/bin:/bin"},
                          timeout=60)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.splitlines() == [
        "recurring.yaml: no plan here, and the program's own is not beside it: give --plan a "
        "county's recurring.yaml to take the working calendar and settings from"]
    assert sorted(p.name for p in empty_folder.iterdir()) == ["t.docx"]


def test_a_one_row_table_counts_one_unit_and_no_townships(tmp_path):
    table = make_docx(tmp_path / "t.docx", [("重点任务", "1.加强应急科普\n在防灾减灾日开展宣传。",
                                              "县科协")])
    result = _import(table, tmp_path / "out.yaml")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        f"{tmp_path / 'out.yaml'}: draft plan from {table}: 1 measure, 1 obligation, 1 unit "
        "(1 county unit, no townships), 0 groups, period 2021-01-01 to 2025-12-31")


@pytest.mark.parametrize(("name", "taken", "expected"), [
    ("县数据局", (), "shuju"), ("县委网信办", (), "wangxinban"), ("县委宣传部", (), "xuanchuan"),
    ("团县委", (), "tuanxianwei"), ("县重点项目办", (), "zhongdianxiangmuban"),  # 重 as in 重点
    ("城关镇", (), "chengguan"), ("长安街道办事处", (), "changan"), ("县科协（统筹）", (), "kexie"),
    ("城关乡", ("chengguan",), "chengguan2"), ("县数据局", ("shuju", "shuju2"), "shuju3")])
def test_a_new_units_id_is_the_pinyin_of_what_names_it(name, taken, expected):
    from calendar_app.plan.ids import unit_id

    assert unit_id(name, taken) == expected
