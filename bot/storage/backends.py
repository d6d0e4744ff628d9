"""Which backend a database setting names: a SQLite file path, or a PostgreSQL URL."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from bot.storage.port import Store

SCHEMES = ("postgresql://", "postgres://")


def is_postgres(database: str) -> bool:
    """Whether the setting names a PostgreSQL server rather than a SQLite file."""
    return database.startswith(SCHEMES)


def shown(database: str) -> str:
    """The setting as it may be printed or logged: a URL's password is hidden."""
    if not is_postgres(database):
        return database
    parts = urlsplit(database)
    if parts.password is None:
        return database
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


async def open_store(database: str) -> Store:
    """Open the store the setting names, migrated; the driver of the other is never loaded."""
    if is_postgres(database):
        from bot.storage.postgres import PostgresStore

        return await PostgresStore.open(database)
    from bot.storage.sqlite import SqliteStore

    return await SqliteStore.open(database)
