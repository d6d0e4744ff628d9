"""Delivery and timers: nothing lost, nothing sent twice, no row allowed to stall the rest."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

from bot.app import App
from bot.clock import ManualClock
from bot.core import Core
from bot.dispatch import Flows, on_timer
from bot.domain.inbound import CommandIssued, Origin
from bot.domain.platforms import Platforms
from bot.domain.records import OutboxMessage
from bot.domain.replies import Priority, Reply, Target, Template
from bot.domain.timers import MilestoneRun, TimerPayload
from bot.outbox import MAX_ATTEMPTS, OutboxWorker, Pace, RetryLater, Undeliverable, Unfinished
from bot.storage.sqlite import SqliteStore
from bot.timers import TimerLoop
from bot.turn import Turn
from tests.conftest import START
from tests.harness import stop


class ScriptedSender:
    """A platform that answers each delivery from a script, then accepts everything."""

    platform = "fake"

    def __init__(self, *script: Exception) -> None:
        self.script = list(script)
        self.delivered: list[tuple[int, str | None]] = []

    async def deliver(self, message: OutboxMessage) -> str | None:
        if self.script:
            raise self.script.pop(0)
        self.delivered.append((message.id, message.target.chat))
        return f"m{message.id}"


@dataclass(frozen=True, slots=True)
class Broken(TimerPayload):
    kind: ClassVar[str] = "broken"


@dataclass(frozen=True, slots=True)
class Works(TimerPayload):
    kind: ClassVar[str] = "works"
    n: int


async def enqueue(store: SqliteStore, chat: str) -> int:
    async with store.transaction() as tx:
        return await tx.outbox.enqueue(Reply(Template.HELP, Target("fake", chat=chat)), "en", START)


async def test_retry_after_is_obeyed_and_the_message_arrives_once(
    store: SqliteStore, clock: ManualClock
) -> None:
    sender = ScriptedSender(RetryLater(30, "429"))
    worker = OutboxWorker(store, sender, clock)
    row = await enqueue(store, "a")
    assert await worker.drain() == 0
    clock.advance(timedelta(seconds=29))
    assert await worker.drain() == 0
    clock.advance(timedelta(seconds=1))
    assert await worker.drain() == 1
    assert await worker.drain() == 0
    assert sender.delivered == [(row, "a")]


async def test_an_undeliverable_row_is_recorded_and_never_retried(
    store: SqliteStore, clock: ManualClock
) -> None:
    sender = ScriptedSender(Undeliverable("blocked by the member"))
    worker = OutboxWorker(store, sender, clock)
    await enqueue(store, "a")
    await worker.drain()
    clock.advance(timedelta(days=1))
    assert await worker.drain() == 0
    assert sender.delivered == []


async def test_a_network_error_is_retried_with_backoff(
    store: SqliteStore, clock: ManualClock
) -> None:
    sender = ScriptedSender(ConnectionError("reset"))
    worker = OutboxWorker(store, sender, clock)
    row = await enqueue(store, "a")
    assert await worker.drain() == 0
    clock.advance(timedelta(seconds=2))
    assert await worker.drain() == 1
    assert sender.delivered == [(row, "a")]


async def test_a_row_that_never_goes_through_is_given_up(
    store: SqliteStore, clock: ManualClock
) -> None:
    sender = ScriptedSender(*[RetryLater(1) for _ in range(MAX_ATTEMPTS + 5)])
    worker = OutboxWorker(store, sender, clock)
    await enqueue(store, "a")
    for _ in range(MAX_ATTEMPTS + 2):
        await worker.drain()
        clock.advance(timedelta(seconds=2))
    assert len(sender.script) == 5, "no attempts after giving up"


async def test_a_waiting_chat_keeps_its_order_and_others_go_on(
    store: SqliteStore, clock: ManualClock
) -> None:
    sender = ScriptedSender(RetryLater(10))
    worker = OutboxWorker(store, sender, clock)
    first_a = await enqueue(store, "a")
    second_a = await enqueue(store, "a")
    only_b = await enqueue(store, "b")
    await worker.drain()
    assert sender.delivered == [(only_b, "b")]
    clock.advance(timedelta(seconds=10))
    await worker.drain()
    assert sender.delivered[1:] == [(first_a, "a"), (second_a, "a")]


async def test_a_committed_reply_wakes_its_sender_at_once(app: App) -> None:
    sender = ScriptedSender()
    sender.platform = "console"
    worker = app.add_sender(sender)
    running = asyncio.create_task(worker.run())
    try:
        await asyncio.sleep(0.05)  # the worker is now waiting (poll interval: seconds)
        origin = Origin("console", "group", "sam", "Sam", community="group")
        await app.core.handle(CommandIssued("k", origin, "help"))
        for _ in range(100):
            if sender.delivered:
                break
            await asyncio.sleep(0.01)
        assert sender.delivered
    finally:
        running.cancel()


async def test_a_failing_timer_is_pushed_back_and_the_rest_still_fire(
    store: SqliteStore, clock: ManualClock
) -> None:
    fired: list[Works] = []

    async def broken(turn: Turn, timer: Broken) -> None:
        raise RuntimeError("bug")

    async def works(turn: Turn, timer: Works) -> None:
        fired.append(timer)

    core = Core(
        store,
        clock,
        platforms=Platforms(),
        flows=Flows(timers=on_timer(Broken, broken) | on_timer(Works, works)),
    )
    timers = TimerLoop(store, core, clock)
    async with store.transaction() as tx:
        await tx.timers.schedule(Broken(), START)
        await tx.timers.schedule(Works(1), START)
    assert await timers.fire_due() == 1
    assert fired == [Works(1)]
    for _ in range(10):
        clock.advance(timedelta(minutes=10))
        await timers.fire_due()
    async with store.transaction() as tx:
        assert await tx.timers.next_due() is None, "dropped after its last attempt"


async def test_a_timer_fires_once_even_if_two_loops_see_it(
    store: SqliteStore, clock: ManualClock
) -> None:
    fired: list[int] = []

    async def count(turn: Turn, timer: Works) -> None:
        fired.append(1)

    core = Core(store, clock, platforms=Platforms(), flows=Flows(timers=on_timer(Works, count)))
    async with store.transaction() as tx:
        await tx.timers.schedule(Works(1), START)
    loops = [TimerLoop(store, core, clock) for _ in range(2)]
    await asyncio.gather(*(loop.fire_due() for loop in loops))
    assert fired == [1]


async def test_old_sent_messages_and_dedupe_keys_are_forgotten(
    app: App, clock: ManualClock, database: Path
) -> None:
    origin = Origin("console", "group", "sam", "Sam", community="group")
    await app.core.handle(CommandIssued("k1", origin, "help"))
    sender = ScriptedSender()
    sender.platform = "console"
    assert await app.add_sender(sender).drain() == 1
    for _ in range(8):
        clock.advance(timedelta(days=1))
        await app.timers.fire_due()
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM handled_inbounds").fetchone()[0] == 0
        assert (
            db.execute("SELECT COUNT(*) FROM timers WHERE kind = 'housekeeping'").fetchone()[0] == 1
        )
    assert await app.core.handle(CommandIssued("k1", origin, "help")), "an old key is forgotten"


async def test_set_aside_updates_are_forgotten_after_a_month(
    app: App, clock: ManualClock, database: Path
) -> None:
    async def set_aside(key: str, days_ago: int) -> None:
        when = clock.now() + timedelta(days=1) - timedelta(days=days_ago)
        async with app.store.transaction() as tx:
            await tx.inbox.store(key, "console", '{"text": "a member wrote this"}', when)
            failed = await tx.inbox.failed(key, "ValueError", when, retry_at=when, max_tries=1)
            assert failed == (1, True)

    await set_aside("console:old", days_ago=31)
    await set_aside("console:recent", days_ago=29)
    async with app.store.transaction() as tx:
        assert await tx.inbox.claim("console:handled", clock.now())
    clock.advance(timedelta(days=1))
    await app.timers.fire_due()
    with sqlite3.connect(database) as db:
        kept = db.execute("SELECT key FROM inbox ORDER BY key").fetchall()
        handled = db.execute("SELECT key FROM handled_inbounds").fetchall()
    assert kept == [("console:recent",)], "a month-old set-aside update is gone, a newer one stays"
    assert handled == [("console:handled",)], "a dedupe key within the week stays"


async def test_a_keyed_timer_is_never_dropped(store: SqliteStore, clock: ManualClock) -> None:
    async def broken(turn: Turn, timer: MilestoneRun) -> None:
        raise RuntimeError("bug")

    core = Core(
        store, clock, platforms=Platforms(), flows=Flows(timers=on_timer(MilestoneRun, broken))
    )
    timers = TimerLoop(store, core, clock)
    async with store.transaction() as tx:
        await tx.timers.schedule(MilestoneRun(), START, key="milestones")
    for _ in range(12):
        clock.advance(timedelta(minutes=61))
        await timers.fire_due()
    async with store.transaction() as tx:
        assert await tx.timers.next_due() is not None, "still armed, retried hourly"


async def test_a_sender_that_keeps_crashing_gives_up_on_the_row(
    store: SqliteStore, clock: ManualClock
) -> None:
    sender = ScriptedSender(*[ValueError("boom") for _ in range(MAX_ATTEMPTS + 5)])
    worker = OutboxWorker(store, sender, clock)
    await enqueue(store, "a")
    for _ in range(MAX_ATTEMPTS + 3):
        await worker.drain()
        clock.advance(timedelta(minutes=10))
    assert len(sender.script) == 5, "no attempts after the last one"


class SlowSender(ScriptedSender):
    """A platform that takes a while to answer: the stop arrives while a row is in flight."""

    def __init__(self) -> None:
        super().__init__()
        self.started = asyncio.Event()

    async def deliver(self, message: OutboxMessage) -> str | None:
        self.started.set()
        await asyncio.sleep(0.2)
        return await super().deliver(message)


async def test_a_stop_lets_the_row_in_flight_be_marked_sent_so_a_restart_does_not_resend_it(
    store: SqliteStore, clock: ManualClock
) -> None:
    sender = SlowSender()
    worker = OutboxWorker(store, sender, clock)
    await enqueue(store, "a")
    running = asyncio.create_task(worker.run())
    await sender.started.wait()
    running.cancel()
    await asyncio.sleep(0)
    running.cancel()  # asked twice, as a shutdown that cancels its children again does
    await asyncio.wait([running])

    assert running.cancelled()
    assert len(sender.delivered) == 1
    again = ScriptedSender()
    assert await OutboxWorker(store, again, clock).drain() == 0
    assert again.delivered == []


# -- the scheduler ------------------------------------------------------------------------------


async def queue(
    store: SqliteStore,
    chat: str,
    priority: Priority = Priority.ANSWER,
    *,
    person: str | None = None,
    follows: int | None = None,
) -> int:
    target = Target("fake", chat=chat, person=person)
    async with store.transaction() as tx:
        reply = Reply(Template.HELP, target, priority=priority)
        return await tx.outbox.enqueue(reply, "en", START, follows=follows)


async def delivered(sender: ScriptedSender, count: int) -> list[int]:
    async with asyncio.timeout(5):
        while len(sender.delivered) < count:  # noqa: ASYNC110 - the sender has no event
            await asyncio.sleep(0.01)
    return [row for row, _ in sender.delivered]


async def test_when_the_budget_is_short_the_most_urgent_row_of_any_chat_goes_first(
    store: SqliteStore, clock: ManualClock
) -> None:
    sender = ScriptedSender()
    background = [await queue(store, f"group{n}", Priority.BACKGROUND) for n in range(5)]
    answer = await queue(store, "group9")
    urgent = await queue(store, "group8", Priority.URGENT)
    task = asyncio.create_task(OutboxWorker(store, sender, clock, Pace(overall=1)).run())
    try:
        order = await delivered(sender, 3)
    finally:
        await stop([task])
    assert order == [urgent, answer, background[0]]


async def test_in_one_chat_urgency_overtakes_and_equals_keep_their_order(
    store: SqliteStore, clock: ManualClock
) -> None:
    sender = ScriptedSender()
    first, second = await queue(store, "a"), await queue(store, "a")
    urgent = await queue(store, "a", Priority.URGENT)
    task = asyncio.create_task(OutboxWorker(store, sender, clock).run())
    try:
        order = await delivered(sender, 3)
    finally:
        await stop([task])
    assert order == [urgent, first, second]


async def test_a_row_that_follows_another_waits_until_that_one_was_tried(
    store: SqliteStore, clock: ManualClock
) -> None:
    sender = ScriptedSender(RetryLater(3600, "no private chat yet"))
    private = await queue(store, "group", person="sam")
    line = await queue(store, "group", follows=private)
    task = asyncio.create_task(OutboxWorker(store, sender, clock).run())
    try:
        assert await delivered(sender, 1) == [line]
    finally:
        await stop([task])
    assert not sender.script, "the private row was tried first"


class PartsSender(ScriptedSender):
    """A platform that takes a long message in three parts, one a call."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[int] = []

    async def deliver(self, message: OutboxMessage) -> str | None:
        self.parts.append(message.id)
        if self.parts.count(message.id) < 3:
            raise Unfinished
        return await super().deliver(message)


