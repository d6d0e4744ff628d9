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
    """The few calls the portable queries need; ``?`` marks each parameter."""

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement and return how many rows it changed."""
        ...

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...


class Store(Protocol):
    """A database the core writes through, one transaction per event."""

    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """Open a read-modify-write transaction: all of it commits, or none of it."""
        ...

    async def close(self) -> None: ...
