"""Several processes on one PostgreSQL database: two stores on one schema (two pools, as two
``homegroup run`` processes have) race each other, and nothing is lost or doubled."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from bot.clock import ManualClock
from bot.storage.postgres import PostgresStore
from bot.timers import LEASE
from tests.conftest import START, TEST_POSTGRES
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
