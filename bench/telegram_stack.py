"""(d) ``/days`` through the whole Telegram stack, beside a bare python-telegram-bot echo bot.

One fake Bot API (``tests/fakes/telegram.py``) serves on 127.0.0.1 in this process, and the bots
take turns on it:

* bare: a python-telegram-bot ``Application`` polled by PTB's own ``Updater``, with one
  ``MessageHandler(filters.COMMAND)`` that answers ``reply_text("x")``: the least a PTB bot does,
  written the way PTB's examples write it;
* ours: python-telegram-bot → ``TelegramAdapter`` (our own getUpdates loop, which stores each
  update in the inbox before confirming it, and asks ``getChatAdministrators`` at most once a
  minute per group who its admins are) → ``Core.handle`` → SQLite (WAL,
  ``synchronous=FULL``) → outbox → ``sendMessage``,
  with the timer loop running beside it, as ``tests/telegram_harness.py`` runs it.

Every ``/days`` comes from a different member of one of a few groups. Our database is bulk-
loaded first with what ``/cleandate`` leaves for each member (without its reply), so each
``/days`` is answered in the group. A wave of updates is pushed at once and timed from the push
to the last ``sendMessage`` arriving at the fake; latency is timed one update at a time (push,
then wait for its ``sendMessage``), since inside a wave it is mostly the wait in the queue.

The outbox worker keeps to Telegram's limits (30 requests a second overall, one a second in a
chat, 20 a minute per group), so with them a wave measures the limits, and the bare bot has
none: the compared runs lift ours (``UNLIMITED``), and a last, short run measures ours as
deployed. The fake shares the process and event loop, so its own work
counts in both bots' times.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import telegram
from telegram import Update
from telegram.ext import (
    ApplicationBuilder,
    ContextTypes,
    MessageHandler,
    filters,
)

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.receiver import ALLOWED_UPDATES, POLL_TIMEOUT
from adapters.telegram.translate import PLATFORM
from bench import sharing
from bench.support import NOW, ms, quantile, until_done
from bot.app import App, bootstrap
from bot.clock import ManualClock
from bot.outbox import Pace
from bot.settings import Settings
from bot.storage.sqlite import SqliteStore
from tests.fakes.fixtures import loopback_request
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_updates import command, group, user

GROUPS = 10
"""Member ``n`` is in group ``n % GROUPS``, so any first ``10 * k`` members are ``k`` a group."""
GROUP_BASE = -1002000000000
FIRST_USER = 100_000
WAIT = 120.0
"""Longest any wait here may take before the benchmark gives up with an error."""
UNLIMITED = Pace(overall=1_000_000)
"""Limits the outbox worker never reaches: it sends as soon as a row is due."""

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Figures:
    """One bot's wave (all pushed at once) and its one-at-a-time latencies."""

    updates: int
    total: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.updates / self.total


@dataclass(frozen=True, slots=True)
class Left:
    """What ours left in its database and asked of the fake, read back after the run."""

    days_sent: int
    other_rows: int
    unsent: int
    inbox: int
    get_chat_member: int


class TimedFake(FakeTelegram):
    """The fake Bot API, noting when each ``sendMessage`` arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[float] = []
        self._replied = asyncio.Event()

    async def _sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        self.arrivals.append(time.perf_counter())
        self._replied.set()
        return await super()._sendMessage(params)

    async def replies(self, count: int) -> None:
        """Wait until ``count`` sendMessage calls have arrived in all."""
        async with asyncio.timeout(WAIT):
            while len(self.arrivals) < count:
                self._replied.clear()
                await self._replied.wait()

    def count(self, method: str) -> int:
        return len(self.of(method))


def _chat_id(number: int) -> int:
    return GROUP_BASE - number % GROUPS


def _user_id(number: int) -> int:
    return FIRST_USER + number


def _days(number: int) -> dict[str, Any]:
    chat = group(_chat_id(number), f"Group {number % GROUPS}")
    return command(chat, user(_user_id(number), sharing.name(number)), "/days")


def load(path: Path, members: Sequence[int]) -> int:
    """What ``/cleandate`` leaves for each member, in their group (see ``bench.sharing``)."""
    return sharing.load(
        path,
        PLATFORM,
        [sharing.Member(n, str(_user_id(n)), str(_chat_id(n)), str(_chat_id(n))) for n in members],
    )


async def _until(check: Callable[[], bool]) -> None:
    """Wait until ``check()`` is true, looking every 10 ms."""
    async with asyncio.timeout(WAIT):
        while not check():  # noqa: ASYNC110 - the fake's state has no event to await
            await asyncio.sleep(0.01)


async def _polling(fake: TimedFake, before: int) -> None:
    """Wait for the bot's first getUpdates: it has started and polls."""
    await _until(lambda: fake.count("getUpdates") > before)


