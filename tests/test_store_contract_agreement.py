"""The backends agree: random runs of the outbox, the timers and the inbox, made on the
in-memory store and on SQLite side by side, read back the same after every step. The contract
tests name the promises; this looks for a difference none of them thought of."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.records import DueTimer
from bot.domain.replies import Priority, Reply, Target, Template
from bot.domain.timers import CravingFollowUp
from bot.storage import Transaction
from tests.conftest import BACKENDS, START

PLATFORM = "console"
MINUTES = st.integers(min_value=-5, max_value=30)
ROW = st.integers(min_value=1, max_value=4)
"""An outbox row or timer id; one that does not exist (yet) is part of what is tried."""

OUTBOX_STEPS = st.one_of(
    st.tuples(
        st.just("enqueue"),
        st.sampled_from(["a", "b"]),
        st.sampled_from(list(Priority)),
        st.none() | ROW,
        st.none() | ROW,
    ),
    st.tuples(st.just("sent"), ROW, st.sampled_from(["r1", "r2"])),
    st.tuples(st.just("retry"), ROW, MINUTES),
    st.tuples(st.just("failed"), ROW),
    st.tuples(st.just("forget"), MINUTES),
)
TIMER_AND_INBOX_STEPS = st.one_of(
    st.tuples(st.just("schedule"), st.none() | st.sampled_from(["k1", "k2"]), MINUTES),
    st.tuples(st.just("take"), ROW),
    st.tuples(st.just("postpone"), ROW, MINUTES),
    st.tuples(st.just("cancel"), st.sampled_from(["k1", "k2"])),
    st.tuples(st.just("store"), st.sampled_from(["u1", "u2", "u3"]), st.none() | MINUTES),
    st.tuples(st.just("inbox_failed"), st.sampled_from(["u1", "u2", "u3"]), MINUTES),
    st.tuples(st.just("claim"), st.sampled_from(["u1", "u2", "u3"])),
    st.tuples(st.just("release"), MINUTES),
    st.tuples(st.just("forget"), MINUTES),
)


def at(minutes: int) -> Any:
    return START + timedelta(minutes=minutes)


async def timer(tx: Transaction, rank: int) -> int:
    """The id of the timer ``rank``-th by age (a backend may skip ids), or one that is not."""
    ids = sorted(t.id for t in await tx.timers.due(at(10**6), 50))
    return ids[rank - 1] if rank <= len(ids) else 10**6


def ranked(timers: list[DueTimer], ids: list[int]) -> list[DueTimer]:
    """Timers with their rank by age for an id: which ids a backend gives is its own."""
    return [replace(t, id=ids.index(t.id)) for t in timers]


async def step(tx: Transaction, move: tuple[Any, ...]) -> Any:
    """Make one step; what it returned."""
    kind, *args = move
    if kind == "enqueue":
        chat, priority, follows, edit_of = args
        target = Target(PLATFORM, chat=chat, edit_of=edit_of)
        return await tx.outbox.enqueue(
            Reply(Template.HELP, target, {"chat": chat}, priority=priority),
            "en",
            START,
            follows=follows,
        )
    if kind == "sent":
        return await tx.outbox.mark_sent(args[0], args[1], START)
    if kind == "retry":
        return await tx.outbox.mark_retry(args[0], at(args[1]))
    if kind == "failed":
        return await tx.outbox.mark_failed(args[0], "E", START)
    if kind == "schedule":
        return await tx.timers.schedule(CravingFollowUp(1), at(args[1]), key=args[0])
    if kind == "take":
        return await tx.timers.take(await timer(tx, args[0]))
    if kind == "postpone":
        return await tx.timers.postpone(await timer(tx, args[0]), at(args[1]))
    if kind == "cancel":
        return await tx.timers.cancel(args[0])
    if kind == "store":
        due = None if args[1] is None else at(args[1])
        return await tx.inbox.store(args[0], PLATFORM, "{}", START, due=due)
    if kind == "inbox_failed":
        return await tx.inbox.failed(args[0], "E", START, retry_at=at(args[1]), max_tries=2)
    if kind == "claim":
        return await tx.inbox.claim(args[0], START)
    if kind == "release":
        return await tx.inbox.release(PLATFORM, at(args[0]))
    assert kind == "forget"
    return (
        await tx.outbox.forget_before(at(args[0])),
        await tx.inbox.forget_set_aside_before(at(args[0])),
    )


async def seen(tx: Transaction) -> list[Any]:
    """What the scheduler, the timer loop and the inbox would read now, and a little later."""
    found: list[Any] = []
    ids = sorted(t.id for t in await tx.timers.due(at(10**6), 50))
    for now in (START, at(10), at(40)):
        found += [
            await tx.outbox.pending(PLATFORM, now, 50),
            await tx.outbox.due(PLATFORM, now),
            await tx.outbox.due(PLATFORM, now, newer_than=4, due_since=at(5)),
            ranked(await tx.timers.due(now, 50), ids),
            await tx.inbox.waiting(PLATFORM, 50, due_by=now),
        ]
    found += [
        await tx.outbox.next_attempt(PLATFORM),
        await tx.outbox.messages(list(range(1, 7))),
        [await tx.outbox.target(i) for i in range(1, 7)],
        await tx.outbox.by_ref(PLATFORM, "r1"),
        await tx.timers.next_due(),
        await tx.inbox.waiting(PLATFORM, 50),
        await tx.inbox.next_attempt(PLATFORM),
        await tx.inbox.set_aside_count(PLATFORM),
    ]
    return found


@asynccontextmanager
async def side_by_side(folder: Path) -> AsyncIterator[dict[str, Transaction]]:
    """One open transaction on a new store of every backend."""
    async with AsyncExitStack() as stack:
        opened = {}
        for name, open_store in BACKENDS.items():
            (folder / name).mkdir()
            store = await open_store(folder / name)
            stack.push_async_callback(store.close)
            opened[name] = await stack.enter_async_context(store.transaction())
        yield opened


async def agree(moves: list[tuple[Any, ...]]) -> None:
    """Make ``moves`` on every backend, and compare what each reads back after each."""
    with tempfile.TemporaryDirectory() as folder:
        async with side_by_side(Path(folder)) as txs:
            for n, move in enumerate(moves):
                outcomes = {
                    name: (await step(tx, move), await seen(tx)) for name, tx in txs.items()
                }
                first, *others = outcomes.values()
                for other in others:
                    assert other == first, f"the backends part at step {n}: {move}"


@settings(max_examples=50)
@given(st.lists(OUTBOX_STEPS, min_size=8, max_size=25))
async def test_the_outbox_reads_back_the_same_on_every_backend(
    moves: list[tuple[Any, ...]],
) -> None:
    await agree(moves)


@settings(max_examples=50)
@given(st.lists(TIMER_AND_INBOX_STEPS, min_size=8, max_size=25))
async def test_timers_and_the_inbox_read_back_the_same_on_every_backend(
    moves: list[tuple[Any, ...]],
) -> None:
    await agree(moves)
