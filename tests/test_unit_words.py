"""Every word a unit reads, read as a county office worker would (issue 28): no word of the
plan file's configuration, dates and numbers written as official documents write them, and
each event saying what is estimated about it.

`unit_texts` gathers what units read of a build: the feeds' names and descriptions, event
titles, places and reminders, and the text of every page under exports/ (links, scripts and
style sheets left out)."""

from __future__ import annotations

import ast
import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from icalendar import Calendar

from calendar_app.model import Settings
from calendar_app.plan import reader, rules
from calendar_app.schedule.expansion import expand

TEXT_PROPERTIES = ("NAME", "X-WR-CALNAME", "X-WR-CALDESC", "DESCRIPTION", "SUMMARY", "LOCATION",
                   "CATEGORIES")
ADDRESS = re.compile(r"(?:https?|webcal)://\S+")
# An ASCII word on its own: not part of a file name, an address or a code (m19-tv-weekly).
WORD = re.compile(r"(?<![A-Za-z0-9_.#/-])[A-Za-z_]+(?![A-Za-z0-9_.#/-])")


def unit_texts(exports: Path) -> Iterator[tuple[str, str]]:
    """(where, text) for everything a unit reads in a build's exports."""
    for path in sorted(exports.rglob("*.ics")):
        for part in Calendar.from_ical(path.read_bytes()).walk():
            for name in TEXT_PROPERTIES:
                if name in part:
                    value = part[name]
                    text = ",".join(map(str, value.cats)) if hasattr(value, "cats") else str(value)
                    yield f"{path.name} {part.get('UID', '')} {name}", text
    for path in sorted(exports.rglob("*.html")):
        page = re.sub(r"<(script|style)\b.*?</\1>", " ", path.read_text("utf-8"), flags=re.S)
        yield str(path.relative_to(exports)), html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.fixture(scope="module")
def texts(shipped_built) -> list[tuple[str, str]]:
    return list(unit_texts(shipped_built.exports))


# -- 6. no configuration word in anything a unit reads ----------------------------------------

def _keys_the_code_accepts() -> set[str]:
    """Every key named in a set literal the reader's check_keys, the rule kinds' _need or
    OBLIGATION_KEYS is given: what a plan file may say."""
    found: set[str] = set()
    for module in (reader, rules):
        tree = ast.parse(Path(module.__file__).read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Set):
                found |= {e.value for e in node.elts
                          if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return found


def test_the_configuration_words_are_every_key_a_plan_file_may_hold():
    accepted = _keys_the_code_accepts() | set(rules.RULES) | set(Settings.__dataclass_fields__)
    accepted = {k for k in accepted if k == k.lower()}  # an RRULE's parts are the RFC's words
    assert {"count", "per_year", "assumed", "fanout", "base_url", "estimated"} <= accepted
    assert accepted <= reader.CONFIG_WORDS


def test_no_text_a_unit_reads_holds_a_configuration_word(texts):
    assert len(texts) > 2000
    found = [(where, word) for where, text in texts
             for word in WORD.findall(ADDRESS.sub(" ", text)) if word in reader.CONFIG_WORDS]
    assert not found, found[:5]


def test_the_loader_refuses_a_configuration_word_in_a_reason(shipped):
    shipped.edit("县里每年安排1次，放在9-11月（避开夏季高温和年底），需要时可增加第2次",
                 "县里放在9-11月，需要第2次时把count改为2")
    line = next(n for n, text in enumerate(shipped.plan.read_text("utf-8").splitlines(), 1)
                if "把count改为2" in text)
    result = shipped.run("validate", ok=False)
    assert result.exit_code == 1
    assert result.output == (f"{shipped.plan}:{line}: obligation m9-skills-contest: assumed says "
                             "'count', a word of the plan file; units read it: put notes for "
                             "the plan's author in a YAML comment\n")


# -- 5. what is estimated says so --------------------------------------------------------------

def test_every_per_term_event_says_its_term_dates_are_estimated(shipped_plan):
    per_term = {o.id for o in shipped_plan.obligations if o.rule.kind == "per_term"}
    assert per_term == {"m1-spirit-campus", "m2-lecture-tour"}
    events = [e for e in expand(shipped_plan).events if e.obligation in per_term]
    assert len(events) == 20
    for event in events:
        (note,) = [n for n in event.notes if "学期" in n]
        assert note.endswith("学期起止日期为推定，以教育部门公布的校历为准"), event.uid
    assert all(t.estimated for t in shipped_plan.calendar.terms)


def test_a_term_confirmed_from_the_school_calendar_says_nothing(shipped):
    shipped.edit("end: 2025-07-04, estimated: true}", "end: 2025-07-04}")
    plan = reader.load_plan(shipped.plan)
    spring = [e for e in expand(plan).events if e.slot.key == "2025-spring"]
    assert spring and not any("推定" in n for e in spring for n in e.notes)


# -- 8. the words each title needs ---------------------------------------------------------------

def test_the_outdoor_media_of_science_day_are_during_it(shipped_plan):
    titles = {e.title for e in expand(shipped_plan).events if e.obligation == "m19-outdoor-media"}
    assert titles == {"全国科普日期间户外屏、楼宇电视投放", "全国科普月期间户外屏、楼宇电视投放"}
    media = next(o for o in shipped_plan.obligations if o.id == "m19-outdoor-media")
    assert media.title == "{observance}期间公共交通、户外电子屏、楼宇电视科普内容集中投放"

