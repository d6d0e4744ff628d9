"""The embedded SQLite store: one writer connection per process, WAL, ``BEGIN IMMEDIATE``."""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar, cast

import aiosqlite

from bot.storage.port import Row, Transaction
from bot.storage.sql.transaction import SqlTransaction

log = logging.getLogger(__name__)
# aiosqlite logs every call it runs at DEBUG, statements and parameters: members' words, clean
# dates. None of it may reach a log, whatever the log level.
_driver_log = logging.getLogger("aiosqlite")
_driver_log.setLevel(max(_driver_log.level, logging.INFO))

BUSY_TIMEOUT_MS = 10_000
T = TypeVar("T")
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
    """aiosqlite as the queries see it: each call one trip to its thread and back.

    Statements given to ``execute_later`` wait in ``_later`` and go in the next trip: one call
    on aiosqlite's thread runs them all, so the event loop waits once for all of them.
    """

    distinct = "IS NOT"
    instant = "?"
    skip_locked = ""
    for_update = ""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._later: list[tuple[str, Sequence[Any]]] = []
        self.prologue: list[str] = []
        """Statements that open the event's work, sent with its first trip (none if it makes
        none)."""
        self.sent = False
        """Whether a trip went out since the prologue was set."""
        self.trips = 0
        """Times the event loop waited on aiosqlite's thread since the store opened."""
        self.calls = 0
        """Statements sent to aiosqlite's thread (one call each) since the store opened."""

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        (count,) = await self._trip([(sql, params, False)])
        return int(count)

    def execute_later(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._later.append((sql, params))

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        (rows,) = await self._trip([(sql, params, True)])
        return rows[0] if rows else None

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        (rows,) = await self._trip([(sql, params, True)])
        return list(rows)

    async def fetch_each(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[Row]]:
        found = await self._trip([(sql, params, True) for sql, params in statements])
        return [list(rows) for rows in found]

    async def flush(self) -> None:
        """Send what waits in ``_later``; its failure raises here."""
        if self._later:
            sql, params = self._later.pop()
            await self._trip([(sql, params, False)])

    def discard(self) -> bool:
        """Forget what was not sent; return whether anything was since the prologue was set."""
        self._later.clear()
        self.prologue = []
        return self.sent

    async def _trip(self, wanted: list[tuple[str, Sequence[Any], bool]]) -> list[Any]:
        """Send what waits, then ``wanted`` (sql, params, fetch), in one trip; return what each
        of ``wanted`` gave: its rows, or for a write its count of changed rows."""
        ahead = [(s, (), False) for s in self.prologue] + [(s, p, False) for s, p in self._later]
        self.prologue, self._later = [], []
        statements = [
            (sql, [_bind(p) for p in params], fetch) for sql, params, fetch in ahead + wanted
        ]
        for sql, _, fetch in statements:
            if not fetch and "RETURNING" in sql:
                raise ValueError("a statement with RETURNING is fetched, never executed")
        self.sent = True
        self.trips += 1
        self.calls += len(statements)
        # One call on aiosqlite's thread runs them all: one hand-over each way, where a call per
        # statement woke the event loop once per statement. It is queued now, and seen through
        # even when cancelled meanwhile, so that an undo always comes after it.
        run = cast(Callable[..., Awaitable[list[Any]]], self._db._execute)
        steps = run(_run_all, self._db._conn, statements).__await__()
        waits = steps.send(None)
        if not isinstance(waits, asyncio.Future):
            raise TypeError(f"aiosqlite waited on {type(waits).__name__}, not its thread")
        await _settled(waits)
        try:
            steps.send(None)
        except StopIteration as finished:
            outcomes: list[Any] = finished.value
        else:
            raise RuntimeError("aiosqlite waited twice for one call")
        return outcomes[len(ahead) :]


def _run_all(db: sqlite3.Connection, statements: list[tuple[str, list[Any], bool]]) -> list[Any]:
    """On aiosqlite's thread: run the statements in order, each one's rows (fetched) or count
    of changed rows; the first failure stops the rest, which then never ran."""
    outcomes: list[Any] = []
    for sql, params, fetch in statements:
        try:
            cursor = db.execute(sql, params)
            outcomes.append(cursor.fetchall() if fetch else cursor.rowcount)
        except Exception as error:
            error.add_note(f"from statements sent together, at: {sql[:60]}")
            raise
    return outcomes


GROUP_WINDOW = 0.005
"""Seconds a batch takes events waiting their turn, counted from its first: after that it
commits, whoever still waits (they make the next batch)."""
GROUP_MOST = 64
"""Most events one commit carries."""
_BEGIN = "BEGIN IMMEDIATE"
_SAVEPOINT = "SAVEPOINT event"


class BatchLost(Exception):
    """The transaction an event was to commit in was lost to another event's failure."""


class _Batch:
    """Events that commit together, each one's work behind its own savepoint."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.opened = loop.time()
        self.begun = False
        """Whether BEGIN went out: some event sent work."""
        self.events = 0
        """Events whose work is in it, waiting for the commit."""
        self.committed: asyncio.Future[None] = loop.create_future()


class SqliteStore:
    """A store on one SQLite file; transactions in this process take turns on one connection.

    Group commit: transactions that arrive while another runs join its batch, one SQLite
    transaction with a savepoint each, so one event's failure undoes its own work alone. The
    batch commits once nobody waits for a turn (or it is ``GROUP_WINDOW`` old, or holds
    ``GROUP_MOST``), and no ``transaction()`` block in it ends before that commit.
    """

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._conn = _SqliteConnection(db)
        self._lock = asyncio.Lock()
        self._waiting = 0
        """Transactions waiting for their turn: the company an open batch waits for."""
        self._batch: _Batch | None = None
        self._closers: set[asyncio.Task[None]] = set()

    @property
    def trips(self) -> int:
        """Times the event loop waited on aiosqlite's thread since the store opened (for
        benchmarks): a trip carries one statement, or several sent together."""
        return self._conn.trips

    @property
    def calls(self) -> int:
        """Statements sent to aiosqlite's thread, one call each, since the store opened."""
        return self._conn.calls

    @classmethod
    async def open(cls, path: str | Path) -> SqliteStore:
        """Open (creating if needed) the database and apply pending migrations."""
        db = await aiosqlite.connect(str(path), isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            for pragma in (
                f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
                "PRAGMA synchronous=FULL",
                "PRAGMA foreign_keys=ON",
            ):
                await db.execute(pragma)
            await _enter_wal(db)
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

    async def schema_moved(self) -> int | None:
        # Beside the transactions, as pragma() reads: one read of a few rows, on the thread.
        async with self._db.execute("SELECT MAX(version) FROM schema_migrations") as cursor:
            row = await cursor.fetchone()
        return newer_than_known(None if row is None else row[0], "sqlite")

    async def _migrate(self) -> None:
        # Under the write lock from the start: a plain statement that reads first and then
        # writes is refused at once, not waited for, when another process wrote in between.
        await self._db.executescript(
            "BEGIN IMMEDIATE;\nCREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL);\nCOMMIT;"
        )
        applied = await self._applied()
        available = migrations("sqlite")
        for version, sql in pending(applied, [v for v, _ in available], available):
            if version in applied:
                continue
            applied_at = _bind(datetime.now(UTC))
            # The version's row goes in first: when processes start together on a new file,
            # its primary key is the lock, and the one that finds it taken learns another
            # process applied that migration while it waited for the write lock.
            try:
                await self._db.executescript(
                    f"BEGIN IMMEDIATE;\n"
                    f"INSERT INTO schema_migrations VALUES ({version}, '{applied_at}');\n"
                    f"{sql}\nCOMMIT;"
                )
            except sqlite3.IntegrityError:
                await self._rollback()
                if version in await self._applied():
                    continue
                raise
            except BaseException:
                await self._rollback()
                raise
            log.info("applied migration %04d", version)

    async def _applied(self) -> set[int]:
        async with self._db.execute("SELECT version FROM schema_migrations") as cursor:
            return {int(row[0]) for row in await cursor.fetchall()}

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        await self._take_turn()
        batch = self._batch
        if batch is None:
            batch = self._batch = _Batch(asyncio.get_running_loop())
        opener = not batch.begun
        self._conn.prologue = [_BEGIN, _SAVEPOINT] if opener else [_SAVEPOINT]
        self._conn.sent = False
        waits = False
        try:
            try:
                yield SqlTransaction(self._conn)
                await self._conn.flush()
            except BaseException:
                await _settled(self._undo(batch, opener=opener))
                raise
            if self._conn.discard():
                batch.begun = True
                batch.events += 1
                waits = True
        finally:
            try:
                if self._batch is batch and self._commit_due(batch):
                    await _settled(self._commit(batch))
            finally:
                self._lock.release()
        if waits:
            await asyncio.shield(batch.committed)

    async def _take_turn(self) -> None:
        self._waiting += 1
        try:
            await self._lock.acquire()
        except BaseException:
            self._waiting -= 1
            batch = self._batch
            if batch is not None and not self._waiting and not self._lock.locked():
                # The open batch waited for this one, which will not come: commit it.
                closer = asyncio.ensure_future(self._close_abandoned(batch))
                self._closers.add(closer)
                closer.add_done_callback(self._closers.discard)
            raise
        self._waiting -= 1

    async def _close_abandoned(self, batch: _Batch) -> None:
        async with self._lock:
            if self._batch is batch:
                await self._commit(batch)

    def _commit_due(self, batch: _Batch) -> bool:
        return (
            not self._waiting
            or batch.events >= GROUP_MOST
            or asyncio.get_running_loop().time() - batch.opened >= GROUP_WINDOW
        )

    async def _commit(self, batch: _Batch) -> None:
        """Commit the batch and tell its events how it went; never raises."""
        self._batch = None
        if not batch.begun:
            batch.committed.set_result(None)
            return
        try:
            await self._conn.execute("COMMIT")
        except Exception as error:
            log.error("a commit of %d events failed: %s", batch.events, type(error).__name__)
            await self._abandon(batch, error)
        else:
            batch.committed.set_result(None)

    async def _undo(self, batch: _Batch, *, opener: bool) -> None:
        """Take back a failed event's work alone (the whole batch, if SQLite lost it)."""
        if not self._conn.discard():
            return  # nothing of it was sent
        if opener:
            self._batch = None
            await self._rollback()
            batch.committed.set_result(None)
            return
        try:
            await self._conn.execute("ROLLBACK TO event")
            kept = self._db.in_transaction
        except Exception as error:
            await self._abandon(batch, error)
            return
        if not kept:
            await self._abandon(batch, BatchLost("SQLite rolled the transaction back"))

    async def _abandon(self, batch: _Batch, error: BaseException) -> None:
        """Roll the whole batch back and fail every event in it."""
        if self._batch is batch:
            self._batch = None
        await self._rollback()
        lost = BatchLost(f"an event sharing the commit failed: {type(error).__name__}")
        lost.__cause__ = error
        batch.committed.set_exception(lost)
        batch.committed.exception()  # retrieved: only events that joined await it

    async def _rollback(self) -> None:
        # Not judged by in_transaction: a cancelled trip may have left a BEGIN still queued on
        # aiosqlite's thread, which this ROLLBACK then follows.
        try:
            await self._conn.execute("ROLLBACK")
        except sqlite3.OperationalError as error:
            if self._db.in_transaction:
                log.error("rollback failed: %s", error)

    async def close(self) -> None:
        async with self._lock:
            if self._batch is not None:
                await self._commit(self._batch)
        await self._db.close()


async def _settled(work: Awaitable[T]) -> T:
    """Finish ``work`` even when cancelled meanwhile (then raise the cancellation after): a
    commit or a rollback cut short would leave the other events of its batch hanging."""
    task = asyncio.ensure_future(work)
    cancelled = False
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            cancelled = True
    result = task.result()
    if cancelled:
        raise asyncio.CancelledError
    return result


class MigrationError(Exception):
    """The database's schema history does not match this version of Homegroup."""


class BackupError(Exception):
    """A backup that cannot be made as asked; the message says why, for the person running it."""


def backup(database: str | Path, target: str | Path) -> None:
    """Copy a database, live, into ``target``, a new file.

    ``VACUUM INTO`` reads one consistent snapshot (what the write-ahead log holds included) while
    the bot goes on writing, and writes a compact file that is whole on its own: no ``-wal`` file
    travels with it. A backup never overwrites a file: an older backup is worth keeping.
    """
    source, copy = Path(database).expanduser(), Path(target).expanduser()
    if not source.is_file():
        raise BackupError(f"there is no database at {source}")
    if copy.exists():
        raise BackupError(f"{copy} already exists; a backup never overwrites a file")
    if not copy.parent.is_dir():
        raise BackupError(f"the folder for {copy} does not exist")
    db = sqlite3.connect(source, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        db.execute("VACUUM INTO ?", (str(copy),))
    finally:
        db.close()


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


def newer_than_known(version: int | None, backend: str) -> int | None:
    """``version`` when it is past the backend's newest migration this code has."""
    return version if version is not None and version > _newest(backend) else None


@functools.cache
def _newest(backend: str) -> int:
    return migrations(backend)[-1][0]


async def _enter_wal(db: aiosqlite.Connection) -> None:
    """Switch the file to WAL, waiting while another process opening it does the same.

    SQLite answers "database is locked" at once, without its busy handler, when two
    connections change a new file's journal mode together, as processes started at the same
    moment on a fresh file do; the switch is tried again for as long as the busy timeout.
    """
    for _ in range(BUSY_TIMEOUT_MS // 50):
        try:
            await _set_wal(db)
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error):
                raise
            await asyncio.sleep(0.05)
    await _set_wal(db)


async def _set_wal(db: aiosqlite.Connection) -> None:
    # Read and closed, so no statement is left open when the migrations begin.
    async with db.execute("PRAGMA journal_mode=WAL") as cursor:
        await cursor.fetchall()


def migrations(backend: str) -> list[tuple[int, str]]:
    """Return the backend's numbered migrations in order."""
    folder = resources.files("bot.storage.migrations").joinpath(backend)
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    return sorted(found)
