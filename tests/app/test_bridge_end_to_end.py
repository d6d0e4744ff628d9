"""Issue 15's acceptance: one ``homegroup run`` serves a Telegram group and a Discord server
linked as one fellowship (an admin on each side, with /link and its code), each platform
through its loopback fake and the real client library.

A ``/craving`` in Telegram reaches a Discord supporter privately, with a button, and no Discord
channel learns of it; the supporter's **I'm here** claims it, the Telegram message is edited,
and the member is told privately who is coming. A process killed between the claim and the edit
on the other platform still edits once, after a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bot.app import bootstrap
from bot.domain.model import community_key
from bot.settings import Settings
from tests.conftest import START
from tests.discord_harness import (
    ALEX,
    ALEX_ID,
    GENERAL,
    GUILD,
    KIM,
    MILESTONES,
    circle,
    custom_id,
)
from tests.fakes import discord_payloads as dp
from tests.fakes import telegram_updates as tg
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import FakeTelegram
from tests.harness import eventually, rows
from tests.process import homegroup_run, terminate
from tests.telegram_harness import in_chat, said

SAM = {**tg.user(7_100_001, "Sam"), "last_name": "Okafor"}
ROBIN = tg.user(7_100_002, "Robin")
LINKED = "This Discord server is now linked with a Telegram group"
CODE = re.compile(r"/link ([0-9A-Z]{4}-[0-9A-Z]{4})")
GROUP = tg.group(-1_007_100_000_001, "Evening Circle")
NOTE = "the bar on Halsey street keeps calling me"
PING = "Sam, from the chat linked with yours on Telegram"
CLAIMED = "Alex is on it and will reach out to Sam"
COMING = "Alex is coming to be with you. They're on Discord"


async def linked_chats(database: Path) -> None:
    """Both chats as the bot knows them once it met them, linked as one fellowship, through
    the store before the process starts (the crash test is about the claim, not the link)."""
    app = await bootstrap(Settings(database=str(database)))
    try:
        async with app.store.transaction() as tx:
            telegram = community_key("telegram", str(GROUP["id"]))
            discord = community_key("discord", str(GUILD))
            await tx.communities.upsert(
                telegram, "telegram", str(GROUP["id"]), str(GROUP["id"]), START
            )
            await tx.communities.upsert(discord, "discord", str(GUILD), str(GENERAL), START)
            await tx.communities.link(telegram, discord)
    finally:
        await app.close()


@contextlib.asynccontextmanager
async def homegroup(
    telegram: FakeTelegram, discord: FakeDiscord, database: Path, log: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """One ``homegroup run`` with both platforms, stopped cleanly on the way out."""
    process = await start(telegram, discord, database, log)
    try:
        await eventually(lambda: discord.gateway.connected, seconds=30)
        await eventually(lambda: telegram.of("setMyCommands"), seconds=30)
        yield process
    finally:
        if process.returncode is None:
            status = await terminate(process)
            assert status == 0, log.read_text()  # noqa: ASYNC240 - the process has ended


async def start(
    telegram: FakeTelegram, discord: FakeDiscord, database: Path, log: Path
) -> asyncio.subprocess.Process:
    settings = {
        "TELEGRAM_TOKEN": telegram.token,
        "TELEGRAM_API_URL": telegram.root,
        "DISCORD_TOKEN": discord.token,
        "DISCORD_API_URL": discord.api_url,
        "DISCORD_GATEWAY_URL": discord.gateway_url,
        "HOMEGROUP_DATABASE": str(database),
    }
    return await homegroup_run(settings, log)


async def alex_supports(discord: FakeDiscord) -> None:
    """Alex joins the Discord server's supporter list."""
    asked = await discord.slash(
        "supporter", ALEX, channel_id=GENERAL, options=[dp.option("pings", "on")]
    )
    await discord.callback_for(asked.id, within=30)


async def ping_to_alex(discord: FakeDiscord) -> dict[str, Any]:
    found: dict[str, Any] = await eventually(
        lambda: next((m for m in discord.dms_to(ALEX_ID) if PING in m["content"]), None),
        seconds=30,
    )
    return found


def channel_messages(discord: FakeDiscord) -> list[str]:
    """Every message any channel of the Discord server reads, oldest first per channel."""
    return [m["content"] for channel in (GENERAL, MILESTONES) for m in discord.messages_in(channel)]


