"""Several processes on one database: each conversation's rows go out from one process at a
time and in order, every row once, and a lane whose process died is taken over after its lease.

Each "process" is an outbox worker on a store of its own, all stores on one database (on SQLite
one file, on PostgreSQL one schema; in memory, one store), run on every backend."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import outbox
from bot.budget import SLOTS, SharedBudget
from bot.clock import ManualClock
from bot.domain.records import OutboxMessage
from bot.domain.replies import Reply, Target, Template
from bot.observe import Unobserved
from bot.outbox import CLAIM_AGAIN, LEASE, OutboxWorker, Pace, backoff
from bot.storage import Store
from bot.storage.memory import MemoryStore
from bot.storage.postgres import PostgresStore
from bot.storage.sqlite import SqliteStore
from tests.conftest import BACKENDS, START, TEST_POSTGRES
from tests.harness import stop


@pytest.fixture(params=list(BACKENDS))
async def stores(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[list[Store]]:
    """Three stores on one new database of each backend, as three processes would open it."""
    first = await BACKENDS[request.param](tmp_path)
    if isinstance(first, MemoryStore):
        others: list[Store] = [first, first]
    elif isinstance(first, SqliteStore):
        others = [await SqliteStore.open(tmp_path / "homegroup.db") for _ in range(2)]
    else:
        schema = first.schema  # type: ignore[attr-defined]
        others = [await PostgresStore.open(TEST_POSTGRES, schema=schema) for _ in range(2)]
    yield [first, *others]
    for store in others:
        if store is not first:
            await store.close()
    await first.close()


class Ledger:
    """What every process sent, in the order the platform took it, and any moment two
    processes were sending into one chat at once."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int, str]] = []
        """(process, row, chat) of each message taken."""
        self.started: list[float] = []
        """When each send started, by the wall clock the shared budget counts by."""
        self.sending: dict[str, set[str]] = {}
        self.overlaps: list[tuple[str, str]] = []

    def rows(self, chat: str | None = None) -> list[int]:
        return [row for _, row, sent_to in self.sent if chat in (None, sent_to)]

    async def until(self, count: int) -> None:
        async with asyncio.timeout(30):
            while len(self.sent) < count:  # noqa: ASYNC110 - the platform has no event
                await asyncio.sleep(0.01)


class Platform:
    """One process's sender: it takes a few milliseconds to send, and notes into the ledger."""

    platform = "fake"

    def __init__(self, name: str, ledger: Ledger) -> None:
        self.name = name
        self.ledger = ledger

    async def deliver(self, message: OutboxMessage) -> str | None:
        chat = message.target.chat
        assert chat is not None
        sending = self.ledger.sending.setdefault(chat, set())
        if sending:
            self.ledger.overlaps.append((chat, self.name))
        sending.add(self.name)
        self.ledger.started.append(time.time())
        try:
            await asyncio.sleep(random.uniform(0, 0.004))
        finally:
            sending.discard(self.name)
        self.ledger.sent.append((self.name, message.id, chat))
        return f"m{message.id}"


async def queue(store: Store, chat: str) -> int:
    async with store.transaction() as tx:
        return await tx.outbox.enqueue(Reply(Template.HELP, Target("fake", chat=chat)), "en", START)


def workers(stores: list[Store], ledger: Ledger, clock: ManualClock) -> list[OutboxWorker]:
    """A worker per store, each allowed a few sends a second, so that none takes every chat."""
    return [
        OutboxWorker(store, Platform(f"process {n}", ledger), clock, Pace(overall=8))
        for n, store in enumerate(stores)
    ]


