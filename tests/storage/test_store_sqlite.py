"""What the SQLite backend promises beyond the storage contract: durable settings, and
migrations applied once and never from a newer version."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.storage.sqlite import MigrationError, SqliteStore


async def test_sqlite_runs_durable_and_safe(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "homegroup.db")
    try:
        assert await store.pragma("journal_mode") == "wal"
        assert await store.pragma("synchronous") == 2  # FULL
        assert await store.pragma("busy_timeout") >= 5000
        assert await store.pragma("foreign_keys") == 1
    finally:
        await store.close()


async def test_reopening_applies_no_migration_twice(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "again.db"
    for _ in range(2):
        store = await SqliteStore.open(path)
        async with store.transaction() as tx:
            await tx.meta.set("opened", "yes")
        await store.close()


async def test_a_database_from_a_newer_version_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "newer.db"
    store = await SqliteStore.open(path)
    await store.close()
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO schema_migrations VALUES (99, '2030-01-01 00:00:00.000000')")
    with pytest.raises(MigrationError, match="made by a newer version"):
        await SqliteStore.open(path)