async def _measure(
    fake: TimedFake,
    wave: Sequence[int],
    one_by_one: Sequence[int],
    idle: Callable[[], Awaitable[None]],
) -> Figures:
    """Push ``wave`` at once and time it to its last reply; then time each of ``one_by_one``."""
    updates = [_days(number) for number in wave]
    first = len(fake.arrivals)
    started = time.perf_counter()
    for update in updates:
        fake.push(update)
    await fake.replies(first + len(updates))
    total = fake.arrivals[first + len(updates) - 1] - started
    latencies = []
    for number in one_by_one:
        update, wanted = _days(number), len(fake.arrivals) + 1
        before = time.perf_counter()
        fake.push(update)
        await fake.replies(wanted)
        latencies.append(fake.arrivals[wanted - 1] - before)
    await idle()
    arrived = len(fake.arrivals) - first
    if arrived != len(wave) + len(one_by_one):
        raise RuntimeError(f"{arrived} sendMessage calls for {len(wave) + len(one_by_one)} /days")
    return Figures(len(updates), total, latencies)


async def _confirmed(fake: TimedFake) -> None:
    """Every pushed update was confirmed, so the next bot on the fake starts with none."""
    await _until(lambda: not fake.pending)


async def _bare(fake: TimedFake, wave: Sequence[int], one_by_one: Sequence[int]) -> Figures:
    """The bare echo bot: PTB's Updater polls, one handler replies "x"."""
    application = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .request(loopback_request())
        .get_updates_request(
            loopback_request(connection_pool_size=1, read_timeout=POLL_TIMEOUT + 10)
        )
        .build()
    )

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.message is not None:
            await update.message.reply_text("x")

    application.add_handler(MessageHandler(filters.COMMAND, echo))
    updater = application.updater
    assert updater is not None
    before = fake.count("getUpdates")
    async with application:
        await updater.start_polling(
            timeout=timedelta(seconds=POLL_TIMEOUT), allowed_updates=ALLOWED_UPDATES
        )
        await application.start()
        try:
            await _polling(fake, before)
            return await _measure(fake, wave, one_by_one, lambda: _confirmed(fake))
        finally:
            await updater.stop()
            await application.stop()


async def _settled(app: App, fake: TimedFake) -> None:
    """Nothing left to send, handle or confirm: stopping now cuts no work short."""
    async with asyncio.timeout(WAIT):
        while True:
            async with app.store.transaction() as tx:
                waiting = await tx.next_outbox_attempt(PLATFORM)
                inbox = await tx.inbox(PLATFORM, 1)
            if waiting is None and not inbox and not fake.pending:
                return
            await asyncio.sleep(0.01)


async def _ours(
    fake: TimedFake,
    path: Path,
    wave: Sequence[int],
    one_by_one: Sequence[int],
    *,
    limits: bool,
) -> tuple[Figures, Left]:
    """The whole stack on a database whose members already have their clean dates."""
    settings = Settings(database=str(path), telegram_token=fake.token, telegram_api_url=fake.root)
    app = await bootstrap(settings, clock=ManualClock(NOW))
    adapter = TelegramAdapter(
        app, settings, request=loopback_request, **({} if limits else {"pace": UNLIMITED})
    )
    before, asked = fake.count("getUpdates"), fake.count("getChatAdministrators")
    tasks = [asyncio.create_task(adapter.run()), asyncio.create_task(app.timers.run())]
    try:
        await until_done(_polling(fake, before), tasks)
        figures = await until_done(
            _measure(fake, wave, one_by_one, lambda: _settled(app, fake)), tasks
        )
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await app.close()
    return figures, _left(path, fake.count("getChatAdministrators") - asked)


