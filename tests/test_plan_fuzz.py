"""Random mutations of tests/data/small.yaml give a clear error or a valid build, never a
traceback: values swapped for odd ones (huge numbers, wrong types, impossible days, lists
where words belong), keys dropped or repeated, lines of the file cut, doubled or garbled.

The suite runs a fixed set of examples (derandomised, so it never flakes); to search
further, run `HYPOTHESIS_PROFILE=fuzz pytest tests/test_plan_fuzz.py` (a few minutes).
"""

from __future__ import annotations

import copy
import os
from datetime import date

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from calendar_app.build import BuildRequest, build
from calendar_app.errors import CalendarAppError, PlanError
from calendar_app.plan.reader import load_plan

from .conftest import DATA

settings.register_profile("suite", max_examples=30, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                 HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=int(os.environ.get("FUZZ_EXAMPLES", "3000")), deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                 HealthCheck.too_slow])
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "suite")

BASE = yaml.safe_load((DATA / "small.yaml").read_text(encoding="utf-8"))
BASE["settings"] = {"base_url": "https://kx.example/cal", "refresh": "4h", "grace_days": 30,
                    "overdue_days": 7, "idle_months": 3, "overload_day": 3, "overload_week": 12}
TEXT = (DATA / "small.yaml").read_text(encoding="utf-8")

ODD_WORDS = ["02-29", "02-30", "13-01", "00-00", "周八", "FREQ=HOURLY", "FREQ=DAILY;INTERVAL=0",
             "FREQ=DAILY;BYHOUR=1,2", "99999999999d", "0m", "1d", "-1", "各乡镇", "县科协",
             "category-x", "../../x", "=HYPERLINK(\"http://x\")", "\x00", "\u202e", "", " ",
             "https://x\r\nX-INJECT:1", "javascript:alert(1)", "9999-12-31", "0001-01-01",
             "2025-02-30", "19:99", "25:00", "monday", "科" * 300]
ODD = st.one_of(
    st.none(), st.booleans(), st.sampled_from(ODD_WORDS),
    st.integers(-10, 400), st.integers(-10**30, 10**30), st.sampled_from([10**14, 2**63, -2**63]),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.dates(min_value=date(1, 1, 1)),
    st.lists(st.one_of(st.integers(-3, 3), st.sampled_from(ODD_WORDS)), max_size=3),
    st.dictionaries(st.sampled_from(["month", "day", "min", "max", "from", "to", "weekday",
                                     "nth", "per_year", "unit", "by", "target", "x"]),
                    st.one_of(st.integers(-3, 100), st.sampled_from(ODD_WORDS)), max_size=3),
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*prefix, i))


PATHS = sorted((p for p in _paths(BASE) if p), key=lambda p: -len(p))  # leaves first: the
# simplest mutants then change one value, not a whole section


def _leaf(path):
    node = BASE
    for step in path:
        node = node[step]
    return node


# Values the plan itself holds, put where others belong: mostly plausible, so more mutants
# get past the loader and into the build.
PLAUSIBLE = st.sampled_from(sorted({repr(_leaf(p)): _leaf(p) for p in PATHS
                                    if not isinstance(_leaf(p), dict | list)}.values(), key=repr))
VALUES = st.one_of(ODD, PLAUSIBLE, st.integers(0, 400))


def _mutate(data, path, action, value):
    *parents, last = path
    holder = data
    for step in parents:
        holder = holder[step]
    if action == "replace":
        holder[last] = value
    elif action == "delete":
        del holder[last]
    elif isinstance(holder, list):  # duplicate an item
        holder.insert(last, copy.deepcopy(holder[last]))
    else:  # a new key beside it
        holder[f"{last}x" if isinstance(last, str) else last + 1] = value


@st.composite
def value_mutations(draw) -> str:
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 2))):
        path = draw(st.sampled_from(PATHS))
        try:
            _mutate(data, path, draw(st.sampled_from(["replace", "replace", "delete", "add"])),
                    draw(VALUES))
        except (KeyError, IndexError, TypeError):
            pass  # an earlier mutation removed what this path led to
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@st.composite
def text_mutations(draw) -> str:
    lines = TEXT.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["cut", "double", "garble", "indent", "alias"]))
        if action == "cut":
            del lines[i]
        elif action == "double":
            lines.insert(i, lines[i])
        elif action == "garble":
            at = draw(st.integers(0, max(0, len(lines[i]) - 1)))
            bad = draw(st.sampled_from(list(":-[]{}&*!|>'\"#%@`,?\t\\") + ["\x00", "\ufeff"]))
            lines[i] = lines[i][:at] + bad + lines[i][at:]
        elif action == "indent":
            lines[i] = "  " + lines[i]
        else:
            lines[i] = lines[i].replace(": ", ": &a ", 1) + "x: *a\n"
    return "".join(lines)


def _clear_or_valid(tmp_path, text: str) -> None:
    plan = tmp_path / "recurring.yaml"
    plan.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_plan(plan)
    except PlanError as exc:
        event("refused by the loader")
        assert exc.problems
        for problem in exc.problems:
            line = str(problem)
            assert line.startswith(f"{plan}:") and "\n" not in line, line
            assert "Traceback" not in line and len(line) < 400, line
        return
    event("built")
    db, exports = tmp_path / "calendar.db", tmp_path / "exports"
    try:
        build(BuildRequest(plan, db, exports, date(2025, 3, 1), "fuzz"))
        # a later day: grace, overdue...
        build(BuildRequest(plan, db, exports, date(2026, 3, 1), "fuzz"))
    except CalendarAppError as exc:  # refused in words: fine; a traceback is not
        assert "\n" not in str(exc).strip(), str(exc)
    finally:
        for path in (db, tmp_path / "calendar.db-wal", tmp_path / "calendar.db-shm"):
            path.unlink(missing_ok=True)


@settings(settings.get_profile(PROFILE))
@given(text=value_mutations())
def test_a_plan_with_odd_values_is_refused_clearly_or_builds(tmp_path_factory, text):
    _clear_or_valid(tmp_path_factory.mktemp("values"), text)


@settings(settings.get_profile(PROFILE))
@given(text=text_mutations())
def test_a_garbled_plan_file_is_refused_clearly_or_builds(tmp_path_factory, text):
    _clear_or_valid(tmp_path_factory.mktemp("lines"), text)
