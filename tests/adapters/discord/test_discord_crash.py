"""No acknowledged interaction is lost on Discord, and odd text is answered.

Discord sends an interaction once: a press acknowledged and then lost is a craving nobody
claims, with no error for anyone to see. So an interaction is acknowledged only after the core
committed its effect, or after it was kept in the inbox, from which a restart handles it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.inbox import MAX_TRIES
from bot.clock import ManualClock
from bot.domain.inbound import ButtonPressed, Inbound
from tests.discord_harness import (
    ALEX,
    ALEX_ID,
    GENERAL,
    PEOPLE,
    SAM,
    SAM_ID,
    circle,
    craving_deferred_then_stopped,
    custom_id,
)
from tests.discord_harness import running as discord_running
from tests.fakes import discord_payloads as dp
from tests.fakes.discord import FakeDiscord
from tests.harness import eventually, rows
from tests.process import homegroup_run, terminate

JO = dp.user(105_000_000_000_000_005, "jo", "Jo\ud800")
"""A display name with a lone surrogate, as Discord's JSON can carry it ("\\ud800")."""
CLAIMED = "SELECT claimed_by FROM cravings"
UNREADABLE = "I couldn't read your last message"


async def test_a_name_and_a_note_with_a_lone_surrogate_are_answered(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    circle(fake_discord, people=(*PEOPLE, JO))
    async with discord_running(fake_discord, database, clock) as bot:
        days = await bot.answer(await bot.slash("days", JO))
        craving = await bot.answer(await bot.slash("craving", JO, note="bad\ud800 night"))

    assert "You haven't set a clean date yet." in days["content"]
    assert "Thank you for saying it, Jo\ufffd" in craving["content"]
    assert rows(database, "SELECT name FROM people WHERE platform_id = ?", JO["id"]) == [
        ("Jo\ufffd",)
    ]


async def test_a_press_acknowledged_but_not_yet_handled_is_claimed_after_a_restart(
    fake_discord: FakeDiscord,
    database: Path,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The process stops right after the acknowledgement, before the core handled the press."""
    circle(fake_discord)
    async with discord_running(fake_discord, database, clock) as bot:
        await bot.answer(await bot.slash("supporter", ALEX, pings="on"))
        asked = await bot.answer(await bot.slash("craving", SAM))
        handle = bot.app.core.handle

        async def never_for_a_press(inbound: Inbound) -> bool:
            if isinstance(inbound, ButtonPressed):
                await asyncio.Event().wait()  # the process dies before this press is handled
            return await handle(inbound)

        monkeypatch.setattr(bot.app.core, "handle", never_for_a_press)
        claim = await fake_discord.press(
            custom_id(asked, "craving.claim"), ALEX, message=int(asked["id"])
        )
        acknowledged = await fake_discord.callback_for(claim.id)
        kept = rows(database, "SELECT key FROM inbox")
    assert acknowledged["type"] == 6
    assert kept == [(f"discord:interaction:{claim.id}",)]
    assert rows(database, CLAIMED) == [(None,)]

    async with discord_running(fake_discord, database, clock) as bot:
        await bot.dm(SAM_ID, "Alex is on the way to you")

    assert rows(database, CLAIMED) == [(f"discord:{ALEX_ID}",)]
    assert rows(database, "SELECT key FROM inbox") == []
    assert int(asked["id"]) in fake_discord.messages, "the pressed message is left in place"


async def test_a_command_deferred_before_a_restart_is_answered_with_no_thinking_left(
    fake_discord: FakeDiscord,
    database: Path,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The answer the next start gives is public, so it goes to the channel; the "thinking…"
    Sam alone saw is removed, as when the answer comes late from the same process."""
    circle(fake_discord)
    async with discord_running(fake_discord, database, clock) as bot:
        craving, placeholder = await craving_deferred_then_stopped(bot, monkeypatch)
    assert rows(database, "SELECT key FROM inbox") == [(f"discord:interaction:{craving.id}",)]

    async with discord_running(fake_discord, database, clock) as bot:
        answer = await bot.said(GENERAL, "Thank you for saying it, Sam")
        await eventually(lambda: int(placeholder["id"]) not in fake_discord.messages)
        await bot.settle()

    assert not answer["flags"] & dp.EPHEMERAL
    removed = fake_discord.of("DELETE", "/webhooks/{app}/{token}/messages/{message}")
    assert [call.path for call in removed] == [
        f"/webhooks/{fake_discord.app_id}/{craving.token}/messages/@original"
    ]
    assert rows(database, "SELECT key FROM inbox") == []
    assert rows(database, "SELECT 1 FROM outbox WHERE sent_at IS NULL") == []


async def test_a_placeholder_whose_token_expired_does_not_hold_up_the_answer(
    fake_discord: FakeDiscord,
    database: Path,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    circle(fake_discord)
    async with discord_running(fake_discord, database, clock) as bot:
        await craving_deferred_then_stopped(bot, monkeypatch)

    expired = {"message": "Invalid Webhook Token", "code": 50027}
    fake_discord.fail("DELETE", "/webhooks/{app}/{token}/messages/{message}", 401, expired)
    async with discord_running(fake_discord, database, clock) as bot:
        answer = await bot.said(GENERAL, "Thank you for saying it, Sam")
        await bot.settle()

    assert [m["id"] for m in fake_discord.messages_in(GENERAL)].count(answer["id"]) == 1
    assert rows(database, "SELECT 1 FROM outbox WHERE sent_at IS NULL") == []
    assert rows(database, "SELECT key FROM inbox") == []


async def test_a_kept_command_that_keeps_failing_is_set_aside_and_its_member_told_once(
    fake_discord: FakeDiscord,
    database: Path,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    circle(fake_discord)
    async with discord_running(fake_discord, database, clock) as bot:
        calls: list[Inbound] = []

        async def slow_and_broken(inbound: Inbound) -> bool:
            calls.append(inbound)
            if len(calls) == 1:
                await asyncio.sleep(2.0)  # slower than 1.5 s: kept, then deferred
            raise RuntimeError("a bug in handling this command")

        monkeypatch.setattr(bot.app.core, "handle", slow_and_broken)
        days = await bot.slash("days", SAM)
        assert (await fake_discord.callback_for(days.id))["type"] == 5
        for tries in range(1, MAX_TRIES + 1):  # each try waits longer than the one before
            await eventually(
                lambda tries=tries: rows(database, "SELECT attempts FROM inbox") == [(tries,)],
                seconds=10,
            )
            clock.advance(timedelta(seconds=30))
            bot.adapter.inbox.wake()
        told = await bot.followup(days, UNREADABLE, within=10)
        await bot.settle()

    assert told["flags"] & dp.EPHEMERAL
    assert told["content"].startswith(f"<@{SAM_ID}>, sorry")
    lines = [m for m in fake_discord.followups_for(days.token) if UNREADABLE in m["content"]]
    assert len(lines) == 1
    assert len(calls) == MAX_TRIES
    assert rows(database, "SELECT reason, set_aside_at IS NOT NULL FROM inbox") == [
        ("RuntimeError", 1)
    ]


async def _homegroup(fake: FakeDiscord, database: Path, log: Path) -> asyncio.subprocess.Process:
    settings = {
        "DISCORD_TOKEN": fake.token,
        "DISCORD_API_URL": fake.api_url,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "HOMEGROUP_DATABASE": str(database),
    }
    return await homegroup_run(settings, log)


async def _answer(fake: FakeDiscord, name: str, person: dict[str, Any], **options: str) -> Any:
    ref = await fake.slash(
        name,
        person,
        channel_id=GENERAL,
        options=[dp.option(k, v) for k, v in options.items()],
    )
    return await eventually(
        lambda: (
            (m := fake.original_for(ref.token)) is not None and not m["flags"] & dp.LOADING and m
        ),
        seconds=10,
    )


async def test_a_process_killed_right_after_acknowledging_a_press_records_the_claim(
    fake_discord: FakeDiscord, database: Path, tmp_path: Path
) -> None:
    """SIGKILL the moment Discord has the acknowledgement. The database is locked while the
    press arrives, so the press can neither be kept nor handled until the test lets go: an
    acknowledgement sent before that would be of a press nothing recorded."""
    circle(fake_discord)
    log = tmp_path / "homegroup.log"
    first = await _homegroup(fake_discord, database, log)
    try:
        await eventually(lambda: fake_discord.gateway.connected, seconds=30)
        await _answer(fake_discord, "supporter", ALEX, pings="on")
        asked = await _answer(fake_discord, "craving", SAM)
        with contextlib.closing(sqlite3.connect(database, isolation_level=None)) as locked:
            locked.execute("BEGIN IMMEDIATE")
            claim = await fake_discord.press(
                custom_id(asked, "craving.claim"), ALEX, message=int(asked["id"])
            )
            try:
                await fake_discord.callback_for(claim.id, within=1.5)
            except TimeoutError:  # nothing acknowledged while nothing could be kept
                locked.execute("COMMIT")
                await fake_discord.callback_for(claim.id, within=3.0)
    finally:
        first.kill()  # SIGKILL: no cleanup of any kind
        await first.wait()

    second = await _homegroup(fake_discord, database, log)
    try:
        await eventually(lambda: fake_discord.identifies == 2, seconds=30)
        await eventually(lambda: rows(database, CLAIMED) != [(None,)], seconds=30)
    finally:
        status = await terminate(second)
    assert status == 0, log.read_text()
    assert rows(database, CLAIMED) == [(f"discord:{ALEX_ID}",)]
    assert rows(database, "SELECT key FROM inbox") == []


async def test_a_command_in_hand_when_the_bot_stops_has_its_effect_before_the_database_closes(
    fake_discord: FakeDiscord,
    database: Path,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    circle(fake_discord)
    async with discord_running(fake_discord, database, clock) as bot:
        handle = bot.app.core.handle
        in_hand = asyncio.Event()

        async def slowly(inbound: Inbound) -> bool:
            in_hand.set()
            await asyncio.sleep(0.2)
            return await handle(inbound)

        monkeypatch.setattr(bot.app.core, "handle", slowly)
        await bot.slash("craving", SAM)
        await in_hand.wait()  # then the bot is told to stop

    assert rows(database, "SELECT count(*) FROM cravings") == [(1,)]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
