"""The backends agree: random runs of the outbox, the timers and the inbox, and of people and
peer support, made on the in-memory store and on SQLite side by side, read back the same after
every step. The contract tests name the promises; this looks for a difference none of them
thought of."""

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

from bot.domain.model import Community, Person
from bot.domain.records import DueTimer
from bot.domain.replies import Priority, Reply, Target, Template
from bot.domain.timers import CravingFollowUp
from bot.storage import Transaction
from tests.conftest import BACKENDS, START

PLATFORM = "console"
MINUTES = st.integers(min_value=-5, max_value=30)
ROW = st.integers(min_value=1, max_value=4)
"""An outbox row or timer id; one that does not exist (yet) is part of what is tried."""
STALE = st.integers(min_value=0, max_value=1)
"""How many claims behind a timer's latest the fence shown is (1: a process taken over)."""

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
    st.tuples(st.just("lease"), MINUTES, st.sampled_from(["p", "q"])),
    st.tuples(st.just("take"), ROW, STALE),
    st.tuples(st.just("postpone"), ROW, MINUTES, STALE),
    st.tuples(st.just("drop"), ROW, STALE),
    st.tuples(st.just("cancel"), st.sampled_from(["k1", "k2"])),
    st.tuples(st.just("store"), st.sampled_from(["u1", "u2", "u3"]), st.none() | MINUTES),
    st.tuples(st.just("inbox_failed"), st.sampled_from(["u1", "u2", "u3"]), MINUTES),
    st.tuples(st.just("claim"), st.sampled_from(["u1", "u2", "u3"])),
    st.tuples(st.just("release"), MINUTES),
    st.tuples(st.just("forget"), MINUTES),
)


def at(minutes: int) -> Any:
    return START + timedelta(minutes=minutes)


async def timer(tx: Transaction, rank: int, stale: int) -> tuple[int, int]:
    """The id of the timer ``rank``-th by age (a backend may skip ids), or one that is not,
    and its fence less ``stale``."""
    timers = sorted(await tx.timers.due(at(10**6), 50), key=lambda t: t.id)
    if rank > len(timers):
        return 10**6, 1
    return timers[rank - 1].id, timers[rank - 1].fence - stale


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
    if kind == "lease":
        ids = sorted(t.id for t in await tx.timers.due(at(10**6), 50))
        until = at(args[0] + 10)
        return ranked(await tx.timers.claim(at(args[0]), 2, holder=args[1], until=until), ids)
    if kind == "take":
        return await tx.timers.take(*await timer(tx, args[0], args[1]))
    if kind == "postpone":
        return await tx.timers.postpone(*await timer(tx, args[0], args[2]), at(args[1]))
    if kind == "drop":
        return await tx.timers.drop(*await timer(tx, args[0], args[1]))
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


PEOPLE = ("console:a", "console:b", "console:c")
GROUPS = ("console:g", "console:h")
WHO = st.sampled_from(PEOPLE)
WHERE = st.sampled_from(GROUPS)
ROLE = st.sampled_from(["cravings", "calls", "practice"])
RANK = st.integers(min_value=1, max_value=3)
"""A craving or call request by age; a step on one that does not exist is not made."""

SUPPORT_STEPS = st.one_of(
    st.tuples(
        st.just("arrive"),
        WHO,
        st.sampled_from(["X", "Y"]),
        st.none() | WHERE,
        st.booleans(),
        st.booleans(),
        st.none() | st.sampled_from(["k1", "k2"]),
    ),
    st.tuples(st.just("upsert"), WHO, st.sampled_from(["X", "Y"])),
    st.tuples(st.just("timezone"), WHO, st.none() | st.just("Europe/Paris")),
    st.tuples(st.just("private_chat"), WHO, st.booleans()),
    st.tuples(st.just("share"), WHERE, WHO, st.none() | st.booleans()),
    st.tuples(st.just("admin"), WHERE, WHO, st.booleans()),
    st.tuples(st.just("leave"), WHERE, WHO),
    st.tuples(st.just("set_role"), WHERE, WHO, ROLE, st.booleans()),
    st.tuples(st.just("roles"), WHERE, WHO, st.sets(st.sampled_from(["R", "S"]))),
    st.tuples(st.just("pinged"), st.lists(WHO, max_size=3), ROLE, MINUTES),
    st.tuples(st.just("hours"), WHO, st.none() | st.just("22:00-07:00"), st.booleans()),
    st.tuples(st.just("craving"), WHERE, WHO, st.booleans(), MINUTES),
    st.tuples(st.just("claim_craving"), RANK, WHO),
    st.tuples(st.just("outcome"), RANK, st.sampled_from(["passed", "struggling", "used"])),
    st.tuples(st.just("ping_craving"), RANK, st.lists(WHO, max_size=3), st.booleans()),
    st.tuples(st.just("call"), WHERE, WHO, st.booleans(), MINUTES),
    st.tuples(st.just("claim_call"), RANK, WHO, MINUTES),
    st.tuples(st.just("expire_call"), RANK),
)


