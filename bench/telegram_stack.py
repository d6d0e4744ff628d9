"""(d) ``/days`` through the whole Telegram stack, beside a bare python-telegram-bot echo bot.

One fake Bot API (``tests/fakes/telegram.py``) serves on 127.0.0.1 in a process of its own
(``bench.fake_process``), so its work is not charged to the bots, which take turns on it in
this process:

* bare: a python-telegram-bot ``Application`` polled by PTB's own ``Updater``, with one
  ``MessageHandler(filters.COMMAND)`` that answers ``reply_text("x")``: the least a PTB bot does,
  written the way PTB's examples write it;
* ours: python-telegram-bot → ``TelegramAdapter`` (our own getUpdates loop, which stores each
  update in the inbox before confirming it, and asks ``getChatAdministrators`` at most once a
  minute per group who its admins are) → ``Core.handle`` → SQLite (WAL,
  ``synchronous=FULL``, on the ordinary disk) → outbox → ``sendMessage``,
  with the timer loop running beside it, as ``tests/telegram_harness.py`` runs it.

Every ``/days`` comes from a different member of one of a few groups. Our database is bulk-
loaded first with what ``/cleandate`` leaves for each member (without its reply), so each
``/days`` is answered in the group. A wave of updates is pushed at once and timed from the push
to the last ``sendMessage`` arriving at the fake (both by ``time.monotonic``, one clock for
every process on the machine); the CPU time this process spent meanwhile (the bot's, with the
few requests asking the fake what arrived) is divided among the wave's updates. Latency is
timed one update at a time (push, then wait for its ``sendMessage``), since inside a wave it
is mostly the wait in the queue.

The outbox worker keeps to Telegram's limits (30 messages a second overall, one a second in a
chat, 20 a minute in a group), so with them a wave measures the limits, and the bare bot has
none: the compared runs give ours no limits (its pacing code still runs), and a last, short run
measures ours as deployed.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import telegram
from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.receiver import ALLOWED_UPDATES, POLL_TIMEOUT
from adapters.telegram.settings import TelegramSettings
from adapters.telegram.translate import PLATFORM
from bench import sharing
from bench.fake_process import Arrival, RemoteFake, fake_in_its_own_process
from bench.support import NOW, filesystem, ms, on_disk, quantile, until_done
from bot.app import App, bootstrap
from bot.clock import ManualClock
from bot.outbox import Pace
from bot.settings import Settings
from bot.storage.sqlite import SqliteStore
from tests.fakes.fixtures import loopback_request
from tests.fakes.telegram_updates import command, group, user

GROUPS = 10
"""Member ``n`` is in group ``n % GROUPS``, so any first ``10 * k`` members are ``k`` a group."""
GROUP_BASE = -1002000000000
FIRST_USER = 100_000
WAIT = 120.0
"""Longest any wait here may take before the benchmark gives up with an error."""
LOOK_EVERY = 0.01
"""Seconds between two questions to the fake about what arrived."""
UNLIMITED = Pace(overall=1_000_000, per_chat=0.0)
"""The outbox worker's pace with no limits worth the name: its code runs, it never waits."""
POOL = 256
"""Connections each bot may open for its requests, as python-telegram-bot's ApplicationBuilder
gives a deployed bot (the tests' loopback requests default to one)."""
requests = functools.partial(loopback_request, connection_pool_size=POOL)
"""Loopback-only request objects with a deployed bot's pool (the getUpdates one asks for its
own size)."""


@dataclass(frozen=True, slots=True)
class Figures:
    """One bot's wave (all pushed at once) and its one-at-a-time latencies."""

    updates: int
    total: float
    cpu: float
    """CPU seconds this process spent during the wave."""
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.updates / self.total

    @property
    def cpu_per_update(self) -> float:
        return self.cpu / self.updates


@dataclass(frozen=True, slots=True)
class Left:
    """What ours left in its database and asked of the fake, read back after the run."""

    days_sent: int
    other_rows: int
    unsent: int
    inbox: int
    get_chat_member: int


class Watch:
    """What the fake in its own process received, read as it comes."""

    def __init__(self, fake: RemoteFake) -> None:
        self.fake = fake
        self.arrivals: list[Arrival] = []
        self._replies: list[float] = []

    async def calls(self, replies: int = 0) -> list[Arrival]:
        new = await self.fake.calls(len(self.arrivals), replies=replies)
        self.arrivals += new
        self._replies += [a.at for a in new if a.method == "sendMessage" and a.refused is None]
        return self.arrivals

    def replies(self) -> list[float]:
        """When each sendMessage so far arrived."""
        return self._replies

    def count(self, method: str) -> int:
        return sum(a.method == method for a in self.arrivals)

    async def until(self, check: Callable[[], bool]) -> None:
        """Read new arrivals until ``check()`` holds."""
        async with asyncio.timeout(WAIT):
            await self.calls()
            while not check():
                await asyncio.sleep(LOOK_EVERY)
                await self.calls()

    async def replied(self, count: int) -> list[float]:
        """Wait until ``count`` sendMessage calls have arrived in all; return their times.
        The fake waits for them itself, so the asking costs this process one request."""
        async with asyncio.timeout(WAIT):
            while len(self.replies()) < count:
                await self.calls(replies=count)
        return self.replies()


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


async def _polling(watch: Watch, before: int) -> None:
    """Wait for the bot's first getUpdates: it has started and polls."""
    await watch.until(lambda: watch.count("getUpdates") > before)


