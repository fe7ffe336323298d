"""The store: one calendar in a SQLite file or a PostgreSQL schema, and its verbs (sync,
report, accounts, evidence). With `tables` and `connection`, the only code that knows SQL.

`Store.open` takes a path (SQLite, the embedded default) or a `postgresql://` URL, read by
playhouse.db_url; a URL's `?schema=NAME` picks the county's schema in a province's database.
Both carry the same tables, the same schema version checked on open and the same trigger that
refuses to rewrite the history. SQLite runs in WAL mode with a busy timeout and takes its
write lock first (BEGIN IMMEDIATE); on PostgreSQL a transaction locks the events it reads,
a rebuild locks the event table against reports for its few seconds, and a whole build holds
an advisory lock, so several processes write at once and none loses another's change.
`sync` reconciles what the plan generates with what is stored: new events are inserted,
changed ones get a new revision, events the plan no longer yields become cancelled
tombstones, and nothing units recorded is touched. Every change is also a history row.

Each store has its own database object (`connection.connect`) and its own copies of the
tables bound to it (`tables.Tables`): two stores open at once, in one thread or in several,
never share a connection or a transaction.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from ..errors import StoreError
from ..model import (
    Account,
    AccountAction,
    AccountChange,
    Channel,
    Entry,
    Event,
    Evidence,
    Reported,
    ReturnedReport,
    day_of,
    days,
)
from .connection import _WRAP, Fault, _reason, connect, pw
from .location import Location, locate
from .tables import (
    COLUMNS_ADDED,
    POSTGRES_GUARD,
    SCHEMA_VERSION,
    SQLITE_GUARD,
    AccountRow,
    ChannelRow,
    EventRow,
    EvidenceRow,
    Tables,
)


class NoDatabase(StoreError):
    """Nothing is stored there yet: a build creates it."""


REPORTS = ("done", "cancelled", "moved", "added", "amended", "resubmitted")  # a unit's reports


@dataclass
class SyncResult:
    created: int = 0
    changed: int = 0
    removed: int = 0
    restored: int = 0
    unchanged: int = 0

    @property
    def touched(self) -> int:
        return self.created + self.changed + self.removed + self.restored


def _dt(value: str) -> date | datetime:
    return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)


PLAN_COLUMNS = ("obligation", "measure", "category", "slot", "slot_start", "slot_end", "title",
                "dtstart", "dtend", "day_start", "day_end", "units", "location", "alarm",
                "notes", "flexible", "digest", "kind", "reported")
PLAN_COLUMNS_NO_DAYS = tuple(c for c in PLAN_COLUMNS if c not in ("day_start", "day_end"))


def _fields(event: Event, with_days: bool = True) -> tuple:
    """The columns a rebuild owns (PLAN_COLUMNS, in order): what the plan says of an event."""
    first, after = days(event.start, event.end)
    day_start, day_end = first.isoformat(), after.isoformat()
    slot = event.slot
    alarm = int(event.alarm.total_seconds()) if event.alarm is not None else None
    head = (event.obligation, event.measure, event.category, slot.key, slot.start.isoformat(),
            slot.end.isoformat(), event.title, event.start.isoformat(), event.end.isoformat())
    tail = (" ".join(event.units), event.location, alarm, "\n".join(event.notes),
            event.flexible, event.digest, event.kind, event.reported)
    return (*head, day_start, day_end, *tail) if with_days else (*head, *tail)


def _unit_rows(uid: str, units: Iterable[str]) -> list[tuple]:
    return [(uid, u, "lead" if i == 0 else "co") for i, u in enumerate(units)]


class Store:
    """One open calendar database, with its own database object: each thread that uses the
    store gets its own connection from it (`close` ends the calling thread's)."""

    def __init__(self, where: Location):
        self.where = where
        self.path = where.path  # the SQLite file; None on PostgreSQL
        self.shown = where.shown
        self.db = connect(where)  # this store's own: no other store shares it
        self.t = Tables(self.db)

    @classmethod
    def open(cls, spec: str | Path, create: bool = False) -> Store:
        """The store at `spec` (a path or a postgresql:// URL), its schema checked; with
        `create`, made (tables, triggers, version) where there is none yet."""
        where = locate(spec)
        if where.path is not None and not create and not where.path.exists():
            raise NoDatabase(f"no database at {where.shown}; run `calendar-app build` first")
        store = cls(where)
        try:
            store.db.connect(reuse_if_open=True)
            store._check_schema(create)
        except BaseException:
            store.close()
            raise
        return store

    def _check_schema(self, create: bool) -> None:
        version = self._version()
        if version == str(SCHEMA_VERSION):
            return
        if version is None and not create and not self.where.sqlite:
            raise NoDatabase(f"no calendar in {self.shown}; run `calendar-app build` first")
        with self._schema_lock():
            version = self._version()  # again: another process may have made it meanwhile
            if version is None:
                self.db.create_tables(self.t.all)
                for sql in SQLITE_GUARD if self.where.sqlite else POSTGRES_GUARD:
                    self.db.execute_sql(sql)
                self.t.setting.insert(key="schema_version", value=str(SCHEMA_VERSION)).execute()
            elif version != str(SCHEMA_VERSION):
                old = int(version) if version.isdigit() else 0
                if not 1 <= old < SCHEMA_VERSION:
                    raise StoreError(f"{self.shown} has schema version {version}; this "
                                     f"calendar-app reads version {SCHEMA_VERSION}")
                for step in range(old + 1, SCHEMA_VERSION + 1):
                    self.db.create_tables(self.t.added.get(step, ()))
                    for table, column, kind in COLUMNS_ADDED.get(step, ()):
                        self.db.execute_sql(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
                self.db.create_tables([self.t.event])  # the indexes a newer version has
                self.t.setting.update(value=str(SCHEMA_VERSION)).where(
                    self.t.setting.key == "schema_version").execute()

    def _version(self) -> str | None:
        """The stored schema version, None where no calendar is stored yet."""
        if self.where.sqlite:
            exists = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'setting'"
        else:
            exists = ("SELECT 1 FROM information_schema.tables "
                      "WHERE table_schema = current_schema() AND table_name = 'setting'")
        try:
            if self.db.execute_sql(exists).fetchone() is None:
                return None
            row = self.t.setting.get_or_none(self.t.setting.key == "schema_version")
        except pw.DatabaseError as exc:
            raise StoreError(f"{self.shown} is not a calendar database: {_reason(exc)}") from None
        return row.value if row else None

    @contextmanager
    def _schema_lock(self) -> Iterator[None]:
        """Making or upgrading the tables, one process at a time."""
        with self.transaction():
            if not self.where.sqlite:
                self.db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (self._key("schema"),))
                # Only when missing: a county's role may own its schema and not the self.db.
                if self.where.schema and not self.db.execute_sql(
                        "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s",
                        (self.where.schema,)).fetchone():
                    self.db.execute_sql(f"CREATE SCHEMA {self.where.schema}")
            yield

    def _key(self, purpose: str) -> int:
        """An advisory lock's number: one per purpose and county in the server's self.db."""
        digest = hashlib.sha1(f"calendar_app {purpose} {self.where.schema}".encode()).digest()
        return int.from_bytes(digest[:8], "big", signed=True)

    def release(self) -> None:
        """End the calling thread's connection (a pool takes it back); the store stays open
        for the next use, as a web application's store does between requests."""
        if not self.db.is_closed():
            self.db.close()

    def close(self) -> None:
        """Done with the store: the calling thread's connection ends, and a pool closes the
        connections it keeps."""
        self.release()
        self.db.close_pool()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _insert_events(self, rows: list[tuple]) -> None:
        """Rows of (uid, *PLAN_COLUMNS, revised, origin, fills): new events, nothing recorded."""
        columns = ("uid", *PLAN_COLUMNS, "revised", "origin", "fills")
        self._executemany(f"INSERT INTO event ({', '.join(columns)}, state, sequence, status, "
                          "remark) "
                     f"VALUES ({', '.join('?' * len(columns))}, 'live', 0, 'planned', '')", rows)

    def _executemany(self, sql: str, rows: list[tuple]) -> None:
        if rows:
            self.db.executemany(sql, rows)

    @contextmanager
    def building(self) -> Iterator[None]:
        """Held for the whole of a build, on PostgreSQL: a second build of the same county
        waits for the first to end (and then finds its work done) instead of interleaving.
        On SQLite the syncs take the write lock in turn, which is all one machine needs."""
        if self.where.sqlite:
            yield
            return
        key = self._key("build")
        self.db.execute_sql("SELECT pg_advisory_lock(%s)", (key,))
        try:
            yield
        finally:
            if not self.db.lost():  # a lost session took its locks with it
                self.db.execute_sql("SELECT pg_advisory_unlock(%s)", (key,))

    def backup(self, to: Path) -> None:
        """A consistent copy of a SQLite database, while others read and write it: SQLite's
        online backup copies the pages in one step, from one snapshot (in WAL mode writers go
        on meanwhile), into a file beside `to` that is renamed onto it once checked."""
        if self.where.path is None:
            raise StoreError(f"{self.shown}: back up PostgreSQL with pg_dump (see the README)")
        if to.resolve() == self.where.path.resolve():
            raise StoreError(f"{to}: that is the database itself")
        part = to.with_name(f".{to.name}.part")
        part.unlink(missing_ok=True)
        copy = sqlite3.connect(part)
        try:
            with _WRAP:
                self.db.connection().backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            (check,) = copy.execute("PRAGMA quick_check").fetchone()
        except (pw.DatabaseError, sqlite3.Error, OSError) as exc:
            copy.close()
            part.unlink(missing_ok=True)
            raise StoreError(f"{to}: the backup failed, nothing written: {_reason(exc)}") from None
        copy.close()
        if check != "ok":
            part.unlink(missing_ok=True)
            raise StoreError(f"{to}: the copy does not check out ({check}); nothing written")
        part.replace(to)

    def snapshot(self, to: Path) -> None:
        """This calendar as a new SQLite file at `to` (training works on one): SQLite's own
        backup, or from PostgreSQL every table's rows, read in one snapshot."""
        if self.where.sqlite:
            self.backup(to)
            return
        if to.exists():
            raise StoreError(f"{to}: exists already; nothing written")
        with Store.open(to, create=True) as copy, copy.transaction(), self.db.atomic():
            self.db.execute_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            for theirs, mine in zip(copy.t.all, self.t.all, strict=True):
                if theirs is copy.t.setting:
                    theirs.delete().execute()  # the copy's own schema version: the rows bring it
                fields = mine._meta.sorted_fields
                rows = list(mine.select(*fields).tuples())
                for first in range(0, len(rows), 500):
                    theirs.insert_many(rows[first:first + 500],
                                       fields=theirs._meta.sorted_fields).execute()

    # -- the rebuild ---------------------------------------------------------------------

    def sync(self, events: list[Event], window: tuple[date, date], at: datetime,
             by: str, source: dict | None = None) -> SyncResult:
        """Make the stored plan events of `window` match `events`, in one transaction.

        `source`, if given, says what the events were made from; `last_sync` gives it back,
        so a build of the same plan can tell that there is nothing to do.

        Rows go through plain `executemany`: row by row through the ORM, a cold build of the
        county plan spent most of its time building SQL text.
        """
        result = SyncResult()
        stamp = at.isoformat()
        wanted = {e.uid: e for e in events}
        lo, hi = window[0].isoformat(), window[1].isoformat()
        E = self.t.event
        with self.transaction():
            if not self.where.sqlite:
                # Reports wait for the sync, and the sync for reports under way, so a report
                # is neither lost between what the sync read and what it writes nor left half
                # applied; readers go on. (SQLite: BEGIN IMMEDIATE does the same.)
                self.db.execute_sql("LOCK TABLE event IN EXCLUSIVE MODE")
            stored = {
                uid: (digest, sequence, state, moved)
                for uid, digest, sequence, state, moved in self._rows(E.select(
                    E.uid, E.digest, E.sequence, E.state, E.moved_start.is_null(False))
                .where(E.origin == "plan"))
            }
            inserts: list[tuple] = []
            updates: list[tuple] = []
            kept_days: list[tuple] = []
            units: list[tuple] = []
            history: list[tuple] = []
            for uid, event in wanted.items():
                old = stored.get(uid)
                if old is None:
                    inserts.append((uid, *_fields(event), stamp, "plan", ""))
                    units += _unit_rows(uid, event.units)
                    history.append((uid, stamp, by, "created", "{}"))
                    result.created += 1
                    continue
                digest, sequence, state, moved = old
                if digest == event.digest and state == "live":
                    result.unchanged += 1
                    continue
                action = "restored" if state == "removed" else "changed"
                # A unit's move beats the rule: a moved event keeps the days it is found on.
                (kept_days if moved else updates).append(
                    (*_fields(event, with_days=not moved), sequence + 1, stamp, uid))
                units += _unit_rows(uid, event.units)
                history.append((uid, stamp, by, action,
                                json.dumps({"digest": event.digest})))
                if action == "restored":
                    result.restored += 1
                else:
                    result.changed += 1
            gone = [uid for uid, in self._rows(E.select(E.uid).where(
                (E.origin == "plan") & (E.state == "live")
                & (E.day_start < hi) & (E.day_end > lo)))
                if uid not in wanted]
            history += [(uid, stamp, by, "removed",
                         '{"reason": "no longer follows from the plan"}') for uid in gone]
            result.removed = len(gone)

            self._insert_events(inserts)
            for rows, columns in ((updates, PLAN_COLUMNS), (kept_days, PLAN_COLUMNS_NO_DAYS)):
                sets = ", ".join(f"{c} = ?" for c in (*columns, "sequence", "revised"))
                self._executemany(f"UPDATE event SET {sets}, state = 'live' WHERE uid = ?", rows)
            self._executemany("DELETE FROM event_unit WHERE uid = ?",
                         [(row[-1],) for row in (*updates, *kept_days)])
            self._executemany("UPDATE event SET state = 'removed', sequence = sequence + 1, "
                         "revised = ? WHERE uid = ?", [(stamp, uid) for uid in gone])
            self._executemany("INSERT INTO event_unit (uid, unit, role) VALUES (?, ?, ?)", units)
            self._executemany("INSERT INTO history (uid, at, by, action, detail) "
                         "VALUES (?, ?, ?, ?, ?)", history)
            self._carry_over([wanted[row[0]] for row in inserts
                              if wanted[row[0]].kind == "report"], stamp, by)
            if source is not None:
                setting = self.t.setting
                setting.insert(key="last_sync", value=json.dumps(source)).on_conflict(
                    conflict_target=[setting.key], preserve=[setting.value]).execute()
        return result

    def _carry_over(self, tasks: list[Event], stamp: str, by: str) -> None:
        """Reports made before there were grains keep their meaning: a new report task
        whose period's events were each reported done already is filed with them, as done
        on the last of their days, in the sync's transaction."""
        for task in tasks:
            count, done, last = self.db.query(
                "SELECT COUNT(*), SUM(CASE WHEN e.status = 'done' THEN 1 ELSE 0 END), "
                "MAX(e.done_on) FROM event e JOIN event_unit u ON u.uid = e.uid "
                "WHERE u.unit = ? AND u.role = 'lead' AND e.obligation = ? "
                "AND e.kind = 'event' AND e.state = 'live' AND e.status <> 'cancelled' "
                "AND e.day_start >= ? AND e.day_start < ?",
                (task.lead, task.obligation, task.slot.start.isoformat(),
                 task.slot.end.isoformat())).fetchone()
            if not count or done != count:
                continue
            self._record(task.uid, datetime.fromisoformat(stamp), by, "done",
                         {"status": "done", "done_on": last, "done_count": count,
                          "planned_count": count},
                         {"filed": last, "done": count, "planned": count, "carried": True})

    def last_sync(self) -> dict | None:
        row = self.t.setting.get_or_none(self.t.setting.key == "last_sync")
        return json.loads(row.value) if row else None

    # -- what units record --------------------------------------------------------------

    def transaction(self):
        """One all-or-nothing unit of work, in which what is read (the checks of a report)
        stays true until the commit: on SQLite, BEGIN IMMEDIATE takes the write lock first;
        on PostgreSQL each event read inside is locked (`entry`) and a rebuild locks them all
        (`sync`). Nested, it is a savepoint of the outer one."""
        return self.db.atomic("IMMEDIATE") if self.where.sqlite else self.db.atomic()

    def entry(self, uid: str) -> Entry | None:
        """The stored event; inside a transaction on PostgreSQL its row is locked until the
        commit, so what a report checks of it is still so when the report is written."""
        # Plain SQL: the one most asked for (every report, every row of a sheet), and peewee
        # took longer to write it than the database to answer it.
        lock = "" if self.where.sqlite or not self.db.in_transaction() else " FOR UPDATE"
        row = self.db.query(f"SELECT {_ENTRY_SQL} FROM event WHERE uid = ?{lock}",
                             (uid,)).fetchone()
        return _entry(row) if row else None

    def make_ups(self, uid: str) -> list[Entry]:
        """The events added to fill this cancelled event's slot, whatever became of them; on
        PostgreSQL the caller locks the cancelled event first (`entry` in a transaction), so
        two make-ups of one slot are decided one after the other."""
        rows = self.db.query(f"SELECT {_ENTRY_SQL} FROM event WHERE fills = ? ORDER BY uid"
                             f"{self.db.bytewise_sql()}",
                             (uid,)).fetchall()
        return [_entry(row) for row in rows]

    def mark_done(self, uid: str, at: datetime, by: str, on: date, attendance: int | None,
                  note: str, evidence: str = "", files: tuple[Evidence, ...] = (),
                  batch: str = "") -> None:
        """`evidence` says where the evidence is; `files` are evidence files attached now;
        `batch` names the period reported done in one form (按计划全部完成), if it was."""
        detail: dict[str, object] = {"on": on.isoformat(), "attendance": attendance,
                                     "note": note, "evidence": evidence}
        if batch:
            detail["batch"] = batch
        self._done(uid, at, by, {"done_on": on.isoformat(), "attendance": attendance,
                                 "remark": note, "review": "filed", "review_note": ""},
                   detail, files)

    def report_period(self, uid: str, at: datetime, by: str, on: date, done: int,
                      planned: int, note: str, missed: tuple[date, ...] = (),
                      files: tuple[Evidence, ...] = ()) -> None:
        """A period's report task filed: `done` of the period's `planned` events, on `on`,
        and the days `missed` when the report names them."""
        days_missed = [d.isoformat() for d in missed]
        self._done(uid, at, by, {"done_on": on.isoformat(), "done_count": done,
                                 "planned_count": planned, "remark": note,
                                 "missed": " ".join(days_missed), "review": "filed",
                                 "review_note": ""},
                   {"filed": on.isoformat(), "done": done, "planned": planned, "note": note,
                    "missed": days_missed}, files)

    def _done(self, uid: str, at: datetime, by: str, columns: dict, detail: dict,
              files: tuple[Evidence, ...]) -> None:
        if files:
            detail["files"] = [{"name": f.name, "sha256": f.sha256} for f in files]
        with self.transaction():
            self._record(uid, at, by, "done", {"status": "done", **columns}, detail)
            for file in files:
                self.add_evidence(file)

    def review(self, uid: str, at: datetime, by: str, passed: bool, reason: str) -> None:
        """The coordinator's review of a done report: passed, or returned with the reason."""
        verdict = "passed" if passed else "returned"
        self._record(uid, at, by, verdict,
                     {"review": verdict, "review_note": "" if passed else reason},
                     {"verdict": reason} if reason else {})

    def supplement(self, uid: str, at: datetime, by: str, remark: str, note: str,
                   files: tuple[Evidence, ...] = (), resubmit: bool = False) -> None:
        """A note (`remark` is the report's whole note with it) and evidence added to a done
        report, which stays done; `resubmit`: a returned report goes back for review."""
        columns: dict[str, object] = {"remark": remark}
        if resubmit:
            columns.update(review="filed", review_note="")
        detail: dict[str, object] = {"note": note}
        if files:
            detail["files"] = [{"name": f.name, "sha256": f.sha256} for f in files]
        with self.transaction():
            self._record(uid, at, by, "resubmitted" if resubmit else "amended", columns, detail)
            for file in files:
                self.add_evidence(file)

    def returned(self, unit: str | None = None) -> list[ReturnedReport]:
        """The reports returned and not resubmitted yet (of the events `unit` leads), the
        latest first, each with its return: when, by whom, why."""
        lead = ("JOIN event_unit u ON u.uid = e.uid AND u.role = 'lead' AND u.unit = ? "
                if unit else "")
        rows = self.db.query(
            'SELECT h.uid, h.at, h."by", h.detail FROM history h JOIN (SELECT uid, MAX(id) AS '
            "id FROM history WHERE action = 'returned' GROUP BY uid) last ON last.id = h.id "
            f"JOIN event e ON e.uid = h.uid {lead}WHERE e.review = 'returned' "
            f"ORDER BY h.at DESC, h.uid{self.db.bytewise_sql()}", (unit,) if unit else ()
        ).fetchall()
        entries = {e.uid: e for e in self._by_uid([row[0] for row in rows])}
        return [ReturnedReport(entries[uid], datetime.fromisoformat(at), who,
                               json.loads(detail).get("verdict", ""))
                for uid, at, who, detail in rows]

    def awaiting_review(self, most: int = 50) -> tuple[int, list[tuple[Entry, datetime]]]:
        """The reports filed and not yet reviewed: how many, and the `most` oldest of them
        with when each was filed (or resubmitted), oldest first."""
        filed = ("FROM history h JOIN event e ON e.uid = h.uid WHERE e.review = 'filed' "
                 "AND e.status = 'done' AND h.action IN ('done', 'resubmitted')")
        (count,) = self.db.query(f"SELECT COUNT(DISTINCT h.uid) {filed}").fetchone()
        rows = self.db.query(f"SELECT h.uid, MAX(h.at) {filed} GROUP BY h.uid "
                             f"ORDER BY MAX(h.at){self.db.bytewise_sql()}, "
                             f"h.uid{self.db.bytewise_sql()} LIMIT ?", (most,)).fetchall()
        entries = {e.uid: e for e in self._by_uid([row[0] for row in rows])}
        return count, [(entries[uid], datetime.fromisoformat(at)) for uid, at in rows]

    def period_events(self, task: Entry) -> list[Entry]:
        """The events a period's report task reports on: its obligation's events in its
        period (by the day each takes place) that its lead leads, cancelled ones too."""
        return [e for e in self.entries(unit=task.lead, start=task.slot_start,
                                        end=task.slot_end, obligations=[task.obligation])
                if e.kind == "event" and e.lead == task.lead and not e.orphaned
                and task.slot_start <= day_of(e.start) < task.slot_end]

    def planned_counts(self, entries: Iterable[Entry]) -> dict[str, int]:
        """For each period's report task among `entries`: how many events its period plans
        (the live ones it reports on)."""
        return {task.uid: sum(1 for e in self.period_events(task) if e.live)
                for task in entries if task.kind == "report"}

    def cancel(self, uid: str, at: datetime, by: str, reason: str) -> None:
        self._record(uid, at, by, "cancelled", {"status": "cancelled", "remark": reason},
                     {"reason": reason})

    def move(self, uid: str, at: datetime, by: str, start: date | datetime,
             end: date | datetime, was: date | datetime) -> None:
        """Put the event on new days; rebuilds keep it there until `reset`."""
        first, after = days(start, end)
        self._record(uid, at, by, "moved",
                     {"moved_start": start.isoformat(), "moved_end": end.isoformat(),
                      "day_start": first.isoformat(), "day_end": after.isoformat()},
                     {"from": was.isoformat(), "to": start.isoformat()})

    def reset(self, uid: str, at: datetime, by: str, was: str) -> None:
        """Forget what was recorded: the event is again what the plan placed. The evidence
        files stay, and the history row names them and the note taken back."""
        with self.transaction():
            E = self.t.event
            [(dtstart, dtend, remark)] = self._rows(
                E.select(E.dtstart, E.dtend, E.remark).where(E.uid == uid))
            first, after = days(_dt(dtstart), _dt(dtend))
            detail: dict[str, object] = {"was": was, "note": remark}
            files = self.evidence(uid)
            if files:
                detail["files"] = [{"name": f.name, "sha256": f.sha256} for f in files]
            self._record(uid, at, by, "reset",
                         {"status": "planned", "moved_start": None, "moved_end": None,
                          "attendance": None, "done_on": None, "remark": "",
                          "done_count": None, "planned_count": None, "missed": "",
                          "review": "", "review_note": "",
                          "day_start": first.isoformat(), "day_end": after.isoformat()},
                         detail)

    def add_event(self, event: Event, at: datetime, by: str, fills: str = "") -> None:
        """Store an event a unit added itself (ad hoc, or a make-up filling another's slot)."""
        stamp = at.isoformat()
        with self.transaction():
            try:
                self._insert_events([(event.uid, *_fields(event), stamp, "added", fills)])
            except pw.IntegrityError:
                # Another process added the same event since this one looked.
                raise StoreError(f"{event.uid} exists already") from None
            self._executemany("INSERT INTO event_unit (uid, unit, role) VALUES (?, ?, ?)",
                         _unit_rows(event.uid, event.units))
            self.t.history.insert(_history(event.uid, stamp, by, "added",
                                    {"title": event.title, "on": event.start.isoformat(),
                                     "fills": fills})).execute()

    def _record(self, uid: str, at: datetime, by: str, action: str, columns: dict,
                detail: dict) -> None:
        """A report: new columns, a new revision (feeds see SEQUENCE + 1) and its history row,
        committed together or not at all."""
        # Plain SQL, as in `entry`: peewee took longer to write these two statements than
        # the database to run them, which told on every sheet imported.
        stamp = at.isoformat()
        assignments = "".join(f"{self.t.event._meta.fields[name].column_name} = ?, "
                              for name in columns)
        try:
            with self.transaction():
                self.db.query(f"UPDATE event SET {assignments}sequence = sequence + 1, "
                               "revised = ? WHERE uid = ?", (*columns.values(), stamp, uid))
                self.db.query(_INSERT_HISTORY, _history_row(uid, stamp, by, action, detail))
        except (pw.DatabaseError, Fault) as exc:
            if isinstance(exc, Fault) and exc.lost:
                raise  # it says what happened, and that nothing was saved
            reason = exc.reason if isinstance(exc, Fault) else _reason(exc)
            raise StoreError(f"{self.shown}: the report on {uid} was not saved, nothing "
                             f"changed: {reason}") from None

    # -- views ---------------------------------------------------------------------------

    def entries(self, unit: str | None = None, start: date | None = None,
                end: date | None = None, measure: int | None = None,
                include_removed: bool = True, obligations: Iterable[str] | None = None,
                unreported_by: date | None = None) -> list[Entry]:
        """Stored events overlapping [start, end), in date order; only those of some
        `obligations`, or only those still expected and with nothing reported that are over
        by the day `unreported_by`."""
        E, U = self.t.event, self.t.event_unit
        query = E.select(*(getattr(E, name) for name in ENTRY_FIELDS))
        if unit is not None:
            query = query.join(U, on=(U.uid == E.uid)).where(U.unit == unit)
        if start is not None:
            query = query.where(E.day_end > start.isoformat())
        if end is not None:
            query = query.where(E.day_start < end.isoformat())
        if measure is not None:
            query = query.where(E.measure == measure)
        if not include_removed:
            query = query.where(E.state == "live")
        if obligations is not None:
            query = query.where(E.obligation.in_(list(obligations)))
        if unreported_by is not None:
            query = query.where((E.state == "live") & (E.status == "planned")
                                & (E.day_end <= unreported_by.isoformat()))
        query = query.order_by(self.db.bytewise(E.day_start), self.db.bytewise(E.uid))
        # Raw rows: peewee's conversion of each value doubled the time of a full read.
        return [_entry(row) for row in self.db.execute(query).fetchall()]

    def unreported(self, unit: str, today: date, overdue_days: int,
                   latest: int = 12) -> list[tuple[int, date, list[Entry]]]:
        """The events and report tasks a unit leads (and so must report) that are still
        expected, overdue on `today` (as `Entry.overdue` says) with nothing reported, by
        obligation (an added event on its own), in the order of each one's first: how many,
        the first one's day, and the `latest` of them. A busy unit's years of a weekly
        routine are counted here, not read."""
        key = "CASE WHEN e.obligation = '' THEN e.uid ELSE e.obligation END"
        where = ("FROM event e JOIN event_unit u ON u.uid = e.uid WHERE u.unit = ? "
                 "AND u.role = 'lead' AND e.state = 'live' AND e.status = 'planned' "
                 "AND e.reported = 'each' "
                 "AND e.day_end <= CASE WHEN e.kind = 'report' THEN ? ELSE ? END")
        late = today - timedelta(days=overdue_days)
        args = (unit, today.isoformat(), late.isoformat())
        # Both answered from indexes alone; only the latest few events are then read whole.
        c = self.db.bytewise_sql()
        counts = self.db.query(
            f"SELECT {key}, COUNT(*), MIN(e.day_start) {where} GROUP BY 1 "
            f"ORDER BY MIN(e.day_start){c}, {key}{c}", args).fetchall()
        recent = [uid for uid, in self.db.query(
            f"SELECT uid FROM (SELECT e.uid, ROW_NUMBER() OVER (PARTITION BY {key} ORDER BY "
            f"e.day_start{c} DESC, e.uid{c} DESC) AS n {where}) AS latest WHERE n <= ?",
            (*args, latest)).fetchall()]
        found: dict[str, list[Entry]] = {}
        for entry in self._by_uid(recent):
            found.setdefault(entry.obligation or entry.uid, []).append(entry)
        return [(count, date.fromisoformat(str(first)[:10]), found[k])
                for k, count, first in counts]

    def _by_uid(self, uids: list[str]) -> list[Entry]:
        """The events of these uids, in date order (read in batches: SQL's limit on
        parameters)."""
        found = []
        for i in range(0, len(uids), 500):
            batch = uids[i:i + 500]
            # Plain SQL: building an IN of a few hundred values through peewee cost more than
            # running it.
            rows = self.db.query(f"SELECT {_ENTRY_SQL} FROM event WHERE uid IN "
                                  f"({', '.join('?' * len(batch))})", batch).fetchall()
            found += [_entry(row) for row in rows]
        return sorted(found, key=lambda e: (day_of(e.start), e.uid))

    def history(self, uid: str) -> list[dict]:
        H = self.t.history
        query = H.select(H.id, H.uid, H.at, H.by, H.action, H.detail).where(
            H.uid == uid).order_by(H.id)
        return [{"id": id_, "uid": uid_, "at": at, "by": by, "action": action,
                 "detail": json.loads(detail)}
                for id_, uid_, at, by, action, detail in self._rows(query)]

    def reports(self) -> dict[str, Reported]:
        """Every event units reported on (done, cancelled, moved, added): when the last report
        came, and the evidence handed in: the done reports that named some, plus the files
        attached. Two queries for the whole plan."""
        H = self.t.history
        named = self.db.json_text(H.detail, "evidence")
        rows = (H.select(H.uid, pw.fn.MAX(H.at),
                               pw.fn.SUM(pw.Case(None, [((H.action == "done")
                                                         & (named != ""), 1)], 0)))
                .where(H.action.in_(REPORTS)).group_by(H.uid))
        files = self.evidence_counts()
        return {uid: Reported(datetime.fromisoformat(at), count + files.get(uid, 0))
                for uid, at, count in self._rows(rows)}

    def generation(self) -> int:
        """Grows with every change to any event: each one writes a history row, and none is
        ever taken away. The count, not the last id: on PostgreSQL ids are handed out before
        commit, so a later id can be seen while an earlier one is still to come."""
        H = self.t.history
        return H.select(pw.fn.COUNT(H.id)).scalar() or 0

    # -- accounts and evidence (the web application) ---------------------------------------

    def add_account(self, login: str, unit: str | None, coordinator: bool, password: str,
                    at: datetime, by: str) -> None:
        """A new account, and its first row in the accounts' history."""
        stamp = at.isoformat()
        try:
            with self.transaction():
                self.t.account.insert(login=login, unit=unit, coordinator=coordinator,
                                      password=password, created=stamp, changed=stamp).execute()
                self._account_changed(login, unit, stamp, by, "created")
        except pw.IntegrityError:
            raise StoreError(f"an account {login!r} exists already") from None

    def account(self, login: str) -> Account | None:
        row = self.t.account.get_or_none(self.t.account.login == login)
        return _account(row) if row else None

    def accounts(self) -> list[Account]:
        A = self.t.account
        return [_account(r) for r in A.select().order_by(self.db.bytewise(A.login))]

    def update_account(self, login: str, at: datetime, by: str, password: str | None = None,
                       enabled: bool | None = None,
                       keep: Callable[[list[Account]], None] | None = None) -> None:
        """A new password, or the account disabled or enabled, with its row in the accounts'
        history. `keep`, given every account as it is inside the transaction, raises to
        refuse the change (the last coordinator's account may not be disabled)."""
        changes: dict[str, Any] = {"changed": at.isoformat()}
        action: AccountAction = "password"
        if password is not None:
            changes["password"] = password
        if enabled is not None:
            changes["enabled"] = enabled
            action = "enabled" if enabled else "disabled"
        A = self.t.account
        with self.transaction():
            row = A.get_or_none(A.login == login)
            if row is None:
                raise StoreError(f"no account {login!r}")
            if keep is not None:
                keep(self.accounts())
            A.update(**changes).where(A.login == login).execute()
            self._account_changed(login, row.unit, changes["changed"], by, action)

    def _account_changed(self, login: str, unit: str | None, at: str, by: str,
                         action: AccountAction) -> None:
        self.t.account_change.insert(login=login, unit=unit, at=at, by=by,
                                     action=action).execute()

    def account_changes(self, limit: int | None = None) -> list[AccountChange]:
        """The accounts' history, newest first (the latest `limit` of it)."""
        C = self.t.account_change
        query = C.select().order_by(C.id.desc())
        if limit is not None:
            query = query.limit(limit)
        return [AccountChange(r.login, datetime.fromisoformat(r.at), r.by,
                              cast(AccountAction, r.action), r.unit)
                for r in query]

    def rehash_password(self, login: str, password: str) -> None:
        """The same password hashed anew; unlike a new password, it signs no one out."""
        self.t.account.update(password=password).where(self.t.account.login == login).execute()

    def note_sign_in(self, login: str, source: str, at: datetime) -> int:
        """A sign-in attempt, counted (committed) before its password is checked, so attempts
        made at once see each other; kept as a failure unless `forget_sign_in` takes it back.
        Its id."""
        return int(self.t.login_failure.insert(login=login, address=source,
                                               at=at.isoformat()).execute())

    def forget_sign_in(self, attempt: int) -> None:
        self.t.login_failure.delete().where(self.t.login_failure.id == attempt).execute()

    def failed_sign_ins(self, since: datetime, but: int, login: str | None = None,
                        source: str | None = None, untrusted: bool = False) -> list[datetime]:
        """When the attempts after `since` were made, oldest first, but the attempt `but`:
        those for a login, from a source, or only those of no known device."""
        F = self.t.login_failure
        query = F.select(F.at).where((F.at > since.isoformat()) & (F.id != but))
        if login is not None:
            query = query.where(F.login == login)
        if source is not None:
            query = query.where(F.address == source)
        if untrusted:
            query = query.where(~F.address.startswith("device:"))
        return sorted(datetime.fromisoformat(at) for at, in self._rows(query))

    def forget_failed_sign_ins(self, login: str, source: str, before: datetime) -> None:
        """A good sign-in clears its login's failures from where it came from (not a
        stranger's elsewhere), and failures older than `before` go in passing."""
        F = self.t.login_failure
        F.delete().where(((F.login == login) & (F.address == source))
                         | (F.at < before.isoformat())).execute()

    def start_session(self, login: str, at: datetime, forget_before: datetime) -> str:
        """A new session for `login`: its token (for the cookie; the table keeps its digest).
        Sessions begun before `forget_before` go in passing."""
        token = secrets.token_urlsafe(32)
        S = self.t.session
        with self.transaction():
            S.delete().where(S.created < forget_before.isoformat()).execute()
            S.insert(id=_digest(token), login=login, created=at.isoformat()).execute()
        return token

    def session(self, token: str) -> tuple[str, datetime] | None:
        """The login and start of a session still open, or None."""
        S = self.t.session
        row = S.get_or_none((S.id == _digest(token)) & S.ended.is_null())
        return (row.login, datetime.fromisoformat(row.created)) if row else None

    def end_session(self, token: str, at: datetime) -> None:
        S = self.t.session
        S.update(ended=at.isoformat()).where(S.id == _digest(token)).execute()

    def add_evidence(self, evidence: Evidence) -> None:
        self.t.evidence.insert(uid=evidence.uid, sha256=evidence.sha256, kind=evidence.kind,
                           size=evidence.size, name=evidence.name, by=evidence.by,
                           at=evidence.at.isoformat()).execute()

    def evidence(self, uid: str) -> list[Evidence]:
        V = self.t.evidence
        rows = V.select().where(V.uid == uid).order_by(V.id)
        return [_evidence(r) for r in rows]

    def evidence_of(self, sha256: str) -> list[Evidence]:
        """Every report a file was attached to (the same photo may serve two events)."""
        V = self.t.evidence
        rows = V.select().where(V.sha256 == sha256).order_by(V.id)
        return [_evidence(r) for r in rows]

    def evidence_uploaded(self, unit: str | None, since: datetime) -> int:
        """Bytes of evidence attached since `since` by the accounts of a unit (None: by the
        coordinator's)."""
        whose = "a.unit = ?" if unit is not None else "a.coordinator = ?"
        row = self.db.query(
            'SELECT COALESCE(SUM(v.size), 0) FROM evidence v JOIN account a ON a.login = v."by" '
            f"WHERE {whose} AND v.at >= ?",
            (unit if unit is not None else True, since.isoformat())).fetchone()
        return int(row[0])

    def evidence_digests(self) -> set[str]:
        """The digest of every file a report refers to."""
        V = self.t.evidence
        return {sha for sha, in self._rows(V.select(V.sha256).distinct())}

    def evidence_counts(self) -> dict[str, int]:
        """uid -> how many files its reports carry."""
        V = self.t.evidence
        return dict(self._rows(V.select(V.uid, pw.fn.COUNT(V.id)).group_by(V.uid)))

    # -- reminders: their channels, the log of what was sent, one sender at a time ----------

    def set_channel(self, unit: str, url: str, shown: str, ident: str, service: str,
                    at: datetime, by: str) -> bool:
        """Give `unit` ("" for the coordinator) a channel; a channel it has already (the same
        `ident`, however the URL is written) takes the new URL. True when it is new."""
        C = self.t.channel
        with self.transaction():
            row = C.get_or_none((C.unit == unit) & (C.ident == ident))
            if row is None:
                C.insert(unit=unit, url=url, shown=shown, ident=ident, service=service,
                         added=at.isoformat(), by=by).execute()
                return True
            C.update(url=url, shown=shown, service=service, added=at.isoformat(), by=by,
                     error="").where(C.id == row.id).execute()
            return False

    def channels(self, unit: str | None = None) -> list[Channel]:
        """The channels of `unit` ("" for the coordinator's), or of everyone: by unit id (the
        coordinator's first), then in the order they were set."""
        C = self.t.channel
        query = C.select()
        if unit is not None:
            query = query.where(C.unit == unit)
        return [_channel(r) for r in query.order_by(self.db.bytewise(C.unit), C.id)]

    def remove_channel(self, channel_id: int) -> None:
        """Stop sending through a channel; what was sent through it stays in the log."""
        self.t.channel.delete().where(self.t.channel.id == channel_id).execute()

    def reminders_sent(self, since: date) -> set[tuple[str, str, str, date, str]]:
        """(unit, kind, subject, day, channel ident) of every reminder that arrived, of days
        from `since` on."""
        R = self.t.reminder
        rows = self._rows(R.select(R.unit, R.kind, R.subject, R.day, R.channel).where(
            R.ok & (R.day >= since.isoformat())))
        return {(unit, kind, subject, date.fromisoformat(day), channel)
                for unit, kind, subject, day, channel in rows}

    def log_reminders(self, channel: Channel, keys: Iterable[tuple[str, str, str, date]],
                      at: datetime, error: str) -> None:
        """One attempt to send through `channel`: a row for each (unit, kind, subject, day) the
        message stood for, and the channel's state (渠道异常 while `error` is not ""), together.
        A delivery logged already (by another sender) stays one row."""
        stamp = at.isoformat()
        rows = [{"unit": unit, "kind": kind, "subject": subject, "day": day.isoformat(),
                 "channel": channel.ident, "at": stamp, "ok": not error, "error": error}
                for unit, kind, subject, day in keys]
        C = self.t.channel
        with self.transaction():
            for row in rows:
                self.t.reminder.insert(row).on_conflict_ignore().execute()
            changes = {"tried": stamp, "error": error}
            if not error:
                changes["delivered"] = stamp
            C.update(**changes).where(C.id == channel.id).execute()

    @contextmanager
    def sending(self, holder: str, at: datetime, lease: timedelta) -> Iterator[bool]:
        """Whether this process is the one sending reminders now: True for one holder at a
        time, whatever number of processes share the database. PostgreSQL: an advisory lock
        held by this connection; SQLite: a lease written under BEGIN IMMEDIATE, which another
        process takes over once `lease` has passed (the holder died)."""
        if not self.where.sqlite:
            key = self._key("remind")
            got = bool(self.db.execute_sql("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0])
            try:
                yield got
            finally:
                if got and not self.db.lost():
                    self.db.execute_sql("SELECT pg_advisory_unlock(%s)", (key,))
            return
        S = self.t.setting
        mine = json.dumps({"holder": holder, "until": (at + lease).isoformat()})
        with self.transaction():
            row = S.get_or_none(S.key == "remind_sender")
            held = json.loads(row.value) if row else None
            got = held is None or held["holder"] == holder or \
                datetime.fromisoformat(held["until"]) <= at
            if got:
                S.insert(key="remind_sender", value=mine).on_conflict(
                    conflict_target=[S.key], preserve=[S.value]).execute()
        try:
            yield got
        finally:
            if got:
                with self.transaction():
                    S.delete().where((S.key == "remind_sender") & (S.value == mine)).execute()

    def uid_domain(self, proposed: str) -> str:
        """The domain of feed UIDs, fixed by the first call that proposes one and kept from
        then on: a UID that follows a later change of base_url would be a duplicate in every
        subscriber's calendar. "" proposes nothing (and gets "" until something is fixed)."""
        row = self.t.setting.get_or_none(self.t.setting.key == "uid_domain")
        if row is not None:
            return row.value
        if not proposed:
            return proposed
        # Two processes proposing at once: the first one's stands, for both.
        self.t.setting.insert(key="uid_domain", value=proposed).on_conflict_ignore().execute()
        return self.t.setting.get(self.t.setting.key == "uid_domain").value

    def uids(self) -> list[str]:
        """Every stored uid, sorted."""
        E = self.t.event
        return [uid for uid, in self._rows(E.select(E.uid).order_by(self.db.bytewise(E.uid)))]

    def _rows(self, query: pw.Query) -> list[tuple[Any, ...]]:
        """A query's rows as the driver gives them: plain tuples, no peewee conversion."""
        return list(self.db.execute(query).fetchall())


def _channel(row: ChannelRow) -> Channel:
    def moment(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value) if value else None

    return Channel(row.id, row.unit, row.url, row.shown, row.ident, row.service,
                   datetime.fromisoformat(row.added), row.by, moment(row.tried),
                   moment(row.delivered), row.error)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _account(row: AccountRow) -> Account:
    return Account(row.login, row.unit, bool(row.coordinator), row.password, bool(row.enabled),
                   datetime.fromisoformat(row.created), datetime.fromisoformat(row.changed))


def _evidence(row: EvidenceRow) -> Evidence:
    return Evidence(row.uid, row.sha256, row.kind, row.size, row.name, row.by,
                    datetime.fromisoformat(row.at))


def _history(uid: str, at: str, by: str, action: str, detail: dict) -> dict:
    return dict(zip(("uid", "at", "by", "action", "detail"),
                    _history_row(uid, at, by, action, detail), strict=True))


def _history_row(uid: str, at: str, by: str, action: str, detail: dict) -> tuple:
    return uid, at, by, action, json.dumps(detail, ensure_ascii=False, sort_keys=True)


_INSERT_HISTORY = 'INSERT INTO history (uid, at, "by", action, detail) VALUES (?, ?, ?, ?, ?)'


ENTRY_FIELDS = (
    "uid", "obligation", "measure", "category", "slot", "slot_start", "slot_end", "title",
    "dtstart", "dtend", "moved_start", "moved_end", "units", "location", "alarm", "notes",
    "flexible", "origin", "state", "status", "sequence", "revised", "attendance", "fills",
    "done_on", "remark", "digest", "kind", "reported", "done_count", "planned_count", "missed",
    "review", "review_note")
_ENTRY_SQL = ", ".join(EventRow._meta.fields[name].column_name for name in ENTRY_FIELDS)


def _entry(row: tuple) -> Entry:
    (uid, obligation, measure, category, slot, slot_start, slot_end, title, dtstart, dtend,
     moved_start, moved_end, units, location, alarm, notes, flexible, origin, state, status,
     sequence, revised, attendance, fills, done_on, remark, digest, kind, reported, done_count,
     planned_count, missed, review, review_note) = row
    return Entry(
        uid=uid, obligation=obligation, measure=measure, category=category, slot=slot,
        slot_start=date.fromisoformat(slot_start), slot_end=date.fromisoformat(slot_end),
        title=title, start=_dt(moved_start or dtstart), end=_dt(moved_end or dtend),
        units=tuple(units.split()), location=location,
        alarm=timedelta(seconds=alarm) if alarm is not None else None,
        notes=tuple(n for n in notes.split("\n") if n), flexible=bool(flexible), origin=origin,
        state=state, status=status, sequence=sequence, revised=datetime.fromisoformat(revised),
        attendance=attendance, fills=fills, moved=moved_start is not None,
        done_on=date.fromisoformat(done_on) if done_on else None, remark=remark, digest=digest,
        planned_start=_dt(dtstart) if moved_start else None, kind=kind, reported=reported,
        done_count=done_count, planned_count=planned_count,
        missed=tuple(date.fromisoformat(d) for d in missed.split()), review=review,
        review_note=review_note)
