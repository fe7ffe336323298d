"""Rebuilding against a real database, SQLite and PostgreSQL: idempotent, revisions,
tombstones, records kept, the schema's version, the history the database guards."""

from datetime import date

import pytest

from calendar_app.store import Store
from calendar_app.store.tables import SCHEMA_VERSION

from .conftest import on_both_databases

pytestmark = on_both_databases


def _rows(database):
    return database.rows("SELECT * FROM event ORDER BY uid")


def test_a_second_build_changes_no_row(built_small, database):
    before = _rows(database)
    result = built_small.run("build", "--today", "2025-03-01")
    assert "0 new, 0 changed, 0 cancelled, 0 restored" in result.output
    assert _rows(database) == before


def test_the_database_carries_its_schema_version(built_small, database):
    assert database.rows("SELECT value FROM setting WHERE key = 'schema_version'") == [
        (str(SCHEMA_VERSION),)]
    if database.sqlite:
        assert database.rows("PRAGMA journal_mode") == [("wal",)]


def test_another_schema_version_is_refused_in_one_line(built_small, database):
    database.execute("UPDATE setting SET value = '99' WHERE key = 'schema_version'")
    result = built_small.run("events", ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip().splitlines() == [
        f"{built_small.db} has schema version 99; this calendar-app reads version {SCHEMA_VERSION}"]


def _as_version(database, version: int) -> None:
    """The database as that schema version left it: without what later versions added."""
    from calendar_app.store.tables import COLUMNS_ADDED

    for step, columns in COLUMNS_ADDED.items():
        if step > version:
            for table, column, _ in columns:
                database.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    if version < 5:
        database.execute("DROP TABLE session")
    if version < 4:
        database.execute("DROP TABLE account_change")
    if version < 3:
        for table in ("channel", "reminder"):
            database.execute(f"DROP TABLE {table}")
    if version < 2:
        for table in ("account", "login_failure", "evidence"):
            database.execute(f"DROP TABLE {table}")
    database.execute(f"UPDATE setting SET value = '{version}' WHERE key = 'schema_version'")


def test_a_version_1_database_gains_the_tables_of_version_2(stored_small, database):
    _as_version(database, 1)
    assert "zhang" in stored_small.run("accounts", "add", "zhang", "--unit", "yingji").output
    assert database.rows("SELECT value FROM setting WHERE key = 'schema_version'") == [
        (str(SCHEMA_VERSION),)]


def test_an_edit_bumps_only_the_changed_events(built_small):
    built_small.edit("weekly: 周三", "weekly: 周四")
    result = built_small.run("build", "--today", "2025-02-01")
    # Wednesday 2025-12-31 becomes Thursday 2026-01-01, outside the plan: a tombstone.
    assert "0 new, 52 changed, 1 cancelled" in result.output
    with Store.open(built_small.db) as store:
        entries = store.entries()
    for entry in entries:
        if entry.obligation == "m02-tv":
            assert entry.sequence == 1
            assert entry.start.weekday() == (2 if entry.state == "removed" else 3)
            assert entry.revised.date().isoformat() == "2025-02-01"
        else:
            assert entry.sequence == 0, entry.uid


def test_a_removed_obligation_leaves_cancelled_tombstones_and_can_come_back(built_small):
    original = built_small.plan.read_text(encoding="utf-8")
    built_small.edit(
        "      - {id: m02-day, title: 防灾减灾日宣传, quote: 防灾减灾日, observance: 防灾减灾日}\n", "")
    assert "1 cancelled" in built_small.run("build", "--today", "2025-02-01").output
    with Store.open(built_small.db) as store:
        (tomb,) = [e for e in store.entries() if e.uid == "m02-day/2025"]
        assert tomb.state == "removed" and tomb.shown_status == "cancelled"
        assert tomb.sequence == 1
        actions = [h["action"] for h in store.history("m02-day/2025")]
    assert actions == ["created", "removed"]
    built_small.plan.write_text(original, encoding="utf-8")
    assert "1 restored" in built_small.run("build", "--today", "2025-03-01").output
    with Store.open(built_small.db) as store:
        back = next(e for e in store.entries() if e.uid == "m02-day/2025")
        assert back.state == "live" and back.sequence == 2
        assert [h["action"] for h in store.history(back.uid)][-1] == "restored"


def test_what_units_recorded_survives_a_rebuild_after_an_edit(built_small):
    with Store.open(built_small.db) as store:
        E = store.t.event
        E.update(status="done", attendance=120).where(E.uid == "m02-day/2025").execute()
    built_small.edit("title: 防灾减灾日宣传", "title: 防灾减灾日集中宣传")
    built_small.run("build", "--today", "2025-02-01")
    with Store.open(built_small.db) as store:
        entry = next(e for e in store.entries() if e.uid == "m02-day/2025")
    assert entry.title == "防灾减灾日集中宣传" and entry.sequence == 1
    assert entry.status == "done" and entry.attendance == 120


def test_a_build_of_a_smaller_window_only_touches_that_window(built_small):
    built_small.edit("weekly: 周三", "weekly: 周四")
    out = built_small.run("build", "--today", "2025-02-01", "--from", "2025-06-01",
                          "--to", "2025-06-30").output
    assert "0 cancelled" in out
    with Store.open(built_small.db) as store:
        tv = {e.uid: e for e in store.entries() if e.obligation == "m02-tv"}
    assert tv["m02-tv/2025-W24"].sequence == 1 and tv["m02-tv/2025-W24"].start.weekday() == 3
    assert tv["m02-tv/2025-W02"].sequence == 0 and tv["m02-tv/2025-W02"].start.weekday() == 2


def test_editing_the_quoted_words_is_a_new_revision_too(built_small):
    built_small.edit("quote: 每周刊播1次科普知识\n        lead: 县委宣传部",
                     "quote: 每周刊播1次科普知识。\n        lead: 县委宣传部")
    result = built_small.run("build", "--today", "2025-02-01")
    assert "0 new, 53 changed, 0 cancelled" in result.output


def test_the_history_cannot_be_rewritten(built_small, database):
    statements = ["UPDATE history SET by = 'x'", "DELETE FROM history"]
    if not database.sqlite:
        statements.append("TRUNCATE history")
    for sql in statements:
        with pytest.raises(database.integrity_error, match="history is append-only"):
            database.execute(sql)
    assert database.rows("SELECT COUNT(*) FROM history") == [(188,)]


def test_a_units_unreported_events_and_the_reports_read_alike_on_both(stored_small):
    stored_small.run("record", "done", "m02-day/2025", "--evidence", "照片存档")
    stored_small.run("record", "done", "m02-monthly/2025-01")
    with Store.open(stored_small.db) as store:
        unreported = [(n, first, [e.uid for e in events]) for n, first, events
                      in store.unreported("yingji", date(2025, 6, 8), 7, latest=2)]
        reports = {uid: r.evidence for uid, r in store.reports().items()}
    assert unreported == [(4, date(2025, 2, 3), ["m02-monthly/2025-04", "m02-monthly/2025-05"]),
                          (1, date(2025, 5, 24), ["m02-week/2025"])]
    assert reports == {"m02-day/2025": 1, "m02-monthly/2025-01": 0}


def test_a_version_5_database_gains_report_tasks_and_keeps_what_was_reported(
        built_small, database):
    # Before there were grains, 天城镇 reported each push of February one by one, and one
    # of March; then the county reports the push by month.
    feb = [f"m03-push/2025-02-{d:02d}" for d in (3, 6, 10, 13, 17, 20, 24, 27)]
    for uid in [*feb, "m03-push/2025-03-03"]:
        built_small.run("record", "done", uid)
    _as_version(database, 5)
    built_small.edit("assumed: 测试}", "assumed: 测试, report: monthly, "
                     "report_reason: 按月汇总报送, counted: 推送条数}")
    assert "12 new, 104 changed" in built_small.run("build", "--today", "2025-04-01").output
    assert database.rows("SELECT value FROM setting WHERE key = 'schema_version'") == [
        (str(SCHEMA_VERSION),)]
    with Store.open(built_small.db) as store:
        pushes = [e for e in store.entries(obligations=["m03-push"]) if e.kind == "event"]
        february, march = (store.entry(f"m03-push/report-2025-{m}") for m in ("02", "03"))
        history = store.history(february.uid)
    # each push keeps its report, and is judged in its month's report from now on
    assert {e.uid for e in pushes if e.status == "done"} == {*feb, "m03-push/2025-03-03"}
    assert {e.reported for e in pushes} == {"monthly"}
    # February was reported whole: its report is filed with it; March's waits for the unit
    assert (february.status, february.done_count, february.planned_count) == ("done", 8, 8)
    assert february.done_on == date(2025, 2, 27) and history[-1]["action"] == "done"
    assert history[-1]["detail"] == {"carried": True, "done": 8, "filed": "2025-02-27",
                                     "planned": 8}
    assert (march.status, march.start, march.units) == ("planned", date(2025, 4, 8),
                                                        ("tiancheng",))
