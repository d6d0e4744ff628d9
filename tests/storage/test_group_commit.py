"""Group commit on SQLite: events that arrive together share a commit, each behind its own
savepoint, and none of them is done before that commit.

The file is read from a second connection, as another process (or a restart) would see it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.storage.sqlite import SqliteStore
from tests.conftest import START
from tests.harness import rows

EVENTS = 16


def committed(folder: Path, key: str) -> bool:
    """Whether another connection to the file reads the meta row ``key``."""
    return bool(rows(folder / "homegroup.db", "SELECT 1 FROM meta WHERE key = ?", key))


async def test_every_event_of_a_wave_is_committed_when_its_transaction_ends(
    store: SqliteStore, tmp_path: Path
) -> None:
    seen: dict[int, bool] = {}

    async def event(n: int) -> None:
        async with store.transaction() as tx:
            await tx.meta.set(f"event{n}", "kept")
            assert await tx.meta.get(f"event{n}") == "kept"
        seen[n] = committed(tmp_path, f"event{n}")

    await asyncio.gather(*(event(n) for n in range(EVENTS)))
    assert seen == dict.fromkeys(range(EVENTS), True)


async def test_an_event_that_fails_in_a_wave_undoes_its_own_work_alone(
    store: SqliteStore, tmp_path: Path
) -> None:
    failing = {0, 5, 6, 15}  # the first of the wave too, which opened the transaction

    async def event(n: int) -> None:
        async with store.transaction() as tx:
            await tx.meta.set(f"event{n}", "kept")
            await tx.meta.get("anything")  # its write has reached the database
            if n in failing:
                raise RuntimeError("this event's flow failed")

    outcomes = await asyncio.gather(*(event(n) for n in range(EVENTS)), return_exceptions=True)
    assert {n for n, o in enumerate(outcomes) if isinstance(o, RuntimeError)} == failing
    assert [n for n, o in enumerate(outcomes) if o is not None and n not in failing] == []
    kept = {n for n in range(EVENTS) if committed(tmp_path, f"event{n}")}
    assert kept == set(range(EVENTS)) - failing


async def test_a_write_the_database_refuses_fails_its_own_event_alone(
    store: SqliteStore, tmp_path: Path
) -> None:
    async def event(n: int) -> None:
        async with store.transaction() as tx:
            await tx.meta.set(f"event{n}", "kept")
            person = "console:nobody" if n == 3 else f"console:p{n}"
            if n != 3:
                await tx.people.upsert(person, "console", f"p{n}", f"P{n}", START)
            await tx.counters.set(person, "", START.date(), START)  # event 3: no such person

    outcomes = await asyncio.gather(*(event(n) for n in range(8)), return_exceptions=True)
    assert [n for n, o in enumerate(outcomes) if o is not None] == [3]
    assert "FOREIGN KEY" in str(outcomes[3])
    kept = {n for n in range(8) if committed(tmp_path, f"event{n}")}
    assert kept == set(range(8)) - {3}


async def test_a_batch_commits_when_the_event_it_waited_for_gives_up_its_turn(
    store: SqliteStore, tmp_path: Path
) -> None:
    """The first event ends while another waits for its turn, so the batch stays open for
    it; that one is cancelled before its turn comes, and the first must still be committed."""

    async def late() -> None:
        async with store.transaction() as tx:
            await tx.meta.set("late", "never")

    async def first() -> None:
        async with store.transaction() as tx:
            await tx.meta.set("first", "kept")
            waiting.append(asyncio.ensure_future(late()))
            await tx.meta.get("first")  # the late one is waiting for its turn meanwhile
            waiting[0].cancel()

    waiting: list[asyncio.Task[None]] = []
    async with asyncio.timeout(10):
        await first()
    with pytest.raises(asyncio.CancelledError):
        await waiting[0]
    assert committed(tmp_path, "first")
    assert not committed(tmp_path, "late")


async def test_a_wave_cancelled_at_any_moment_leaves_the_store_usable(
    store: SqliteStore, tmp_path: Path
) -> None:
    """A stopping process cancels whatever is in flight: mid-flow, waiting for a turn, waiting
    for the commit, or committing. An event that ended is committed whatever befell the
    others, and every moment leaves the store able to commit the next."""

    async def event(key: str) -> None:
        async with store.transaction() as tx:
            await tx.meta.set(key, "maybe")
            await tx.meta.get(key)

    for moment in range(0, 60, 2):
        wave = [asyncio.ensure_future(event(f"{moment}.{n}")) for n in range(8)]
        for _ in range(moment):
            await asyncio.sleep(0)
        for task in wave:
            task.cancel()
        outcomes = await asyncio.gather(*wave, return_exceptions=True)
        done = [n for n, outcome in enumerate(outcomes) if outcome is None]
        assert [n for n in done if not committed(tmp_path, f"{moment}.{n}")] == []
        async with asyncio.timeout(5), store.transaction() as tx:
            await tx.meta.set(f"after {moment}", "kept")
        assert committed(tmp_path, f"after {moment}")
