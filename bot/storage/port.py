"""The ports a storage backend implements."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bot.storage.transaction import Transaction


class Row(Protocol):
    """A result row, readable by column name."""

    def __getitem__(self, key: str, /) -> Any: ...


class Connection(Protocol):
    """The few calls the portable queries need; ``?`` marks each parameter.

    Every call is one trip to the database. A statement whose outcome nobody reads goes
    through ``execute_later`` and rides along with the next trip.
    """

    @property
    def distinct(self) -> str:
        """The operator for "differs from", where NULL is a value like any other:
        ``IS NOT`` in SQLite, ``IS DISTINCT FROM`` in PostgreSQL."""
        ...

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement and return how many rows it changed."""
        ...

    def execute_later(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run a statement before the next one, in the same trip; if it fails, that next
        call (at the latest, the transaction's end) raises its error."""
        ...

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    async def fetch_each(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[Row]]:
        """Run statements one after the other in one trip; return the rows of each."""
        ...


class Store(Protocol):
    """A database the core writes through, one transaction per event."""

    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """Open a read-modify-write transaction: all of it commits, or none of it; the block
        ends only once it is committed."""
        ...

    async def close(self) -> None: ...
