"""The Telegram adapter end to end: the real python-telegram-bot against a fake Bot API."""

from __future__ import annotations

from pathlib import Path

from bot.clock import ManualClock
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram import FakeTelegram
from tests.telegram_harness import eventually, running

SAM = tg.user(101, "Sam")
GROUP = tg.group()


async def test_days_in_a_group(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    async with running(fake_telegram, database, clock):
        fake_telegram.push(tg.command(GROUP, SAM, "/cleandate@HomegroupBot 2026-03-01"))
        fake_telegram.push(tg.command(GROUP, SAM, "/days"))
        sent = await eventually(
            lambda: len(fake_telegram.of("sendMessage")) >= 2 and fake_telegram.of("sendMessage")
        )
    assert "273 days clean" in sent[1]["text"]
    assert sent[1]["parse_mode"] == "HTML"
