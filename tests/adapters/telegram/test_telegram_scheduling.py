"""Telegram's outbox is scheduled, not queued: nobody waits behind another chat, or a digest.

The real sender and the outbox worker against the fake Bot API, which notes when each call
arrived: a chat in its pause or told to wait by a 429 holds no other chat; a crisis line goes
before 500 digests; a chat's rows keep their order and an edit never overtakes its message;
the line pointing a member to their private chat is retried like any row.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram import Bot

from adapters.telegram.dialect import TelegramDialect
from adapters.telegram.sender import PACE, TelegramSender
from bot.clock import ManualClock
from bot.domain.replies import Priority, Reply, Target, Template
from bot.flows.craving import T as Craving
from bot.observe import Unobserved
from bot.outbox import OutboxWorker, Pace, backoff
from bot.render import Renderer
from bot.samples import all_samples, as_sent
from bot.storage.sqlite import SqliteStore
from tests.conftest import START
from tests.fakes import telegram_updates as tg
from tests.fakes.fixtures import loopback_request
from tests.fakes.telegram import Call, FakeTelegram
from tests.harness import eventually, rows, stop
from tests.telegram_harness import running, said, texts_in

SAMPLES = all_samples()
SAM = tg.user(101, "Sam")
GROUP = tg.group()
GROUP_ID = GROUP["id"]


@contextlib.asynccontextmanager
async def worker(
    store: SqliteStore, bot: Bot, clock: ManualClock, pace: Pace
) -> AsyncIterator[OutboxWorker]:
    """The Telegram sender's outbox worker, running on ``store`` at ``pace``."""
    sender = TelegramSender(bot, Renderer(TelegramDialect()), "HomegroupBot", clock.now, pace=pace)
    running_worker = OutboxWorker(store, sender, clock)
    task = asyncio.create_task(running_worker.run())
    try:
        yield running_worker
    finally:
        await stop([task])


async def queue(store: SqliteStore, chat: str, template: str = Template.HELP, **extra: Any) -> int:
    """Queue a reply in a chat (a negative id is a group), as a flow would."""
    target = (
        Target("telegram", chat=chat) if chat.startswith("-") else Target("telegram", person=chat)
    )
    reply = Reply(template, target, **extra)
    async with store.transaction() as tx:
        return await tx.outbox.enqueue(reply, "en", START)


def sent(fake: FakeTelegram) -> list[Call]:
    """The messages the fake accepted, in the order they arrived."""
    return [c for c in fake.calls if c.method == "sendMessage" and c.refused is None]


def arrived(fake: FakeTelegram, chat: int) -> list[float]:
    return [c.at for c in sent(fake) if c.params["chat_id"] == chat]


async def test_a_chat_in_its_pause_does_not_delay_another_chats_message(
    store: SqliteStore, telegram_bot: Bot, fake_telegram: FakeTelegram, clock: ManualClock
) -> None:
    await queue(store, "-100")
    await queue(store, "-100")
    await queue(store, "-200")
    async with worker(store, telegram_bot, clock, PACE):
        await eventually(lambda: len(sent(fake_telegram)) == 3)
    first, second = arrived(fake_telegram, -100)
    (other,) = arrived(fake_telegram, -200)
    assert second - first >= PACE.per_chat, "one chat: a second apart"
    assert other < second, "the other chat did not wait for that second"


async def test_a_chat_told_to_wait_by_a_429_holds_no_other_chat(
    store: SqliteStore,
    telegram_bot: Bot,
    fake_telegram: FakeTelegram,
    clock: ManualClock,
    database: Path,
) -> None:
    fake_telegram.fail("sendMessage", 429, "Too Many Requests: retry after 30", retry_after=30)
    waiting = await queue(store, "-100")
    await queue(store, "-100")
    await queue(store, "-200")
    async with worker(store, telegram_bot, clock, PACE):
        await eventually(lambda: arrived(fake_telegram, -200))
        await asyncio.sleep(0.2)
    assert arrived(fake_telegram, -100) == [], "the chat told to wait sent nothing more"
    assert rows(database, "SELECT attempts FROM outbox WHERE id = ?", waiting) == [(1,)]


async def test_a_crisis_line_queued_behind_500_digests_goes_out_first(
    store: SqliteStore, telegram_bot: Bot, fake_telegram: FakeTelegram, clock: ManualClock
) -> None:
    digest = SAMPLES[Template.MILESTONE_DIGEST][0]
    for group in range(500):
        await queue(
            store,
            f"-{1000 + group}",
            Template.MILESTONE_DIGEST,
            context=digest,
            priority=Priority.BACKGROUND,
        )
    crisis = as_sent(SAMPLES[Craving.CRISIS][0])
    await queue(store, str(SAM["id"]), Craving.CRISIS, context=crisis, priority=Priority.URGENT)
    # One request at a time: whatever goes first went first by choice, not by a race.
    async with worker(store, telegram_bot, clock, Pace(overall=1)):
        await eventually(lambda: len(sent(fake_telegram)) >= 3)
    first, *then = sent(fake_telegram)
    assert first.params["chat_id"] == SAM["id"]
    assert "emergency" in first.params["text"]
    assert all(call.params["chat_id"] < 0 for call in then), "then the digests"


