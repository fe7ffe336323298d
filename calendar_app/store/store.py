"""Storage through peewee, in a SQLite file or a PostgreSQL schema: the only module that knows
SQL.

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
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import sys
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib.util import find_spec
from pathlib import Path

from ..errors import StoreError
from ..model import Account, Entry, Event, Evidence, Reported, days
from .location import Target, target, without_schema

# peewee imports whatever PostgreSQL driver it finds as it loads, which would cost every
# command 0.1-0.4 s once the pg extra is installed, SQLite or not. So the drivers are hidden
# while peewee loads, and psycopg is imported when a URL is opened (`_psycopg_adapter`).
_DRIVERS = ("psycopg", "psycopg2", "psycopg2cffi")
_found = {name: sys.modules.get(name) for name in _DRIVERS}
sys.modules.update(dict.fromkeys(_DRIVERS))
try:
    import peewee as pw
finally:
    for _name, _module in _found.items():
        if _module is None:
            del sys.modules[_name]
        else:
            sys.modules[_name] = _module

SCHEMA_VERSION = 2  # 2: accounts, sign-in failures and evidence files, for the web application

POOL = {"max_connections": 20, "stale_timeout": 300, "timeout": 30}  # per process and database


class NoDatabase(StoreError):
    """Nothing is stored there yet: a build creates it."""


class Fault(StoreError):
    """The database refused or failed a statement; `lost` when the connection went with it."""

    def __init__(self, message: str, reason: str, lost: bool = False):
        super().__init__(message)
        self.reason = reason
        self.lost = lost


class _ThreadDatabase(pw.DatabaseProxy):
    """The database of the store this thread opened last. The models are bound to it, so each
    of a web server's threads, and a background thread beside them, works on the store it
    opened, with its own connection; a store belongs to the thread that opened it."""

    __slots__ = ("_local",)

    def __init__(self):
        object.__setattr__(self, "_local", threading.local())
        super().__init__()

    @property
    def obj(self):
        return getattr(self._local, "db", None)

    @obj.setter
    def obj(self, value):
        self._local.db = value

    @property
    def shown(self) -> str:
        """What this thread's store is called in messages."""
        return getattr(self._local, "shown", "")

    def use(self, db: pw.Database, where: Target) -> None:
        self.initialize(db)
        self._local.shown = where.shown

    def __setattr__(self, attr, value):
        object.__setattr__(self, attr, value)


database = _ThreadDatabase()


def _reason(exc: Exception) -> str:
    """The first line of what the database said (PostgreSQL adds CONTEXT and HINT lines)."""
    return next((line.strip() for line in str(exc).splitlines() if line.strip()),
                type(exc).__name__)


_WRAP = pw.__exception_wrapper__  # driver errors -> peewee's, as peewee's own queries get
# What the database says of the connection or of a damaged schema, not of the data.
_FAULTS = (pw.OperationalError, pw.InterfaceError, pw.ProgrammingError, pw.DataError,
           pw.NotSupportedError)


class _Faults:
    """Turns what the connection does wrong (refused, lost, a lock held too long, a deadlock)
    into one StoreError line naming the database, so no command shows a driver's traceback.
    Errors of the data (a constraint, the history's trigger) stay peewee's, for the verbs."""

    def fault(self, exc: Exception) -> Fault:
        reason = _reason(exc)
        if self.lost():
            return Fault(f"{database.shown}: lost the connection to the database ({reason}); "
                         "nothing since the last commit was saved: run the command again",
                         reason, lost=True)
        return Fault(f"{database.shown}: {reason}", reason)

    def lost(self) -> bool:
        conn = self._state.conn  # SQLite's has neither attribute: it cannot be lost
        return conn is not None and bool(getattr(conn, "broken", False)
                                         or getattr(conn, "closed", False))

    def connect(self, reuse_if_open=False):
        try:
            return super().connect(reuse_if_open)
        except (pw.OperationalError, pw.InterfaceError, ValueError) as exc:
            raise StoreError(f"{database.shown}: cannot connect to the database: "
                             f"{_reason(exc)}") from None

    def execute_sql(self, sql, params=None):
        try:
            return super().execute_sql(sql, params)
        except _FAULTS as exc:
            raise self.fault(exc) from None

    def query(self, sql: str, params: tuple | list = ()):
        """Plain SQL, `?` marking the values on either database."""
        return self.execute_sql(sql.replace("?", self.param), params)

    def executemany(self, sql: str, rows: list[tuple]) -> None:
        """Plain rows through the driver, `?` marking the values on either database."""
        try:
            with _WRAP:
                self.cursor().executemany(sql.replace("?", self.param), rows)
        except _FAULTS as exc:
            raise self.fault(exc) from None

    def begin(self, *args):
        try:
            return super().begin(*args)
        except _FAULTS as exc:
            raise self.fault(exc) from None

    def commit(self):
        try:
            return super().commit()
        except _FAULTS as exc:
            raise self.fault(exc) from None

    def rollback(self):
        try:
            return super().rollback()
        except _FAULTS as exc:
            if self.lost():
                return None  # the server ended the transaction with the session
            raise self.fault(exc) from None


