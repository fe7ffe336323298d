"""Properties: expansion is deterministic for any window, rebuilding twice changes nothing,
and no record is lost whatever the next expansion drops or changes."""

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from calendar_app.build import revision_time
from calendar_app.plan.reader import load_plan
from calendar_app.schedule.expansion import expand
from calendar_app.store import Store

from .conftest import DATA

PLAN = load_plan(DATA / "small.yaml")
EVENTS = expand(PLAN).events
PERIOD = (PLAN.start, PLAN.end)

windows = st.tuples(st.dates(date(2024, 6, 1), date(2026, 6, 1)),
                    st.integers(1, 400)).map(lambda t: (t[0], t[0] + timedelta(days=t[1])))
picks = st.sets(st.integers(0, len(EVENTS) - 1), max_size=12)


@settings(max_examples=25, deadline=None)
@given(window=windows)
def test_expansion_is_deterministic_and_window_independent(window):
    whole = {e.uid: e for e in expand(PLAN, date(2024, 1, 1), date(2028, 1, 1)).events}
    part = expand(PLAN, *window).events
    assert part == expand(load_plan(DATA / "small.yaml"), *window).events
    for event in part:
        assert whole[event.uid] == event


@settings(max_examples=15, deadline=None)
@given(recorded=picks, dropped=picks, retitled=picks, window=windows)
def test_no_record_is_lost_by_any_reexpansion(tmp_path_factory, recorded, dropped, retitled,
                                              window):
    db = tmp_path_factory.mktemp("db") / "calendar.db"
    with Store.open(db, create=True) as store:
        store.sync(EVENTS, PERIOD, revision_time(date(2025, 1, 1)), "test")
        marked = {EVENTS[i].uid for i in recorded}
        E = store.t.event
        E.update(status="done", attendance=7).where(E.uid.in_(marked)).execute()
        assert store.sync(EVENTS, PERIOD, revision_time(date(2025, 1, 2)), "test").touched == 0

        next_events = [replace(e, title=e.title + "（调整）") if i in retitled else e
                       for i, e in enumerate(EVENTS) if i not in dropped]
        store.sync(next_events, window, revision_time(date(2025, 1, 3)), "test")
        kept = {e.uid: e for e in store.entries()}
    assert set(kept) == {e.uid for e in EVENTS}
    for uid in marked:
        assert kept[uid].status == "done" and kept[uid].attendance == 7
