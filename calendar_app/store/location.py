"""Where a calendar is stored, as `--db` names it: a SQLite file's path, or a PostgreSQL URL
whose `?schema=NAME` is the county's schema. Messages name it without its password. Pure:
nothing here connects (store.py does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ..errors import StoreError

POSTGRES_SCHEMES = ("postgresql", "postgres")
SCHEMA_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")


@dataclass(frozen=True)
class Location:
    """Where a calendar is stored, read from `--db`: a SQLite file, or a PostgreSQL URL."""

    spec: str  # as given
    path: Path | None  # the SQLite file; None on PostgreSQL
    shown: str  # what messages call it: the path, or the URL without a password
    schema: str | None = None  # PostgreSQL: the county's schema, None for the default

    @property
    def sqlite(self) -> bool:
        return self.path is not None


def private(spec: str | Path, plan: Path, suffix: str) -> Path:
    """Where something that must stay private is kept (the evidence folder `.files`, the
    session key `.secret`): beside a SQLite database, or beside the plan when the database is
    on a server (one plan folder per county)."""
    where = locate(spec)
    base = where.path if where.path is not None else Path(plan).parent / "calendar.db"
    return base.with_suffix(suffix)


def locate(spec: str | Path) -> Location:
    """A path, or a postgresql:// URL; anything else with a scheme is refused."""
    text = str(spec)
    if "://" not in text:
        return Location(text, Path(text), text)
    shown = _without_password(text)
    scheme = text.split("://", 1)[0].lower()
    if scheme not in POSTGRES_SCHEMES:
        raise StoreError(f"{shown}: not a database calendar-app stores in: give a SQLite file's "
                         "path or a postgresql://user@host/dbname URL")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError as exc:
        raise StoreError(f"{shown}: not a database URL: {exc}") from None
    if not parts.path.strip("/"):
        raise StoreError(f"{shown}: the URL names no database (postgresql://user@host/dbname)")
    schema = dict(_query(parts.query)).get("schema")
    if schema is not None and not SCHEMA_NAME.fullmatch(schema):
        raise StoreError(f"{shown}: schema {schema!r} must be lower-case letters, digits and "
                         "_, starting with a letter")
    return Location(text, None, shown, schema)


def shown(spec: str | Path) -> str:
    """How messages name a database: its path, or its URL without a password."""
    return _without_password(str(spec)) if "://" in str(spec) else str(spec)


def _query(query: str) -> list[tuple[str, str]]:
    return [(key, value) for key, _, value in (p.partition("=") for p in query.split("&") if p)]


def _without_password(url: str) -> str:
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if parts.password is not None:
            netloc = netloc.replace(f":{parts.password}@", ":***@", 1)
        query = re.sub(r"(^|&)password=[^&]*", r"\1password=***", parts.query)
        return urlunsplit(parts._replace(netloc=netloc, query=query))
    except ValueError:
        return re.sub(r":[^:/@]*@", ":***@", url, count=1)


def without_schema(url: str) -> str:
    """The server's URL, without the county's schema (which a pool's connections set themselves)."""
    parts = urlsplit(url)
    query = "&".join(f"{k}={v}" if v else k for k, v in _query(parts.query) if k != "schema")
    return urlunsplit(parts._replace(query=query))