class _Sqlite(_Faults, pw.SqliteDatabase):
    pass


_databases: dict[str, pw.Database] = {}
_databases_lock = threading.Lock()


def _database_for(where: Target) -> pw.Database:
    """One database object per SQLite file or PostgreSQL server, per process: connections
    are per thread and, on PostgreSQL, pooled and shared by the counties' schemas, so opening
    a store per request costs no new connection, however many counties a process serves."""
    key = str(where.path) if where.sqlite else without_schema(where.spec)
    with _databases_lock:
        found = _databases.get(key)
        if found is None:
            found = _databases[key] = (_sqlite_database(where) if where.sqlite
                                       else _postgres_database(key, where))
        return found


def _sqlite_database(where: Target) -> pw.Database:
    return _Sqlite(str(where.path), pragmas={"journal_mode": "wal", "busy_timeout": 10000,
                                             "foreign_keys": 1, "synchronous": "normal"})


def _postgres_database(url: str, where: Target) -> pw.Database:
    if find_spec("psycopg") is None:
        raise StoreError(f"{where.shown}: PostgreSQL needs its driver: "
                         "pip install 'calendar_app[pg]'")
    from playhouse import db_url
    from playhouse.pool import PooledPostgresqlDatabase

    # psycopg warns on stderr of what it tidies up after a lost connection; the loss is told
    # in one line already. A program that sets up logging still receives the warnings.
    logging.getLogger("psycopg").addHandler(logging.NullHandler())

    class _Postgres(_Faults, PooledPostgresqlDatabase):
        psycopg2_adapter = psycopg3_adapter = _psycopg_adapter()

    return _Postgres(**{
        **POOL, "connect_timeout": 10, "application_name": "calendar-app",
        **db_url.parse(url, unquote_password=True, unquote_user=True)})


def _psycopg_adapter() -> type:
    """peewee's psycopg 3 adapter, for a peewee that loaded without the driver: its own
    refers to the driver it found on import."""
    import psycopg
    from psycopg.pq import TransactionStatus
    from psycopg.types.json import Json, Jsonb

    class Psycopg(pw.Psycopg3Adapter):
        txn_idle = TransactionStatus.IDLE
        txn_inerror = TransactionStatus.INERROR
        txn_unknown = TransactionStatus.UNKNOWN

        def __init__(self):
            super().__init__()
            self.json_type, self.jsonb_type = Json, Jsonb

        def check_driver(self):
            pass

        def get_binary_type(self):
            return psycopg.Binary

        def connect(self, db, **params):
            if db._encoding:
                params.setdefault("client_encoding", db._encoding)
            params.setdefault("dbname", db.database)
            return psycopg.connect(**params)

        def server_side_cursor(self, conn):
            in_txn = self.txn_status(conn) == TransactionStatus.INTRANS
            return conn.cursor(name=uuid.uuid4().hex, withhold=not in_txn)

    return Psycopg


def _bytewise(field):
    """Text ordered by its bytes, as SQLite orders it, whatever collation the server has."""
    return field if isinstance(database.obj, pw.SqliteDatabase) else field.collate('"C"')


def _bytewise_sql() -> str:
    """The same in plain SQL: what follows a text expression in an ORDER BY."""
    return "" if isinstance(database.obj, pw.SqliteDatabase) else ' COLLATE "C"'


