"""Plans that used to end in a traceback, or never end at all: each file of
tests/data/bad_plans/ is one case, refused with one `FILE:LINE: message` before anything is
written, leaving the database and the exports exactly as they were."""

import hashlib
import shutil
from pathlib import Path

import pytest

from .bounded import cli_bounded
from .conftest import DATA, Workspace

BAD = DATA / "bad_plans"
CASES = {  # file -> (line, what the message says)
    "no_plan_section.yaml": (2, "missing section 'plan'"),
    "scalar_plan_section.yaml": (2, "'plan' must be a mapping"),
    "alias_bomb.yaml": (14, "aliases expand 82 values into 490329118"),
    "alias_bomb_in_units.yaml": (17, "aliases expand 121 values into 102908677"),
    "aliases_not_text.yaml": (10, "unit yingji: aliases must be a list of names"),
    "complex_key.yaml": (8, "a key must be a plain word or number, not a list or mapping"),
    "holidays_days_off_list.yaml": (16, "holidays 2027: days_off maps each day to the "
                                        "holiday's name"),
    "huge_duration.yaml": (25, "obligation m01-weekly: duration must be from 1m to 7d"),
    "huge_alarm.yaml": (24, "obligation m01-weekly: alarm must be from 0m to 366d"),
    "huge_refresh.yaml": (7, "settings: refresh must be from 15m to 7d"),
    "zero_refresh.yaml": (7, "settings: refresh must be from 15m to 7d"),
    "huge_observance_days.yaml": (15, "observance 科普日: days must be 1 to 366"),
    "huge_lunar_before.yaml": (23, "lunar before must be [far, near] days (0 to 366)"),
    "huge_lunar_offset.yaml": (23, "lunar offset must be a whole number of days from -366 "
                                   "to 366, got 100000000"),
    "far_end.yaml": (5, "plan end: 9999-12-31 is outside the years 1950 to 2149"),
    "huge_measure_number.yaml": (14, "a measure needs a whole number from 1 to 999"),
    "negative_measure_number.yaml": (14, "a measure needs a whole number from 1 to 999"),
    "huge_overdue_days.yaml": (7, "settings overdue_days must be a whole number from 0 to 3650"),
    "huge_grace_days.yaml": (7, "settings grace_days must be a whole number from 0 to 3650"),
    "rrule_secondly.yaml": (23, "FREQ=SECONDLY is more often than once a day"),
    "rrule_minutely.yaml": (23, "FREQ=MINUTELY is more often than once a day"),
    "rrule_hourly.yaml": (23, "FREQ=HOURLY is more often than once a day; an obligation has "
                              "at most one event a day (give its hour with time:)"),
    "rrule_interval_zero.yaml": (23, "INTERVAL must be a whole number from 1 to 1000, got 0"),
    "times_a_year_huge.yaml": (23, "min must be a whole number from 1 to 366, got 100000"),
    "per_term_huge_count.yaml": (23, "count must be a whole number from 1 to 366, got 1000000"),
    "rotation_huge_years.yaml": (23, "years must be a whole number from 1 to 20, got 1000000000"),
    "rotation_backwards.yaml": (23, "rotation window must end after it starts within one year"),
    "century_period.yaml": (5, "the plan runs from 2025-01-01 to 2124-12-31; a plan may last "
                               "at most 20 years"),
    "millennium_period.yaml": (5, "plan end: 3024-12-31 is outside the years 1950 to 2149"),
    "period_from_year_one.yaml": (4, "plan start: 0001-01-01 is outside the years 1950 to 2149"),
    "datetime_plan_start.yaml": (4, "plan start: 2025-01-01 08:00:00 is a date and time"),
    "long_title.yaml": (21, "obligation m01-weekly title is 201 characters long; at most 200"),
    "many_categories.yaml": (7, "101 categories; at most 50 are allowed"),
    "yearly_feb_29.yaml": (23, "02-29 is not a day of every year; write 02-28 or 03-01"),
    "too_many_events.yaml": (21, "obligation m01-weekly makes more than 20,000 events from "
                                 "2025-01-01 to 2044-12-31"),
    "newline_in_a_name.yaml": (15, "observance 科普日\\r\\nX-INJECT:1: days must be 1 to 366"),
    "too_many_events_in_plan.yaml": (47, "the plan makes more than 200,000 events (with "
                                         "obligation m01-daily-27)"),
    "huge_evidence_mb.yaml": (7, "settings evidence_mb must be a whole number from 1 to 100"),
    "huge_number.yaml": (14, "has 5000 characters; write a number of a few digits"),
    "nul_in_title.yaml": (21, "a text holds a NUL character (\\0), which no database stores"),
}


