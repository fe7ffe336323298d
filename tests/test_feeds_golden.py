"""The small plan's feeds, byte for byte: an unchanged database must give the same bytes.
The files under tests/data/golden/feeds were written again for issue 13, whose format is a
change of its own: routines as one recurring event, UIDs with a domain and a role, plain
Chinese descriptions, a rolling window, moving stamps, reminders in the lead's feed only;
and once more for issue 28, on purpose and checked line by line: dates and numbers without
spaces, 安排理由 on its own line, a routine's occurrences with all of its lines, the calendar
named 科普任务·unit, stamps that are the revision's time, the reasons of a fan-out and a
rotation's township; and, in a later session of the same issue, the one note that changed: a
report moved off a weekend names the day (提前至12月19日（周五）, was 提前至工作日)."""

import pytest

from .conftest import DATA

GOLDEN = DATA / "golden" / "feeds"


@pytest.mark.parametrize("name", sorted(p.name for p in GOLDEN.glob("*.ics")))
def test_feeds_are_byte_identical_to_the_golden_files(small, name):
    small.run("build", "--today", "2025-03-01")
    assert (small.exports / "feeds" / name).read_bytes() == (GOLDEN / name).read_bytes()


def test_the_golden_files_are_there():
    assert len(list(GOLDEN.glob("*.ics"))) == 4
