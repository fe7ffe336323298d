"""Shared fixtures: named plan files under tests/data, a temporary database, the real CLI."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from calendar_app.build import revision_time
from calendar_app.cli import cli
from calendar_app.plan import load_plan
from calendar_app.schedule import expand
from calendar_app.store import Store

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


@pytest.fixture(scope="session")
def _small_database(tmp_path_factory) -> Path:
    """The small plan expanded and stored once a session, by expand + sync: no view rendered."""
    plan = load_plan(DATA / "small.yaml")
    path = tmp_path_factory.mktemp("stored") / "calendar.db"
    with Store.open(path, create=True) as store:
        store.sync(expand(plan).events, (plan.start, plan.end), revision_time(date(2025, 1, 1)),
                   "build")
    return path


@pytest.fixture
def stored_small(small, _small_database) -> Workspace:
    """The small plan's workspace with its events stored as a build on 2025-01-01 would
    store them, and no exports yet: for tests of the store, records and sheets."""
    shutil.copy(_small_database, small.db)
    return small