async def test_processes_share_the_chats_and_send_every_row_once_each_chat_in_order(
    stores: list[Store], clock: ManualClock
) -> None:
    ledger = Ledger()
    chats = [f"chat{n}" for n in range(12)]
    queued = [await queue(stores[n % 3], chat) for n in range(2) for chat in chats]
    running = workers(stores, ledger, clock)
    tasks = [asyncio.create_task(worker.run()) for worker in running]
    try:
        await ledger.until(len(queued) // 2)
        queued += [await queue(stores[n % 3], chat) for n in range(2) for chat in chats]
        for worker in running:
            worker.wake.set()
        await ledger.until(len(queued))
    finally:
        await stop(tasks)
    assert sorted(ledger.rows()) == sorted(queued), "every row sent, and once"
    for chat in chats:
        assert ledger.rows(chat) == sorted(ledger.rows(chat)), f"{chat} in order"
    assert ledger.overlaps == [], "never two processes sending into one chat"
    assert len({process for process, _, _ in ledger.sent}) > 1, "the chats were shared"
    async with stores[0].transaction() as tx:
        assert await tx.outbox.due("fake", START) == []


async def test_a_chat_whose_process_died_is_taken_over_once_its_lease_ran_out(
    stores: list[Store], clock: ManualClock
) -> None:
    ledger = Ledger()
    orphaned = [await queue(stores[0], "orphaned") for _ in range(3)]
    other = await queue(stores[0], "other")
    async with stores[0].transaction() as tx:  # a process took the chat, then was killed
        await tx.outbox.claim_lanes(
            "fake", ["orphaned"], "killed", START, START + timedelta(seconds=LEASE)
        )
    (survivor,) = workers(stores[1:2], ledger, clock)
    task = asyncio.create_task(survivor.run())
    try:
        await ledger.until(1)
        await asyncio.sleep(CLAIM_AGAIN * 1.5)  # it asked for the chat again meanwhile
        assert ledger.rows() == [other], "the killed process's chat waits for its lease"
        clock.advance(timedelta(seconds=LEASE))
        await ledger.until(4)
    finally:
        await stop([task])
    assert ledger.rows("orphaned") == orphaned


class Stalled(Platform):
    """A sender that takes the platform's answer until it is let go."""

    def __init__(self, name: str, ledger: Ledger) -> None:
        super().__init__(name, ledger)
        self.started = asyncio.Event()
        self.answer = asyncio.Event()

    async def deliver(self, message: OutboxMessage) -> str | None:
        self.started.set()
        await self.answer.wait()
        return await super().deliver(message)


class Doubts(Unobserved):
    """An observer that notes each row that may reach its platform twice."""

    def __init__(self) -> None:
        self.maybe: list[tuple[str, str]] = []

    def maybe_twice(self, platform: str, reason: str) -> None:
        self.maybe.append((platform, reason))


async def test_a_process_that_lost_its_chat_cannot_mark_what_it_sent(
    stores: list[Store], clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = Ledger()
    row = await queue(stores[0], "chat")
    sender = Stalled("stalled", ledger)
    doubts = Doubts()
    worker = OutboxWorker(stores[0], sender, clock, observer=doubts)
    task = asyncio.create_task(worker.run())
    caplog.set_level(logging.WARNING, "bot.outbox")
    try:
        await sender.started.wait()
        clock.advance(timedelta(seconds=LEASE))  # it stalled past its lease; another took over
        async with stores[1].transaction() as tx:
            (taken,) = await tx.outbox.claim_lanes(
                "fake", ["chat"], "another", clock.now(), clock.now() + timedelta(seconds=LEASE)
            )
        sender.answer.set()
        await ledger.until(1)
    finally:
        await stop([task])
    async with stores[1].transaction() as tx:
        assert [d.id for d in await tx.outbox.due("fake", clock.now())] == [row]
        (message,) = await tx.outbox.messages([row])
    assert message.attempts == 0, "its mark changed nothing: the chat's holder decides"
    assert taken.lane == "chat"
    assert doubts.maybe == [("fake", "lost_lane")], "the row that may show twice is counted"
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning == f"fake outbox row {row} sent after its lane went to another process"


class Unanswered(Platform):
    """A sender whose platform takes the first message but never answers it (a timeout
    after the request arrived), and answers every later one."""

    def __init__(self, name: str, ledger: Ledger) -> None:
        super().__init__(name, ledger)
        self.hung = asyncio.Event()

    async def deliver(self, message: OutboxMessage) -> str | None:
        ref = await super().deliver(message)
        if not self.hung.is_set():
            self.hung.set()
            await asyncio.Event().wait()
        return ref


async def test_a_send_that_never_answers_is_abandoned_in_time_and_retried_counted_as_doubtful(
    stores: list[Store],
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A platform that took a message but answered too late: the worker gives up on the send
    before its lease on the chat could run out (no other process may send there meanwhile),
    and sends it again, since a craving shown twice beats one never shown: counted."""
    monkeypatch.setattr(outbox, "LONGEST_SEND", 0.2)
    caplog.set_level(logging.WARNING, "bot.outbox")
    ledger = Ledger()
    row = await queue(stores[0], "chat")
    doubts = Doubts()
    sender = Unanswered("hung", ledger)
    task = asyncio.create_task(OutboxWorker(stores[0], sender, clock, observer=doubts).run())
    try:
        await ledger.until(1)
        async with asyncio.timeout(10):
            while not doubts.maybe:  # noqa: ASYNC110 - the worker has no event for it
                await asyncio.sleep(0.01)
        clock.advance(timedelta(seconds=backoff(0)))
        await ledger.until(2)
        async with asyncio.timeout(10):
            while True:
                async with stores[1].transaction() as tx:
                    if not await tx.outbox.due("fake", clock.now()):
                        break
                await asyncio.sleep(0.01)
    finally:
        await stop([task])
    assert ledger.rows() == [row, row], "sent again after the send was abandoned"
    assert doubts.maybe == [("fake", "unsure")]
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning == f"fake outbox row {row} failed but may have come"


async def test_processes_together_keep_to_the_platforms_overall_limit(
    stores: list[Store], clock: ManualClock
) -> None:
    ledger = Ledger()
    limit = 12
    queued = [await queue(stores[n % 3], f"chat{n}") for n in range(30)]
    running = [
        OutboxWorker(store, Platform(f"process {n}", ledger), clock, Pace(limit, shared=True))
        for n, store in enumerate(stores)
    ]
    tasks = [asyncio.create_task(worker.run()) for worker in running]
    try:
        await ledger.until(len(queued))
    finally:
        await stop(tasks)
    assert sorted(ledger.rows()) == queued
    assert len({process for process, _, _ in ledger.sent}) > 1
    # Alone, each would send its own twelve in a second: together they send twelve at most.
    for start in ledger.started:
        in_a_second = [at for at in ledger.started if start <= at < start + 1.0]
        assert len(in_a_second) <= limit


@given(st.integers(1, 100), st.integers(0, 2**40))
def test_any_run_of_slots_as_long_as_a_second_and_two_shares_exactly_the_limit(
    per_second: int, first: int
) -> None:
    budget = SharedBudget("fake", per_second)
    shares = [budget.allowance(slot) for slot in range(first, first + SLOTS + 2)]
    assert sum(shares) == per_second
    assert max(shares) - min(shares) <= 1, "spread evenly"