async def support_step(tx: Transaction, move: tuple[Any, ...]) -> Any:
    """Make one step of the people and peer-support areas; what it returned."""
    kind, *args = move
    cravings = sorted(c.id for c in [await tx.cravings.get(i) for i in range(1, 20)] if c)
    calls = sorted(r.id for r in [await tx.calls.get(i) for i in range(1, 20)] if r)
    if kind == "arrive":
        key, name, group, admin, chat, claim = args
        person = Person(key, PLATFORM, key.split(":")[1], name)
        community = None if group is None else Community(group, PLATFORM, group[-1], "chat")
        return await tx.people.arrive(
            person, community, START, admin=admin, private_chat=chat, claim=claim
        )
    if kind == "upsert":
        return await tx.people.upsert(args[0], PLATFORM, args[0][-1], args[1], START)
    if kind == "timezone":
        return await tx.people.set_timezone(*args)
    if kind == "private_chat":
        return await tx.people.set_private_chat(*args)
    if kind == "share":
        group, key, share = args
        if share is None:
            return await tx.memberships.share_by_default(group, key)
        return await tx.memberships.set_share(group, key, share)
    if kind == "admin":
        return await tx.memberships.set_admin(*args)
    if kind == "leave":
        return await tx.memberships.leave(*args)
    if kind == "set_role":
        return await tx.supporters.set_role(*args)
    if kind == "roles":
        return await tx.roles.replace(*args)
    if kind == "pinged":
        return await tx.supporters.mark_pinged(args[0], args[1], at(args[2]))
    if kind == "hours":
        await tx.supporters.set_hours(args[0], args[1])
        return await tx.supporters.set_urgent(args[0], args[2])
    if kind == "craving":
        group, key, private, minutes = args
        return await tx.cravings.create(group, key, "chat", private, at(minutes))
    if kind == "call":
        group, key, practice, minutes = args
        return await tx.calls.add(group, key, "chat", practice, at(minutes))
    chosen = cravings if kind in ("claim_craving", "outcome", "ping_craving") else calls
    if args[0] > len(chosen):
        return None
    which = chosen[args[0] - 1]
    if kind == "claim_craving":
        return await tx.cravings.claim(which, args[1], START)
    if kind == "outcome":
        return await tx.cravings.set_outcome(which, args[1])
    if kind == "ping_craving":
        return await tx.cravings.record_pings(which, args[1], START, urgent=args[2])
    if kind == "claim_call":
        return await tx.calls.claim(which, args[1], at(args[2]))
    assert kind == "expire_call"
    return await tx.calls.expire(which, START)


async def support_seen(tx: Transaction) -> list[Any]:
    """What the flows would read of every person, community, craving and call request."""
    found: list[Any] = []
    for key in PEOPLE:
        found += [
            await tx.people.get(key),
            await tx.people.private_chat_open(key),
            await tx.memberships.of(key),
            await tx.supporters.hours(key),
            await tx.supporters.urgent(key),
            await tx.cravings.tally(key),
            await tx.calls.counts(key),
            await tx.calls.recent_claimers(key, START),
            await tx.cravings.latest_private_crisis(key, START),
        ]
        for group in GROUPS:
            found += [
                await tx.memberships.get(group, key),
                await tx.supporters.roles(group, key),
                await tx.roles.of(group, key),
                await tx.cravings.latest(key, group, False, START),
                await tx.cravings.latest(key, group, True, START),
                await tx.calls.open_request(group, key, False),
            ]
    for group in GROUPS:
        found += [
            await tx.communities.get(group),
            await tx.memberships.members(group),
            await tx.memberships.admins(group),
            await tx.cravings.count_in(group),
        ]
        for role in ("cravings", "calls", "practice"):
            found.append(await tx.supporters.opted_in(group, role))  # type: ignore[arg-type]
        found.append(await tx.supporters.opted_in(group, "cravings", supporter_role="R"))
    for i in range(1, 20):
        found += [
            await tx.cravings.get(i),
            await tx.cravings.pinged(i),
            await tx.cravings.pinged(i, urgently=True),
            await tx.calls.get(i),
        ]
    return found


@settings(max_examples=50)
@given(st.lists(SUPPORT_STEPS, min_size=8, max_size=25))
async def test_people_and_peer_support_read_back_the_same_on_every_backend(
    moves: list[tuple[Any, ...]],
) -> None:
    arrivals = [
        ("arrive", key, "X", group, False, False, None) for key in PEOPLE for group in GROUPS
    ]
    with tempfile.TemporaryDirectory() as folder:
        async with side_by_side(Path(folder)) as txs:
            for n, move in enumerate(arrivals + moves):
                outcomes = {
                    name: (await support_step(tx, move), await support_seen(tx))
                    for name, tx in txs.items()
                }
                first, *others = outcomes.values()
                for other in others:
                    assert other == first, f"the backends part at step {n}: {move}"
