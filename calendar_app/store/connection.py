"""A store's own database object: SQLite (WAL, a busy timeout, foreign keys) or a pool of
PostgreSQL connections for one county's schema, with the faults of a connection (refused,
lost, a lock held too long) told in one line naming the database, never as a traceback.

Each `Store` makes its own with `connect`; nothing here is shared between stores. peewee
keeps a connection per thread inside the object, so the threads of a web server share one
store, each on its own connection.
"""

from __future__ import annotations

import logging
import sys
import uuid
from importlib.util import find_spec
from typing import Any, cast

from ..errors import StoreError
from .location import Location, without_schema

# peewee imports whatever PostgreSQL driver it finds as it loads, which would cost every
# command 0.1-0.4 s once the pg extra is installed, SQLite or not. So the drivers are hidden
# while peewee loads, and psycopg is imported when a URL is opened (`_psycopg_adapter`).
_DRIVERS = ("psycopg", "psycopg2", "psycopg2cffi")
_found = {name: sys.modules.get(name) for name in _DRIVERS}
cast(dict[str, Any], sys.modules).update(dict.fromkeys(_DRIVERS))  # None: not importable
try:
    import peewee as pw
finally:
    for _name, _module in _found.items():
        if _module is None:
            del sys.modules[_name]
        else:
            sys.modules[_name] = _module

POOL = {"max_connections": 20, "stale_timeout": 300, "timeout": 30}  # per store


class Fault(StoreError):
    """The database refused or failed a statement; `lost` when the connection went with it."""

    def __init__(self, message: str, reason: str, lost: bool = False):
        super().__init__(message)
        self.reason = reason
        self.lost = lost


def _reason(exc: Exception) -> str:
    """The first line of what the database said (PostgreSQL adds CONTEXT and HINT lines)."""
    return next((line.strip() for line in str(exc).splitlines() if line.strip()),
                type(exc).__name__)


_WRAP = pw.__exception_wrapper__  # type: ignore[attr-defined]  # driver errors -> peewee's, as peewee's own queries get
# What the database says of the connection or of a damaged schema, not of the data.
_FAULTS = (pw.OperationalError, pw.InterfaceError, pw.ProgrammingError, pw.DataError,
           pw.NotSupportedError)


class Database(pw.Database):
    """Turns what the connection does wrong (refused, lost, a lock held too long, a deadlock)
    into one StoreError line naming the database, so no command shows a driver's traceback.
    Errors of the data (a constraint, the history's trigger) stay peewee's, for the verbs.
    Also what differs between the two databases' SQL (`bytewise`, `json_text`)."""

    shown = ""  # what the database is called in messages, without its password

    @property
    def sqlite(self) -> bool:
        return isinstance(self, pw.SqliteDatabase)

    def bytewise(self, field: Any) -> Any:
        """Text ordered by its bytes, as SQLite orders it, whatever collation the server has."""
        return field if self.sqlite else field.collate('"C"')

    def bytewise_sql(self) -> str:
        """The same in plain SQL: what follows a text expression in an ORDER BY."""
        return "" if self.sqlite else ' COLLATE "C"'

    def json_text(self, field: Any, key: str) -> Any:
        """The text of one key of a JSON object stored as text, NULL where it has none."""
        if self.sqlite:
            return pw.fn.json_extract(field, f"$.{key}")
        return pw.NodeList((pw.Cast(field, "json"), pw.SQL("->>"), pw.Value(key)))

    def fault(self, exc: Exception) -> Fault:
        reason = _reason(exc)
        if self.lost():
            return Fault(f"{self.shown}: lost the connection to the database ({reason}); "
                         "nothing since the last commit was saved: run the command again",
                         reason, lost=True)
        return Fault(f"{self.shown}: {reason}", reason)

    def lost(self) -> bool:
        if self.is_closed():
            return False
        conn = self.connection()  # SQLite's has neither attribute: it cannot be lost
        return bool(getattr(conn, "broken", False) or getattr(conn, "closed", False))

    def close_pool(self) -> None:
        """Close the connections a pool keeps for later (a SQLite file keeps none)."""

    def connect(self, reuse_if_open=False):
        try:
            return super().connect(reuse_if_open)
        except (pw.OperationalError, pw.InterfaceError, ValueError) as exc:
            raise StoreError(f"{self.shown}: cannot connect to the database: "
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


class _Sqlite(Database, pw.SqliteDatabase):
    pass


def connect(where: Location) -> Database:
    """A new database object for `where`; it connects when first used."""
    if where.sqlite:
        db = _Sqlite(str(where.path), pragmas={"journal_mode": "wal", "busy_timeout": 10000,
                                                "foreign_keys": 1, "synchronous": "normal"})
        db.shown = where.shown
        return db
    return _postgres(where)


def _postgres(where: Location) -> Database:
    if find_spec("psycopg") is None:
        raise StoreError(f"{where.shown}: PostgreSQL needs its driver: "
                         "pip install 'calendar_app[pg]'")
    from playhouse import db_url
    from playhouse.pool import PooledPostgresqlDatabase

    # psycopg warns on stderr of what it tidies up after a lost connection; the loss is told
    # in one line already. A program that sets up logging still receives the warnings.
    logging.getLogger("psycopg").addHandler(logging.NullHandler())

    class _Postgres(Database, PooledPostgresqlDatabase):
        psycopg2_adapter = psycopg3_adapter = _psycopg_adapter()

        def close_pool(self) -> None:
            self.close_idle()

    # The county's schema is every connection's search path: a store's connections (its
    # pool) serve that county alone.
    schema = f"-c search_path={where.schema}" if where.schema else ""
    db = _Postgres(**{
        **POOL, "connect_timeout": 10, "application_name": "calendar-app",
        **({"options": schema} if schema else {}),
        **db_url.parse(without_schema(where.spec), unquote_password=True, unquote_user=True)})
    db.shown = where.shown
    return db


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
