"""Rebuilding against a real SQLite file: idempotent, revisions, tombstones, records kept."""

import sqlite3

from calendar_app.store import EventRow, Store


def _rows(db):
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT * FROM event ORDER BY uid").fetchall()


def test_a_second_build_changes_no_row(small):
    small.run("build", "--today", "2025-01-01")
    before = _rows(small.db)
    result = small.run("build", "--today", "2025-03-01")
    assert "0 new, 0 changed, 0 cancelled, 0 restored" in result.output
    assert _rows(small.db) == before


def test_the_database_runs_in_wal_mode_with_a_schema_version(small):
    small.run("build", "--today", "2025-01-01")
    with sqlite3.connect(small.db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("SELECT value FROM setting WHERE key='schema_version'").fetchone()


def test_an_edit_bumps_only_the_changed_events(small):
    small.run("build", "--today", "2025-01-01")
    small.edit("weekly: 周三", "weekly: 周四")
    result = small.run("build", "--today", "2025-02-01")
    # Wednesday 2025-12-31 becomes Thursday 2026-01-01, outside the plan: a tombstone.
    assert "0 new, 52 changed, 1 cancelled" in result.output
    with Store.open(small.db) as store:
        entries = store.entries()
    for entry in entries:
        if entry.obligation == "m02-tv":
            assert entry.sequence == 1
            assert entry.start.weekday() == (2 if entry.state == "removed" else 3)
            assert entry.revised.date().isoformat() == "2025-02-01"
        else:
            assert entry.sequence == 0, entry.uid


def test_a_removed_obligation_leaves_cancelled_tombstones_and_can_come_back(small):
    small.run("build", "--today", "2025-01-01")
    original = small.plan.read_text(encoding="utf-8")
    small.edit("      - {id: m02-day, title: 防灾减灾日宣传, quote: 防灾减灾日, observance: 防灾减灾日}\n",
               "")
    assert "1 cancelled" in small.run("build", "--today", "2025-02-01").output
    with Store.open(small.db) as store:
        (tomb,) = [e for e in store.entries() if e.uid == "m02-day/2025"]
        assert tomb.state == "removed" and tomb.shown_status == "cancelled"
        assert tomb.sequence == 1
        actions = [h["action"] for h in store.history("m02-day/2025")]
    assert actions == ["created", "removed"]
    small.plan.write_text(original, encoding="utf-8")
    assert "1 restored" in small.run("build", "--today", "2025-03-01").output
    with Store.open(small.db) as store:
        back = next(e for e in store.entries() if e.uid == "m02-day/2025")
        assert back.state == "live" and back.sequence == 2
        assert [h["action"] for h in store.history(back.uid)][-1] == "restored"


def test_what_units_recorded_survives_a_rebuild_after_an_edit(small):
    small.run("build", "--today", "2025-01-01")
    with Store.open(small.db):
        EventRow.update(status="done", attendance=120).where(
            EventRow.uid == "m02-day/2025").execute()
    small.edit("title: 防灾减灾日宣传", "title: 防灾减灾日集中宣传")
    small.run("build", "--today", "2025-02-01")
    with Store.open(small.db) as store:
        entry = next(e for e in store.entries() if e.uid == "m02-day/2025")
    assert entry.title == "防灾减灾日集中宣传" and entry.sequence == 1
    assert entry.status == "done" and entry.attendance == 120


def test_a_build_of_a_smaller_window_only_touches_that_window(small):
    small.run("build", "--today", "2025-01-01")
    small.edit("weekly: 周三", "weekly: 周四")
    out = small.run("build", "--today", "2025-02-01", "--from", "2025-06-01",
                    "--to", "2025-06-30").output
    assert "0 cancelled" in out
    with Store.open(small.db) as store:
        tv = {e.uid: e for e in store.entries() if e.obligation == "m02-tv"}
    assert tv["m02-tv/2025-W24"].sequence == 1 and tv["m02-tv/2025-W24"].start.weekday() == 3
    assert tv["m02-tv/2025-W02"].sequence == 0 and tv["m02-tv/2025-W02"].start.weekday() == 2


def test_editing_the_quoted_words_is_a_new_revision_too(small):
    small.run("build", "--today", "2025-01-01")
    small.edit("quote: 每周刊播1次科普知识\n        lead: 县委宣传部",
               "quote: 每周刊播1次科普知识。\n        lead: 县委宣传部")
    result = small.run("build", "--today", "2025-02-01")
    assert "0 new, 53 changed, 0 cancelled" in result.output


def test_the_history_cannot_be_rewritten(small):
    import pytest

    small.run("build", "--today", "2025-01-01")
    with sqlite3.connect(small.db) as conn:
        for sql in ("UPDATE history SET by = 'x'", "DELETE FROM history"):
            with pytest.raises(sqlite3.IntegrityError, match="history is append-only"):
                conn.execute(sql)
        assert conn.execute("SELECT COUNT(*) FROM history").fetchone()[0] == 188
