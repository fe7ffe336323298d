"""Bad plans: one line per problem naming file and line, a non-zero exit, no traceback,
and the database left exactly as it was."""

import hashlib

import pytest

from calendar_app.store.tables import SCHEMA_VERSION

from .conftest import DATA, Workspace

CASES = {
    "broken_yaml.yaml": (24, "not valid YAML:", "flow sequence that starts at line 23"),
    "unknown_unit.yaml": (18, "unknown unit '县应急管理'", "did you mean 县应急管理局?"),
    "impossible_date.yaml": (23, "impossible date '02-30'", "m01-weekly"),
    "impossible_plan_date.yaml": (5, "impossible date '2025-02-30'", ""),
    "unknown_rule_key.yaml": (24, "unknown key 'every_other' in an obligation", ""),
    "backwards_range.yaml": (23, "times_a_year runs backwards: 3 to 1 a year", ""),
    "duplicate_id.yaml": (24, "duplicate obligation id 'm01-weekly'", "first at line 20"),
    "duplicate_unit.yaml": (11, "duplicate unit id 'kexie'", ""),
    "bad_quote.yaml": (22, "quote '每天刊播科普知识' is not in the text of measure 1", ""),
    "unassigned_lead.yaml": (24, "obligation m01-weekly: its lead 县应急管理局 is not measure "
                                 "1's (县科协); say why in `assigned`", ""),
    "seed_word.yaml": (24, "obligation m01-weekly: assumed says 种子; units read it", "分工表"),
    "overquote.yaml": (24, "assumed quotes “每周刊播2次” as the table's words, but measure 1 "
                           "does not say it", ""),
}


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_plan_gives_one_line_per_problem_and_touches_nothing(tmp_path, name):
    line, message, extra = CASES[name]
    ws = Workspace(tmp_path, DATA / "minimal.yaml")
    ws.run("build", "--today", "2025-01-01")
    before = {p.name: _digest(p) for p in tmp_path.glob("calendar.db*")}
    ws.plan.write_bytes((DATA / name).read_bytes())

    for command in (["validate"], ["build", "--today", "2025-01-02"]):
        result = ws.run(*command, ok=False)
        assert result.exit_code == 1
        assert "Traceback" not in result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith(f"{ws.plan}:{line}: ")
        assert message in lines[0] and extra in lines[0]
    assert {p.name: _digest(p) for p in tmp_path.glob("calendar.db*")} == before


def test_every_problem_is_reported_not_just_the_first(tmp_path):
    ws = Workspace(tmp_path, DATA / "minimal.yaml")
    ws.edit("units: [县科协, 县应急管理局]\n    obligations", "units: [县科协, 县应急]\n    obligations")
    ws.edit("weekly: 周三", "weekly: 周八")
    result = ws.run("validate", ok=False)
    lines = result.output.strip().splitlines()
    assert len(lines) == 2
    assert "unknown unit '县应急'" in lines[0] and "unknown weekday '周八'" in lines[1]


def test_a_missing_plan_file_is_one_clear_line(tmp_path):
    ws = Workspace(tmp_path, DATA / "minimal.yaml")
    ws.plan.unlink()
    result = ws.run("validate", ok=False)
    assert result.exit_code == 1
    assert result.output.strip() == f"{ws.plan}: cannot read plan: No such file or directory"


def test_an_unknown_unit_on_the_command_line_suggests_names(built_small):
    result = built_small.run("events", "--unit", "县应急管理", ok=False)
    assert result.exit_code == 1
    assert result.output.strip() == "unknown unit '县应急管理' (did you mean 县应急管理局?)"


def test_a_database_of_another_schema_version_is_refused(built_small):
    import sqlite3

    with sqlite3.connect(built_small.db) as conn:
        conn.execute("UPDATE setting SET value = '99' WHERE key = 'schema_version'")
    result = built_small.run("events", ok=False)
    assert result.exit_code == 1
    assert f"has schema version 99; this calendar-app reads version {SCHEMA_VERSION}" in \
        result.output


