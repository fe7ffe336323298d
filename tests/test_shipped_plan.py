"""The shipped recurring.yaml: the seed's quirks, and what the plan compiler must deliver."""

import shutil
import sqlite3
from datetime import date

import pytest

from calendar_app.schedule.expansion import expand

Y2025 = (date(2025, 1, 1), date(2026, 1, 1))


@pytest.fixture(scope="module")
def events_2025(shipped_plan):
    return expand(shipped_plan, *Y2025).events


@pytest.fixture(scope="module")
def all_events(shipped_plan):
    return expand(shipped_plan).events


def _for(events, unit, obligation=None):
    return [e for e in events if unit in e.units
            and (obligation is None or e.obligation == obligation)]


# -- the seed's quirks, read on purpose --

def test_all_30_measures_36_units_and_two_groups(shipped_plan):
    assert sorted(shipped_plan.measures) == list(range(1, 31))
    kinds = [u.kind for u in shipped_plan.units.values()]
    assert kinds.count("county") == 24 and kinds.count("township") == 12
    assert len(shipped_plan.groups["townships"].members) == 12
    assert len(shipped_plan.groups["leading-group"].members) == 24


def test_measure_17_lists_wenlv_twice_and_keeps_it_once(shipped_plan):
    assert shipped_plan.measures[17].units.count("wenlv") == 1
    assert "measure 17: 县文旅局 listed twice, kept once" in shipped_plan.notes


def test_measure_23_jiaoyuju_without_county_prefix_is_an_alias(shipped_plan):
    assert shipped_plan.measures[23].units == ("kejing", "jiaoyu")
    assert "measure 23: 教育局 read as 县教育局 (alias)" in shipped_plan.notes


def test_measure_6_guangwenlvju_is_wenlv_and_the_list_has_11_units(shipped_plan):
    assert len(shipped_plan.measures[6].units) == 11
    assert "wenlv" in shipped_plan.measures[6].units
    assert "measure 6: 县广文旅局 read as 县文旅局 (alias)" in shipped_plan.notes


def test_measures_16_and_17_share_one_category(shipped_plan):
    assert shipped_plan.measures[16].category == shipped_plan.measures[17].category == "F"


def test_every_obligation_quotes_its_measure_and_assumed_cadences_say_why(shipped_plan):
    for obligation in shipped_plan.obligations:
        assert obligation.quote
        if obligation.assumed:
            assert len(obligation.assumed) >= 6, obligation.id


def test_stated_numbers_are_encoded_exactly(shipped_plan):
    targets = {o.id: (o.target.kind, o.target.amount) for o in shipped_plan.obligations
               if o.target}
    assert targets == {
        "m3-rural-teachers": ("quota", 30), "m4-farmer-training": ("quota", 2000),
        "m4-leader-training": ("quota", 200), "m16-bases": ("milestone", 8),
        "m16-towns": ("milestone", 5), "m16-villages": ("milestone", 50),
        "m27-teams": ("milestone", 30), "m27-registered-2020": ("milestone", 1000)}
    registered = next(o for o in shipped_plan.obligations if o.id == "m27-registered-2020")
    assert registered.target.by == date(2020, 12, 31)  # before the plan starts, as the seed says
    contests = next(o for o in shipped_plan.obligations if o.id == "m9-skills-contest")
    assert (contests.rule.least, contests.rule.most) == (1, 2) and contests.lead == "renshe"


# -- what a newcomer must find after `calendar-app build` --

def test_tv_segment_for_xuanchuan_in_every_week_of_2025(events_2025):
    tv = _for(events_2025, "xuanchuan", "m19-tv-weekly")
    weeks = {e.start.date().isocalendar()[:2] for e in tv}
    assert {(2025, w) for w in range(1, 53)} <= weeks
    assert all(e.lead == "xuanchuan" and not e.all_day for e in tv)


def test_emergency_bureau_days_and_safety_month(events_2025):
    mine = _for(events_2025, "yingji")
    days = {e.start for e in mine if e.all_day and (e.end - e.start).days == 1}
    assert {date(2025, 3, 23), date(2025, 5, 12), date(2025, 11, 9)} <= days
    spans = {(e.start, e.end) for e in mine if e.obligation == "m21-safety-month"}
    assert spans == {(date(2025, 6, 1), date(2025, 7, 1))}


def test_lecture_tour_falls_in_each_school_term(shipped_plan, all_events):
    tours = [e for e in all_events if e.obligation == "m2-lecture-tour"]
    terms = [t for t in shipped_plan.calendar.terms_between(shipped_plan.start, shipped_plan.end)
             if t.start >= date(2021, 1, 1)]
    assert len(terms) == 10
    for term in terms:
        inside = [e for e in tours if term.start <= e.start < term.end]
        assert len(inside) == 1, term.id
        assert inside[0].slot.key == term.id


def test_renshe_has_one_or_two_skills_contests_each_year(all_events):
    contests = _for(all_events, "renshe", "m9-skills-contest")
    for year in range(2021, 2026):
        assert 1 <= sum(1 for e in contests if e.start.year == year) <= 2, year


def test_every_measure_and_every_township_has_events_in_2025(shipped_plan, events_2025):
    assert {e.measure for e in events_2025} == set(range(1, 31))
    for township in shipped_plan.groups["townships"].members:
        assert _for(events_2025, township), township


def test_the_caravan_reaches_every_township_within_five_years(shipped_plan, all_events):
    visits = [e for e in all_events if e.obligation == "m2-caravan"]
    reached = {u for e in visits for u in e.units if u in shipped_plan.groups["townships"].members}
    assert reached == set(shipped_plan.groups["townships"].members)
    assert all(date(2021, 1, 1) <= e.start < date(2026, 1, 1) for e in visits)


def test_no_unit_gets_two_flexible_events_on_one_day_if_avoidable(shipped_plan, all_events):
    per_unit_day = {}
    for event in all_events:
        if event.flexible:
            for unit in event.units:
                per_unit_day.setdefault((unit, event.start), []).append(event.uid)
    doubled = {k: v for k, v in per_unit_day.items() if len(v) > 1}
    assert not doubled, list(doubled.items())[:3]


def test_two_builds_give_identical_uids_and_rows(shipped, shipped_built):
    shutil.copy(shipped_built.db, shipped.db)  # as `build --today 2025-01-01` left it
    with sqlite3.connect(shipped.db) as conn:
        first = conn.execute("SELECT * FROM event ORDER BY uid").fetchall()
    out = shipped.run("build", "--today", "2025-06-01").output
    assert " 0 new, 0 changed, 0 cancelled, 0 restored" in out
    with sqlite3.connect(shipped.db) as conn:
        assert conn.execute("SELECT * FROM event ORDER BY uid").fetchall() == first
