"""Several processes on one PostgreSQL database: two stores on one schema (two pools, as two
``homegroup run`` processes have) race each other, and nothing is lost or doubled."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.platforms import every_platform
from bot.app import App, bootstrap
from bot.clock import ManualClock
from bot.domain.inbound import CommandIssued, Origin
from bot.settings import Settings
from bot.storage import Store
from bot.storage.postgres import PostgresStore
from bot.timers import LEASE
from tests.conftest import BACKENDS, START, TEST_POSTGRES
from tests.core.test_timer_leases import messages, process, schedule
from tests.storage.test_store_postgres import schema  # noqa: F401

TIMERS = 300
DEAD = 40
"""Timers a process claimed before it was killed: the others fire them after its lease."""


@pytest.fixture
async def stores(schema: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:  # noqa: F811
    """Two processes' stores on one schema."""
    first = await PostgresStore.open(TEST_POSTGRES, schema=schema)
    second = await PostgresStore.open(TEST_POSTGRES, schema=schema)
    yield first, second
    await first.close()
    await second.close()


async def test_racing_timer_loops_fire_each_timer_once(
    stores: tuple[PostgresStore, PostgresStore],
) -> None:
    clock = ManualClock(START)
    first, second = stores
    await schedule(first, TIMERS)
    async with second.transaction() as tx:
        await tx.timers.claim(START, DEAD, holder="killed", until=START + LEASE)
    loops = [process(store, clock) for store in (first, second, first, second)]
    fired = await asyncio.gather(*(loop.fire_due() for loop in loops))
    assert sum(fired) == TIMERS - DEAD
    clock.advance(LEASE)
    fired = await asyncio.gather(*(loop.fire_due() for loop in loops))
    assert sum(fired) == DEAD, "the killed process's timers, once its lease ran out"
    assert await messages(first, clock) == Counter({str(n): 1 for n in range(TIMERS)})


UPDATES = 40


def updates(members: int = UPDATES) -> list[CommandIssued]:
    """Updates as two processes may both be handed them: commands in private chats and in
    groups. With a member (and a group) of its own, no update's effect hangs on another's;
    with fewer members, meeting a member or a group for the first time races too."""
    found = []
    for n in range(UPDATES):
        who = n % members
        private = n % 3 == 0
        origin = Origin(
            "console",
            f"dm{who}" if private else f"group{who}",
            f"member{who}",
            f"Member {who}",
            community=None if private else f"group{who}",
            private=private,
        )
        key = f"console:{members}:{n}"
        found.append(CommandIssued(key, origin, "craving" if n % 2 else "help"))
    return found


async def handle_in_both(updates: list[CommandIssued], *apps: App) -> list[int]:
    """Hand every update to both processes at once; how many of them it had an effect in."""
    handled = await asyncio.gather(*(app.core.handle(u) for u in updates for app in apps))
    return [sum(handled[n : n + len(apps)]) for n in range(0, len(handled), len(apps))]


async def effects(store: Store, clock: ManualClock) -> tuple[Counter[object], Counter[str]]:
    """The messages queued (template and chat) and the timers armed (kind), counted."""
    async with store.transaction() as tx:
        queued = await tx.outbox.pending("console", clock.now(), 10_000)
        armed = await tx.timers.due(clock.now() + timedelta(days=400), 10_000)
    return Counter((m.template, m.target.chat) for m in queued), Counter(t.kind for t in armed)


async def test_an_update_two_processes_handle_at_once_has_one_effect(
    stores: tuple[PostgresStore, PostgresStore], tmp_path: Path
) -> None:
    clock = ManualClock(START)
    settings = Settings(database="unused: each app is given its store")
    first, second = [
        await bootstrap(settings, platforms=every_platform(), clock=clock, store=store)
        for store in stores
    ]
    assert await handle_in_both(updates(), first, second) == [1] * UPDATES
    alone = await BACKENDS["postgres"](tmp_path)
    try:
        app = await bootstrap(settings, platforms=every_platform(), clock=clock, store=alone)
        for update in updates():
            assert await app.core.handle(update)
        assert await effects(first.store, clock) == await effects(alone, clock), (
            "the same effects as one process handling each update once"
        )
    finally:
        await alone.close()
    assert await handle_in_both(updates(members=3), first, second) == [1] * UPDATES, (
        "updates of members both processes meet for the first time at once"
    )


LANES = [f"group:{n}" for n in range(12)]


async def test_workers_claiming_and_releasing_the_same_lanes_in_any_order_never_deadlock(
    stores: tuple[PostgresStore, PostgresStore],
) -> None:
    """One process renews the lanes it holds while another asks for the same lanes, each in
    the order its own worker knows them, and a third lets go of them: PostgreSQL locks each
    lane's row as it is claimed, so claims in different orders could wait on each other until
    the server breaks the deadlock by failing one (a worker's pass failed with an error)."""
    first, second = stores
    until = START + timedelta(seconds=60)

    async def claim(store: PostgresStore, holder: str, lanes: list[str]) -> None:
        async with store.transaction() as tx:
            await tx.outbox.claim_lanes("telegram", lanes, holder, START, until)

    async def release(store: PostgresStore, holder: str, lanes: list[str]) -> None:
        async with store.transaction() as tx:
            held = await tx.outbox.claim_lanes("telegram", lanes, holder, START, until)
        async with store.transaction() as tx:
            await tx.outbox.release_lanes(sorted(held, key=lambda h: lanes.index(h.lane)))

    for _ in range(15):
        await asyncio.gather(
            claim(first, "one", LANES),
            claim(second, "two", LANES[::-1]),
            release(first, "one", LANES[::-1]),
            claim(second, "one", LANES[6:] + LANES[:6]),
        )
