"""Run the real Telegram adapter against the fake Bot API, and wait for what it sends."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from adapters.telegram.adapter import TelegramAdapter
from bot.app import App, bootstrap
from bot.clock import ManualClock
from bot.settings import Settings
from tests.fakes.fixtures import loopback_request
from tests.fakes.telegram import FakeTelegram


async def eventually(check: Callable[[], Any]) -> Any:
    """Wait (up to 5 s) until ``check()`` returns something truthy, and return it."""
    async with asyncio.timeout(5):
        while not (result := check()):  # noqa: ASYNC110 - the fake's state has no event to await
            await asyncio.sleep(0.01)
    return result


def settings_for(fake: FakeTelegram, database: Path, **extra: Any) -> Settings:
    return Settings(
        database=str(database),
        telegram_token=fake.token,
        telegram_api_url=fake.root,
        **extra,
    )


@contextlib.asynccontextmanager
async def running(
    fake: FakeTelegram, database: Path, clock: ManualClock, **extra: Any
) -> AsyncIterator[App]:
    """The whole stack: the adapter polling the fake, the outbox sender and the timer loop."""
    settings = settings_for(fake, database, **extra)
    app = await bootstrap(settings, clock=clock)
    adapter = TelegramAdapter(app, settings, request=loopback_request)
    tasks = [asyncio.create_task(adapter.run()), asyncio.create_task(app.timers.run())]
    try:
        await eventually(lambda: fake.of("setMyCommands"))
        yield app
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await app.close()
