"""Shared fixtures: named plan files under tests/data, a temporary database, the real CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from calendar_app.cli import cli
from calendar_app.plan import load_plan

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent
SHIPPED = ROOT / "recurring.yaml"


def data_file(name: str) -> Path:
    return DATA / name


@pytest.fixture
def small_plan():
    return load_plan(DATA / "small.yaml")


@pytest.fixture(scope="session")
def shipped_plan():
    return load_plan(SHIPPED)


class Workspace:
    """A temporary folder holding a copy of a plan, its database and exports."""

    def __init__(self, root: Path, plan: Path):
        self.root = root
        self.plan = root / "recurring.yaml"
        shutil.copy(plan, self.plan)
        self.db = root / "calendar.db"
        self.exports = root / "exports"
        self.runner = CliRunner()

    def run(self, *args: str, ok: bool = True):
        result = self.runner.invoke(cli, ["--plan", str(self.plan), "--db", str(self.db),
                                          "--exports", str(self.exports), *args])
        if ok:
            assert result.exit_code == 0, result.output
        return result

    def edit(self, old: str, new: str) -> None:
        text = self.plan.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in the plan"
        self.plan.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def small(tmp_path) -> Workspace:
    return Workspace(tmp_path, DATA / "small.yaml")


@pytest.fixture
def shipped(tmp_path) -> Workspace:
    return Workspace(tmp_path, SHIPPED)


@pytest.fixture
def built_small(small) -> Workspace:
    small.run("build", "--today", "2025-01-01")
    return small