def _left(path: Path, get_chat_member: int) -> Left:
    with closing(sqlite3.connect(path)) as db:

        def count(sql: str, *params: object) -> int:
            return int(db.execute(sql, params).fetchone()[0])

        return Left(
            **sharing.outbox_left(db),
            inbox=count("SELECT COUNT(*) FROM inbox"),
            get_chat_member=get_chat_member,
        )


def _members(start: int, count: int) -> range:
    return range(start, start + count)


async def _prepare(path: Path, members: Sequence[int]) -> tuple[int, float]:
    """Create the schema, then load the members; return the rows written and the seconds."""
    await (await SqliteStore.open(path)).close()  # the migrations create the schema
    started = time.perf_counter()
    rows = load(path, members)
    return rows, time.perf_counter() - started


def _report(label: str, figures: Figures) -> None:
    line = (
        f"  {label} {figures.updates:,} updates in {figures.total:.2f} s"
        f" = {figures.per_second:,.0f} updates/s"
    )
    if figures.latencies:
        line += (
            f"; one at a time ({len(figures.latencies):,}): latency p50"
            f" {ms(quantile(figures.latencies, 0.50))}, p99 {ms(quantile(figures.latencies, 0.99))}"
        )
    print(line)


def _report_left(left: Left, expected: int) -> None:
    print(
        f"  ours left: {left.days_sent:,} of {expected:,} /days replies sent,"
        f" {left.other_rows:,} other outbox rows, {left.unsent:,} unsent,"
        f" {left.inbox:,} updates in the inbox; it asked getChatAdministrators"
        f" {left.get_chat_member:,} times"
    )


async def run(wave: int, one_by_one: int, deployed: int) -> None:
    if not 0 < deployed <= 10 * GROUPS:
        raise ValueError(f"deployed must be between 1 and {10 * GROUPS}: 10 a group at most")
    os.environ["PTB_TIMEDELTA"] = "true"  # PTB 22.2+ warns on RetryAfter without it
    print(
        f"(d) /days through the whole Telegram stack (PTB {telegram.__version__} -> adapter ->"
        " core -> SQLite -> outbox -> sendMessage) beside a bare PTB echo bot polled by PTB's"
        f" own Updater, in turn on one fake Bot API on 127.0.0.1 in this process;"
        f" {wave:,} updates pushed at once, then {one_by_one:,} one at a time, each from a"
        f" different member of {GROUPS} groups; rate limits off in both, then ours as deployed"
    )
    waves, singles = _members(0, wave), _members(wave, one_by_one)
    with tempfile.TemporaryDirectory(prefix="homegroup-bench-") as folder:
        ours_db, deployed_db = Path(folder) / "ours.db", Path(folder) / "deployed.db"
        rows, seconds = await _prepare(ours_db, [*waves, *singles])
        await _prepare(deployed_db, _members(0, deployed))
        async with TimedFake() as fake:
            bare = await _bare(fake, waves, singles)
            ours, left = await _ours(fake, ours_db, waves, singles, limits=False)
            limited, _ = await _ours(fake, deployed_db, _members(0, deployed), [], limits=True)
    print(
        f"  ours' clean dates: {wave + one_by_one:,} members bulk-loaded in {seconds:.2f} s"
        f" ({rows:,} rows)"
    )
    _report("bare PTB echo (reply_text):", bare)
    _report("ours (whole stack):        ", ours)
    print(
        f"  ratio ours / bare: {ours.per_second / bare.per_second:.2f}x the rate;"
        f" latency p50 {quantile(ours.latencies, 0.5) / quantile(bare.latencies, 0.5):.1f}x"
        " the bare bot's"
    )
    _report(
        "ours as deployed (the outbox's pace: 30 requests/s overall, 20 a minute per group;"
        f" {deployed // GROUPS} a group):",
        limited,
    )
    _report_left(left, wave + one_by_one)
