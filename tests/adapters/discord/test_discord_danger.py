"""The danger path on Discord: the crisis lines are the member's own at once, and the channel
reads the emergency number first, with the supporters pinged urgently."""

from __future__ import annotations

from pathlib import Path

from bot.clock import ManualClock
from tests.discord_harness import ALEX, ALEX_ID, GENERAL, SAM, circle, running
from tests.fakes import discord_payloads as dp
from tests.fakes.discord import FakeDiscord


async def test_danger_is_answered_privately_first_and_the_channel_leads_with_the_emergency(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    circle(fake_discord)
    async with running(fake_discord, database, clock) as bot:
        await bot.answer(await bot.slash("supporter", ALEX, pings="on"))
        asked = await bot.slash("craving", SAM, note="i wanna die")
        first = await bot.answer(asked)
        posted = await bot.said(GENERAL, "this is urgent")

    assert first["flags"] & dp.EPHEMERAL, "the crisis lines are Sam's alone"
    assert "sounds like you might be in danger" in first["content"]
    assert "findahelpline.com" in first["content"]
    assert posted["content"].startswith(
        "If you or anyone may be in immediate danger, call your local emergency number"
    )
    assert "walk" not in posted["content"]
    assert f"<@{ALEX_ID}>" in posted["content"]
    (ping,) = [p for p in fake_discord.pings if p.message_id == int(posted["id"])]
    assert ping.users == {ALEX_ID}
    assert "i wanna die" not in posted["content"], "the note is not repeated in the answer"
