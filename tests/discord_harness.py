"""Run the real Discord adapter against the fake Discord, and read what members see."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.settings import DiscordSettings
from adapters.platforms import every_platform
from bot.app import App
from bot.clock import ManualClock
from bot.domain.inbound import CommandIssued, Inbound
from bot.settings import Settings
from tests import harness
from tests.fakes import discord_payloads as dp
from tests.fakes.discord import FakeDiscord, InteractionRef
from tests.fakes.discord_fixtures import client_options
from tests.harness import eventually, rows

GUILD = 500_000_000_000_000_001
GENERAL = 500_000_000_000_000_010
MILESTONES = 500_000_000_000_000_011
SAM = dp.user(101_000_000_000_000_001, "sam", "Sam")
ALEX = dp.user(102_000_000_000_000_002, "alex", "Alex")
KIM = dp.user(103_000_000_000_000_003, "kim", "Kim")
ROBIN = dp.user(104_000_000_000_000_004, "robin", "Robin")
SAM_ID, ALEX_ID, KIM_ID, ROBIN_ID = (int(p["id"]) for p in (SAM, ALEX, KIM, ROBIN))
PEOPLE = (SAM, ALEX, KIM, ROBIN)


def circle(fake: FakeDiscord, *, people: tuple[dict[str, Any], ...] = PEOPLE, **extra: Any) -> None:
    """One server, two channels and a few members."""
    fake.guild(
        GUILD,
        "Sunday Circle",
        channels=[dp.text_channel(GENERAL, "general"), dp.text_channel(MILESTONES, "milestones")],
        members=[dp.member(p) for p in people],
        **extra,
    )


def custom_id(message: dict[str, Any], action: str) -> str:
    """The ``custom_id`` of the message's button for ``action``."""
    for row in message.get("components") or []:
        for item in row.get("components") or []:
            if str(item.get("custom_id", "")).startswith(f"hg|{action}|"):
                return str(item["custom_id"])
    raise AssertionError(f"no {action} button on {message.get('content')!r}")


@dataclass
class Stack:
    app: App
    adapter: DiscordAdapter
    fake: FakeDiscord

    async def slash(
        self,
        name: str,
        person: dict[str, Any],
        channel: int | None = GENERAL,
        *,
        permissions: int | None = None,
        **options: Any,
    ) -> InteractionRef:
        """A member uses ``/name option:value …`` (``channel=None``: in a DM with the bot)."""
        return await self.fake.slash(
            name,
            person,
            channel_id=channel,
            options=[dp.option(key, value) for key, value in options.items()],
            permissions=permissions,
        )

    async def answer(self, ref: InteractionRef, within: float = 3.0) -> dict[str, Any]:
        """What the member reads in answer to the interaction: the response, or the first
        follow-up after a defer, as the message it made."""

        def made() -> dict[str, Any] | None:
            pending = self.fake.interactions.by_token(ref.token)
            original = pending.original
            if original is not None and not original["flags"] & dp.LOADING:
                return original
            return None

        found: dict[str, Any] = await eventually(made, seconds=within)
        return found

    async def followup(
        self, ref: InteractionRef, words: str, within: float = 3.0
    ) -> dict[str, Any]:
        """Wait for a follow-up on the interaction that contains ``words``."""
        found: dict[str, Any] = await eventually(
            lambda: next(
                (m for m in self.fake.followups_for(ref.token) if words in m["content"]), None
            ),
            seconds=within,
        )
        return found

    async def said(self, channel: int, words: str, within: float = 3.0) -> dict[str, Any]:
        """Wait for a message everyone in ``channel`` can read that contains ``words``."""
        found: dict[str, Any] = await eventually(
            lambda: next(
                (m for m in self.fake.messages_in(channel) if words in m["content"]), None
            ),
            seconds=within,
        )
        return found

    async def dm(self, user_id: int, words: str, within: float = 3.0) -> dict[str, Any]:
        found: dict[str, Any] = await eventually(
            lambda: next((m for m in self.fake.dms_to(user_id) if words in m["content"]), None),
            seconds=within,
        )
        return found

    async def keep_clean_date(
        self, person: dict[str, Any], date: str, channel: int | None = GENERAL
    ) -> dict[str, Any]:
        """``/cleandate date``, then yes to keeping it and, the first time in a server, to
        celebrating it there; return the answer that confirms the date."""
        asked = await self.answer(await self.slash("cleandate", person, channel, date=date))
        yes = await self.fake.press(
            custom_id(asked, "cleandate.keep"), person, message=int(asked["id"])
        )
        kept = await self.followup(yes, "Got it")
        if "Would you like your group to celebrate" in kept["content"]:
            await self.fake.press(
                custom_id(kept, "share.celebrate"), person, message=int(kept["id"])
            )
            database = Path(self.app.settings.database)
            await eventually(
                lambda: rows(
                    database,
                    "SELECT 1 FROM memberships WHERE person = ? AND share",
                    f"discord:{person['id']}",
                )
            )
        return kept

    async def settle(self) -> None:
        """Let the outbox drain: wait until no row is waiting to be sent."""

        async def pending() -> int:
            async with self.app.store.transaction() as tx:
                return len(await tx.outbox.pending("discord", self.app.clock.now(), 100))

        async with asyncio.timeout(5):
            while await pending():  # noqa: ASYNC110 - rows leave in another task; no event says so
                await asyncio.sleep(0.02)


async def craving_deferred_then_stopped(
    bot: Stack, monkeypatch: pytest.MonkeyPatch
) -> tuple[InteractionRef, dict[str, Any]]:
    """Sam's /craving in the channel is kept and deferred; the process stops before the core
    handled it. Returns the interaction and its "thinking…" placeholder."""
    handle = bot.app.core.handle

    async def never_for_a_craving(inbound: Inbound) -> bool:
        if isinstance(inbound, CommandIssued) and inbound.name == "craving":
            await asyncio.Event().wait()  # the process dies before this command is handled
        return await handle(inbound)

    monkeypatch.setattr(bot.app.core, "handle", never_for_a_craving)
    craving = await bot.slash("craving", SAM)
    assert (await bot.fake.callback_for(craving.id))["type"] == 5
    placeholder = bot.fake.original_for(craving.token)
    assert placeholder is not None
    assert placeholder["flags"] & dp.LOADING
    return craving, placeholder


def settings_for(fake: FakeDiscord, database: Path, **extra: Any) -> Settings:
    """Settings for the fake; ``extra`` are the core's or Discord's own, by name."""
    own = {name: extra.pop(name) for name in DiscordSettings.__dataclass_fields__ if name in extra}
    return Settings(
        database=str(database),
        sections=(
            DiscordSettings(
                token=fake.token, api_url=fake.api_url, gateway_url=fake.gateway_url, **own
            ),
        ),
        **extra,
    )


@contextlib.asynccontextmanager
async def running(
    fake: FakeDiscord, database: Path, clock: ManualClock, **extra: Any
) -> AsyncIterator[Stack]:
    """The whole stack: the adapter connected to the fake, its outbox sender, the timer loop."""
    settings = settings_for(fake, database, **extra)
    started = harness.running(
        settings, clock, adapter_for, lambda a: a.client.is_ready(), every_platform()
    )
    async with started as (app, adapter):
        yield Stack(app, adapter, fake)


def adapter_for(app: App, settings: Settings) -> DiscordAdapter:
    return DiscordAdapter(app, settings, **client_options())
