"""The small plan's feeds, byte for byte: an unchanged database must give the same bytes.
The files under tests/data/golden/feeds were written again for issue 13, whose format is a
change of its own: routines as one recurring event, UIDs with a domain and a role, plain
Chinese descriptions, a rolling window, moving stamps, reminders in the lead's feed only."""

import pytest

from .conftest import DATA

GOLDEN = DATA / "golden" / "feeds"


@pytest.mark.parametrize("name", sorted(p.name for p in GOLDEN.glob("*.ics")))
def test_feeds_are_byte_identical_to_the_golden_files(small, name):
    small.run("build", "--today", "2025-03-01")
    assert (small.exports / "feeds" / name).read_bytes() == (GOLDEN / name).read_bytes()


def test_the_golden_files_are_there():
    assert len(list(GOLDEN.glob("*.ics"))) == 4
