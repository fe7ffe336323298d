"""The printed pages of the small plan, byte for byte, against pages saved before the speed work.

The files under tests/data/golden/print/ are `build --today 2025-01-01` of tests/data/small.yaml
as printing.py made them before it was optimised (issue 7: output stays byte-identical), written
again three times since, each time checked line by line: when agenda rows gained an `id` for the gap
report to link to, and when (issue 14) each agenda row gained where it comes from (方案规定, or
县里安排 and the reason; one style rule for it) and the TV segment's co-organisers took the
table's order (县应急管理局、县文旅局, as measure 2 lists them), and when the footer stopped
naming the plan's file (数据来源：recurring.yaml, a file name on a page units read) and gave
only the table it follows (依据：测试分工表), the only differences; and for issue 28, when
headings and counts lost their spaces (县应急管理局2025年6月科普活动安排, 牵头3项) and the
small plan's fan-out and caravan gained their reasons (县里安排：…); and once more for issue 28,
when an activity's reasons were printed at its first row of the month only (later rows:
县里安排（理由见5月1日）) and a report moved off a weekend named its day (提前至12月19日（周五）).
One thing is left out of the comparison: the value of the `calendar-app-content` meta tag. It is the
key a rebuild uses to skip a page, not something a reader sees, and it is a digest of the
page's inputs and of the code and templates that lay the page out, so any change to those
changes it. Everything else, up to the last newline, must match.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import DATA

GOLDEN = DATA / "golden" / "print"
DIGEST = re.compile(r'(<meta name="calendar-app-content" content=")[0-9a-f]{40}(">)')
PAGES = [(month, unit) for month in ("2025-05", "2025-06")
         for unit in ("county", "yingji", "tiancheng")]


def without_digest(html: str) -> str:
    masked, found = DIGEST.subn(r"\1…\2", html)
    assert found == 1, "a page carries exactly one content digest"
    return masked


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> Path:
    from .conftest import Workspace

    work = Workspace(tmp_path_factory.mktemp("golden"), DATA / "small.yaml")
    work.run("build", "--today", "2025-01-01")
    return work.exports / "print"


@pytest.mark.parametrize(("month", "unit"), PAGES)
def test_page_is_byte_identical_to_the_golden(printed, month, unit):
    page = (printed / month / f"{unit}.html").read_bytes().decode("utf-8")
    golden = (GOLDEN / f"{month}-{unit}.html").read_bytes().decode("utf-8")
    assert without_digest(page) == without_digest(golden)
