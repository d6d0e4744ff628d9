"""Poison in, nobody else blocked: odd text is answered, a failing update is set aside.

The real Telegram adapter against the fake Bot API. A name or note holding a lone surrogate
(which SQLite cannot encode) is answered; an update that cannot be read is tried again after a
pause, then set aside in the inbox while the next ones go on, and its member is told once; set
aside updates at the head of the inbox never stand in front of new ones.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.inbox import MAX_TRIES
from adapters.legible import legible
from adapters.telegram.translate import PLATFORM, dedupe_key
from bot.clock import ManualClock
from bot.storage.sqlite import SqliteStore
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram import FakeTelegram
from tests.harness import eventually, rows
from tests.telegram_harness import running, running_adapter, said, texts_in

SAM = tg.user(101, "Sam")
JO = tg.user(404, "Jo\ud800")
"""A name with a lone surrogate, as Telegram's JSON can carry it ("\\ud800")."""
GROUP = tg.group()
GROUP_ID = GROUP["id"]
NO_DATE = "You haven't set a clean date yet."
UNREADABLE = "I couldn't read your last message"


def test_text_is_made_legible_only_where_it_must_be() -> None:
    assert legible("Jo\ud800") == "Jo\ufffd"
    assert legible("nul\x00here") == "nul\ufffdhere"
    assert legible("a\ud83d\ude00b") == "a\U0001f600b"  # a pair stands for its character
    assert legible("Zoë 😀 <b>") == "Zoë 😀 <b>"
    assert legible("\udfff\ud800").encode() == "\ufffd\ufffd".encode()


