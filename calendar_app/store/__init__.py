"""Storage: the `Store` over a SQLite file or a PostgreSQL schema (`store`), where a database
is (`location`), and who may sign in (`accounts`). The only folder that knows SQL."""

from .store import NoDatabase, Store

__all__ = ["NoDatabase", "Store"]
