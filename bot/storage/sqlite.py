"""The embedded SQLite store: one writer connection per process, WAL, ``BEGIN IMMEDIATE``."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage.port import Row
from bot.storage.transaction import Transaction

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def _bind(value: Any) -> Any:
    """Store instants as sortable UTC text and days as ISO dates."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


class _SqliteConnection:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cursor = await self._db.execute(sql, [_bind(p) for p in params])
        count = cursor.rowcount
        await cursor.close()
        return count

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        async with self._db.execute(sql, [_bind(p) for p in params]) as cursor:
            row: Row | None = await cursor.fetchone()
            return row

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._db.execute(sql, [_bind(p) for p in params]) as cursor:
            return list(await cursor.fetchall())


class SqliteStore:
    """A store on one SQLite file; transactions in this process take turns on one connection."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._conn = _SqliteConnection(db)
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path) -> SqliteStore:
        """Open (creating if needed) the database and apply pending migrations."""
        db = await aiosqlite.connect(str(path), isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            for pragma in (
                "PRAGMA journal_mode=WAL",
                "PRAGMA synchronous=FULL",
                f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
                "PRAGMA foreign_keys=ON",
            ):
                await db.execute(pragma)
            store = cls(db)
            await store._migrate()
        except BaseException:
            await db.close()
            raise
        return store

    async def pragma(self, name: str) -> Any:
        """Read one PRAGMA value (for tests and diagnostics)."""
        async with self._db.execute(f"PRAGMA {name}") as cursor:
            row = await cursor.fetchone()
            return None if row is None else row[0]

    async def _migrate(self) -> None:
        await self._db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
        )
        async with self._db.execute("SELECT version FROM schema_migrations") as cursor:
            applied = {int(row[0]) for row in await cursor.fetchall()}
        available = migrations("sqlite")
        for version, sql in pending(applied, [v for v, _ in available], available):
            if version in applied:
                continue
            applied_at = _bind(datetime.now(UTC))
            try:
                await self._db.executescript(
                    f"BEGIN IMMEDIATE;\n{sql}\n"
                    f"INSERT INTO schema_migrations VALUES ({version}, '{applied_at}');\nCOMMIT;"
                )
            except BaseException:
                if self._db.in_transaction:
                    await self._db.execute("ROLLBACK")
                raise
            log.info("applied migration %04d", version)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(self._conn)
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            else:
                await self._db.execute("COMMIT")

    async def close(self) -> None:
        await self._db.close()


class MigrationError(Exception):
    """The database's schema history does not match this version of Homegroup."""


def pending(
    applied: set[int], known: list[int], available: list[tuple[int, str]]
) -> list[tuple[int, str]]:
    """The migrations still to apply; refuse a database from a newer or divergent version."""
    unknown = sorted(applied - set(known))
    if unknown:
        raise MigrationError(
            f"the database has migration {unknown[0]:04d}, which this version of Homegroup"
            " does not know: it was made by a newer version"
        )
    if applied != set(known[: len(applied)]):
        raise MigrationError("the database skipped a migration; restore it from a backup")
    return [(v, sql) for v, sql in available if v not in applied]


def migrations(backend: str) -> list[tuple[int, str]]:
    """Return the backend's numbered migrations in order."""
    folder = resources.files("bot.storage.migrations").joinpath(backend)
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    return sorted(found)
