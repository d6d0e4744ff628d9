"""Linking a Discord server with a Telegram group, through the real discord.py against the fake
Discord: the code only its admin sees, and Manage Server checked as Discord grants it."""

from __future__ import annotations

import re
from pathlib import Path

from bot.clock import ManualClock
from bot.domain.inbound import CommandIssued, Origin
from tests.discord_harness import ALEX, GENERAL, GUILD, SAM, circle, running
from tests.fakes import discord_payloads as dp
from tests.fakes.discord import FakeDiscord
from tests.harness import rows

ADMIN = dp.EVERYONE_DEFAULT | dp.MANAGE_GUILD
CODE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}")
TELEGRAM_ADMIN = Origin(
    "telegram", "-1001", "11", "Tess", community="-1001", is_admin=True, private_chat_open=True
)
"""An admin of the Telegram group, as the Telegram adapter hands her commands to the core."""


async def test_a_code_from_telegram_links_the_server_only_when_a_manager_enters_it(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    circle(fake_discord)
    async with running(fake_discord, database, clock) as bot:
        await bot.app.core.handle(CommandIssued("telegram:1", TELEGRAM_ADMIN, "link"))
        ((context,),) = rows(database, "SELECT context FROM outbox WHERE template = 'link_code'")
        code = CODE.search(context)
        assert code is not None
        refused = await bot.answer(
            await bot.slash("link", SAM, permissions=dp.EVERYONE_DEFAULT, code=code.group())
        )
        assert "Only this server's admins can use /link" in refused["content"]
        assert refused["flags"] & dp.EPHEMERAL
        spent = await bot.answer(
            await bot.slash("link", ALEX, permissions=ADMIN, code=code.group())
        )
        assert "That code didn't link anything" in spent["content"], "refused once, spent"
        await bot.app.core.handle(CommandIssued("telegram:2", TELEGRAM_ADMIN, "link"))
        (context,) = rows(
            database, "SELECT context FROM outbox WHERE template = 'link_code' ORDER BY id"
        )[-1]
        code = CODE.search(context)
        assert code is not None
        linked = await bot.answer(
            await bot.slash("link", ALEX, permissions=ADMIN, code=code.group())
        )
        assert "This Discord server is now linked with a Telegram group" in linked["content"]
        assert not linked["flags"] & dp.EPHEMERAL, "the whole server is told"
    assert rows(database, "SELECT key, fellowship FROM communities ORDER BY key") == [
        (f"discord:{GUILD}", "telegram:-1001"),
        ("telegram:-1001", "telegram:-1001"),
    ]


async def test_a_managers_code_is_seen_by_her_alone(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    circle(fake_discord)
    async with running(fake_discord, database, clock) as bot:
        answer = await bot.answer(await bot.slash("link", ALEX, permissions=ADMIN))
    assert answer["flags"] & dp.EPHEMERAL
    assert CODE.search(answer["content"])
    assert "your Telegram group" in answer["content"]
    assert not any(CODE.search(m["content"]) for m in fake_discord.messages_in(GENERAL))