def _json_text(field, key: str):
    """The text of one key of a JSON object stored as text, NULL where it has none."""
    if isinstance(database.obj, pw.SqliteDatabase):
        return pw.fn.json_extract(field, f"$.{key}")
    return pw.NodeList((pw.Cast(field, "json"), pw.SQL("->>"), pw.Value(key)))


class _Base(pw.Model):
    class Meta:
        database = database
        legacy_table_names = False


class Setting(_Base):
    key = pw.TextField(primary_key=True)
    value = pw.TextField()


class EventRow(_Base):
    uid = pw.TextField(primary_key=True)
    obligation = pw.TextField(index=True)
    measure = pw.IntegerField(index=True)
    category = pw.TextField()
    slot = pw.TextField()
    slot_start = pw.TextField()
    slot_end = pw.TextField()
    title = pw.TextField()
    dtstart = pw.TextField()  # ISO date, or date-time with offset
    dtend = pw.TextField()
    day_start = pw.TextField(index=True)  # first day, for window queries
    day_end = pw.TextField(index=True)  # day after the last
    units = pw.TextField()  # unit ids, lead first, space separated
    location = pw.TextField(default="")
    alarm = pw.IntegerField(null=True)  # seconds before the start
    notes = pw.TextField(default="")  # one caveat per line
    flexible = pw.BooleanField(default=False)
    origin = pw.TextField(default="plan")  # plan | added
    state = pw.TextField(default="live")  # live | removed
    digest = pw.TextField()
    sequence = pw.IntegerField(default=0)
    revised = pw.TextField()
    # What units report (recording): never written by a rebuild.
    status = pw.TextField(default="planned")  # planned | done | cancelled
    moved_start = pw.TextField(null=True)
    moved_end = pw.TextField(null=True)
    attendance = pw.IntegerField(null=True)
    done_on = pw.TextField(null=True)
    remark = pw.TextField(default="")
    fills = pw.TextField(default="")

    class Meta:
        table_name = "event"
        # What a unit's home page asks of its events, answered from the index alone.
        indexes = ((("uid", "state", "status", "day_end", "obligation", "day_start"), False),)


class EventUnit(_Base):
    uid = pw.TextField()
    unit = pw.TextField()
    role = pw.TextField()  # lead | co

    class Meta:
        table_name = "event_unit"
        primary_key = pw.CompositeKey("uid", "unit")
        indexes = ((("unit", "uid"), False),)


class History(_Base):
    """Append-only: every creation, change, removal and record, never rewritten."""

    id = pw.AutoField()
    uid = pw.TextField(index=True)
    at = pw.TextField()
    by = pw.TextField()
    action = pw.TextField()
    detail = pw.TextField(default="{}")


class AccountRow(_Base):
    """Who may sign in: a unit's staff member, or the coordinator (unit empty)."""

    login = pw.TextField(primary_key=True)
    unit = pw.TextField(null=True)
    coordinator = pw.BooleanField(default=False)
    password = pw.TextField()  # a password hash, never the password
    enabled = pw.BooleanField(default=True)
    created = pw.TextField()
    changed = pw.TextField()  # when the password or the state last changed: ends old sessions

    class Meta:
        table_name = "account"


class LoginFailure(_Base):
    id = pw.AutoField()
    login = pw.TextField(index=True)
    address = pw.TextField(index=True)
    at = pw.TextField(index=True)

    class Meta:
        table_name = "login_failure"


class EvidenceRow(_Base):
    """A file a unit attached to a report; the bytes live beside the database, by digest."""

    id = pw.AutoField()
    uid = pw.TextField(index=True)
    sha256 = pw.TextField()
    kind = pw.TextField()  # jpeg | png | heic | pdf | docx | xlsx
    size = pw.IntegerField()
    name = pw.TextField()  # as the client called it: shown, never used as a path
    by = pw.TextField()
    at = pw.TextField()

    class Meta:
        table_name = "evidence"


MODELS = (Setting, EventRow, EventUnit, History, AccountRow, LoginFailure, EvidenceRow)
# Tables each schema version added to the one before: an older database gains them on open.
ADDED = {2: (AccountRow, LoginFailure, EvidenceRow)}
REPORTS = ("done", "cancelled", "moved", "added")  # history actions that are a unit's report


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
                "notes", "flexible", "digest")
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
            event.flexible, event.digest)
    return (*head, day_start, day_end, *tail) if with_days else (*head, *tail)


