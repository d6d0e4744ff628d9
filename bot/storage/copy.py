"""``homegroup copy-db``: a community's whole history moved from its SQLite file to PostgreSQL.

Every table goes, read from the schema rather than from a list (a table added later cannot be
forgotten), with its ids kept and each identity sequence set past them. The copy is one
transaction on the target, checked row for row before it commits: a copy that does not read
back the same is never left half done. What it reports is tables and counts, never content.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

import asyncpg

from bot.storage.backends import is_postgres, shown
from bot.storage.errors import DatabaseUnreachable
from bot.storage.postgres import PostgresStore
from bot.storage.sql.rows import day, instant
from bot.storage.sqlite import migrations

BATCH = 5000
"""Rows read from SQLite and written to PostgreSQL at a time."""
_OWN = "schema_migrations"
"""Each backend's own history of migrations: compared, never copied."""


class CopyRefused(Exception):
    """A copy that cannot be made as asked; the message, one line, says why to the admin."""


@dataclass(frozen=True)
class Copied:
    """One table copied, and how many rows it held."""

    table: str
    rows: int


def _same(value: Any) -> Any:
    return value


def _flag(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _maybe(read: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else read(value)


_READ: dict[str, Callable[[Any], Any]] = {
    "timestamp with time zone": _maybe(instant),
    "date": _maybe(day),
    "boolean": _flag,
    "bigint": _same,
    "integer": _same,
    "text": _same,
}
"""How a value SQLite holds reads as the PostgreSQL column's type expects it, by that type:
the SQL repositories' own readers for instants and days."""


@dataclass(frozen=True)
class _Table:
    name: str
    columns: tuple[str, ...]
    types: tuple[str, ...]
    key: tuple[str, ...]
    """The primary key's columns (all of them when it has none): the order rows are compared in."""
    identity: str | None

    def read(self, row: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(_READ[kind](value) for kind, value in zip(self.types, row, strict=True))

    def order(self, bytewise: str) -> str:
        """The key's columns to order by, text in the collation that compares it bytewise on
        the backend (SQLite's BINARY, PostgreSQL's "C"): both sides then list rows alike."""
        kinds = dict(zip(self.columns, self.types, strict=True))
        return ", ".join(
            f'"{c}" COLLATE {bytewise}' if kinds[c] == "text" else f'"{c}"' for c in self.key
        )

    def select(self, listed: str = "", *, order: str = "", limit: int = 0) -> str:
        """A SELECT of the table (of all its columns unless ``listed`` says what)."""
        listed = listed or ", ".join(f'"{c}"' for c in self.columns)
        statement = f'SELECT {listed} FROM "{self.name}"'  # noqa: S608 - names from the schema
        ordered = f" ORDER BY {order}" if order else ""
        return statement + ordered + (f" LIMIT {limit}" if limit else "")


async def copy_database(source: str, target: str, *, schema: str | None = None) -> list[Copied]:
    """Copy the SQLite database ``source`` into the empty PostgreSQL database ``target``.

    ``schema`` holds the target's tables instead of its default search path (as for
    ``PostgresStore.open``). Raises ``CopyRefused`` with the reason when the copy is not made.
    """
    if not is_postgres(target):
        # Not echoed: a URL of another scheme may carry a password that shown() cannot tell.
        raise CopyRefused("the target is not a postgresql:// URL: copy-db fills PostgreSQL")
    with closing(_read_only(source)) as db:
        _check_version(db, source)
        store = await PostgresStore.open(target, schema=schema)  # migrated to this version
        await store.close()
        settings = {"search_path": schema} if schema else None
        try:
            connection = await asyncpg.connect(target, server_settings=settings)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            raise DatabaseUnreachable(
                f"PostgreSQL cannot be reached ({type(error).__name__})"
            ) from None
        try:
            async with connection.transaction():
                return await _copy(db, connection, target)
        finally:
            await connection.close()


def _read_only(source: str) -> sqlite3.Connection:
    path = Path(source)
    if is_postgres(source) or not path.is_file():
        raise CopyRefused(f"there is no SQLite database at {shown(source)}")
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    db.execute("BEGIN")  # one snapshot for every read, the check's included
    return db


def _check_version(db: sqlite3.Connection, source: str) -> None:
    """Refuse a source that is not exactly at this version's last SQLite migration."""
    try:
        applied = {int(v) for (v,) in db.execute("SELECT version FROM schema_migrations")}
    except sqlite3.DatabaseError:
        raise CopyRefused(f"{source} is not a Homegroup database") from None
    last = migrations("sqlite")[-1][0]
    newest = max(applied, default=0)
    if newest > last:
        raise CopyRefused(
            f"{source} is at migration {newest:04d}, newer than this Homegroup ({last:04d}):"
            " copy it with the version that made it"
        )
    if newest < last:
        raise CopyRefused(
            f"{source} is at migration {newest:04d}, older than this Homegroup ({last:04d}):"
            " run `homegroup migrate` on it first"
        )


async def _copy(db: sqlite3.Connection, pg: asyncpg.Connection, target: str) -> list[Copied]:
    tables = await _tables(db, pg)
    names = ", ".join(f'"{t.name}"' for t in tables)
    # Nobody writes the target while it is checked empty, filled and read back.
    await pg.execute(f"LOCK TABLE {names} IN EXCLUSIVE MODE")
    for table in tables:
        if await pg.fetchval(table.select("1", limit=1)):
            raise CopyRefused(
                f"{shown(target)} already holds data (table {table.name}):"
                " copy-db fills only an empty database"
            )
    copied = []
    for table in tables:
        rows = 0
        for batch in _batches(_source_rows(db, table)):
            await pg.copy_records_to_table(table.name, records=batch, columns=table.columns)
            rows += len(batch)
        await _advance(db, pg, table)
        copied.append(Copied(table.name, rows))
    for table in tables:
        await _compare(db, pg, table)
    return copied


async def _tables(db: sqlite3.Connection, pg: asyncpg.Connection) -> list[_Table]:
    """Every table both schemas hold, parents before the tables whose keys refer to them;
    refused when the two schemas do not name the same tables and columns."""
    theirs = {
        name
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    } - {_OWN}
    columns: dict[str, dict[str, str]] = {}
    identities: dict[str, str] = {}
    for row in await pg.fetch(
        "SELECT table_name, column_name, data_type, is_identity FROM information_schema.columns"
        " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
    ):
        columns.setdefault(row["table_name"], {})[row["column_name"]] = row["data_type"]
        if row["is_identity"] == "YES":
            identities[row["table_name"]] = row["column_name"]
    columns.pop(_OWN, None)
    if theirs != set(columns):
        odd = sorted(theirs ^ set(columns))[0]
        raise CopyRefused(f"the two databases' schemas differ (table {odd}); copy-db made no copy")
    parents: dict[str, set[str]] = {name: set() for name in columns}
    for row in await pg.fetch(
        "SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent"
        " FROM pg_constraint WHERE contype = 'f'"
        " AND connamespace = current_schema()::regnamespace"
    ):
        parents[row["child"]].add(row["parent"])
    return [
        _table(db, name, columns[name], identities.get(name))
        for name in TopologicalSorter(parents).static_order()
    ]


def _table(
    db: sqlite3.Connection, name: str, types: dict[str, str], identity: str | None
) -> _Table:
    info = db.execute(f'PRAGMA table_info("{name}")').fetchall()
    theirs = {column for _, column, *_ in info}
    if theirs != set(types):
        odd = sorted(theirs ^ set(types))[0]
        raise CopyRefused(
            f"the two databases' schemas differ (column {name}.{odd}); copy-db made no copy"
        )
    unknown = [column for column, kind in types.items() if kind not in _READ]
    if unknown:
        raise CopyRefused(f"copy-db cannot copy a column of type {types[unknown[0]]} yet")
    key = tuple(column for _, column, *_, pk in sorted(info, key=lambda c: c[-1]) if pk)
    return _Table(
        name,
        tuple(types),
        tuple(types.values()),
        key or tuple(types),
        identity,
    )


def _source_rows(db: sqlite3.Connection, table: _Table) -> Iterator[tuple[Any, ...]]:
    """The table's rows from SQLite in key order (bytewise for text), as PostgreSQL takes them."""
    for row in db.execute(table.select(order=table.order("BINARY"))):
        yield table.read(row)


def _batches(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


async def _advance(db: sqlite3.Connection, pg: asyncpg.Connection, table: _Table) -> None:
    """Set the identity's sequence past every id SQLite gave, deleted rows' included, so a
    row made on PostgreSQL never takes an id a copied row (or a reference to one) holds."""
    if table.identity is None:
        return
    (highest,) = db.execute(table.select(f'max("{table.identity}")')).fetchone()
    given = (
        db.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (table.name,)).fetchone()
        if _has_sequences(db)
        else None
    )
    last = max(highest or 0, given[0] if given else 0)
    if last:
        await pg.execute(
            "SELECT setval(pg_get_serial_sequence($1, $2), $3)",
            f'"{table.name}"',
            table.identity,
            last,
        )


def _has_sequences(db: sqlite3.Connection) -> bool:
    found = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").fetchone()
    return found is not None


async def _compare(db: sqlite3.Connection, pg: asyncpg.Connection, table: _Table) -> None:
    """Read the table back from PostgreSQL and hold it to the source, row for row, in the
    same key order (text compared bytewise on both sides); any difference undoes the copy."""
    copied = pg.cursor(table.select(order=table.order('"C"')), prefetch=BATCH)
    source = _source_rows(db, table)
    place = 0
    async for row in copied:
        place += 1
        if tuple(row.values()) != next(source, None):
            raise CopyRefused(
                f"table {table.name} read back differently at row {place}; nothing was copied"
            )
    if next(source, None) is not None:
        raise CopyRefused(f"table {table.name} read back with rows missing; nothing was copied")
