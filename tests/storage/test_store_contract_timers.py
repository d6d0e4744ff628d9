"""Timers shared by several processes: each claims due timers under a lease and a fence, so no
two fire the same timer, a dead process's timers go to another once its lease runs out, and a
process that outlived its lease changes nothing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.domain.records import DueTimer
from bot.domain.timers import CravingFollowUp
from bot.storage import Store
from tests.conftest import START

LEASE_END = START + timedelta(minutes=1)
LATER = START + timedelta(hours=1)


async def schedule(store: Store, count: int) -> None:
    async with store.transaction() as tx:
        for n in range(count):
            await tx.timers.schedule(CravingFollowUp(n), START - timedelta(seconds=n))


async def claim(store: Store, holder: str, limit: int = 100) -> list[DueTimer]:
    async with store.transaction() as tx:
        return await tx.timers.claim(START, limit, holder=holder, until=LEASE_END)


async def test_two_processes_claiming_at_once_never_get_the_same_timer(store: Store) -> None:
    await schedule(store, 30)
    first, second = await asyncio.gather(claim(store, "a", 20), claim(store, "b", 20))
    mine, theirs = {t.id for t in first}, {t.id for t in second}
    assert not mine & theirs
    assert len(mine | theirs) == 30, "between them, every due timer"
    assert sorted(len(c) for c in (first, second)) == [10, 20], "each no more than it asked"
    assert await claim(store, "c") == [], "a live lease holds each one"
    async with store.transaction() as tx:
        assert await tx.timers.next_due() == LEASE_END, "claimable again when the leases end"


async def test_claims_take_the_earliest_due_timers_and_leave_later_ones(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.timers.schedule(CravingFollowUp(1), START)
        await tx.timers.schedule(CravingFollowUp(2), START - timedelta(minutes=5))
        await tx.timers.schedule(CravingFollowUp(3), LATER)
    (earliest,) = await claim(store, "a", 1)
    assert earliest.payload == CravingFollowUp(2).dump()
    (other,) = await claim(store, "b")
    assert other.payload == CravingFollowUp(1).dump(), "the later one is not due yet"
    async with store.transaction() as tx:
        assert len(await tx.timers.due(START, 10)) == 2, "a leased timer is still due"


async def test_a_lease_that_ran_out_is_claimed_by_another_process_with_a_new_fence(
    store: Store,
) -> None:
    await schedule(store, 1)
    (dead,) = await claim(store, "a")
    async with store.transaction() as tx:
        assert (
            await tx.timers.claim(LEASE_END - timedelta(seconds=1), 10, holder="b", until=LATER)
            == []
        )
        (taken_over,) = await tx.timers.claim(LEASE_END, 10, holder="b", until=LATER)
    assert taken_over.id == dead.id
    assert taken_over.fence > dead.fence
    async with store.transaction() as tx:
        assert not await tx.timers.take(dead.id, dead.fence), "the late process takes nothing"
        await tx.timers.postpone(dead.id, dead.fence, LATER + timedelta(days=1))
        await tx.timers.drop(dead.id, dead.fence)
    async with store.transaction() as tx:
        assert await tx.timers.next_due() == LATER, "still b's, as b leased it"
        assert await tx.timers.take(taken_over.id, taken_over.fence)
        assert await tx.timers.next_due() is None


async def test_a_postponed_timer_is_free_again_and_its_old_fence_does_nothing(
    store: Store,
) -> None:
    await schedule(store, 1)
    (held,) = await claim(store, "a")
    async with store.transaction() as tx:
        await tx.timers.postpone(held.id, held.fence, LATER)
    async with store.transaction() as tx:
        assert await tx.timers.next_due() == LATER, "no lease left on it"
        await tx.timers.postpone(held.id, held.fence, START)
        assert not await tx.timers.take(held.id, held.fence), "the fence was given up"
        await tx.timers.drop(held.id, held.fence)
        (moved,) = await tx.timers.due(LATER, 10)
    assert (moved.due_at, moved.attempts) == (LATER, 1)
    assert await claim(store, "b") == [], "not due before its new time"
    async with store.transaction() as tx:
        (again,) = await tx.timers.claim(LATER, 10, holder="b", until=LATER + timedelta(minutes=1))
        assert again.fence > held.fence
        await tx.timers.drop(again.id, again.fence)
        assert await tx.timers.next_due() is None


async def test_a_timer_never_claimed_cannot_be_taken(store: Store) -> None:
    await schedule(store, 1)
    async with store.transaction() as tx:
        (timer,) = await tx.timers.due(START, 10)
        assert not await tx.timers.take(timer.id, timer.fence)
        assert await tx.timers.next_due() == START


async def test_a_released_timer_is_claimable_at_once_and_only_by_its_holder(store: Store) -> None:
    await schedule(store, 2)
    first, second = await claim(store, "a")
    async with store.transaction() as tx:
        await tx.timers.release(first.id, first.fence - 1)
        await tx.timers.release(second.id, second.fence)
    (again,) = await claim(store, "b")
    assert (again.id, again.fence) == (second.id, second.fence + 1), "given back, it is free"
    async with store.transaction() as tx:
        await tx.timers.release(second.id, second.fence)
        assert not await tx.timers.take(second.id, second.fence), "b holds it now"
        assert await tx.timers.next_due() == LEASE_END
