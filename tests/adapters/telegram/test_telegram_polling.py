"""Long polling against the fake Bot API: what getUpdates hands back that cannot be read never
stops polling, and none of it reaches a log, at any level."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.inbox import MAX_TRIES
from bot.clock import ManualClock
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram import FakeTelegram
from tests.harness import eventually, rows
from tests.telegram_harness import running_adapter, said, texts_in

SAM = tg.user(101, "Sam")
GROUP = tg.group()
GROUP_ID = GROUP["id"]
NO_DATE = "You haven't set a clean date yet."
UNREADABLE = "I couldn't read your last message"
SECRET = "Marigold"
"""A word in the member's text that no log may carry."""


def attempts(database: Path) -> list[tuple[int]]:
    return rows(database, "SELECT attempts FROM inbox")


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Everything logged, messages and tracebacks alike."""
    return caplog.text + "\n".join(r.getMessage() for r in caplog.records)


async def test_one_batch_with_an_unreadable_and_a_nameless_update_answers_the_good_one(
    fake_telegram: FakeTelegram,
    database: Path,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    unreadable = tg.command(GROUP, SAM, f"/days {SECRET} one")
    unreadable["message"]["date"] = f"{SECRET} two"  # PTB cannot read the update
    nameless = tg.command(GROUP, SAM, f"/days {SECRET} three")  # and this has no update_id
    async with running_adapter(fake_telegram, database, clock) as (_, adapter):
        # Queued together, so one getUpdates hands back all three.
        bad = fake_telegram.push(unreadable)
        fake_telegram.push_raw(nameless)
        good = fake_telegram.push(tg.command(GROUP, SAM, "/days"))
        await said(fake_telegram, GROUP_ID, NO_DATE)
        await eventually(lambda: fake_telegram.confirmed == good and not fake_telegram.pending)
        assert bad < good

        for tries in range(1, MAX_TRIES):  # the unreadable one is tried again, then set aside
            await eventually(lambda tries=tries: attempts(database) == [(tries,)])
            clock.advance(timedelta(seconds=30))
            adapter.receiver.inbox.wake()
        await said(fake_telegram, GROUP_ID, UNREADABLE)
        fake_telegram.push(tg.command(GROUP, SAM, "/days"))  # polling goes on
        await eventually(lambda: sum(NO_DATE in t for t in texts_in(fake_telegram, GROUP_ID)) == 2)

    assert rows(database, "SELECT attempts, set_aside_at IS NOT NULL FROM inbox") == [
        (MAX_TRIES, 1)
    ]
    assert "skipped 1 updates without an update id" in logged(caplog)
    assert SECRET not in logged(caplog)


async def test_an_answer_that_is_not_json_is_asked_for_again_and_never_logged(
    fake_telegram: FakeTelegram,
    database: Path,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with running_adapter(fake_telegram, database, clock):
        fake_telegram.garble("getUpdates")  # the long poll waiting now comes back cut in half
        fake_telegram.push(tg.text_message(GROUP, SAM, f"my {SECRET} bloomed"))
        fake_telegram.push(tg.command(GROUP, SAM, "/days"))
        await said(fake_telegram, GROUP_ID, NO_DATE)

    assert "getUpdates failed (TelegramError); trying again in 1 s" in logged(caplog)
    assert SECRET not in logged(caplog)
