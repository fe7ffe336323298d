"""Two stores open at once in one thread (two SQLite files; SQLite beside PostgreSQL), reads
and writes interleaved: each store answers from its own database, and a transaction open on
one is not the other's. A server of several counties, a comparison of two databases and an
ended period's archive read beside the current one all need this."""

import shutil
from datetime import date, datetime

import pytest

from calendar_app.model import TZ
from calendar_app.store import Store

from .conftest import on_both_databases

pytestmark = on_both_databases

AT = datetime(2025, 6, 2, 9, 0, tzinfo=TZ)


@pytest.fixture
def other(stored_small, request, tmp_path):
    """A second SQLite calendar beside the test's own (SQLite or PostgreSQL): a copy of the
    small plan's, with one event reported done in it alone."""
    path = tmp_path / "other" / "calendar.db"
    path.parent.mkdir()
    shutil.copy(request.getfixturevalue("_small_database"), path)
    return path


def test_two_stores_in_one_thread_each_answer_from_their_own_database(stored_small, other):
    first = Store.open(stored_small.db)
    second = Store.open(other)
    try:
        uids = first.uids()
        assert len(uids) > 100 and second.uids() == uids
        uid = next(e.uid for e in first.entries() if e.status == "planned")

        second.mark_done(uid, AT, "tester", date(2025, 6, 1), 12, "只在第二个库")
        assert first.entry(uid).status == "planned"
        assert second.entry(uid).status == "done" and second.entry(uid).attendance == 12
        # The first store, opened before the second, still reads its own whole calendar.
        assert first.uids() == uids

        first.cancel(uid, AT, "tester", "只在第一个库")
        assert first.entry(uid).status == "cancelled"
        assert second.entry(uid).status == "done"
        assert [h["action"] for h in first.history(uid)][-1] == "cancelled"
        assert [h["action"] for h in second.history(uid)][-1] == "done"
    finally:
        first.close()
        second.close()


def test_a_transaction_on_one_store_is_not_the_others(stored_small, other):
    first = Store.open(stored_small.db)
    second = Store.open(other)
    try:
        uid = first.uids()[0]
        with pytest.raises(RuntimeError):
            with first.transaction():
                first.mark_done(uid, AT, "tester", date(2025, 6, 1), 3, "")
                # Written on the other store while the first one's transaction is open: it
                # commits on its own, and the first one's rollback does not touch it.
                second.mark_done(uid, AT, "tester", date(2025, 6, 1), 5, "")
                raise RuntimeError("the first store's work is abandoned")
        assert first.entry(uid).status == "planned"
        assert second.entry(uid).attendance == 5
        assert first.generation() + 1 == second.generation()
    finally:
        first.close()
        second.close()