async def test_two_rows_for_one_chat_keep_their_order(
    store: SqliteStore, telegram_bot: Bot, fake_telegram: FakeTelegram, clock: ManualClock
) -> None:
    for template in (Template.HELP, Template.START, Template.DAYS_NONE):
        await queue(store, "-100", template)
        await queue(store, "-200", template)
    async with worker(store, telegram_bot, clock, replace(PACE, per_chat=0.0)):
        await eventually(lambda: len(sent(fake_telegram)) == 6)
    expected = ["When it's hard", "What I keep", "clean date yet"]
    for chat in (-100, -200):
        texts = [c.params["text"] for c in sent(fake_telegram) if c.params["chat_id"] == chat]
        assert [next(w for w in expected if w in t) for t in texts] == expected


async def test_an_edit_never_overtakes_its_message_and_lends_it_its_urgency(
    store: SqliteStore, telegram_bot: Bot, fake_telegram: FakeTelegram, clock: ManualClock
) -> None:
    digest = SAMPLES[Template.MILESTONE_DIGEST][0]
    for _ in range(3):
        await queue(store, "-100")
    original = await queue(
        store, "-100", Template.MILESTONE_DIGEST, context=digest, priority=Priority.BACKGROUND
    )
    edit = Reply(
        Template.TOGETHER,
        Target("telegram", chat="-100", edit_of=original),
        SAMPLES[Template.TOGETHER][2],
        priority=Priority.URGENT,
    )
    async with store.transaction() as tx:
        await tx.outbox.enqueue(edit, "en", START)
    async with worker(store, telegram_bot, clock, replace(PACE, per_chat=0.0)):
        await eventually(lambda: len(sent(fake_telegram)) == 4)
    calls = [c for c in fake_telegram.calls if c.method in ("sendMessage", "editMessageText")]
    assert [c.method for c in calls] == ["sendMessage", "editMessageText"] + ["sendMessage"] * 3
    assert "30 days" in calls[0].params["text"], "the digest went first, for its urgent edit"
    assert len(fake_telegram.messages) == 4, "the edit changed the digest; it sent nothing new"
    assert texts_in(fake_telegram, -100)[0].startswith("Together, 14 of you")


async def test_a_429_on_the_line_pointing_to_the_private_chat_is_retried_and_delivered(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    fake_telegram.blocked.add(SAM["id"])
    # The private question is refused (403: Sam never started the bot); the line in the group
    # that points Sam to the private chat is the next message, and Telegram says wait.
    fake_telegram.fail(
        "sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, after=1
    )
    pointing = "SELECT attempts, sent_at IS NOT NULL FROM outbox WHERE template = ?"
    async with running(fake_telegram, database, clock) as app:
        fake_telegram.push(tg.command(GROUP, SAM, "/cleandate 2026-01-01"))
        await eventually(lambda: rows(database, pointing, "telegram_open_private") == [(1, 0)])
        assert texts_in(fake_telegram, GROUP_ID) == []
        clock.advance(timedelta(seconds=1))
        app.workers["telegram"].wake.set()
        pointer = await said(fake_telegram, GROUP_ID, "Tap below to open our private chat")
    assert pointer["reply_markup"]["inline_keyboard"][0][0]["url"].startswith("https://t.me/")
    assert texts_in(fake_telegram, GROUP_ID) == [pointer["text"]], "once, and nothing else"
    assert rows(database, pointing, "telegram_open_private") == [(2, 1)]
    refused = [c.refused for c in fake_telegram.calls if c.method == "sendMessage"]
    assert refused == [403, 429, None]


class Doubts(Unobserved):
    """An observer that notes each row that may reach its platform twice."""

    def __init__(self) -> None:
        self.maybe: list[tuple[str, str]] = []

    def maybe_twice(self, platform: str, reason: str) -> None:
        self.maybe.append((platform, reason))


async def test_a_message_telegram_took_but_answered_too_late_is_sent_again_and_counted(
    store: SqliteStore, fake_telegram: FakeTelegram, clock: ManualClock, database: Path
) -> None:
    """Telegram has no way to send a message once only: after a read timeout the message may
    be there or not, and a craving shown twice beats one never shown. So it is sent again,
    and counted as one that may show twice (a refused connection would not be)."""
    row = await queue(store, "-100")
    fake_telegram.stall("sendMessage")
    slow = Bot(
        token=fake_telegram.token,
        base_url=fake_telegram.base_url,
        request=loopback_request(read_timeout=0.2),
    )
    doubts = Doubts()
    async with slow:
        sender = TelegramSender(slow, Renderer(TelegramDialect()), "HomegroupBot", clock.now)
        task = asyncio.create_task(OutboxWorker(store, sender, clock, observer=doubts).run())
        try:
            await eventually(lambda: doubts.maybe)
            fake_telegram.release("sendMessage")
            clock.advance(timedelta(seconds=backoff(0)))
            await eventually(lambda: rows(database, "SELECT sent_at FROM outbox")[0][0])
        finally:
            await stop([task])
    assert [c.params["chat_id"] for c in sent(fake_telegram)] == [-100, -100], "taken twice"
    assert doubts.maybe == [("telegram", "unsure")]
    assert rows(database, "SELECT id, attempts FROM outbox") == [(row, 2)]