async def test_a_name_and_a_note_with_a_lone_surrogate_are_answered(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    async with running(fake_telegram, database, clock):
        fake_telegram.push(tg.command(GROUP, JO, "/days"))
        await said(fake_telegram, GROUP_ID, NO_DATE)
        fake_telegram.push(tg.command(GROUP, JO, "/craving bad\ud800 night"))
        answer = await said(fake_telegram, GROUP_ID, "Thank you for saying it, Jo\ufffd")
        fake_telegram.push(tg.command(tg.private_chat(JO), JO, "/days"))
        await said(fake_telegram, JO["id"], NO_DATE)

    assert "\ufffd" in answer["text"]
    assert rows(database, "SELECT name FROM people WHERE key = ?", "telegram:404") == [
        ("Jo\ufffd",)
    ]
    assert rows(database, "SELECT key FROM inbox") == []


def unreadable_days(update_id: int) -> dict[str, Any]:
    """Sam's ``/days`` with a date PTB cannot parse: no handler ever sees it."""
    update = tg.command(GROUP, SAM, "/days")
    update["message"]["date"] = "yesterday"
    return {**update, "update_id": update_id}


async def test_an_update_that_cannot_be_read_is_set_aside_and_its_member_told_once(
    fake_telegram: FakeTelegram,
    database: Path,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    key = dedupe_key(7)
    async with running_adapter(fake_telegram, database, clock) as (_, adapter):
        await adapter.receiver.store([unreadable_days(7)])
        await eventually(lambda: rows(database, "SELECT attempts FROM inbox") == [(1,)])
        # While it waits for its next try, the next update goes on at once.
        fake_telegram.push(tg.command(GROUP, SAM, "/help"))
        await said(fake_telegram, GROUP_ID, "Here for you, one day at a time.")
        for tries in range(2, MAX_TRIES + 1):  # each try waits longer than the one before
            clock.advance(timedelta(seconds=30))
            adapter.receiver.inbox.wake()
            await eventually(
                lambda tries=tries: rows(database, "SELECT attempts FROM inbox") == [(tries,)]
            )
        told = await said(fake_telegram, GROUP_ID, UNREADABLE)
        clock.advance(timedelta(hours=1))
        adapter.receiver.inbox.wake()
        fake_telegram.push(tg.command(GROUP, SAM, "/days"))
        await said(fake_telegram, GROUP_ID, NO_DATE)

    assert told["text"].startswith("Sam, sorry")
    assert sum(UNREADABLE in text for text in texts_in(fake_telegram, GROUP_ID)) == 1
    ((attempts, reason, aside),) = rows(
        database, "SELECT attempts, reason, set_aside_at IS NOT NULL FROM inbox WHERE key = ?", key
    )
    assert (attempts, reason, aside) == (MAX_TRIES, "TypeError", 1)
    mine = [r for r in caplog.records if r.name == "adapters.inbox"]
    assert sum(r.exc_info is not None for r in mine) == 1  # one traceback, not one per try
    (warning,) = [r for r in mine if r.levelno == logging.WARNING]
    assert "set aside after 5 tries (TypeError)" in warning.getMessage()
    assert "1 telegram updates set aside" in warning.getMessage()
    for record in caplog.records:
        assert "/days" not in record.getMessage()


async def test_a_chat_message_that_fails_is_set_aside_without_a_word_to_anyone(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    """Nobody asked the bot anything: there is nobody to tell."""
    chatter = {**tg.text_message(GROUP, SAM, "just chatting"), "update_id": 8}
    chatter["message"]["date"] = "yesterday"
    async with running_adapter(fake_telegram, database, clock) as (_, adapter):
        await adapter.receiver.store([chatter])
        for tries in range(1, MAX_TRIES + 1):
            await eventually(
                lambda tries=tries: rows(database, "SELECT attempts FROM inbox") == [(tries,)]
            )
            clock.advance(timedelta(seconds=30))
            adapter.receiver.inbox.wake()
        fake_telegram.push(tg.command(GROUP, SAM, "/days"))
        await said(fake_telegram, GROUP_ID, NO_DATE)

    assert texts_in(fake_telegram, GROUP_ID) == [texts_in(fake_telegram, GROUP_ID)[0]]
    assert rows(database, "SELECT set_aside_at IS NOT NULL FROM inbox") == [(1,)]


async def set_aside(database: Path, clock: ManualClock, count: int) -> None:
    """``count`` of Sam's ``/days`` at the head of the inbox, each set aside after failing."""
    store = await SqliteStore.open(database)
    try:
        async with store.transaction() as tx:
            for update_id in range(1, count + 1):
                key = dedupe_key(update_id)
                payload = json.dumps(unreadable_days(update_id))
                earlier = clock.now() - timedelta(hours=1)
                await tx.inbox.store(key, PLATFORM, payload, earlier)
                await tx.inbox.failed(key, "TypeError", earlier, retry_at=earlier, max_tries=1)
    finally:
        await store.close()


async def test_150_set_aside_updates_at_the_head_of_the_inbox_do_not_stop_a_new_days(
    fake_telegram: FakeTelegram,
    database: Path,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await set_aside(database, clock, 150)
    fake_telegram.push({**tg.command(GROUP, SAM, "/days"), "update_id": 151})
    async with running(fake_telegram, database, clock):
        await said(fake_telegram, GROUP_ID, NO_DATE)

    assert texts_in(fake_telegram, GROUP_ID) == [texts_in(fake_telegram, GROUP_ID)[0]]
    assert rows(database, "SELECT COUNT(*), MIN(attempts) FROM inbox") == [(150, 1)]
    assert any(
        r.levelno == logging.WARNING and "150 telegram updates are set aside" in r.getMessage()
        for r in caplog.records
    )


# -- the inbox in the store -----------------------------------------------------------------


async def test_a_lone_surrogate_reaches_the_inbox_as_an_escape_and_comes_back(
    store: SqliteStore, clock: ManualClock
) -> None:
    """``json.dumps`` keeps ``\\ud800`` as an escape, which any database takes; the text itself
    could not be stored (its UTF-8 encoding raises), so it is made legible before it is kept."""
    update = {"update_id": 1, "message": {"from": {"first_name": "Jo\ud800"}}}
    with pytest.raises(UnicodeEncodeError):
        "Jo\ud800".encode()
    async with store.transaction() as tx:
        await tx.inbox.store("telegram:update:1", PLATFORM, json.dumps(update), clock.now())
        ((_, payload, _),) = await tx.inbox.waiting(PLATFORM, 10, clock.now())
    name = json.loads(payload)["message"]["from"]["first_name"]
    assert name == "Jo\ud800"
    assert legible(name).encode() == "Jo\ufffd".encode()


async def test_the_inbox_hands_out_only_what_is_due_and_never_what_was_set_aside(
    store: SqliteStore, clock: ManualClock
) -> None:
    now = clock.now()
    later = now + timedelta(seconds=60)
    async with store.transaction() as tx:
        for key in ("a", "b", "c", "d"):
            await tx.inbox.store(key, PLATFORM, "{}", now)
        await tx.inbox.store("held", PLATFORM, "{}", now, due=later)
        assert await tx.inbox.failed("a", "TypeError", now, retry_at=later, max_tries=2) == (
            1,
            False,
        )
        assert await tx.inbox.failed("b", "TypeError", now, retry_at=now, max_tries=1) == (
            1,
            True,
        )
        assert await tx.inbox.failed("gone", "TypeError", now, retry_at=now, max_tries=1) == (
            0,
            False,
        )
        due = [key for key, _, _ in await tx.inbox.waiting(PLATFORM, 10, now)]
        assert due == ["c", "d"]
        assert [key for key, _, _ in await tx.inbox.waiting(PLATFORM, 10)] == [
            "a",
            "c",
            "d",
            "held",
        ]
        assert await tx.inbox.next_attempt(PLATFORM) == later
        assert await tx.inbox.set_aside_count(PLATFORM) == 1
        assert await tx.inbox.release(PLATFORM, now) == 2  # "a" and "held": due now
        assert [key for key, _, _ in await tx.inbox.waiting(PLATFORM, 10, now)] == [
            "a",
            "c",
            "d",
            "held",
        ]


async def test_an_update_handled_before_is_not_stored_again(
    store: SqliteStore, clock: ManualClock
) -> None:
    async with store.transaction() as tx:
        assert await tx.inbox.claim("telegram:update:9", clock.now())
        assert not await tx.inbox.store("telegram:update:9", PLATFORM, "{}", clock.now())
        assert await tx.inbox.store("telegram:update:10", PLATFORM, "{}", clock.now())
        assert not await tx.inbox.store("telegram:update:10", PLATFORM, "{}", clock.now())
        assert [key for key, _, _ in await tx.inbox.waiting(PLATFORM, 10)] == ["telegram:update:10"]
