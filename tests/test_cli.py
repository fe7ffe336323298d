"""The real CLI on a real SQLite file: listings, formats, help text, `python -m`."""

import csv
import io
import json
import subprocess
import sys

import click

from calendar_app.cli import cli
from calendar_app.formats.termtable import width

from .conftest import ROOT

JSON_KEYS = {"uid", "title", "start", "end", "all_day", "lead", "units", "measure", "category",
             "obligation", "slot", "status"}


def test_events_json_has_the_documented_fields(built_small):
    rows = json.loads(built_small.run("events", "--format", "json").output)
    assert rows and all(JSON_KEYS <= set(r) for r in rows)
    june = next(r for r in rows if r["uid"] == "m02-month/2025")
    assert (june["start"], june["end"], june["all_day"]) == ("2025-06-01", "2025-07-01", True)
    assert june["lead"] == "yingji" and june["units"][0] == "yingji"
    assert june["measure"] == 2 and june["category"] == "B" and june["status"] == "planned"
    tv = next(r for r in rows if r["obligation"] == "m02-tv")
    assert tv["start"] == "2025-01-01T19:30:00+08:00" and tv["all_day"] is False


def test_events_filters_by_unit_name_alias_month_and_measure(built_small):

    def uids(*args):
        return {r["uid"] for r in json.loads(built_small.run("events", "--format", "json",
                                                             *args).output)}

    by_id = uids("--unit", "wenlv")
    assert by_id == uids("--unit", "县文旅局") == uids("--unit", "县广文旅局")
    june = uids("--unit", "yingji", "--month", "2025-06")
    assert "m02-month/2025" in june and "m02-day/2025" not in june
    # A window overlapping the Safety Month span from its last day still selects it.
    assert "m02-month/2025" in uids("--from", "2025-06-30", "--to", "2025-06-30")
    assert all(u.startswith("m01-") for u in uids("--measure", "1"))


def test_events_csv_parses_back(built_small):
    out = built_small.run("events", "--format", "csv", "--month", "2025-05").output
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and {"uid", "title", "start", "end", "lead"} <= set(rows[0])
    assert any(r["title"] == "防灾减灾日宣传" and r["start"] == "2025-05-12" for r in rows)


def test_event_table_lines_up_chinese_text(built_small):
    lines = built_small.run("events", "--month", "2025-06", "--unit", "yingji").output.splitlines()
    header, rule, *body, total = lines
    assert total == "7 events"
    starts = [i for i, ch in enumerate(rule) if ch == "-" and (i == 0 or rule[i - 1] == " ")]
    for line in [header, *body]:
        # each column starts at the same display column on every line
        prefix_widths = set()
        for col in starts[1:]:
            cut, seen = 0, 0
            while seen < col:
                seen += width(line[cut])
                cut += 1
            prefix_widths.add(seen == col)
        assert prefix_widths == {True}, line


def test_units_lists_ids_names_kinds_and_aliases(small):
    rows = json.loads(small.run("units", "--format", "json").output)
    wenlv = next(r for r in rows if r["id"] == "wenlv")
    assert wenlv == {"id": "wenlv", "name": "县文旅局", "kind": "county",
                     "aliases": ["县广文旅局"], "groups": ["leading-group"]}
    assert {r["kind"] for r in rows} == {"county", "township"}
    assert "县应急管理局" in small.run("units").output


def test_events_before_any_build_says_what_to_do(small):
    result = small.run("events", ok=False)
    assert result.exit_code == 1
    assert "run `calendar-app build` first" in result.output


def _commands(group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


def test_every_command_has_help_and_is_shown_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path, command in _commands(cli):
        assert command.help and command.help.strip(), path
        assert f"calendar-app {' '.join(path)}" in readme, path


def test_python_dash_m_runs_the_cli(small):
    result = subprocess.run([sys.executable, "-m", "calendar_app", "--plan", str(small.plan),
                             "validate"], capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stderr
    assert "ok: 3 measures" in result.stdout


def test_the_database_and_exports_sit_beside_the_plan_wherever_the_command_runs(small, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run([sys.executable, "-m", "calendar_app", "--plan", str(small.plan),
                             "build", "--today", "2025-01-01"], capture_output=True, text=True,
                            cwd=elsewhere, check=False)
    assert result.returncode == 0, result.stderr
    assert small.db.exists() and (small.exports / "feeds" / "all.ics").exists()
    assert list(elsewhere.iterdir()) == []


def test_help_loads_none_of_the_heavy_libraries():
    code = ("import sys; from calendar_app.cli import main; sys.argv = ['calendar-app', '--help']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "heavy = {'weasyprint', 'openpyxl', 'waitress', 'icalendar', 'jinja2', 'peewee',"
            " 'yaml', 'calendar_app.printed.pages'}\n"
            "print(sorted(heavy & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"