def test_a_database_of_the_version_before_gains_the_new_tables_and_keeps_its_events(built_small):
    import sqlite3

    from calendar_app.store.tables import COLUMNS_ADDED

    with sqlite3.connect(built_small.db) as conn:
        for table in ("account", "login_failure", "evidence"):
            conn.execute(f"DROP TABLE {table}")
        for table, column, _ in COLUMNS_ADDED[6]:
            conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        conn.execute("UPDATE setting SET value = '1' WHERE key = 'schema_version'")
        events = conn.execute("SELECT * FROM event ORDER BY uid").fetchall()
    assert "188 events" in built_small.run("build", "--today", "2025-01-01").output
    with sqlite3.connect(built_small.db) as conn:
        assert conn.execute("SELECT value FROM setting WHERE key = 'schema_version'").fetchone() \
            == (str(SCHEMA_VERSION),)
        assert conn.execute("SELECT COUNT(*) FROM account").fetchone() == (0,)
        # every event as it was, with the defaults of the columns since: an event of the
        # plan, reported on its own, nothing under review
        grown = [row[:len(events[0])] for row in
                 conn.execute("SELECT * FROM event ORDER BY uid").fetchall()]
        assert grown == events
        assert conn.execute("SELECT DISTINCT kind, reported, review FROM event").fetchall() \
            == [("event", "each", "")]


def test_settings_are_read_and_checked(tmp_path):
    ws = Workspace(tmp_path, DATA / "minimal.yaml")
    ws.edit("categories:", "settings:\n  refresh: 2h\n  grace_days: 10\n  pdf: maybe\n"
            "  colour: red\ncategories:")
    lines = ws.run("validate", ok=False).output.strip().splitlines()
    assert any(":9: settings pdf must be true or false" in line for line in lines)
    assert any(":10: unknown key 'colour' in settings" in line for line in lines)
    ws.edit("  pdf: maybe\n  colour: red\n", "")
    from calendar_app.plan.reader import load_plan

    settings = load_plan(ws.plan).settings
    assert settings.refresh.total_seconds() == 7200 and settings.grace_days == 10


@pytest.mark.parametrize("old, new, line", [
    # The county's own files are all.ics, category-X.ics and county.html.
    ("{id: kexie, name: 县科协}", "{id: county, name: 县科协}",
     "9: unit id 'county' is reserved for the county's own feeds and pages; choose another"),
    ("        weekly: 周三\n", "        weekly: 周三\n        assigned: 县里安排\n",
     "24: obligation m01-weekly: assigned says the county chose the units, but they are "
     "measure 1's own; drop it"),
])
def test_one_edit_of_the_minimal_plan_gives_one_line(tmp_path, old, new, line):
    ws = Workspace(tmp_path, DATA / "minimal.yaml")
    ws.edit(old, new)
    lines = ws.run("validate", ok=False).output.strip().splitlines()
    assert lines == [f"{ws.plan}:{line}"]


def test_a_subset_of_units_keeps_the_table_s_order_and_names_its_reason(tmp_path):
    from calendar_app.plan.reader import load_plan

    ws = Workspace(tmp_path, DATA / "small.yaml")
    # Measure 2 lists 县应急管理局, 县广文旅局, 县委宣传部; written here in another order.
    ws.edit("        lead: 县委宣传部\n", "        units: [县委宣传部, 县文旅局, 县应急管理局]\n")
    tv = next(o for o in load_plan(ws.plan).obligations if o.id == "m02-tv")
    assert tv.units == ("xuanchuan", "yingji", "wenlv")
    assert tv.basis == "县里安排：电视栏目由宣传部门主管，县里安排县委宣传部牵头"


def test_around_names_a_known_observance_and_a_title_names_one_only_if_it_has_one(tmp_path):
    ws = Workspace(tmp_path, DATA / "small.yaml")
    ws.edit("times_a_year: {min: 1, max: 2, from: 07-10, to: 08-20}",
            "times_a_year: {min: 1, max: 2, from: 07-10, to: 08-20, around: 科技活动月}")
    ws.edit("title: 月度例会", "title: \"月度例会（{observance}）\"")
    lines = ws.run("validate", ok=False).output.strip().splitlines()
    assert len(lines) == 2
    assert "obligation m01-teachers: unknown observance '科技活动月' (did you mean 全国科技活动周?)" \
        in lines[0]
    assert "obligation m02-monthly: title names {observance}, but the rule hangs on no " \
           "observance" in lines[1]
