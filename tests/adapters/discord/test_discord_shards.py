"""Several processes share one bot on Discord, each holding some of its shards.

Discord sends a server's events and interactions only on the shard that owns it, ``(guild_id
>> 22) % shard_count``; ``DISCORD_SHARD_COUNT`` and ``DISCORD_SHARDS`` say which shards a process
holds, and ``/healthz`` names each of them connected or not.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest

from adapters.discord import adapter
from adapters.discord.adapter import HomegroupShardedClient
from adapters.discord.settings import DiscordSettings
from adapters.http import Metrics, serve_http
from adapters.platforms import load_settings
from bot.clock import ManualClock
from tests.discord_harness import GENERAL, GUILD, SAM, circle, craving_deferred_then_stopped
from tests.discord_harness import running as discord_running
from tests.fakes import discord_payloads as dp
from tests.fakes.discord import DEFAULT_TOKEN, FakeDiscord
from tests.fakes.discord_fixtures import client_options, running
from tests.harness import eventually, rows
from tests.process import homegroup_run, terminate
from tests.telegram_harness import free_port

SHARDS = 4
NO_CLEAN_DATE = "You haven't set a clean date yet."


def server_on(shard: int, count: int = SHARDS) -> int:
    """A server id that Discord's rule puts on ``shard`` of ``count`` (created in 2021)."""
    return ((143_000_000_000 * count + shard) << 22) | 1


def servers(fake: FakeDiscord, count: int = SHARDS) -> list[int]:
    """One server per shard, each with a channel (its id + 10) and Sam in it; their ids."""
    made = [server_on(shard, count) for shard in range(count)]
    for shard, guild in enumerate(made):
        channels = [dp.text_channel(guild + 10, "general")]
        fake.guild(guild, f"Circle {shard}", channels=channels, members=[dp.member(SAM)])
    return made


