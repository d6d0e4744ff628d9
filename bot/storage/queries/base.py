"""What every group of queries shares: the open connection, what this event read (kept until
it writes what was read), and how stored values read back."""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Collection, Hashable, Sequence
from datetime import date, datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

from bot.domain.model import Person
from bot.storage.port import Connection, Row

_WRITE = re.compile(r"\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(\w+)", re.IGNORECASE)
_CASCADING = frozenset({"people", "communities", "cravings", "call_requests"})
"""Tables whose deleted rows take other tables' rows with them (``ON DELETE CASCADE``)."""


class _Watched:
    """The connection, counting this event's writes to each table."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._writes: dict[str, int] = {}
        self._anything = 0
        """Writes that may have touched any table: a cascading delete, or a statement that
        names no table this can read."""

    @property
    def distinct(self) -> str:
        return self._connection.distinct

    def stamp(self, tables: Sequence[str]) -> tuple[int, ...]:
        """How often these tables were written so far: a read is good while this holds."""
        return (self._anything, *(self._writes.get(t, 0) for t in tables))

    def _wrote(self, sql: str) -> None:
        head = sql.lstrip()[:6].upper()
        if head == "SELECT":
            return
        match = _WRITE.match(sql)
        if match is None:
            self._anything += 1
            return
        table = match.group(1).lower()
        if head == "DELETE" and table in _CASCADING:
            self._anything += 1
        self._writes[table] = self._writes.get(table, 0) + 1

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        self._wrote(sql)
        return await self._connection.execute(sql, params)

    def execute_later(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._wrote(sql)
        self._connection.execute_later(sql, params)

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        self._wrote(sql)
        return await self._connection.fetch_one(sql, params)

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        self._wrote(sql)
        return await self._connection.fetch_all(sql, params)

    async def fetch_each(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[Row]]:
        for sql, _ in statements:
            self._wrote(sql)
        return await self._connection.fetch_each(statements)


class Queries:
    """A group of queries over one open transaction's connection.

    A transaction is one event's: what it read stays kept (see ``kept``) until it writes a
    table the read came from, so a flow that asks twice goes to the database once.
    """

    def __init__(self, connection: Connection) -> None:
        self._db = _Watched(connection)
        self._kept: dict[Hashable, tuple[Sequence[str], tuple[int, ...], Any]] = {}

    def _recall(self, key: Hashable, tables: Sequence[str]) -> tuple[bool, Any]:
        kept = self._kept.get(key)
        if kept is None or kept[1] != self._db.stamp(tables):
            return False, None
        return True, _copy(kept[2])

    def _keep(self, key: Hashable, tables: Sequence[str], value: Any) -> None:
        self._kept[key] = (tables, self._db.stamp(tables), _copy(value))

    def _write_keeping(self, sql: str, params: Sequence[Any], reads: Collection[str]) -> None:
        """Send a write later that leaves what the ``kept`` methods ``reads`` return as it was
        (it changes other columns, or rows they do not read): those stay kept."""
        still = [
            (key, tables, value)
            for key, (tables, stamp, value) in self._kept.items()
            if isinstance(key, tuple) and key[0] in reads and stamp == self._db.stamp(tables)
        ]
        self._db.execute_later(sql, params)
        for key, tables, value in still:
            self._kept[key] = (tables, self._db.stamp(tables), value)

    def _seed(self, read: str, args: tuple[Any, ...], tables: Sequence[str], value: Any) -> None:
        """Remember ``value`` as what the ``kept`` method ``read`` returns for ``args`` now:
        one read that found several things, or a write that knows the row it left."""
        self._keep((read, args, ()), tables, value)


Q = TypeVar("Q", bound=Queries)
P = ParamSpec("P")
T = TypeVar("T")


def kept(
    *tables: str,
) -> Callable[
    [Callable[Concatenate[Q, P], Awaitable[T]]], Callable[Concatenate[Q, P], Awaitable[T]]
]:
    """Keep what the read returns until this event writes one of ``tables``."""

    def keep(
        read: Callable[Concatenate[Q, P], Awaitable[T]],
    ) -> Callable[Concatenate[Q, P], Awaitable[T]]:
        @functools.wraps(read)
        async def recalled(self: Q, /, *args: P.args, **kwargs: P.kwargs) -> T:
            key = (read.__name__, args, tuple(sorted(kwargs.items())))
            found, value = self._recall(key, tables)
            if found:
                return value  # type: ignore[no-any-return]
            value = await read(self, *args, **kwargs)
            self._keep(key, tables, value)
            return value

        return recalled

    return keep


def _copy(value: Any) -> Any:
    """A kept list or set is handed out as a copy: a caller may change what it was given."""
    if isinstance(value, list | set | dict):
        return value.copy()
    return value


def instant(value: Any) -> datetime:
    """Read a stored instant, whichever form the backend returns."""
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(f"{value}+00:00")


def day(value: Any) -> date:
    """Read a stored calendar day, whichever form the backend returns."""
    if isinstance(value, date):
        return value
    return date.fromisoformat(value)


def person_from_row(row: Row, prefix: str = "") -> Person:
    """Read a person from a row that selected people's columns (optionally prefixed)."""
    return Person(
        key=row[f"{prefix}key"],
        platform=row[f"{prefix}platform"],
        platform_id=row[f"{prefix}platform_id"],
        name=row[f"{prefix}name"],
        timezone=row[f"{prefix}timezone"],
    )