def _insert_events(rows: list[tuple]) -> None:
    """Rows of (uid, *PLAN_COLUMNS, revised, origin, fills): new events, nothing recorded."""
    columns = ("uid", *PLAN_COLUMNS, "revised", "origin", "fills")
    _executemany(f"INSERT INTO event ({', '.join(columns)}, state, sequence, status, remark) "
                 f"VALUES ({', '.join('?' * len(columns))}, 'live', 0, 'planned', '')", rows)


def _executemany(sql: str, rows: list[tuple]) -> None:
    if rows:
        database.executemany(sql, rows)


def _unit_rows(uid: str, units: Iterable[str]) -> list[tuple]:
    return [(uid, u, "lead" if i == 0 else "co") for i, u in enumerate(units)]


# The history is the record of what units said: the database itself refuses to rewrite it,
# whatever program connects. PROCEDURE, not FUNCTION: the servers that speak PostgreSQL's
# dialect from before version 11 (openGauss among them) know only that spelling.
SQLITE_GUARD = tuple(f"CREATE TRIGGER history_no_{verb.lower()} BEFORE {verb} ON history "
                     "BEGIN SELECT RAISE(ABORT, 'history is append-only'); END"
                     for verb in ("UPDATE", "DELETE"))
POSTGRES_GUARD = (
    "CREATE FUNCTION history_append_only() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION "
    "'history is append-only' USING ERRCODE = 'integrity_constraint_violation'; END $$ "
    "LANGUAGE plpgsql",
    *(f"CREATE TRIGGER history_no_{verb.lower()} BEFORE {verb} ON history FOR EACH {each} "
      "EXECUTE PROCEDURE history_append_only()"
      for verb, each in (("UPDATE", "ROW"), ("DELETE", "ROW"), ("TRUNCATE", "STATEMENT"))))


