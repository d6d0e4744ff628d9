"""A Telegram group that adds the bot reads one short welcome: what it does, that nothing is kept
without a yes, how to start, and which right it needs."""

from __future__ import annotations

from pathlib import Path

from bot.clock import ManualClock
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram import FakeTelegram
from tests.harness import eventually
from tests.telegram_harness import running, said, texts_in

GROUP = tg.group()


async def test_a_group_that_adds_the_bot_is_welcomed_once(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    async with running(fake_telegram, database, clock):
        fake_telegram.push(tg.my_chat_member(GROUP, "left", "member"))
        welcome = await said(fake_telegram, GROUP["id"], "Hello, I'm Homegroup.")
        fake_telegram.push(tg.my_chat_member(GROUP, "member", "administrator"))
        fake_telegram.push(tg.command(GROUP, tg.user(101, "Sam"), "/help"))
        await eventually(lambda: len(texts_in(fake_telegram, GROUP["id"])) == 2)
    text = welcome["text"]
    assert "Nothing personal is kept or shown without a yes" in text
    assert "/supporter on" in text
    assert "delete messages" in text
    assert sum("Hello, I'm Homegroup." in t for t in texts_in(fake_telegram, GROUP["id"])) == 1
