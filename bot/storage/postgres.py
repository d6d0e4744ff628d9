"""The PostgreSQL store: a pool of asyncpg connections, one transaction per event, for a
community that outgrows one SQLite file or runs several processes.

Columns holding JSON (settings, outbox targets and bodies, timer and inbox payloads) are TEXT,
not jsonb, on purpose: /forgetme finds a member inside them with the LIKE queries both backends
share (``bot/storage/sql/privacy.py``), matching ``json.dumps`` text that jsonb would re-write;
and every reader loads them whole in Python, so no query would gain from jsonb's operators."""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Final

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from bot.storage.errors import DatabaseUnreachable
from bot.storage.port import Row, Transaction
from bot.storage.sql.transaction import SqlTransaction
from bot.storage.sqlite import migrations, newer_than_known, pending

log = logging.getLogger(__name__)

POOL_SIZE = 10
_MIGRATION_LOCK = 0x486F6D65  # "Home": with the schema's hash, the advisory lock migrations take
_LEADER_LOCK = 0x4C656164  # "Lead": with the schema's and the job's hash, a leader's lock
ROLLBACK_WAIT = 5.0
"""Seconds a failed or stopped transaction waits for its rollback, before its connection is
closed instead."""
LEADER_TIMEOUT = 5.0
"""Seconds the database has to answer a leader's question before it counts as not leading."""
_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\?")
_COUNT = re.compile(r"(\d+)$")


@functools.lru_cache(maxsize=2048)
def numbered(sql: str) -> str:
    """The portable queries' ``?`` as PostgreSQL's ``$1, $2...``, leaving quoted text alone;
    done once per statement text, since the queries are a fixed set of strings."""
    count = 0

    def mark(match: re.Match[str]) -> str:
        nonlocal count
        if match.group() != "?":
            return match.group()
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(mark, sql)


def _changed(status: str) -> int:
    """The count of rows a statement changed, from its status (``UPDATE 3``, ``INSERT 0 1``)."""
    found = _COUNT.search(status)
    return int(found.group(1)) if found else 0


class _PostgresConnection:
    """One pooled asyncpg connection as the queries see it, inside an open transaction."""

    distinct = "IS DISTINCT FROM"
    instant = "?::timestamptz"
    skip_locked = " FOR UPDATE SKIP LOCKED"
    for_update = " FOR UPDATE"

    def __init__(self, connection: PoolConnectionProxy[asyncpg.Record]) -> None:
        self._connection = connection
        self._later: list[tuple[str, Sequence[Any]]] = []

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        await self.flush()
        _not_fetched(sql)
        return _changed(await self._connection.execute(numbered(sql), *params))

    def execute_later(self, sql: str, params: Sequence[Any] = ()) -> None:
        _not_fetched(sql)
        self._later.append((sql, params))

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        await self.flush()
        row: Row | None = await self._connection.fetchrow(numbered(sql), *params)
        return row

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        await self.flush()
        return list(await self._connection.fetch(numbered(sql), *params))

    async def fetch_each(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[Row]]:
        return [await self.fetch_all(sql, params) for sql, params in statements]

    async def flush(self) -> None:
        """Send what waits, in order; the first failure raises here."""
        while self._later:
            sql, params = self._later.pop(0)
            await self._connection.execute(numbered(sql), *params)


def _not_fetched(sql: str) -> None:
    if "RETURNING" in sql:
        raise ValueError("a statement with RETURNING is fetched, never executed")


_LEADER_KEEPALIVE: Final = {
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "5",
    "tcp_keepalives_count": "3",
}
"""The server asks after a leader's connection that has gone quiet, so a leader whose host died
or lost its network (no socket closed) frees its lock in about 25 s, not the two hours of the
system's default keepalive, and another process takes over the job it led."""


