"""Timer loops of several processes on one database: a timer fires once, a dead process's
timers fire after its lease runs out, and a process that outlived its lease has no effect."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from dataclasses import dataclass
from typing import ClassVar

from bot.clock import Clock, ManualClock
from bot.core import Core
from bot.dispatch import Flows, on_timer
from bot.domain.inbound import TimerFired
from bot.domain.platforms import Platforms
from bot.domain.records import DueTimer
from bot.domain.replies import Reply, Target, Template
from bot.domain.timers import TimerPayload
from bot.storage import Store
from bot.timers import LEASE, TimerLoop
from bot.turn import Turn
from tests.conftest import START


@dataclass(frozen=True, slots=True)
class Remind(TimerPayload):
    """A timer whose effect is one message, to the chat named by its number."""

    kind: ClassVar[str] = "remind"
    n: int


async def remind(turn: Turn, timer: Remind) -> None:
    await turn.tx.outbox.enqueue(
        Reply(Template.HELP, Target("fake", chat=str(timer.n))), "en", turn.now
    )


def core(store: Store, clock: Clock) -> Core:
    return Core(store, clock, platforms=Platforms(), flows=Flows(timers=on_timer(Remind, remind)))


def process(store: Store, clock: Clock) -> TimerLoop:
    """One process's timer loop on the shared store."""
    return TimerLoop(store, core(store, clock), clock)


def fired(timer: DueTimer) -> TimerFired:
    return TimerFired(timer.id, timer.kind, timer.payload, fence=timer.fence)


async def schedule(store: Store, count: int) -> None:
    async with store.transaction() as tx:
        for n in range(count):
            await tx.timers.schedule(Remind(n), START)


async def messages(store: Store, clock: Clock) -> Counter[str | None]:
    """How many messages each chat was sent."""
    async with store.transaction() as tx:
        pending = await tx.outbox.pending("fake", clock.now(), 1000)
    return Counter(m.target.chat for m in pending)


async def test_a_dead_process_timers_fire_once_after_its_lease_runs_out(
    store: Store, clock: ManualClock
) -> None:
    await schedule(store, 3)
    async with store.transaction() as tx:
        await tx.timers.claim(START, 2, holder="dead", until=START + LEASE)
    alive = process(store, clock)
    assert await alive.fire_due() == 1, "the timer no lease holds"
    assert await alive.next_due() == LEASE.total_seconds(), "it waits for the lease, no sooner"
    clock.advance(LEASE)
    assert await alive.fire_due() == 2
    assert await alive.fire_due() == 0
    assert await messages(store, clock) == Counter({"0": 1, "1": 1, "2": 1})


async def test_a_process_that_outlived_its_lease_changes_nothing(
    store: Store, clock: ManualClock
) -> None:
    await schedule(store, 1)
    slow, other = core(store, clock), core(store, clock)
    async with store.transaction() as tx:
        (late,) = await tx.timers.claim(START, 1, holder="slow", until=START + LEASE)
    clock.advance(LEASE)
    async with store.transaction() as tx:
        (taken_over,) = await tx.timers.claim(
            clock.now(), 1, holder="other", until=START + LEASE * 2
        )
    assert not await slow.handle(fired(late)), "the late process's firing is refused"
    assert await other.handle(fired(taken_over))
    assert await messages(store, clock) == Counter({"0": 1})


async def test_loops_of_two_processes_fire_each_timer_once(
    store: Store, clock: ManualClock
) -> None:
    await schedule(store, 50)
    first, second = process(store, clock), process(store, clock)
    assert first.holder != second.holder
    fired = await asyncio.gather(first.fire_due(), second.fire_due())
    assert sum(fired) == 50
    assert await messages(store, clock) == Counter({str(n): 1 for n in range(50)})


async def test_a_process_that_stops_gives_back_the_timers_it_did_not_fire(
    store: Store, clock: ManualClock
) -> None:
    await schedule(store, 5)
    started, stopping = asyncio.Event(), asyncio.Event()

    async def slow(turn: Turn, timer: Remind) -> None:
        await remind(turn, timer)
        started.set()
        await stopping.wait()

    flows = Flows(timers=on_timer(Remind, slow))
    stopped = TimerLoop(store, Core(store, clock, platforms=Platforms(), flows=flows), clock)
    firing = asyncio.create_task(stopped.fire_due())
    await started.wait()
    firing.cancel()  # SIGTERM while it fires its first timer
    with contextlib.suppress(asyncio.CancelledError):
        await firing
    assert await process(store, clock).fire_due() == 5, "the next process fires all, at once"
    assert await messages(store, clock) == Counter({str(n): 1 for n in range(5)})