class Store:
    """One open calendar database, used by the thread that opened it."""

    def __init__(self, where: Target):
        self.where = where
        self.path = where.path  # the SQLite file; None on PostgreSQL
        self.shown = where.shown

    @classmethod
    def open(cls, spec: str | Path, create: bool = False) -> Store:
        """The store at `spec` (a path or a postgresql:// URL), its schema checked; with
        `create`, made (tables, triggers, version) where there is none yet."""
        where = target(spec)
        if where.sqlite and not create and not where.path.exists():
            raise NoDatabase(f"no database at {where.shown}; run `calendar-app build` first")
        db = _database_for(where)
        database.use(db, where)
        db.connect(reuse_if_open=True)
        store = cls(where)
        try:
            if not where.sqlite:
                # Per open, not per connection: a pooled connection serves every county.
                database.execute_sql(f"SET search_path TO {where.schema or 'DEFAULT'}")
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
                database.create_tables(MODELS)
                for sql in SQLITE_GUARD if self.where.sqlite else POSTGRES_GUARD:
                    database.execute_sql(sql)
                Setting.insert(key="schema_version", value=str(SCHEMA_VERSION)).execute()
            elif version != str(SCHEMA_VERSION):
                old = int(version) if version.isdigit() else 0
                if not 1 <= old < SCHEMA_VERSION:
                    raise StoreError(f"{self.shown} has schema version {version}; this "
                                     f"calendar-app reads version {SCHEMA_VERSION}")
                for step in range(old + 1, SCHEMA_VERSION + 1):
                    database.create_tables(ADDED[step])
                EventRow._schema.create_indexes(safe=True)
                Setting.update(value=str(SCHEMA_VERSION)).where(
                    Setting.key == "schema_version").execute()

    def _version(self) -> str | None:
        """The stored schema version, None where no calendar is stored yet."""
        if self.where.sqlite:
            exists = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'setting'"
        else:
            exists = ("SELECT 1 FROM information_schema.tables "
                      "WHERE table_schema = current_schema() AND table_name = 'setting'")
        try:
            if database.execute_sql(exists).fetchone() is None:
                return None
            row = Setting.get_or_none(Setting.key == "schema_version")
        except pw.DatabaseError as exc:
            raise StoreError(f"{self.shown} is not a calendar database: {_reason(exc)}") from None
        return row.value if row else None

    @contextmanager
    def _schema_lock(self) -> Iterator[None]:
        """Making or upgrading the tables, one process at a time."""
        with self.transaction():
            if not self.where.sqlite:
                database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (self._key("schema"),))
                # Only when missing: a county's role may own its schema and not the database.
                if self.where.schema and not database.execute_sql(
                        "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s",
                        (self.where.schema,)).fetchone():
                    database.execute_sql(f"CREATE SCHEMA {self.where.schema}")
            yield

    def _key(self, purpose: str) -> int:
        """An advisory lock's number: one per purpose and county in the server's database."""
        digest = hashlib.sha1(f"calendar_app {purpose} {self.where.schema}".encode()).digest()
        return int.from_bytes(digest[:8], "big", signed=True)

    def close(self) -> None:
        if not database.is_closed():
            database.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def building(self) -> Iterator[None]:
        """Held for the whole of a build, on PostgreSQL: a second build of the same county
        waits for the first to end (and then finds its work done) instead of interleaving.
        On SQLite the syncs take the write lock in turn, which is all one machine needs."""
        if self.where.sqlite:
            yield
            return
        key = self._key("build")
        database.execute_sql("SELECT pg_advisory_lock(%s)", (key,))
        try:
            yield
        finally:
            if not database.lost():  # a lost session took its locks with it
                database.execute_sql("SELECT pg_advisory_unlock(%s)", (key,))

    def backup(self, to: Path) -> None:
        """A consistent copy of a SQLite database, while others read and write it: SQLite's
        online backup copies the pages in one step, from one snapshot (in WAL mode writers go
        on meanwhile), into a file beside `to` that is renamed onto it once checked."""
        if not self.where.sqlite:
            raise StoreError(f"{self.shown}: back up PostgreSQL with pg_dump (see the README)")
        if to.resolve() == self.where.path.resolve():
            raise StoreError(f"{to}: that is the database itself")
        part = to.with_name(f".{to.name}.part")
        part.unlink(missing_ok=True)
        copy = sqlite3.connect(part)
        try:
            with _WRAP:
                database.connection().backup(copy)
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
        with self.transaction():
            if not self.where.sqlite:
                # Reports wait for the sync, and the sync for reports under way, so a report
                # is neither lost between what the sync read and what it writes nor left half
                # applied; readers go on. (SQLite: BEGIN IMMEDIATE does the same.)
                database.execute_sql("LOCK TABLE event IN EXCLUSIVE MODE")
            stored = {
                uid: (digest, sequence, state, moved)
                for uid, digest, sequence, state, moved in EventRow.select(
                    EventRow.uid, EventRow.digest, EventRow.sequence, EventRow.state,
                    EventRow.moved_start.is_null(False))
                .where(EventRow.origin == "plan").tuples()
            }
            inserts, updates, kept_days, units, history = [], [], [], [], []
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
            gone = [uid for uid, in EventRow.select(EventRow.uid).where(
                (EventRow.origin == "plan") & (EventRow.state == "live")
                & (EventRow.day_start < hi) & (EventRow.day_end > lo)).tuples()
                if uid not in wanted]
            history += [(uid, stamp, by, "removed",
                         '{"reason": "no longer follows from the plan"}') for uid in gone]
            result.removed = len(gone)

            _insert_events(inserts)
            for rows, columns in ((updates, PLAN_COLUMNS), (kept_days, PLAN_COLUMNS_NO_DAYS)):
                sets = ", ".join(f"{c} = ?" for c in (*columns, "sequence", "revised"))
                _executemany(f"UPDATE event SET {sets}, state = 'live' WHERE uid = ?", rows)
            _executemany("DELETE FROM event_unit WHERE uid = ?",
                         [(row[-1],) for row in (*updates, *kept_days)])
            _executemany("UPDATE event SET state = 'removed', sequence = sequence + 1, "
                         "revised = ? WHERE uid = ?", [(stamp, uid) for uid in gone])
            _executemany("INSERT INTO event_unit (uid, unit, role) VALUES (?, ?, ?)", units)
            _executemany("INSERT INTO history (uid, at, by, action, detail) "
                         "VALUES (?, ?, ?, ?, ?)", history)
            if source is not None:
                Setting.insert(key="last_sync", value=json.dumps(source)).on_conflict(
                    conflict_target=[Setting.key], preserve=[Setting.value]).execute()
        return result

    def last_sync(self) -> dict | None:
        row = Setting.get_or_none(Setting.key == "last_sync")
        return json.loads(row.value) if row else None

    # -- what units record --------------------------------------------------------------

    def transaction(self):
        """One all-or-nothing unit of work, in which what is read (the checks of a report)
        stays true until the commit: on SQLite, BEGIN IMMEDIATE takes the write lock first;
        on PostgreSQL each event read inside is locked (`entry`) and a rebuild locks them all
        (`sync`). Nested, it is a savepoint of the outer one."""
        return database.atomic("IMMEDIATE") if self.where.sqlite else database.atomic()

    def entry(self, uid: str) -> Entry | None:
        """The stored event; inside a transaction on PostgreSQL its row is locked until the
        commit, so what a report checks of it is still so when the report is written."""
        # Plain SQL: the one most asked for (every report, every row of a sheet), and peewee
        # took longer to write it than the database to answer it.
        lock = "" if self.where.sqlite or not database.in_transaction() else " FOR UPDATE"
        row = database.query(f"SELECT {_ENTRY_SQL} FROM event WHERE uid = ?{lock}",
                             (uid,)).fetchone()
        return _entry(row) if row else None

    def mark_done(self, uid: str, at: datetime, by: str, on: date, attendance: int | None,
                  note: str, evidence: str = "", files: tuple[Evidence, ...] = ()) -> None:
        """`evidence` says where the evidence is; `files` are evidence files attached now."""
        detail = {"on": on.isoformat(), "attendance": attendance, "note": note,
                  "evidence": evidence}
        if files:
            detail["files"] = [{"name": f.name, "sha256": f.sha256} for f in files]
        with self.transaction():
            self._record(uid, at, by, "done",
                         {"status": "done", "done_on": on.isoformat(),
                          "attendance": attendance, "remark": note}, detail)
            for file in files:
                self.add_evidence(file)

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
        """Forget what was recorded: the event is again what the plan placed."""
        with self.transaction():
            dtstart, dtend = EventRow.select(EventRow.dtstart, EventRow.dtend).where(
                EventRow.uid == uid).tuples().get()
            first, after = days(_dt(dtstart), _dt(dtend))
            self._record(uid, at, by, "reset",
                         {"status": "planned", "moved_start": None, "moved_end": None,
                          "attendance": None, "done_on": None, "remark": "",
                          "day_start": first.isoformat(), "day_end": after.isoformat()},
                         {"was": was})

    def add_event(self, event: Event, at: datetime, by: str, fills: str = "") -> None:
        """Store an event a unit added itself (ad hoc, or a make-up filling another's slot)."""
        stamp = at.isoformat()
        with self.transaction():
            try:
                _insert_events([(event.uid, *_fields(event), stamp, "added", fills)])
            except pw.IntegrityError:
                # Another process added the same event since this one looked.
                raise StoreError(f"{event.uid} exists already") from None
            _executemany("INSERT INTO event_unit (uid, unit, role) VALUES (?, ?, ?)",
                         _unit_rows(event.uid, event.units))
            History.insert(_history(event.uid, stamp, by, "added",
                                    {"title": event.title, "on": event.start.isoformat(),
                                     "fills": fills})).execute()

    def _record(self, uid: str, at: datetime, by: str, action: str, columns: dict,
                detail: dict) -> None:
        """A report: new columns, a new revision (feeds see SEQUENCE + 1) and its history row,
        committed together or not at all."""
        # Plain SQL, as in `entry`: peewee took longer to write these two statements than
        # the database to run them, which told on every sheet imported.
        stamp = at.isoformat()
        assignments = "".join(f"{EventRow._meta.fields[name].column_name} = ?, "
                              for name in columns)
        try:
            with self.transaction():
                database.query(f"UPDATE event SET {assignments}sequence = sequence + 1, "
                               "revised = ? WHERE uid = ?", (*columns.values(), stamp, uid))
                database.query(_INSERT_HISTORY, _history_row(uid, stamp, by, action, detail))
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
        query = EventRow.select(*ENTRY_COLUMNS)
        if unit is not None:
            query = query.join(EventUnit, on=(EventUnit.uid == EventRow.uid)).where(
                EventUnit.unit == unit)
        if start is not None:
            query = query.where(EventRow.day_end > start.isoformat())
        if end is not None:
            query = query.where(EventRow.day_start < end.isoformat())
        if measure is not None:
            query = query.where(EventRow.measure == measure)
        if not include_removed:
            query = query.where(EventRow.state == "live")
        if obligations is not None:
            query = query.where(EventRow.obligation.in_(list(obligations)))
        if unreported_by is not None:
            query = query.where((EventRow.state == "live") & (EventRow.status == "planned")
                                & (EventRow.day_end <= unreported_by.isoformat()))
        query = query.order_by(_bytewise(EventRow.day_start), _bytewise(EventRow.uid))
        # Raw rows: peewee's conversion of each value doubled the time of a full read.
        return [_entry(row) for row in database.execute(query).fetchall()]

    def unreported(self, unit: str, by: date,
                   latest: int = 12) -> list[tuple[int, date, list[Entry]]]:
        """The events a unit leads (and so must report) that are still expected, over by the
        day `by`, with nothing reported, by obligation (an added event on its own), in the
        order of each one's first: how many, the first one's day, and the `latest` of them. A
        busy unit's years of a daily routine are counted here, not read."""
        key = "CASE WHEN e.obligation = '' THEN e.uid ELSE e.obligation END"
        where = ("FROM event e JOIN event_unit u ON u.uid = e.uid WHERE u.unit = ? "
                 "AND u.role = 'lead' AND e.state = 'live' AND e.status = 'planned' "
                 "AND e.day_end <= ?")
        args = (unit, by.isoformat())
        # Both answered from indexes alone; only the latest few events are then read whole.
        c = _bytewise_sql()
        counts = database.query(
            f"SELECT {key}, COUNT(*), MIN(e.day_start) {where} GROUP BY 1 "
            f"ORDER BY MIN(e.day_start){c}, {key}{c}", args).fetchall()
        recent = [uid for uid, in database.query(
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
            rows = database.query(f"SELECT {_ENTRY_SQL} FROM event WHERE uid IN "
                                  f"({', '.join('?' * len(batch))})", batch).fetchall()
            found += [_entry(row) for row in rows]
        return sorted(found, key=lambda e: (e.start if e.all_day else e.start.date(), e.uid))

    def history(self, uid: str) -> list[dict]:
        rows = History.select().where(History.uid == uid).order_by(History.id).dicts()
        return [{**r, "detail": json.loads(r["detail"])} for r in rows]

    def reports(self) -> dict[str, Reported]:
        """Every event units reported on (done, cancelled, moved, added): when the last report
        came, and the evidence handed in: the done reports that named some, plus the files
        attached. Two queries for the whole plan."""
        named = _json_text(History.detail, "evidence")
        rows = (History.select(History.uid, pw.fn.MAX(History.at),
                               pw.fn.SUM(pw.Case(None, [((History.action == "done")
                                                         & (named != ""), 1)], 0)))
                .where(History.action.in_(REPORTS)).group_by(History.uid).tuples())
        files = self.evidence_counts()
        return {uid: Reported(datetime.fromisoformat(at), count + files.get(uid, 0))
                for uid, at, count in rows}

    def generation(self) -> int:
        """Grows with every change to any event: each one writes a history row, and none is
        ever taken away. The count, not the last id: on PostgreSQL ids are handed out before
        commit, so a later id can be seen while an earlier one is still to come."""
        return History.select(pw.fn.COUNT(History.id)).scalar() or 0

    # -- accounts and evidence (the web application) ---------------------------------------

    def add_account(self, login: str, unit: str | None, coordinator: bool, password: str,
                    at: datetime) -> None:
        stamp = at.isoformat()
        try:
            AccountRow.insert(login=login, unit=unit, coordinator=coordinator,
                              password=password, created=stamp, changed=stamp).execute()
        except pw.IntegrityError:
            raise StoreError(f"an account {login!r} exists already") from None

    def account(self, login: str) -> Account | None:
        row = AccountRow.get_or_none(AccountRow.login == login)
        return _account(row) if row else None

    def accounts(self) -> list[Account]:
        return [_account(r) for r in AccountRow.select().order_by(_bytewise(AccountRow.login))]

    def update_account(self, login: str, at: datetime, password: str | None = None,
                       enabled: bool | None = None) -> None:
        changes = {"changed": at.isoformat()}
        if password is not None:
            changes["password"] = password
        if enabled is not None:
            changes["enabled"] = enabled
        if not AccountRow.update(**changes).where(AccountRow.login == login).execute():
            raise StoreError(f"no account {login!r}")

    def rehash_password(self, login: str, password: str) -> None:
        """The same password hashed anew; unlike a new password, it signs no one out."""
        AccountRow.update(password=password).where(AccountRow.login == login).execute()

    def note_failed_login(self, login: str, address: str, at: datetime) -> None:
        LoginFailure.insert(login=login, address=address, at=at.isoformat()).execute()

    def failed_logins(self, login: str, address: str, since: datetime) -> tuple[int, int]:
        """Failed sign-ins since `since`: for this login, and from this address."""
        recent = LoginFailure.select().where(LoginFailure.at >= since.isoformat())
        return (recent.where(LoginFailure.login == login).count(),
                recent.where(LoginFailure.address == address).count())

    def forget_failed_logins(self, login: str, before: datetime) -> None:
        """A good sign-in clears the login's record, and old failures go in passing."""
        LoginFailure.delete().where((LoginFailure.login == login)
                                    | (LoginFailure.at < before.isoformat())).execute()

    def add_evidence(self, evidence: Evidence) -> None:
        EvidenceRow.insert(uid=evidence.uid, sha256=evidence.sha256, kind=evidence.kind,
                           size=evidence.size, name=evidence.name, by=evidence.by,
                           at=evidence.at.isoformat()).execute()

    def evidence(self, uid: str) -> list[Evidence]:
        rows = EvidenceRow.select().where(EvidenceRow.uid == uid).order_by(EvidenceRow.id)
        return [_evidence(r) for r in rows]

    def evidence_of(self, sha256: str) -> list[Evidence]:
        """Every report a file was attached to (the same photo may serve two events)."""
        rows = EvidenceRow.select().where(EvidenceRow.sha256 == sha256).order_by(EvidenceRow.id)
        return [_evidence(r) for r in rows]

    def evidence_counts(self) -> dict[str, int]:
        """uid -> how many files its reports carry."""
        rows = EvidenceRow.select(EvidenceRow.uid, pw.fn.COUNT(EvidenceRow.id)).group_by(
            EvidenceRow.uid).tuples()
        return dict(rows)

    def uid_domain(self, proposed: str) -> str:
        """The domain of feed UIDs, fixed by the first call that proposes one and kept from
        then on: a UID that follows a later change of base_url would be a duplicate in every
        subscriber's calendar. "" proposes nothing (and gets "" until something is fixed)."""
        row = Setting.get_or_none(Setting.key == "uid_domain")
        if row is not None:
            return row.value
        if not proposed:
            return proposed
        # Two processes proposing at once: the first one's stands, for both.
        Setting.insert(key="uid_domain", value=proposed).on_conflict_ignore().execute()
        return Setting.get(Setting.key == "uid_domain").value

    def uids(self) -> list[str]:
        """Every stored uid, sorted."""
        return [uid for uid, in EventRow.select(EventRow.uid).order_by(_bytewise(EventRow.uid)).tuples()]


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


ENTRY_COLUMNS = (
    EventRow.uid, EventRow.obligation, EventRow.measure, EventRow.category, EventRow.slot,
    EventRow.slot_start, EventRow.slot_end, EventRow.title, EventRow.dtstart, EventRow.dtend,
    EventRow.moved_start, EventRow.moved_end, EventRow.units, EventRow.location, EventRow.alarm,
    EventRow.notes, EventRow.flexible, EventRow.origin, EventRow.state, EventRow.status,
    EventRow.sequence, EventRow.revised, EventRow.attendance, EventRow.fills, EventRow.done_on,
    EventRow.remark, EventRow.digest)
_ENTRY_SQL = ", ".join(c.column_name for c in ENTRY_COLUMNS)


def _entry(row: tuple) -> Entry:
    (uid, obligation, measure, category, slot, slot_start, slot_end, title, dtstart, dtend,
     moved_start, moved_end, units, location, alarm, notes, flexible, origin, state, status,
     sequence, revised, attendance, fills, done_on, remark, digest) = row
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
        planned_start=_dt(dtstart) if moved_start else None)
