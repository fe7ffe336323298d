"""The small plan's feeds, byte for byte (issue 7: output stays byte-identical through the
speed work). The files under tests/data/golden/feeds were written by the code of commit
828dc84, from before the speed work; all.ics and tiancheng.ics were written again when
placement stopped following fixed-date events, a change of behaviour of its own, which moved
one of 天城镇's flexible events."""

import pytest

from .conftest import DATA

GOLDEN = DATA / "golden" / "feeds"


@pytest.mark.parametrize("name", sorted(p.name for p in GOLDEN.glob("*.ics")))
def test_feeds_are_byte_identical_to_the_golden_files(small, name):
    small.run("build", "--today", "2025-03-01")
    assert (small.exports / "feeds" / name).read_bytes() == (GOLDEN / name).read_bytes()


def test_the_golden_files_are_there():
    assert len(list(GOLDEN.glob("*.ics"))) == 4
