"""What the SQLite backend promises beyond the storage contract: durable settings, and
migrations applied once and never from a newer version."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.storage.sqlite import MigrationError, SqliteStore
from tests.storage.test_store_contract_community import SAM
from tests.storage.test_store_contract_privacy import SAM_PERSON, sam_everywhere


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


async def test_processes_starting_together_on_a_new_file_all_open_it(tmp_path: Path) -> None:
    """Two `homegroup run` processes started at once on a fresh file both come up: each
    migration is applied once, by whichever got the write lock first."""
    for round_ in range(10):
        path = tmp_path / f"together-{round_}.db"
        stores = await asyncio.gather(*(SqliteStore.open(path) for _ in range(4)))
        for store in stores:
            await store.close()
        with sqlite3.connect(path) as db:
            versions = [v for (v,) in db.execute("SELECT version FROM schema_migrations")]
        assert versions == sorted(set(versions))
        assert versions[-1] == len(versions)


async def test_a_database_from_a_newer_version_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "newer.db"
    store = await SqliteStore.open(path)
    await store.close()
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO schema_migrations VALUES (99, '2030-01-01 00:00:00.000000')")
    with pytest.raises(MigrationError, match="made by a newer version"):
        await SqliteStore.open(path)


async def test_forgetting_a_member_also_erases_a_timer_row_that_cannot_be_read(
    tmp_path: Path,
) -> None:
    """A corrupt timer payload that names the member is erased, and /forgetme still completes."""
    path = tmp_path / "corrupt.db"
    store = await SqliteStore.open(path)
    async with store.transaction() as tx:
        await sam_everywhere(tx)
    await store.close()
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO timers (kind, due_at, payload) VALUES (?, ?, ?)",
            ("craving_follow_up", "2030-01-01 00:00:00.000000", '{"member": "' + SAM + '", '),
        )
    store = await SqliteStore.open(path)
    try:
        async with store.transaction() as tx:
            await tx.privacy.erase(SAM_PERSON)
    finally:
        await store.close()
    with sqlite3.connect(path) as db:
        payloads = [row[0] for row in db.execute("SELECT payload FROM timers")]
    assert payloads, "Ana's follow-up stays"
    assert not [payload for payload in payloads if SAM in payload]
