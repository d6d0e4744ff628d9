"""What every repository of one transaction shares: the open connection, and what this event
read (kept until it writes what was read), so that a flow that asks twice goes to the database
once, whichever repository asks."""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Collection, Coroutine, Hashable, Sequence
from typing import Any, Concatenate, ParamSpec, TypeVar

from bot.storage.port import Connection, Row

_WRITE = re.compile(r"\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(\w+)", re.IGNORECASE)
_CASCADING = frozenset({"people", "communities", "cravings", "call_requests"})
"""Tables whose deleted rows take other tables' rows with them (``ON DELETE CASCADE``)."""

Read = Callable[..., Awaitable[Any]]
"""A ``kept`` read, named by the method itself so that two repositories' ``get`` never mix."""

_TABLES: dict[str, tuple[str, ...]] = {}
"""The tables each ``kept`` read (by qualified name) comes from."""


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

    @property
    def instant(self) -> str:
        return self._connection.instant

    @property
    def skip_locked(self) -> str:
        return self._connection.skip_locked

    @property
    def for_update(self) -> str:
        return self._connection.for_update

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


Options = tuple[tuple[str, Any], ...]
"""A read's keyword arguments, sorted: part of what it is kept under."""


class Session:
    """One event's transaction as its repositories share it.

    What a ``kept`` read returned stays kept until the event writes a table the read came
    from; a write that knows what it left can seed it (``keep``) for the read that follows.
    """

    def __init__(self, connection: Connection) -> None:
        self.db = _Watched(connection)
        self._kept: dict[Hashable, tuple[Sequence[str], tuple[int, ...], Any]] = {}

    def recall(self, read: Read, args: tuple[Any, ...], options: Options = ()) -> tuple[bool, Any]:
        """Whether ``read(*args, **options)`` is kept, and what it returned."""
        name = read.__qualname__
        kept = self._kept.get((name, args, options))
        if kept is None or kept[1] != self.db.stamp(_TABLES[name]):
            return False, None
        return True, _copy(kept[2])

    def keep(self, read: Read, args: tuple[Any, ...], value: Any, options: Options = ()) -> None:
        """Remember ``value`` as what ``read(*args, **options)`` returns now: one read that
        found several things, or a write that knows the row it left."""
        tables = _TABLES[read.__qualname__]
        self._kept[(read.__qualname__, args, options)] = (
            tables,
            self.db.stamp(tables),
            _copy(value),
        )

    def write_keeping(self, sql: str, params: Sequence[Any], reads: Collection[Read]) -> None:
        """Send a write later that leaves what ``reads`` return as it was (it changes other
        columns, or rows they do not read): those stay kept."""
        names = {read.__qualname__ for read in reads}
        still = [
            (key, tables, value)
            for key, (tables, stamp, value) in self._kept.items()
            if isinstance(key, tuple) and key[0] in names and stamp == self.db.stamp(tables)
        ]
        self.db.execute_later(sql, params)
        for key, tables, value in still:
            self._kept[key] = (tables, self.db.stamp(tables), value)


class Repository:
    """One area's queries over the transaction's shared session."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._db = session.db


R = TypeVar("R", bound=Repository)
P = ParamSpec("P")
T = TypeVar("T")


Method = Callable[Concatenate[R, P], Coroutine[Any, Any, T]]


def kept(*tables: str) -> Callable[[Method[R, P, T]], Method[R, P, T]]:
    """Keep what the read returns until this event writes one of ``tables``."""

    def keep(read: Method[R, P, T]) -> Method[R, P, T]:
        _TABLES[read.__qualname__] = tables

        @functools.wraps(read)
        async def recalled(self: R, /, *args: P.args, **kwargs: P.kwargs) -> T:
            options = tuple(sorted(kwargs.items()))
            found, value = self._session.recall(read, args, options)
            if found:
                return value  # type: ignore[no-any-return]
            value = await read(self, *args, **kwargs)
            self._session.keep(read, args, value, options)
            return value

        return recalled

    return keep


def _copy(value: Any) -> Any:
    """A kept list or set is handed out as a copy: a caller may change what it was given."""
    if isinstance(value, list | set | dict):
        return value.copy()
    return value
