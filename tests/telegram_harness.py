"""Run the real Telegram adapter against the fake Bot API, and wait for what it sends."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.settings import TelegramSettings
from bot.app import App
from bot.clock import ManualClock
from bot.settings import Settings
from tests import harness
from tests.fakes import telegram_updates as tg
from tests.fakes.fixtures import loopback_request
from tests.fakes.telegram import FakeTelegram
from tests.harness import eventually


def settings_for(fake: FakeTelegram, database: Path, **extra: Any) -> Settings:
    """Settings for the fake; ``extra`` are the core's or Telegram's own, by name."""
    own = {name: extra.pop(name) for name in TelegramSettings.__dataclass_fields__ if name in extra}
    return Settings(
        database=str(database),
        sections=(TelegramSettings(token=fake.token, api_url=fake.root, **own),),
        **extra,
    )


def adapter_for(app: App, settings: Settings) -> TelegramAdapter:
    # Tests send many messages to one chat at once; the one-a-second spacing is tested alone.
    return TelegramAdapter(app, settings, request=loopback_request, per_chat=0.0)


@contextlib.asynccontextmanager
async def running(
    fake: FakeTelegram, database: Path, clock: ManualClock, **extra: Any
) -> AsyncIterator[App]:
    """The whole stack: the adapter polling the fake, the outbox sender and the timer loop."""
    async with running_adapter(fake, database, clock, **extra) as (app, _):
        yield app


@contextlib.asynccontextmanager
async def running_adapter(
    fake: FakeTelegram,
    database: Path,
    clock: ManualClock,
    *,
    prepare: Callable[[TelegramAdapter], object] = lambda adapter: None,
    **extra: Any,
) -> AsyncIterator[tuple[App, TelegramAdapter]]:
    """The whole stack, with the adapter in hand (to store as a webhook does, say);
    ``prepare`` is done to the adapter before it starts (to add a handler of the test's own)."""

    def prepared(app: App, settings: Settings) -> TelegramAdapter:
        adapter = adapter_for(app, settings)
        prepare(adapter)
        return adapter

    settings = settings_for(fake, database, **extra)
    started = harness.running(settings, clock, prepared, lambda _: fake.of("setMyCommands"))
    async with started as stack:
        yield stack


def in_chat(fake: FakeTelegram, chat_id: int) -> list[dict[str, Any]]:
    """The messages the bot has in a chat, as they stand now (edits applied), oldest first."""
    return [message for (chat, _), message in sorted(fake.messages.items()) if chat == chat_id]


def texts_in(fake: FakeTelegram, chat_id: int) -> list[str]:
    """What a member of the chat reads there: the text (or caption) of each message."""
    return [m.get("text") or m.get("caption") or "" for m in in_chat(fake, chat_id)]


async def said(fake: FakeTelegram, chat_id: int, words: str) -> dict[str, Any]:
    """Wait for the bot's message in the chat that contains ``words``; return it."""
    return await eventually(
        lambda: next((m for m in in_chat(fake, chat_id) if words in m.get("text", "")), None)
    )


def button(message: dict[str, Any], action: str) -> str:
    """The callback data of the message's button for ``action``."""
    for row in message.get("reply_markup", {}).get("inline_keyboard", []):
        for key in row:
            if str(key.get("callback_data", "")).startswith(f"{action}|"):
                return str(key["callback_data"])
    raise AssertionError(f"no {action} button on {message.get('text')!r}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def keep_clean_date(
    fake: FakeTelegram,
    chat: dict[str, Any],
    person: dict[str, Any],
    args: str,
    *,
    command: str = "/cleandate",
) -> dict[str, Any]:
    """A member types ``/cleandate args`` in ``chat``, says yes to keeping it, and (the first
    time in a group) to celebrating it there; return the answer that confirms the date."""
    before = len(in_chat(fake, person["id"]))
    fake.push(tg.command(chat, person, f"{command} {args}"))
    asked = await said(fake, person["id"], "May I keep it?")
    fake.push(tg.callback(person, asked, button(asked, "cleandate.keep")))
    answer: dict[str, Any] = await eventually(
        lambda: next(
            (m for m in in_chat(fake, person["id"])[before:] if "Got it" in m.get("text", "")),
            None,
        )
    )
    if "Would you like your group to celebrate" in answer["text"]:
        fake.push(tg.callback(person, answer, button(answer, "share.celebrate")))
        await said(fake, person["id"], "This group will celebrate your milestones.")
    return answer