async def _measure(
    watch: Watch,
    wave: Sequence[int],
    one_by_one: Sequence[int],
    idle: Callable[[], Awaitable[None]],
) -> Figures:
    """Push ``wave`` at once and time it to its last reply; then time each of ``one_by_one``."""
    updates = [_days(number) for number in wave]
    first = len(await watch.replied(0))
    cpu = time.process_time()
    started = time.monotonic()
    await watch.fake.push(*updates)
    replies = await watch.replied(first + len(updates))
    cpu = time.process_time() - cpu
    total = replies[first + len(updates) - 1] - started
    latencies = []
    for number in one_by_one:
        wanted = len(watch.replies()) + 1
        before = time.monotonic()
        await watch.fake.push(_days(number))
        latencies.append((await watch.replied(wanted))[wanted - 1] - before)
    await idle()
    arrived = len(await watch.replied(0)) - first
    if arrived != len(wave) + len(one_by_one):
        raise RuntimeError(f"{arrived} sendMessage calls for {len(wave) + len(one_by_one)} /days")
    return Figures(len(updates), total, cpu, latencies)


async def _confirmed(fake: RemoteFake) -> None:
    """Every pushed update was confirmed, so the next bot on the fake starts with none."""
    async with asyncio.timeout(WAIT):
        while await fake.pending():  # noqa: ASYNC110 - another process: no event to await
            await asyncio.sleep(LOOK_EVERY)


async def _bare(watch: Watch, wave: Sequence[int], one_by_one: Sequence[int]) -> Figures:
    """The bare echo bot: PTB's Updater polls, one handler replies "x"."""
    fake = watch.fake
    application = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(f"{fake.root}/bot")
        .request(requests())
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
    await watch.calls()
    before = watch.count("getUpdates")
    async with application:
        await updater.start_polling(
            timeout=timedelta(seconds=POLL_TIMEOUT), allowed_updates=ALLOWED_UPDATES
        )
        await application.start()
        try:
            await _polling(watch, before)
            return await _measure(watch, wave, one_by_one, lambda: _confirmed(fake))
        finally:
            await updater.stop()
            await application.stop()


async def _settled(app: App, fake: RemoteFake) -> None:
    """Nothing left to send, handle or confirm: stopping now cuts no work short."""
    async with asyncio.timeout(WAIT):
        while True:
            async with app.store.transaction() as tx:
                waiting = await tx.outbox.next_attempt(PLATFORM)
                inbox = await tx.inbox.waiting(PLATFORM, 1)
            if waiting is None and not inbox and not await fake.pending():
                return
            await asyncio.sleep(LOOK_EVERY)


async def _ours(
    watch: Watch,
    path: Path,
    wave: Sequence[int],
    one_by_one: Sequence[int],
    *,
    limits: bool,
) -> tuple[Figures, Left]:
    """The whole stack on a database whose members already have their clean dates."""
    fake = watch.fake
    settings = Settings(
        database=str(path),
        sections=(TelegramSettings(token=fake.token, api_url=fake.root),),
    )
    app = await bootstrap(settings, clock=ManualClock(NOW))
    adapter = TelegramAdapter(
        app, settings, request=requests, **({} if limits else {"pace": UNLIMITED})
    )
    await watch.calls()
    before, asked = watch.count("getUpdates"), watch.count("getChatAdministrators")
    tasks = [asyncio.create_task(adapter.run()), asyncio.create_task(app.timers.run())]
    try:
        await until_done(_polling(watch, before), tasks)
        figures = await until_done(
            _measure(watch, wave, one_by_one, lambda: _settled(app, fake)), tasks
        )
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await app.close()
    await watch.calls()
    return figures, _left(path, watch.count("getChatAdministrators") - asked)


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
        f" = {figures.per_second:,.0f} updates/s, CPU {ms(figures.cpu_per_update)} an update"
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
        " own Updater, in turn on one fake Bot API on 127.0.0.1 in a process of its own;"
        f" {wave:,} updates pushed at once, then {one_by_one:,} one at a time, each from a"
        f" different member of {GROUPS} groups; rate limits off in both, then ours as deployed"
    )
    waves, singles = _members(0, wave), _members(wave, one_by_one)
    with on_disk("ours.db") as ours_db, on_disk("deployed.db") as deployed_db:
        rows, seconds = await _prepare(ours_db, [*waves, *singles])
        await _prepare(deployed_db, _members(0, deployed))
        async with fake_in_its_own_process() as fake:
            watch = Watch(fake)
            bare = await _bare(watch, waves, singles)
            ours, left = await _ours(watch, ours_db, waves, singles, limits=False)
            limited, _ = await _ours(watch, deployed_db, _members(0, deployed), [], limits=True)
        disk = filesystem(ours_db)
    print(
        f"  ours' clean dates: {wave + one_by_one:,} members bulk-loaded in {seconds:.2f} s"
        f" ({rows:,} rows), on {disk}"
    )
    _report("bare PTB echo (reply_text):", bare)
    _report("ours (whole stack):        ", ours)
    print(
        f"  ratio ours / bare: {ours.per_second / bare.per_second:.2f}x the rate;"
        f" latency p50 {quantile(ours.latencies, 0.5) / quantile(bare.latencies, 0.5):.1f}x"
        f" the bare bot's; CPU {ours.cpu_per_update / bare.cpu_per_update:.1f}x an update"
    )
    _report(
        "ours as deployed (30 messages/s overall, one a second a chat, 20 a minute a group;"
        f" {deployed // GROUPS} a group):",
        limited,
    )
    _report_left(left, wave + one_by_one)