async def test_a_long_message_is_sent_part_by_part_and_marked_once(
    store: SqliteStore, clock: ManualClock, database: Path
) -> None:
    sender = PartsSender()
    row = await queue(store, "a")
    task = asyncio.create_task(OutboxWorker(store, sender, clock).run())
    try:
        assert await delivered(sender, 1) == [row]
    finally:
        await stop([task])
    assert sender.parts == [row] * 3
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT attempts FROM outbox").fetchall() == [(1,)]


class SlowEverywhere(ScriptedSender):
    """A platform slow to answer in every chat: a stop arrives with several rows in flight."""

    def __init__(self) -> None:
        super().__init__()
        self.flying = 0

    async def deliver(self, message: OutboxMessage) -> str | None:
        self.flying += 1
        await asyncio.sleep(0.2)
        return await super().deliver(message)


async def test_a_stop_lets_every_row_in_flight_be_marked_sent(
    store: SqliteStore, clock: ManualClock
) -> None:
    sender = SlowEverywhere()
    for chat in "abc":
        await queue(store, chat)
    task = asyncio.create_task(OutboxWorker(store, sender, clock).run())
    async with asyncio.timeout(5):
        while sender.flying < 3:  # noqa: ASYNC110 - the sender has no event
            await asyncio.sleep(0.01)
    await stop([task])
    assert len(sender.delivered) == 3
    again = ScriptedSender()
    assert await OutboxWorker(store, again, clock).drain() == 0


async def test_the_simple_path_also_delivers_the_most_urgent_first(
    store: SqliteStore, clock: ManualClock
) -> None:
    sender = ScriptedSender()
    digest = await queue(store, "a", Priority.BACKGROUND)
    crisis = await queue(store, "b", Priority.URGENT)
    assert await OutboxWorker(store, sender, clock).drain() == 2
    assert [row for row, _ in sender.delivered] == [crisis, digest]


async def test_announcements_leave_room_in_a_groups_minute_for_an_urgent_row(
    store: SqliteStore, clock: ManualClock
) -> None:
    sender = ScriptedSender()
    digests = [await queue(store, "group", Priority.BACKGROUND) for _ in range(20)]
    pace = Pace(overall=100, group_per_minute=20, announcements_per_minute=15)
    worker = OutboxWorker(store, sender, clock, pace)
    task = asyncio.create_task(worker.run())
    try:
        assert await delivered(sender, 15) == digests[:15]
        crisis = await queue(store, "group", Priority.URGENT)
        worker.wake.set()
        assert (await delivered(sender, 16))[15] == crisis, "at once, not a minute later"
        await asyncio.sleep(0.1)
    finally:
        await stop([task])
    assert len(sender.delivered) == 16, "the other digests wait for the group's next minute"
