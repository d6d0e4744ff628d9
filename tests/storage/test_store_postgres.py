"""PostgreSQL's own promises, beyond the contract every backend keeps: native types, migrations
under a lock, a newer schema refused in one line, and ``homegroup migrate`` on a server."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import asyncpg
import pytest

from bot.storage.postgres import PostgresStore, numbered
from bot.storage.sqlite import MigrationError, migrations
from tests.conftest import START, TEST_POSTGRES, need_postgres


def test_placeholders_are_numbered_once_and_quoted_text_is_left_alone() -> None:
    sql = "SELECT ? AS a, 'why?' AS b, ? LIKE ? ESCAPE '!' AS c"
    assert numbered(sql) == "SELECT $1 AS a, 'why?' AS b, $2 LIKE $3 ESCAPE '!' AS c"
    assert numbered(sql) is numbered(sql)


@pytest.fixture
async def schema() -> AsyncIterator[str]:
    """A schema of this test's own on the test server, dropped afterwards."""
    need_postgres()
    name = f"test_{uuid.uuid4().hex}"
    yield name
    connection = await asyncpg.connect(TEST_POSTGRES)
    try:
        await connection.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    finally:
        await connection.close()


async def _query(schema: str, sql: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(TEST_POSTGRES, server_settings={"search_path": schema})
    try:
        return list(await connection.fetch(sql))
    finally:
        await connection.close()


async def test_instants_are_timestamptz_ids_bigint_and_platform_ids_text(schema: str) -> None:
    store = await PostgresStore.open(TEST_POSTGRES, schema=schema)
    try:
        async with store.transaction() as tx:
            await tx.inbox.store("u:1", "console", "{}", START)
            assert await tx.inbox.next_attempt("console") is None
            await tx.inbox.failed("u:1", "E", START, retry_at=START, max_tries=5)
            due = await tx.inbox.next_attempt("console")
        assert isinstance(due, datetime)
        assert due == START
    finally:
        await store.close()
    columns = {
        (r["table_name"], r["column_name"]): r["data_type"]
        for r in await _query(
            schema,
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            f" WHERE table_schema = '{schema}'",
        )
    }
    assert columns[("outbox", "created_at")] == "timestamp with time zone"
    assert columns[("counters", "clean_since")] == "date"
    assert columns[("cravings", "id")] == "bigint"
    assert columns[("people", "platform_id")] == "text"
    assert not [c for c, kind in columns.items() if kind.startswith("timestamp without")]


async def test_processes_starting_together_migrate_once(schema: str) -> None:
    stores = await asyncio.gather(
        *(PostgresStore.open(TEST_POSTGRES, schema=schema) for _ in range(4))
    )
    for store in stores:
        await store.close()
    applied = await _query(schema, "SELECT version FROM schema_migrations ORDER BY version")
    assert [r["version"] for r in applied] == [v for v, _ in migrations("postgres")]


async def test_a_schema_newer_than_the_code_is_refused(schema: str) -> None:
    store = await PostgresStore.open(TEST_POSTGRES, schema=schema)
    await store.close()
    await _query(schema, "INSERT INTO schema_migrations VALUES (9999, now())")
    with pytest.raises(MigrationError, match="migration 9999, which this version"):
        await PostgresStore.open(TEST_POSTGRES, schema=schema)


def _homegroup(*args: str, database: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HOMEGROUP_", "TELEGRAM_"))}
    return subprocess.run(
        [sys.executable, "-m", "adapters", *args],
        capture_output=True,
        text=True,
        env={**base, "HOMEGROUP_DATABASE": database},
        cwd=cwd,
        timeout=60,
        check=False,
    )


async def test_migrate_applies_the_migrations_on_a_server_and_exits(
    schema: str, tmp_path: Path
) -> None:
    await _query("public", f'CREATE SCHEMA "{schema}"')
    done = _homegroup("migrate", database=f"{TEST_POSTGRES}?search_path={schema}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    tables = await _query(schema, "SELECT to_regclass('outbox') IS NOT NULL AS found")
    assert tables[0]["found"]


def test_an_unreachable_server_is_one_line_without_its_password(tmp_path: Path) -> None:
    done = _homegroup(
        "migrate", database="postgresql://homegroup:s3cret@127.0.0.1:9/none", cwd=tmp_path
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "homegroup: postgresql://homegroup:***@127.0.0.1:9/none:"
        " PostgreSQL cannot be reached (ConnectionRefusedError)"
    ]


async def test_a_transaction_cancelled_at_any_step_leaves_no_transaction_open(schema: str) -> None:
    """A task stopped inside a transaction (at shutdown, or by a timeout), even stopped again
    while it rolls back, hands no connection back to the pool with the transaction still open:
    asyncpg would log that as an error, and the next event on that connection would wait."""
    store = await PostgresStore.open(TEST_POSTGRES, schema=schema)
    loop = asyncio.get_running_loop()
    reported: list[str] = []
    loop.set_exception_handler(lambda _, context: reported.append(str(context.get("message"))))

    async def write(n: int) -> None:
        async with store.transaction() as tx:
            await tx.meta.set("cancelled", str(n))
            await tx.meta.get("cancelled")

    try:
        for steps in range(60):
            for again in (None, 1, 3):
                task = asyncio.create_task(write(steps))
                for _ in range(steps):
                    await asyncio.sleep(0)
                task.cancel()
                if again is not None:
                    for _ in range(again):
                        await asyncio.sleep(0)
                    task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        async with store.transaction() as tx:
            await tx.meta.set("after", "1")
            assert await tx.meta.get("after") == "1"
    finally:
        loop.set_exception_handler(None)
        await store.close()
    assert not reported


async def test_a_task_stopped_while_a_failed_transaction_rolls_back_still_stops(
    schema: str,
) -> None:
    """A stop that arrives while a failed transaction rolls back is kept, not traded for the
    failure: a timeout around the event, or a shutdown, must still end the task."""
    store = await PostgresStore.open(TEST_POSTGRES, schema=schema)

    async def fail() -> None:
        async with store.transaction() as tx:
            await tx.meta.set("failed", "1")
            raise LookupError("the flow failed")

    try:
        for steps in range(40):
            task = asyncio.create_task(fail())
            for _ in range(steps):
                await asyncio.sleep(0)
            asked = task.cancel()
            outcome = await asyncio.gather(task, return_exceptions=True)
            if asked:
                assert isinstance(outcome[0], asyncio.CancelledError), steps
            else:
                assert isinstance(outcome[0], LookupError), steps
    finally:
        await store.close()


async def test_two_links_racing_for_one_chat_make_no_fellowship_of_three(schema: str) -> None:
    """Both read the chat unlinked before either links: its row's lock makes the second wait
    for the first to commit, and then find the chat linked."""
    store = await PostgresStore.open(TEST_POSTGRES, schema=schema)
    group, server, other_server = "telegram:-1", "discord:2", "discord:3"
    try:
        async with store.transaction() as tx:
            for key in (group, server, other_server):
                platform, _, platform_id = key.partition(":")
                await tx.communities.upsert(key, platform, platform_id, platform_id, START)
        both_read = asyncio.Barrier(2)

        async def link(other: str) -> bool:
            async with store.transaction() as tx:
                assert len(await tx.communities.fellowship(group)) == 1
                await both_read.wait()
                return await tx.communities.link(group, other)

        results = await asyncio.gather(link(server), link(other_server))
        assert sorted(results) == [False, True]
        async with store.transaction() as tx:
            assert len(await tx.communities.fellowship(group)) == 2
    finally:
        await store.close()