class PostgresStore:
    """A store on a PostgreSQL database: each transaction takes a connection of the pool, so
    events of one process, and of several processes, commit side by side."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        connect: Callable[[], Awaitable[asyncpg.Connection]] | None = None,
    ) -> None:
        """``connect`` opens a connection of its own, outside the pool, as the pool's are."""
        self._pool = pool
        self._connect = connect

    @classmethod
    async def open(cls, dsn: str, *, schema: str | None = None) -> PostgresStore:
        """Connect, and apply pending migrations under an advisory lock, so processes that
        start together migrate once. ``schema`` (created if missing) holds the tables instead
        of the connection's default search path."""
        settings = {"search_path": schema} if schema else None
        try:
            pool = await asyncpg.create_pool(
                dsn, min_size=1, max_size=POOL_SIZE, server_settings=settings
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            # The error's name only: its text may repeat the URL, password and all.
            raise DatabaseUnreachable(
                f"PostgreSQL cannot be reached ({type(error).__name__})"
            ) from None
        try:
            async with pool.acquire() as pooled:
                await _migrate(pooled, schema)
        except BaseException:
            await pool.close()
            raise
        leading = {**(settings or {}), **_LEADER_KEEPALIVE}
        return cls(pool, functools.partial(asyncpg.connect, dsn, server_settings=leading))

    def leader(self, job: str) -> AdvisoryLeader:
        """The leader for ``job`` among the processes on this database (``bot.storage.leader``)."""
        assert self._connect is not None, "opened without a way to connect"
        return AdvisoryLeader(self._connect, job)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """A transaction on a pooled connection, which goes back to the pool with nothing open.

        BEGIN and COMMIT are plain statements, and any failure rolls back however it came: a
        task stopped (cancelled) during BEGIN or COMMIT, or stopped again while it rolls back,
        would otherwise hand the connection back with a transaction open, which asyncpg
        reports as an error."""
        async with self._pool.acquire() as connection:
            try:
                await connection.execute("BEGIN")
                queries = _PostgresConnection(connection)
                yield SqlTransaction(queries)
                await queries.flush()
                await connection.execute("COMMIT")
            except BaseException:
                await _roll_back(connection)
                raise

    async def schema_moved(self) -> int | None:
        async with self._pool.acquire() as connection:
            version = await connection.fetchval("SELECT MAX(version) FROM schema_migrations")
        return newer_than_known(version, "postgres")

    async def close(self) -> None:
        await self._pool.close()


async def _roll_back(connection: PoolConnectionProxy[asyncpg.Record]) -> None:
    """End whatever the connection has open (after the statement in flight, if one was
    stopped), even if asked again to stop meanwhile, for ``ROLLBACK_WAIT`` at most; a
    connection that cannot is closed, and the server rolls back with its session."""
    rollback = asyncio.ensure_future(connection.execute("ROLLBACK"))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ROLLBACK_WAIT
    stopped: asyncio.CancelledError | None = None
    while not rollback.done() and loop.time() < deadline:
        try:
            await asyncio.wait([rollback], timeout=deadline - loop.time())
        except asyncio.CancelledError as error:  # asked again: still rolling back, then stop
            stopped = error
    if not rollback.done() or rollback.cancelled() or rollback.exception() is not None:
        rollback.cancel()
        connection.terminate()
    if stopped is not None:
        raise stopped


class AdvisoryLeader:
    """Leads while it holds a session-level advisory lock on a connection of its own; a lost
    connection is a lost lead (the server freed the lock with the session)."""

    def __init__(self, connect: Callable[[], Awaitable[asyncpg.Connection]], job: str) -> None:
        self._connect = connect
        self._job = job
        self._connection: asyncpg.Connection | None = None
        self._held = False

    async def lead(self) -> bool:
        try:
            async with asyncio.timeout(LEADER_TIMEOUT):
                if self._connection is None or self._connection.is_closed():
                    if self._held:
                        log.warning("lost the lead of %s (its session ended)", self._job)
                    self._held = False
                    self._connection = await self._connect()
                if self._held:
                    await self._connection.fetchval("SELECT 1")  # the session, and the lock, live
                else:
                    self._held = bool(
                        await self._connection.fetchval(
                            "SELECT pg_try_advisory_lock("
                            "$1, hashtext(current_setting('search_path') || ':' || $2))",
                            _LEADER_LOCK,
                            self._job,
                        )
                    )
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            if self._held:
                log.warning("lost the lead of %s (%s)", self._job, type(error).__name__)
            await self.close()
            return False
        return self._held

    async def close(self) -> None:
        connection, self._connection, held, self._held = self._connection, None, self._held, False
        if connection is None or connection.is_closed():
            return
        try:
            async with asyncio.timeout(LEADER_TIMEOUT):
                if held:  # freed now, not once the server notices the session ended
                    await connection.fetchval("SELECT pg_advisory_unlock_all()")
                await connection.close()
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            connection.terminate()


async def _migrate(connection: PoolConnectionProxy[asyncpg.Record], schema: str | None) -> None:
    """Apply what is pending in one transaction, under a lock held until it commits (one per
    search path: stores in different schemas migrate side by side)."""
    async with connection.transaction():
        await connection.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext(current_setting('search_path')))",
            _MIGRATION_LOCK,
        )
        if schema:
            await connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)"
        )
        applied = {
            row["version"]
            for row in await connection.fetch("SELECT version FROM schema_migrations")
        }
        available = migrations("postgres")
        for version, sql in pending(applied, [v for v, _ in available], available):
            await connection.execute(sql)
            await connection.execute(
                "INSERT INTO schema_migrations VALUES ($1, $2)", version, datetime.now(UTC)
            )
            log.info("applied migration %04d", version)