def test_every_file_of_the_corpus_has_its_case():
    assert sorted(p.name for p in BAD.glob("*.yaml")) == sorted(CASES)


def _digests(root):
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.suffix != ".yaml"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("built"), DATA / "minimal.yaml")
    ws.run("build", "--today", "2025-01-01")
    return ws.root


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_plan_beyond_the_bounds_is_one_line_and_touches_nothing(built, tmp_path, name):
    line, message = CASES[name]
    shutil.copytree(built, tmp_path, dirs_exist_ok=True)
    ws = Workspace(tmp_path, BAD / name)
    before = _digests(tmp_path)
    for command in (["validate"], ["build", "--today", "2025-01-02"]):
        result = ws.run(*command, ok=False)
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert result.output.splitlines() == [result.output.strip()], result.output
        assert result.output.startswith(f"{ws.plan}:{line}: "), result.output
        assert message in result.output
    assert _digests(tmp_path) == before


def _refused(tmp_path, text):
    ws = Workspace(tmp_path, DATA / "minimal.yaml")
    ws.plan.write_text(text, encoding="utf-8")
    result = ws.run("validate", ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert len(result.output) < 300  # the bad value is not quoted back in full
    return result.output.strip()


def test_the_large_originals_are_refused_too(tmp_path):
    """The reported sizes themselves (too large to keep under tests/data)."""
    plan = (DATA / "minimal.yaml").read_text(encoding="utf-8")
    title = plan.replace("title: 每周科普", "title: " + "科" * 100_000)
    assert "title is 100000 characters long" in _refused(tmp_path, title)
    categories = plan.replace("  A: 测试类别\n", "  A: 测试类别\n" + "".join(
        f"  X{i}: 类别{i}\n" for i in range(100_000)))
    assert "100001 categories; at most 50" in _refused(tmp_path, categories)
    padded = plan + "# " + "x" * (5 * 1024 * 1024) + "\n"
    assert _refused(tmp_path, padded).endswith("the file is larger than 4 MB; a plan is a "
                                               "few hundred KB at most")


@pytest.mark.parametrize("make", ["device", "sparse"])
def test_a_plan_file_too_large_is_refused_before_it_is_read(tmp_path, make):
    """/dev/zero never ends, and a sparse 600 MB file costs no disk: read whole, either ran
    out of memory (the 300 MB this test allows) with a traceback."""
    if make == "device":
        plan = Path("/dev/zero")
    else:
        plan = tmp_path / "recurring.yaml"
        with open(plan, "wb") as handle:
            handle.truncate(600 * 1024 * 1024)
    result = cli_bounded(["--plan", str(plan), "validate"], megabytes=300)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr == f"{plan}: the file is larger than 4 MB; a plan is a few hundred " \
                            "KB at most\n"


def test_a_few_anchors_and_aliases_are_still_fine(tmp_path):
    ws = Workspace(tmp_path, DATA / "minimal.yaml")
    ws.edit("  - {id: all, name: 全部单位, members: [县科协, 县应急管理局]}",
            "  - {id: all, name: 全部单位, members: &both [县科协, 县应急管理局]}")
    ws.edit("    units: [县科协, 县应急管理局]\n", "    units: *both\n")
    assert ws.run("validate").exit_code == 0


@pytest.mark.parametrize("window, shown", [
    (("--from", "1000-01-01"), "the window 1000-01-01 to 2025-12-31 is not within the plan "
                               "period, 2025-01-01 to 2025-12-31"),
    (("--to", "3000-12-31"), "the window 2025-01-01 to 3000-12-31 is not within the plan"),
    (("--from", "2025-06-01", "--to", "2025-05-01"), "the window 2025-06-01 to 2025-05-01"),
])
def test_a_build_window_outside_the_plan_period_is_refused(small, window, shown):
    result = small.run("build", "--today", "2025-01-01", *window, ok=False)
    assert result.exit_code == 1 and shown in result.output
    assert "Traceback" not in result.output and not small.db.exists()


def test_the_last_day_a_date_holds_is_no_traceback(small):
    result = small.run("events", "--to", "9999-12-31", ok=False)
    assert result.exit_code == 2 and "9999-12-31 is the last day a date can hold" in result.output
