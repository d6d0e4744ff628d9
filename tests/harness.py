"""Running the whole stack in end-to-end tests and waiting on it, whichever platform runs it."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from bot.app import App, bootstrap
from bot.clock import ManualClock
from bot.domain.platforms import Platforms
from bot.settings import Settings


async def eventually(check: Callable[[], Any], *, seconds: float = 5) -> Any:
    """Wait (up to ``seconds``) until ``check()`` returns something truthy; return it."""
    async with asyncio.timeout(seconds):
        while not (result := check()):  # noqa: ASYNC110 - the fake's state has no event to await
            await asyncio.sleep(0.01)
    return result


async def stop(tasks: list[asyncio.Task[Any]]) -> None:
    """Cancel the tasks until they have ended.

    Once is not always enough on Python 3.11: ``asyncio.wait_for`` swallows a cancellation that
    lands just as the event it waits on is set (fixed in 3.12), and the timer loop and the
    outbox worker wait on their wake events that way, woken by every commit.
    """
    while True:
        for task in tasks:
            task.cancel()
        _, pending = await asyncio.wait(tasks, timeout=0.5)
        if not pending:
            return


def rows(database: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(database)) as db:
        return db.execute(sql, params).fetchall()


class Adapter(Protocol):
    async def run(self) -> None: ...


AdapterT = TypeVar("AdapterT", bound=Adapter)


@contextlib.asynccontextmanager
async def running(
    settings: Settings,
    clock: ManualClock,
    adapter_for: Callable[[App, Settings], AdapterT],
    ready: Callable[[AdapterT], object],
    platforms: Platforms | None = None,
) -> AsyncIterator[tuple[App, AdapterT]]:
    """The whole stack: the adapter serving, its outbox sender, the timer loop; once
    ``ready(adapter)`` says so. Stopped and closed on the way out, whatever the test did."""
    app = await bootstrap(settings, platforms=platforms, clock=clock)
    adapter = adapter_for(app, settings)
    tasks = [asyncio.create_task(adapter.run()), asyncio.create_task(app.timers.run())]
    try:
        await eventually(lambda: ready(adapter))
        yield app, adapter
    finally:
        await stop(tasks)
        await app.close()
