"""Telling a full disk from a broken file, so a user reads "the disk is full", not a
traceback or "not a calendar database".

A full disk shows up as ENOSPC from a write, as SQLITE_FULL, or (when SQLite cannot even
grow its -wal or -shm file) as a bare SQLITE_IOERR; the last is read as a full disk only
when the disk is in fact (nearly) full. Nothing is left half-written either way: exports are
replaced whole by rename, and a database transaction that cannot be written rolls back.
"""

from __future__ import annotations

import errno
import shutil
from collections.abc import Iterator
from pathlib import Path

FULL = {errno.ENOSPC, errno.EDQUOT}
NEARLY_FULL = 1 << 20  # bytes free below which an SQLite I/O error means a full disk


def disk_full(exc: BaseException, places: list[Path]) -> str | None:
    """What could not be written when `exc` (or an exception behind it) is a full disk, as
    words for a message ("" when unknown); None when it is something else. `places` are the
    SQLite file (first, when the database is one) and the exports folder."""
    for error in _chain(exc):
        if isinstance(error, OSError) and error.errno in FULL:
            return str(error.filename or "")
        name = getattr(error, "sqlite_errorname", "") or ""
        if name == "SQLITE_FULL" or "database or disk is full" in str(error):
            return _database(places)
        if getattr(error, "sqlstate", None) == "53100":  # PostgreSQL's disk_full
            return "the database server's disk"
        if (name.startswith("SQLITE_IOERR") or "disk I/O error" in str(error)) and \
                any(_nearly_full(p) for p in places):
            return _database(places)
    return None


def message(what: str) -> str:
    where = f": cannot write {what}" if what else ""
    return (f"the disk is full{where}; free some space and run the command again "
            "(nothing was left half-written)")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    stack = [exc]
    while stack:
        error = stack.pop()
        if error is None or id(error) in seen:
            continue
        seen.add(id(error))
        yield error
        stack += [e for e in (error.__cause__, error.__context__) if e is not None]
        stack += [a for a in error.args if isinstance(a, BaseException)]  # peewee wraps so


def _database(places: list[Path]) -> str:
    return str(places[0]) if places else ""  # SQLite's errors: the file is first


def _nearly_full(path: Path) -> bool:
    for folder in [path, *path.parents]:
        if folder.exists():
            try:
                return shutil.disk_usage(folder).free < NEARLY_FULL
            except OSError:
                return False
    return False
