"""`calendar-app plan next`: the next period's plan from the shipped one, in a folder of its own:
the same measures, units and obligations in the new years, deadlines moved, dates not yet
announced marked as estimated, the ended period's folder untouched; a period that does not
come after the current one refused in one line."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from calendar_app.cli import cli
from calendar_app.plan.reader import load_plan

from .conftest import SHIPPED, Workspace


def _next(plan: Path, *args: str):
    return CliRunner().invoke(cli, ["--plan", str(plan), "plan", "next", *args])


@pytest.fixture(scope="module")
def next_plan(tmp_path_factory):
    """The shipped plan's next period, 2026-2030, built for 2028."""
    folder = tmp_path_factory.mktemp("next") / "2026-2030"
    result = _next(SHIPPED, "--period", "2026-2030", "--out", str(folder))
    assert result.exit_code == 0, result.output
    ws = Workspace(folder, folder / "recurring.yaml")
    ws.run("build", "--from", "2028-01-01", "--to", "2028-12-31", "--today", "2026-01-05")
    return ws, result.output


def _events(ws: Workspace, *args: str) -> list[dict]:
    return json.loads(ws.run("events", "--format", "json", *args).output)


def test_the_next_period_keeps_the_plan_in_the_new_years(next_plan, shipped_plan):
    ws, output = next_plan
    plan = load_plan(ws.plan)
    assert plan.name == "崇阳县全民科学素质行动实施方案（2026—2030年）"
    assert (plan.start, plan.end) == (date(2026, 1, 1), date(2031, 1, 1))
    assert plan.measures == shipped_plan.measures and plan.units == shipped_plan.units
    assert [o.id for o in plan.obligations] == [o.id for o in shipped_plan.obligations]
    bases = next(o for o in plan.obligations if o.id == "m16-bases")
    assert bases.target.by == date(2030, 12, 31) and "（2030年底截止）" in bases.title
    assert bases.quote.startswith("到2025年")  # the table's words stay the table's
    teams = next(o for o in plan.obligations if o.id == "m27-teams")
    assert teams.target.by == date(2026, 6, 30) and "2026年6月底" in teams.assumed
    assert "note: m16-bases: deadline 2025-12-31 moved to 2030-12-31" in output
    assert "note: holidays: no statutory holiday data for 2027, 2028, 2029, 2030 yet" in output


def test_it_builds_with_disaster_prevention_day_on_12_may_2028(next_plan):
    ws, _ = next_plan
    found = [(e["start"], e["lead"]) for e in _events(ws, "--unit", "县应急管理局")
             if e["obligation"] == "m21-disaster-day"]
    assert found == [("2028-05-12", "yingji")]


def test_dates_not_announced_yet_say_they_are_estimated(next_plan):
    ws, _ = next_plan
    week = [e for e in _events(ws, "--measure", "23") if e["obligation"] == "m23-tech-week"]
    assert [(e["start"], e["end"]) for e in week] == [("2028-05-20", "2028-05-27")]
    assert week[0]["notes"] == ["全国科技活动周2028年日期尚未公布，按规则推定"]
    placed = [e for e in _events(ws, "--measure", "9") if e["obligation"] == "m9-skills-contest"]
    assert "2028年法定节假日未公布，工作日按周末推算" in placed[0]["notes"]
    plan = load_plan(ws.plan)
    week_rule = plan.calendar.observances["全国科技活动周"]
    assert week_rule.estimated == frozenset(range(2026, 2031))


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_ended_period_s_folder_is_left_as_its_archive(shipped_built, tmp_path):
    before = _digest(shipped_built.root)
    result = _next(shipped_built.plan, "--period", "2026-2030", "--out",
                   str(tmp_path / "2026-2030"))
    assert result.exit_code == 0, result.output
    assert _digest(shipped_built.root) == before
    assert sorted(p.name for p in (tmp_path / "2026-2030").iterdir()) == ["recurring.yaml"]


@pytest.mark.parametrize("period, said", [
    ("2025-2029", "--period 2025-2029 overlaps the current period 2021-2025; the next period "
                  "starts in 2026 or later"),
    ("2030-2026", "--period 2030-2026 runs backwards"),
    ("2016-2020", "--period 2016-2020 comes before the current period 2021-2025"),
])
def test_a_period_that_does_not_follow_is_refused(tmp_path, period, said):
    result = _next(SHIPPED, "--period", period, "--out", str(tmp_path / "new"))
    assert result.exit_code == 1 and result.output.strip().splitlines() == [
        result.output.strip()] and said in result.output
    assert not (tmp_path / "new").exists()


def test_the_current_plan_s_own_file_is_never_the_target(shipped, tmp_path):
    before = shipped.plan.read_bytes()
    result = _next(shipped.plan, "--period", "2026-2030", "--out", str(shipped.root), "--force")
    assert result.exit_code == 1 and "is the current plan" in result.output
    assert shipped.plan.read_bytes() == before
