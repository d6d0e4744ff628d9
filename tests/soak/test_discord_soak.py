"""Discord soak: two ``homegroup run`` processes share one bot, each holding one of its two
shards, on one PostgreSQL database, while SIGKILLs land at random moments.

Members of four servers, two on each shard, share cravings with ``/craving``; each is a new
member, so an interaction's effect (its craving) is named by who it is about. Discord sends an
interaction once, on the shard that owns its server, and forgets it if it is not acknowledged
within 3 s; a process killed holds its shard's members up until it is back.

Afterwards: no interaction had two effects, and every one Discord saw acknowledged (answered,
or deferred with a "thinking…") had its effect, even when the process that acknowledged it was
killed before it handled it (a kept interaction falls due for any process after ``HELD``).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest

from adapters.discord.adapter import HELD
from tests.fakes import discord_payloads as dp
from tests.fakes.discord import FakeDiscord, InteractionRef
from tests.harness import eventually
from tests.soak.conftest import Fleet

SHARDS = 2
"""One per process."""
INTERACTIONS = 360
BURST = 40
KILLS = 10
TRAFFIC = 70.0
"""Seconds over which the interactions and the kills are spread."""
SETTLE = HELD.total_seconds() + 40.0
"""Seconds the last effects may take once the traffic and the kills stopped: an interaction
kept by a process that was killed falls due a minute after it came."""
FIRST_MEMBER = 300_000_000_000_000_000


def server_on(shard: int, index: int) -> int:
    """The ``index``-th server id that Discord's rule puts on ``shard`` of ``SHARDS``."""
    return ((150_000_000_000 * SHARDS + 2 * index + shard) << 22) | 7


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """Discord, with two servers on each shard; not pointed at by this process's discord.py,
    only by the processes' settings."""
    async with FakeDiscord() as fake:
        for shard in range(SHARDS):
            for index in range(2):
                guild = server_on(shard, index)
                channels = [dp.text_channel(guild + 10, "general")]
                fake.guild(guild, f"Circle {shard}.{index}", channels=channels)
        yield fake


@dataclass
class Sent:
    ref: InteractionRef
    person: str
    """Who it is about, as the database names them."""
    shard: int


@dataclass
class Traffic:
    fake: FakeDiscord
    rng: random.Random
    sent: list[Sent] = field(default_factory=list)

    async def run(self, count: int, seconds: float) -> None:
        """``count`` members each share a craving in a random server, in bursts of ``BURST``
        spread over ``seconds``: a burst is more than a process handles within the 1.5 s it
        answers in, so some are kept and deferred, and a kill may land before they are handled."""
        began = time.monotonic()
        bursts = count // BURST
        for burst in range(bursts):
            await asyncio.sleep(max(0.0, began + burst * seconds / bursts - time.monotonic()))
            for n in range(burst * BURST, (burst + 1) * BURST):
                await self._craving(n)

    async def _craving(self, n: int) -> None:
        shard, index = self.rng.randrange(SHARDS), self.rng.randrange(2)
        member = dp.user(FIRST_MEMBER + n, f"member{n}", f"Member {n}")
        channel = server_on(shard, index) + 10
        ref = await self.fake.slash("craving", member, channel_id=channel)
        self.sent.append(Sent(ref, f"discord:{member['id']}", shard))

    def deferred(self) -> list[Sent]:
        """Those acknowledged with a "thinking…": kept in the inbox, not yet handled."""
        interactions = self.fake.interactions
        return [s for s in self.sent if interactions.by_token(s.ref.token).response_type == 5]

    def acknowledged(self) -> list[Sent]:
        """Those Discord saw answered or deferred in time."""
        interactions = self.fake.interactions
        return [s for s in self.sent if interactions.by_token(s.ref.token).response_type]


async def test_two_processes_on_two_shards_survive_random_kills(
    fake: FakeDiscord, soak_database: str, tmp_path: Path, rng: random.Random
) -> None:
    def settings(slot: int, name: str) -> dict[str, str]:
        return {
            "DISCORD_TOKEN": fake.token,
            "DISCORD_API_URL": fake.api_url,
            "DISCORD_GATEWAY_URL": fake.gateway_url,
            "DISCORD_SHARD_COUNT": str(SHARDS),
            "DISCORD_SHARDS": str(slot),
            "HOMEGROUP_DATABASE": soak_database,
        }

    traffic = Traffic(fake, rng)
    began = time.monotonic()
    async with Fleet(SHARDS, settings, tmp_path) as fleet:
        await fleet.start_all()
        await eventually(lambda: fake.gateway.live_shards() == {0, 1}, seconds=60)
        await eventually(lambda: fake.commands.get(None), seconds=30)
        chaos = asyncio.create_task(fleet.chaos(KILLS, TRAFFIC, rng))
        await traffic.run(INTERACTIONS, TRAFFIC)
        await chaos
        assert not fleet.exited(), fleet.tail()
        await eventually(lambda: fake.gateway.live_shards() == {0, 1}, seconds=60)
        acknowledged = traffic.acknowledged()
        wanted = {s.person for s in acknowledged}

        async def all_had_their_effect() -> bool:
            kept = await _count(soak_database, "SELECT count(*) FROM inbox")
            return not kept and wanted <= set(await _effects(soak_database))

        try:
            async with asyncio.timeout(SETTLE):
                while not await all_had_their_effect():  # noqa: ASYNC110 - a database is asked
                    await asyncio.sleep(0.5)
        except TimeoutError:
            pass  # the assertions below say which are missing
        statuses = await fleet.stop()
        tail = fleet.tail()

    effects = await _effects(soak_database)
    print(
        f"soak: {len(traffic.sent)} interactions, {len(acknowledged)} acknowledged"
        f" ({len(traffic.deferred())} deferred),"
        f" {len(effects)} with an effect, {KILLS} kills, {len(fleet.lives)} process starts,"
        f" {time.monotonic() - began:.0f} s"
    )
    assert set(statuses.values()) == {0}, (statuses, tail)
    twice = {person: n for person, n in effects.items() if n > 1}
    assert not twice, "an interaction had two effects"
    missing = wanted - set(effects)
    assert not missing, f"{len(missing)} acknowledged interactions had no effect\n{tail}"
    assert {s.shard for s in acknowledged} == {0, 1}, "members on both shards were answered"
    assert await _count(soak_database, "SELECT count(*) FROM inbox") == 0
    errors = fleet.errors()
    assert not errors, f"{len(errors)} errors logged, e.g.\n" + "\n\n".join(errors[:10])


async def _effects(database: str) -> dict[str, int]:
    """The cravings each member shared, by member."""
    connection = await asyncpg.connect(database)
    try:
        rows = await connection.fetch("SELECT person, count(*) AS n FROM cravings GROUP BY person")
    finally:
        await connection.close()
    return {str(row["person"]): int(row["n"]) for row in rows}


async def _count(database: str, sql: str) -> int:
    connection = await asyncpg.connect(database)
    try:
        return int(await connection.fetchval(sql))
    finally:
        await connection.close()