# -- the settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "count", "held"),
    [
        ({}, None, (0,)),
        ({"DISCORD_SHARD_COUNT": "8"}, 8, tuple(range(8))),
        ({"DISCORD_SHARD_COUNT": "8", "DISCORD_SHARDS": "0-3"}, 8, (0, 1, 2, 3)),
        ({"DISCORD_SHARD_COUNT": "8", "DISCORD_SHARDS": "6, 1,2-3"}, 8, (1, 2, 3, 6)),
    ],
)
def test_the_shards_a_process_holds_are_read(
    values: dict[str, str], count: int | None, held: tuple[int, ...]
) -> None:
    settings = load_settings(values).section(DiscordSettings)
    assert (settings.shard_count, settings.shards) == (count, held)


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"DISCORD_SHARDS": "0-3"}, "DISCORD_SHARDS: set DISCORD_SHARD_COUNT too"),
        ({"DISCORD_SHARD_COUNT": "8", "DISCORD_SHARDS": "4-8"}, "DISCORD_SHARDS: give shard ids"),
        ({"DISCORD_SHARD_COUNT": "8", "DISCORD_SHARDS": "3-1"}, "DISCORD_SHARDS: give shard ids"),
        ({"DISCORD_SHARD_COUNT": "8", "DISCORD_SHARDS": "all"}, "DISCORD_SHARDS: give shard ids"),
        ({"DISCORD_SHARD_COUNT": "0"}, "DISCORD_SHARD_COUNT: give how many shards"),
        ({"DISCORD_SHARD_COUNT": "eight"}, "DISCORD_SHARD_COUNT: give how many shards"),
    ],
)
def test_run_check_names_a_bad_shard_setting_in_one_line_and_starts_nothing(
    values: dict[str, str], named: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOMEGROUP_", "DISCORD_"))}
    checked = subprocess.run(
        [sys.executable, "-m", "adapters", "run", "--check"],
        capture_output=True,
        text=True,
        env={**env, "DISCORD_TOKEN": DEFAULT_TOKEN, **values},
        cwd=tmp_path,
        timeout=60,
    )
    assert checked.returncode == 2
    assert checked.stderr.startswith(f"homegroup: {named}")
    assert len(checked.stderr.splitlines()) == 1
    assert list(tmp_path.iterdir()) == [], "no database is made"


# -- the fake ----------------------------------------------------------------------------------


class Listener(discord.AutoShardedClient):
    """A bare sharded client that notes which servers' member leaves it hears of."""

    def __init__(self, **options: Any) -> None:
        super().__init__(intents=discord.Intents.default(), **client_options(**options))
        self.heard: list[int] = []

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """No 5 s between a process's shards: the fake has no identify rate limit."""

    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        self.heard.append(payload.guild_id)


async def test_the_fake_sends_a_servers_events_only_on_the_shard_that_owns_it(
    fake_discord: FakeDiscord,
) -> None:
    first, second = servers(fake_discord, 2)
    fake_discord.shard_count = 2
    low = Listener(shard_ids=[0], shard_count=2)
    high = Listener(shard_ids=[1], shard_count=2)
    whole = Listener()  # asks GET /gateway/bot how many shards to run, and runs them all
    async with running(low, fake_discord), running(high, fake_discord):
        async with running(whole, fake_discord):
            for guild in (first, second):
                await fake_discord.dispatch(
                    "GUILD_MEMBER_REMOVE", {"guild_id": str(guild), "user": SAM}
                )
            await eventually(lambda: len(whole.heard) == 2)
        await eventually(lambda: low.heard and high.heard)

    identified = [p["d"]["shard"] for p in fake_discord.gateway.received if p["op"] == 2]
    assert sorted(identified) == [[0, 2], [0, 2], [1, 2], [1, 2]]
    assert ([g.id for g in low.guilds], [g.id for g in high.guilds]) == ([first], [second])
    assert (low.heard, high.heard, sorted(whole.heard)) == ([first], [second], [first, second])
    assert whole.shard_count == 2


# -- homegroup run -----------------------------------------------------------------------------


async def _homegroup(
    fake: FakeDiscord, database: Path, log: Path, **settings: str
) -> asyncio.subprocess.Process:
    env = {
        "DISCORD_TOKEN": fake.token,
        "DISCORD_API_URL": fake.api_url,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "HOMEGROUP_DATABASE": str(database),
        **settings,
    }
    return await homegroup_run(env, log)


async def _days(fake: FakeDiscord, guild: int) -> str:
    """Sam asks ``/days`` in the server's channel; what the bot answers."""
    await eventually(lambda: fake.commands.get(None), seconds=30)
    ref = await fake.slash("days", SAM, channel_id=guild + 10)
    await fake.callback_for(ref.id, within=3.5)

    def answered() -> dict[str, Any] | None:
        found = fake.original_for(ref.token)  # a deferred one's "thinking…" until it is answered
        return found if found is not None and not found["flags"] & dp.LOADING else None

    answer = await eventually(answered, seconds=10)
    return str(answer["content"]).split(".")[0] + "."


async def _health(port: int) -> tuple[int, dict[str, Any]] | None:
    with contextlib.suppress(aiohttp.ClientError):
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/healthz") as response,
        ):
            return response.status, json.loads(await response.text())
    return None


