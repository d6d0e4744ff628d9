"""Serve the platforms whose tokens are set, with one timer loop for all of them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys

from adapters.discord.dialect import DiscordDialect
from adapters.discord.settings import DiscordSettings
from adapters.http import Check, Metrics, serve_http
from adapters.telegram.dialect import TelegramDialect
from adapters.telegram.settings import TelegramSettings
from bot.app import App
from bot.dialect import Dialect, PlainDialect
from bot.settings import Settings
from bot.watch import SchemaMoved, watch_schema

log = logging.getLogger(__name__)


async def serve(app: App, settings: Settings) -> int:
    """Run until SIGTERM or SIGINT; return the process's exit status."""
    from adapters.telegram.adapter import TelegramAdapter
    from adapters.telegram.receiver import Refused

    # python-telegram-bot's future type for retry_after, without a deprecation warning per 429.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    tasks = [
        asyncio.create_task(app.timers.run(), name="timers"),
        asyncio.create_task(watch_schema(app.store), name="schema"),
    ]
    checks: dict[str, Check] = {}
    if settings.section(TelegramSettings).served:
        telegram = TelegramAdapter(app, settings)
        checks[TelegramSettings.platform] = telegram.connected
        tasks.append(asyncio.create_task(telegram.run(), name="telegram"))
    if settings.section(DiscordSettings).served:
        from adapters.discord.adapter import DiscordAdapter

        discord = DiscordAdapter(app, settings)
        checks[DiscordSettings.platform] = discord.connected
        tasks.append(asyncio.create_task(discord.run(), name="discord"))
    if settings.http is not None:
        metrics = app.observer if isinstance(app.observer, Metrics) else Metrics()
        http = serve_http(app, settings.http, metrics, checks)
        tasks.append(asyncio.create_task(http, name="http"))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    stopping = asyncio.create_task(stop.wait(), name="signals")
    await asyncio.wait([*tasks, stopping], return_when=asyncio.FIRST_COMPLETED)
    for task in [*tasks, stopping]:
        task.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for result in results:
        if isinstance(result, SchemaMoved):
            log.error("%s", result)
            return 2
        if isinstance(result, Refused):
            print(f"homegroup: {result}", file=sys.stderr)
            return 2
        if _is_discord_refusal(result):
            print(f"homegroup: Discord refused to connect: {result}", file=sys.stderr)
            return 2
        if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
            log.error("stopped by an error", exc_info=result)
            return 1
    log.info("stopped")
    return 0


def dialects(settings: Settings) -> list[Dialect]:
    """Every dialect this deployment renders in: the console's, and each platform's it serves."""
    found: list[Dialect] = [PlainDialect()]
    if settings.section(TelegramSettings).served:
        found.append(TelegramDialect())
    if settings.section(DiscordSettings).served:
        found.append(DiscordDialect())
    return found


def _is_discord_refusal(result: object) -> bool:
    """A bad token or intents the developer portal has not enabled: no retry will help."""
    if not isinstance(result, Exception) or "discord" not in sys.modules:
        return False
    import discord

    return isinstance(result, discord.LoginFailure | discord.PrivilegedIntentsRequired)
