"""A running process whose database a newer version migrated stops, with one line saying why,
instead of running on against a schema its code does not know (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest

from adapters.serve import serve
from bot import watch
from bot.app import bootstrap
from bot.settings import Settings
from bot.storage import Store
from bot.storage.postgres import PostgresStore
from bot.storage.sqlite import SqliteStore, migrations
from tests.conftest import TEST_POSTGRES
from tests.storage.test_store_postgres import schema  # noqa: F401

Logs = pytest.LogCaptureFixture
Migrate = Callable[[int], Awaitable[None]]
"""Record a migration, as a newer process that migrated the database would have."""


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> Logs:
    """What the process logs; it looks at the schema every 20 ms instead of every few seconds."""
    monkeypatch.setattr(watch, "EVERY", 0.02)
    caplog.set_level(logging.INFO)
    return caplog


async def stops_with_one_line(store: Store, migrate: Migrate, backend: str, logs: Logs) -> None:
    """Serve on ``store``, migrate its database from outside, and see the process stop."""
    app = await bootstrap(Settings(database="given"), store=store)
    try:
        running = asyncio.create_task(serve(app, app.settings))
        await asyncio.sleep(0.2)
        assert not running.done(), "it runs while the schema is its own"
        newer = migrations(backend)[-1][0] + 1
        await migrate(newer)
        status = await asyncio.wait_for(running, 10)
    finally:
        await app.close()
    assert status != 0
    said = [r for r in logs.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in said] == [
        f"the database has migration {newer:04d}, which this version of Homegroup does not"
        " know: a newer version migrated it while this one ran, so this one stops"
    ]
    assert said[0].exc_info is None, "no traceback"


async def test_a_process_on_sqlite_stops_when_a_newer_version_migrated_its_file(
    tmp_path: Path, logs: Logs
) -> None:
    path = tmp_path / "homegroup.db"

    async def migrate(version: int) -> None:
        with sqlite3.connect(path) as db:
            db.execute("INSERT INTO schema_migrations VALUES (?, '2026-12-01')", (version,))

    await stops_with_one_line(await SqliteStore.open(path), migrate, "sqlite", logs)


async def test_a_process_on_postgresql_stops_when_a_newer_version_migrated_its_schema(
    schema: str,  # noqa: F811
    logs: Logs,
) -> None:
    async def migrate(version: int) -> None:
        connection = await asyncpg.connect(TEST_POSTGRES, server_settings={"search_path": schema})
        try:
            await connection.execute("INSERT INTO schema_migrations VALUES ($1, now())", version)
        finally:
            await connection.close()

    store = await PostgresStore.open(TEST_POSTGRES, schema=schema)
    await stops_with_one_line(store, migrate, "postgres", logs)
