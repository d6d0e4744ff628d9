"""The storage contract, inbox: an update is kept until its effect commits, tried again when
handling it fails, set aside after too many tries, and an inbound is handled once."""

from __future__ import annotations

from datetime import timedelta

from bot.storage import Store
from tests.conftest import START

LATER = START + timedelta(hours=1)


async def test_stored_updates_wait_oldest_first_until_handled(store: Store) -> None:
    async with store.transaction() as tx:
        stored = await tx.inbox.store_all(
            [("u:2", '{"n": 2}'), ("u:1", '{"n": 1}'), ("u:2", "again")], "console", START
        )
        assert stored == [True, True, False], "an update is kept once"
        assert await tx.inbox.store("u:0", "console", "{}", START - timedelta(minutes=1))
        assert not await tx.inbox.store("u:0", "console", "{}", START)
        assert await tx.inbox.store("x:1", "elsewhere", "{}", START)
        assert await tx.inbox.waiting("console", 10) == [
            ("u:0", "{}", 0),
            ("u:1", '{"n": 1}', 0),
            ("u:2", '{"n": 2}', 0),
        ]
        assert await tx.inbox.waiting("console", 1) == [("u:0", "{}", 0)]
        assert await tx.inbox.claim("u:1", START)
        assert not await tx.inbox.store("u:1", "console", "{}", START), "handled already"
        await tx.inbox.drop("u:0", "never-stored")
        assert await tx.inbox.waiting("console", 10) == [("u:2", '{"n": 2}', 0)]
    async with store.transaction() as tx:
        assert await tx.inbox.waiting("console", 10) == [("u:2", '{"n": 2}', 0)]
        assert await tx.inbox.waiting("elsewhere", 10) == [("x:1", "{}", 0)]


async def test_an_update_its_receiver_holds_waits_until_released(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.inbox.store("u:1", "console", "{}", START, due=LATER)
        await tx.inbox.store("u:2", "console", "{}", START)
        due_now = await tx.inbox.waiting("console", 10, due_by=START)
        assert [key for key, _, _ in due_now] == ["u:2"]
        assert [key for key, _, _ in await tx.inbox.waiting("console", 10)] == ["u:1", "u:2"]
        assert await tx.inbox.next_attempt("console") == LATER
        assert await tx.inbox.release("console", START) == 1, "its receiver is gone"
        assert await tx.inbox.next_attempt("console") == START
        due_now = await tx.inbox.waiting("console", 10, due_by=START)
        assert [key for key, _, _ in due_now] == ["u:1", "u:2"]
        assert await tx.inbox.release("console", START) == 0


async def test_a_failing_update_is_tried_again_then_set_aside(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.inbox.store("u:1", "console", "{}", START)
        tried = await tx.inbox.failed("u:1", "ValueError", START, retry_at=LATER, max_tries=2)
        assert tried == (1, False)
        assert await tx.inbox.waiting("console", 10, due_by=START) == []
        assert await tx.inbox.waiting("console", 10, due_by=LATER) == [("u:1", "{}", 1)]
        assert await tx.inbox.set_aside_count("console") == 0
        again = LATER + timedelta(hours=1)
        tried = await tx.inbox.failed("u:1", "ValueError", LATER, retry_at=again, max_tries=2)
        assert tried == (2, True)
        assert await tx.inbox.set_aside_count("console") == 1
        assert await tx.inbox.set_aside_count("elsewhere") == 0
        assert await tx.inbox.waiting("console", 10) == [], "set aside: never in the way"
        assert await tx.inbox.next_attempt("console") is None
        assert await tx.inbox.failed("u:1", "E", again, retry_at=again, max_tries=2) == (0, False)
        assert await tx.inbox.failed("gone", "E", again, retry_at=again, max_tries=2) == (0, False)
        assert await tx.inbox.forget_set_aside_before(LATER) == 0
        assert await tx.inbox.forget_set_aside_before(LATER + timedelta(seconds=1)) == 1
        assert await tx.inbox.set_aside_count("console") == 0


async def test_dedupe_keys_are_forgotten_once_old(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.inbox.claim("old", START)
        await tx.inbox.claim("new", LATER)
        assert await tx.inbox.forget_handled_before(LATER) == 1
        assert await tx.inbox.claim("old", LATER), "forgotten: handled as new"
        assert not await tx.inbox.claim("new", LATER)