async def test_two_processes_holding_different_shards_each_answer_only_their_servers(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    guilds = servers(fake_discord)
    log, port = tmp_path / "homegroup.log", free_port()
    shared = {"DISCORD_SHARD_COUNT": str(SHARDS)}
    low = await _homegroup(
        fake_discord,
        tmp_path / "homegroup.db",
        log,
        DISCORD_SHARDS="0-1",
        HOMEGROUP_HTTP=f"127.0.0.1:{port}",
        **shared,
    )
    high: asyncio.subprocess.Process | None = None
    try:  # one after the other: two processes must not make one SQLite file's tables at once
        await eventually(lambda: fake_discord.gateway.live_shards() == {0, 1}, seconds=30)
        high = await _homegroup(
            fake_discord, tmp_path / "homegroup.db", log, DISCORD_SHARDS="2,3", **shared
        )
        await eventually(lambda: fake_discord.gateway.live_shards() == {0, 1, 2, 3}, seconds=30)
        answers = await asyncio.gather(*(_days(fake_discord, guild) for guild in guilds))
        assert answers == [NO_CLEAN_DATE] * SHARDS

        high.kill()  # the servers on shards 2 and 3 are nobody's now
        await high.wait()
        await eventually(lambda: fake_discord.gateway.live_shards() == {0, 1}, seconds=10)
        assert await _days(fake_discord, guilds[1]) == NO_CLEAN_DATE
        with pytest.raises(TimeoutError):
            await _days(fake_discord, guilds[2])
        health = await _health(port)
    finally:
        if high is not None and high.returncode is None:
            high.kill()
            await high.wait()
        status = await terminate(low)
    assert status == 0, log.read_text()
    identified = [p["d"]["shard"] for p in fake_discord.gateway.received if p["op"] == 2]
    assert sorted(identified) == [[0, 4], [1, 4], [2, 4], [3, 4]]
    assert health is not None
    status_code, report = health
    # The outbox's age is left out: an answer the killed process held waits out its lease.
    assert (status_code, report["status"], report["failed"], report["shards"]) == (
        200,
        "ok",
        [],
        {"discord": {"0": True, "1": True}},
    )


async def test_one_process_with_no_shards_set_answers_every_server(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    guilds = servers(fake_discord)
    log = tmp_path / "homegroup.log"
    bot = await _homegroup(fake_discord, tmp_path / "homegroup.db", log)
    try:
        await eventually(lambda: fake_discord.gateway.live_shards() == {0}, seconds=30)
        answers = await asyncio.gather(*(_days(fake_discord, guild) for guild in guilds))
    finally:
        status = await terminate(bot)
    assert status == 0, log.read_text()
    assert answers == [NO_CLEAN_DATE] * SHARDS
    identifies = [p["d"] for p in fake_discord.gateway.received if p["op"] == 2]
    assert [("shard" in d) for d in identifies] == [False]


# -- /healthz ----------------------------------------------------------------------------------


async def test_healthz_names_each_shard_connected_or_not(
    fake_discord: FakeDiscord,
    database: Path,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    servers(fake_discord, 2)
    monkeypatch.setattr(
        HomegroupShardedClient, "before_identify_hook", Listener.before_identify_hook
    )
    async with discord_running(fake_discord, database, clock, shard_count=2) as bot:
        port = free_port()
        checks = {"discord": bot.adapter.connected}
        serving = asyncio.create_task(serve_http(bot.app, ("127.0.0.1", port), Metrics(), checks))
        try:
            healthy = await _until_health(port, lambda h: h[0] == 200)
            fake_discord.gateway.unreachable = True
            await fake_discord.drop_gateway(None, shard=1)
            failing = await _until_health(port, lambda h: h[0] == 503)
            fake_discord.gateway.unreachable = False
            back = await _until_health(port, lambda h: h[0] == 200, seconds=30)
        finally:
            serving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await serving

    assert healthy[1]["shards"] == {"discord": {"0": True, "1": True}}
    assert failing[1]["failed"] == ["discord"]
    assert failing[1]["shards"] == {"discord": {"0": True, "1": False}}
    assert back[1]["shards"] == {"discord": {"0": True, "1": True}}


async def _until_health(port: int, wanted: Any, seconds: float = 10) -> tuple[int, dict[str, Any]]:
    async with asyncio.timeout(seconds):
        while True:
            health = await _health(port)
            if health is not None and wanted(health):
                return health
            await asyncio.sleep(0.05)


# -- kept interactions ---------------------------------------------------------------------------


async def test_a_command_kept_by_a_process_that_died_is_answered_by_one_holding_other_shards(
    fake_discord: FakeDiscord,
    database: Path,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Sam's /craving is kept and deferred by the process holding his server's shard, which
    stops before handling it; the process holding the other shard answers it once it falls due."""
    circle(fake_discord)
    monkeypatch.setattr(adapter, "LOOK_AGAIN", 0.05)
    own = (GUILD >> 22) % 2
    other, holding = {"shard_ids": (1 - own,)}, {"shard_ids": (own,)}
    async with discord_running(fake_discord, database, clock, shard_count=2, **other) as survivor:
        async with discord_running(fake_discord, database, clock, shard_count=2, **holding) as dead:
            _, placeholder = await craving_deferred_then_stopped(dead, monkeypatch)
        clock.advance(adapter.HELD)
        answer = await survivor.said(GENERAL, "Thank you for saying it, Sam", within=10)
        await eventually(lambda: int(placeholder["id"]) not in fake_discord.messages)

    assert not answer["flags"] & dp.EPHEMERAL
    assert rows(database, "SELECT key FROM inbox") == []
    assert rows(database, "SELECT count(*) FROM cravings") == [(1,)]
