"""A member's Telegram language is read from each update: with no group and no choice of their
own, they are answered in it when the bot speaks it."""

from __future__ import annotations

from pathlib import Path

from bot.clock import ManualClock
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram import FakeTelegram
from tests.telegram_harness import running, said


async def test_the_app_language_answers_a_member_in_no_group(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    rosa = {**tg.user(301, "Rosa"), "language_code": "es"}
    joao = {**tg.user(302, "João"), "language_code": "pt-br"}
    async with running(fake_telegram, database, clock):
        fake_telegram.push(tg.command(tg.private_chat(rosa), rosa, "/language"))
        fake_telegram.push(tg.command(tg.private_chat(joao), joao, "/language"))
        await said(fake_telegram, 301, "Te escribo en privado en español")
        await said(fake_telegram, 302, "I write to you privately in English")