async def link_with_codes(telegram: FakeTelegram, discord: FakeDiscord) -> None:
    """Robin, an admin of the Telegram group, asks for a code; Kim, who manages the Discord
    server, enters it there: both chats are told they are linked."""
    telegram.members[(GROUP["id"], ROBIN["id"])] = "administrator"
    telegram.push(tg.command(GROUP, ROBIN, "/link"))
    private = await said(telegram, ROBIN["id"], "to link this Telegram group")
    code = CODE.search(private["text"])
    assert code is not None
    entered = await discord.slash(
        "link",
        KIM,
        channel_id=GENERAL,
        options=[dp.option("code", code.group(1))],
        permissions=dp.EVERYONE_DEFAULT | dp.MANAGE_GUILD,
    )
    await eventually(
        lambda: LINKED in ((discord.original_for(entered.token) or {}).get("content") or ""),
        seconds=30,
    )
    await said(telegram, GROUP["id"], "This Telegram group is now linked with a Discord")


async def test_a_craving_in_telegram_is_claimed_from_discord(
    fake_telegram: FakeTelegram, fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    circle(fake_discord)
    database = tmp_path / "homegroup.db"
    async with homegroup(fake_telegram, fake_discord, database, tmp_path / "homegroup.log"):
        await link_with_codes(fake_telegram, fake_discord)
        await alex_supports(fake_discord)
        before = channel_messages(fake_discord)
        fake_telegram.push(tg.command(GROUP, SAM, f"/craving {NOTE}"))
        answer = await said(fake_telegram, GROUP["id"], "Thank you for saying it, Sam")

        ping = await ping_to_alex(fake_discord)
        assert "Okafor" not in ping["content"], "the first name only"
        assert "Halsey" not in ping["content"], "the note stays in Telegram"
        claim = custom_id(ping, "craving.claim")
        assert channel_messages(fake_discord) == before, "no Discord channel learns of it"

        await fake_discord.press(claim, ALEX, message=int(ping["id"]))
        edited = await eventually(
            lambda: next(
                (
                    m
                    for m in in_chat(fake_telegram, GROUP["id"])
                    if m["message_id"] == answer["message_id"] and CLAIMED in m["text"]
                ),
                None,
            ),
            seconds=30,
        )
        told = await said(fake_telegram, SAM["id"], COMING)

    assert "find Alex in the linked chat" in told["text"]
    assert edited["message_id"] == answer["message_id"], "edited in place, not posted again"
    assert channel_messages(fake_discord) == before
    assert rows(database, "SELECT claimed_by FROM cravings") == [(f"discord:{ALEX_ID}",)]


async def test_a_process_killed_between_the_claim_and_the_telegram_edit_still_edits_once(
    fake_telegram: FakeTelegram, fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    """The claim from Discord is committed with its Telegram edit waiting: Telegram refuses
    every edit until the process is SIGKILLed. The next process makes the edit, once, and
    tells the member once."""
    circle(fake_discord)
    database = tmp_path / "homegroup.db"
    log = tmp_path / "homegroup.log"
    await linked_chats(database)
    first = await start(fake_telegram, fake_discord, database, log)
    try:
        await eventually(lambda: fake_discord.gateway.connected, seconds=30)
        await alex_supports(fake_discord)
        fake_telegram.push(tg.command(GROUP, SAM, "/craving"))
        await said(fake_telegram, GROUP["id"], "Thank you for saying it, Sam")
        ping = await ping_to_alex(fake_discord)
        fake_telegram.fail("editMessageText", 502, "Bad Gateway", times=10_000)
        await fake_discord.press(custom_id(ping, "craving.claim"), ALEX, message=int(ping["id"]))
        await eventually(lambda: fake_telegram.of("editMessageText"), seconds=30)
    finally:
        first.kill()  # SIGKILL: no cleanup of any kind
        await first.wait()
    assert rows(database, "SELECT claimed_by FROM cravings") == [(f"discord:{ALEX_ID}",)]
    assert not any(CLAIMED in text for text in texts(fake_telegram, GROUP["id"]))
    refused = len(fake_telegram.of("editMessageText"))
    fake_telegram.heal("editMessageText")

    async with homegroup(fake_telegram, fake_discord, database, log):
        # The group's lane waits out the killed process's lease (a minute) first.
        await eventually(
            lambda: any(CLAIMED in text for text in texts(fake_telegram, GROUP["id"])),
            seconds=120,
        )
        await said(fake_telegram, SAM["id"], COMING)
        await eventually(lambda: rows(database, WAITING) == [(0,)], seconds=30)

    edits = fake_telegram.of("editMessageText")[refused:]
    assert [CLAIMED in str(edit.get("text")) for edit in edits] == [True]
    assert sum(COMING in text for text in texts(fake_telegram, SAM["id"])) == 1


WAITING = "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"


def texts(fake: FakeTelegram, chat_id: int) -> list[str]:
    return [m.get("text", "") for m in in_chat(fake, chat_id)]
