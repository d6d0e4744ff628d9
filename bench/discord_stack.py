"""(e) ``/days`` through the whole Discord stack, beside a bare discord.py bot.

One fake Discord (``tests/fakes/discord.py``: REST and gateway) serves on 127.0.0.1 in a
process of its own (``bench.discord_process``), so its work is not charged to the bots, which
take turns on it in this process:

* bare: a ``discord.Client`` with an ``app_commands.CommandTree`` holding one ``/days`` that
  answers ``interaction.response.send_message("x")``, synced with ``tree.sync()`` in
  ``setup_hook``: the least a discord.py bot with a slash command does, written the way
  discord.py's examples write it;
* ours: discord.py → ``DiscordAdapter`` (which translates the interaction and arms a guard that
  defers it if no answer is ready within 1.5 s) → ``Core.handle`` → SQLite (WAL,
  ``synchronous=FULL``) → outbox → the Discord sender, which sends the first reply queued for
  an interaction as its response (callback type 4, ephemeral in a server),
  with the timer loop running beside it, as ``tests/discord_harness.py`` runs it, and the
  outbox worker's cap (``PACE``: 1,000 requests a second) lifted, as the bare bot has none.
  Discord's global limit of 50 a second, which the sender keeps request by request, holds
  neither bot back: interaction answers are not bound by it.

Every ``/days`` comes from a different member, in the one channel of one of a few servers. Our
database is bulk-loaded first with what ``/cleandate`` leaves for each member (without its
reply), so each ``/days`` is answered with the member's days.

* A wave of interactions is sent at once (each INTERACTION_CREATE as fast as the fake writes
  it) and timed from the first INTERACTION_CREATE to the last answer reaching the fake: the
  callback that carries it (type 4, for both bots), or, when ours deferred, the follow-up.
* Latency is timed one interaction at a time, from sending INTERACTION_CREATE to the callback
  arriving (the acknowledgement Discord wants within 3 s), by the fake's loop clock; after
  each, the run waits until ours' outbox has nothing left to send, so the next does not queue
  behind the last one's bookkeeping. Inside a wave latency is mostly the wait in the queue.
* A burst, larger than a wave, shows what happens past ours' 1.5 s: how many interactions
  each bot answered, how many ours deferred, and how many were not acknowledged within 3 s
  (the fake then refuses the callback, as Discord does, and the member reads "The
  application did not respond").

Beside each wave's rate, the CPU time this process spent from its first INTERACTION_CREATE
to its last answer (the bot's, with the one request that waits for the fake to say every
interaction settled) is divided among its interactions.
"""

from __future__ import annotations

# Importing the fake's fixtures first filters discord's audioop warning.
from adapters.discord.settings import DiscordSettings
from tests.fakes.discord_fixtures import client_options, running

# isort: split

import asyncio
import contextlib
import dataclasses
import logging
import sqlite3
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import discord
import discord.gateway
import discord.http
import yarl
from discord import app_commands

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.translate import PLATFORM
from adapters.platforms import every_platform
from bench import sharing
from bench.discord_process import Answer, RemoteDiscord, discord_in_its_own_process
from bench.support import NOW, filesystem, ms, on_disk, quantile, until_done
from bot.app import App, bootstrap
from bot.clock import ManualClock
from bot.outbox import Pace
from bot.settings import Settings
from bot.storage.sqlite import SqliteStore

GUILDS = 10
"""Member ``n`` is in server ``n % GUILDS``, and uses ``/days`` in its one channel."""
GUILD_BASE = 600_000_000_000_000_000
CHANNEL_BASE = 610_000_000_000_000_000
FIRST_USER = 700_000_000_000_000_000
WAIT = 120.0
"""Longest any wait here may take before the benchmark gives up with an error."""
ACK_DEADLINE = 3.0
"""Discord's: the fake refuses a callback later than this after INTERACTION_CREATE."""
GRACE = 0.05
"""Seconds past the ack deadline to wait for a callback already judged on arrival."""
ACK = 4
DEFER = 5
EPHEMERAL = 1 << 6
UNLIMITED = Pace(overall=1_000_000)
"""The outbox worker's pace with no limits worth the name: its code runs, it never waits."""
"""Callback types: an answer (``CHANNEL_MESSAGE_WITH_SOURCE``), and a deferred one."""

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Wave:
    """Interactions sent at once, and when their answers came."""

    sent: int
    answered: int
    first: float
    """Seconds from the first INTERACTION_CREATE to the first answer."""
    total: float
    """Seconds from the first INTERACTION_CREATE to the last answer."""
    deferred: int
    """Acknowledged with a defer, and answered by a follow-up."""
    lost: int
    """Not acknowledged within the deadline: the member reads "The application did not
    respond", and no answer can follow on the interaction."""
    by_dm: int = 0
    """Of the ``lost``, how many members got their answer by DM instead, once the bot was idle."""
    cpu: float = 0.0
    """CPU seconds this process spent from the first INTERACTION_CREATE to the last answer."""

    @property
    def per_second(self) -> float:
        return self.answered / self.total if self.total > 0 else 0.0

    @property
    def cpu_per_interaction(self) -> float:
        return self.cpu / self.sent


@dataclass(frozen=True, slots=True)
class Figures:
    """One bot's wave, its one-at-a-time latencies, and its burst."""

    wave: Wave
    latencies: list[float]
    """Seconds from INTERACTION_CREATE to the callback, for each acknowledged one."""
    singles_deferred: int
    singles_lost: int
    burst: Wave | None
    warnings: Counter[str]
    """What the bot logged at WARNING or above, by format string."""


@dataclass(frozen=True, slots=True)
class Left:
    """What ours left in its database, read back after the run."""

    days_sent: int
    other_rows: int
    unsent: int


def _guild_id(number: int) -> int:
    return GUILD_BASE + number % GUILDS


def _channel_id(number: int) -> int:
    return CHANNEL_BASE + number % GUILDS


def _user_id(number: int) -> int:
    return FIRST_USER + number


def _person(number: int) -> tuple[int, str, str, int]:
    """The member as the interaction carries them (their display name is the stored one), and
    the channel they use ``/days`` in."""
    return (_user_id(number), f"member{number}", sharing.name(number), _channel_id(number))


def load(path: Path, members: Sequence[int]) -> int:
    """What ``/cleandate`` leaves for each member, in their server (``platform_id`` its guild
    id, ``chat`` its channel; see ``bench.sharing``)."""
    return sharing.load(
        path,
        PLATFORM,
        [
            sharing.Member(n, str(_user_id(n)), str(_guild_id(n)), str(_channel_id(n)))
            for n in members
        ],
    )


async def _world(fake: RemoteDiscord) -> None:
    """The servers, each with one text channel; members need not be declared (the
    interaction carries them)."""
    await fake.world(
        [(_guild_id(s), f"Server {s}", _channel_id(s), "general") for s in range(GUILDS)]
    )


LOGGERS = ("adapters", "bot", "discord.app_commands")
"""Whose warnings a run counts instead of printing: ours logs one or two per interaction it
cannot acknowledge, and the bare bot's command tree one per late answer."""


class _Tally(logging.Handler):
    """Count records by their message's format string (never its arguments)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[str(record.msg)] += 1


@contextlib.contextmanager
def _tallied() -> Iterator[Counter[str]]:
    """Count the warnings of ``LOGGERS`` instead of printing each."""
    tally = _Tally()
    loggers = [logging.getLogger(name) for name in LOGGERS]
    propagating = [logger.propagate for logger in loggers]
    for logger in loggers:
        logger.addHandler(tally)
        logger.propagate = False
    try:
        yield tally.counts
    finally:
        for logger, propagate in zip(loggers, propagating, strict=True):
            logger.removeHandler(tally)
            logger.propagate = propagate


@contextlib.contextmanager
def _pointed_at(fake: RemoteDiscord) -> Iterator[None]:
    """Aim discord.py at the fake for this run, and put back where it pointed before."""
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = fake.api_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


# -- timing ---------------------------------------------------------------------------------------


def _answer_time(answer: Answer) -> float | None:
    """The loop time the member got their answer: the callback that carries it, or after a
    defer the first follow-up; None if they have none yet."""
    if answer.response_type == DEFER:
        return answer.followed_up_at
    return answer.answered_at


async def _answered(fake: RemoteDiscord, tokens: Sequence[str]) -> list[Answer]:
    """Wait until every interaction in ``tokens`` has its answer, or can no longer have one.

    One with no callback within the fake's deadline never will: the fake refuses a later one,
    as Discord does. A deferred one waits for its follow-up. The fake's process does the
    waiting and answers once, so asking costs the bot's process one request.
    """
    async with asyncio.timeout(WAIT):
        return await fake.settled(list(tokens), fake.ack_deadline + GRACE)


async def _wave(fake: RemoteDiscord, numbers: Sequence[int]) -> tuple[Wave, list[str]]:
    """Send an interaction for each of ``numbers`` at once; time them to their last answer."""
    cpu = time.process_time()
    tokens = await fake.slash("days", [_person(number) for number in numbers])
    answers = await _answered(fake, tokens)
    cpu = time.process_time() - cpu
    started = answers[0].created
    times = [t for t in map(_answer_time, answers) if t is not None]
    wave = Wave(
        sent=len(tokens),
        answered=len(times),
        first=min(times, default=started) - started,
        total=max(times, default=started) - started,
        deferred=sum(a.response_type == DEFER for a in answers),
        lost=sum(a.answered_at is None for a in answers),
        cpu=cpu,
    )
    return wave, tokens


async def _by_dm(fake: RemoteDiscord, tokens: Sequence[str]) -> int:
    """How many members whose interaction was never acknowledged got a DM (each member asks
    once, so a DM is that answer)."""
    lost = [a.person for a in await fake.answers(list(tokens)) if a.answered_at is None]
    return sum(bool(dms) for dms in await fake.dms(lost)) if lost else 0


async def _measure(
    fake: RemoteDiscord,
    wave: Sequence[int],
    one_by_one: Sequence[int],
    burst: Sequence[int],
    idle: Callable[[], Awaitable[None]],
) -> tuple[Figures, list[str]]:
    """Time ``wave`` sent at once, then each of ``one_by_one`` to its acknowledgement, then
    ``burst`` sent at once (if any). Return the figures and every interaction's token."""
    timed, tokens = await _wave(fake, wave)
    await idle()
    timed = dataclasses.replace(timed, by_dm=await _by_dm(fake, tokens))
    latencies, singles = [], []
    for number in one_by_one:
        (token,) = await fake.slash("days", [_person(number)])
        (answer,) = await _answered(fake, [token])
        await idle()  # else the next one waits behind this one's bookkeeping
        if answer.answered_at is not None:
            latencies.append(answer.answered_at - answer.created)
        singles.append(answer)
        tokens.append(token)
    burst_wave = None
    if burst:
        burst_wave, burst_tokens = await _wave(fake, burst)
        tokens += burst_tokens
        await idle()
        burst_wave = dataclasses.replace(burst_wave, by_dm=await _by_dm(fake, burst_tokens))
    figures = Figures(
        wave=timed,
        latencies=latencies,
        singles_deferred=sum(a.response_type == DEFER for a in singles),
        singles_lost=sum(a.answered_at is None for a in singles),
        burst=burst_wave,
        warnings=Counter(),
    )
    return figures, tokens


class Bare(discord.Client):
    """The bare bot: one slash command, answered "x"."""

    def __init__(self) -> None:
        super().__init__(intents=discord.Intents.default(), **client_options())
        self.tree = app_commands.CommandTree(self)

        @self.tree.command(name="days", description="Your clean time")
        async def days(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("x")

    async def setup_hook(self) -> None:
        await self.tree.sync()


async def _bare(
    fake: RemoteDiscord, wave: Sequence[int], one_by_one: Sequence[int], burst: Sequence[int]
) -> Figures:
    with _tallied() as warnings:
        async with running(Bare(), fake):  # type: ignore[arg-type]
            figures, tokens = await _measure(fake, wave, one_by_one, burst, _nothing)
    answers = [a.response_type for a in await fake.answers(tokens)]
    if any(kind not in (ACK, None) for kind in answers):
        raise RuntimeError(f"the bare bot answered with callback types {set(answers)}")
    return dataclasses.replace(figures, warnings=warnings)


async def _nothing() -> None:
    return None


async def _ready(adapter: DiscordAdapter, app: App) -> None:
    """Wait until discord.py is ready; then lift the outbox worker's cap, as the bare bot has
    none (Discord's global 50 a second, kept by the sender, leaves interaction answers alone)."""
    async with asyncio.timeout(WAIT):
        while not adapter.client.is_ready() or PLATFORM not in app.workers:  # noqa: ASYNC110 - discord.py's ready is an event we may not share
            await asyncio.sleep(0.01)
    app.workers[PLATFORM].pace = UNLIMITED


async def _settled(app: App) -> None:
    """Nothing left to send: stopping now cuts no work short."""
    async with asyncio.timeout(WAIT):
        while True:
            async with app.store.transaction() as tx:
                waiting = await tx.outbox.next_attempt(PLATFORM)
            if waiting is None:
                return
            await asyncio.sleep(0.01)


async def _ours(
    fake: RemoteDiscord,
    path: Path,
    wave: Sequence[int],
    one_by_one: Sequence[int],
    burst: Sequence[int],
) -> tuple[Figures, Left]:
    """The whole stack on a database whose members already have their clean dates."""
    settings = Settings(
        database=str(path),
        sections=(
            DiscordSettings(token=fake.token, api_url=fake.api_url, gateway_url=fake.gateway_url),
        ),
    )
    app = await bootstrap(settings, platforms=every_platform(), clock=ManualClock(NOW))
    adapter = DiscordAdapter(app, settings, **client_options())
    with _tallied() as warnings:
        tasks = [asyncio.create_task(adapter.run()), asyncio.create_task(app.timers.run())]
        try:
            await until_done(_ready(adapter, app), tasks)
            figures, tokens = await until_done(
                _measure(fake, wave, one_by_one, burst, lambda: _settled(app)), tasks
            )
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await app.close()
    await _check_ours(fake, tokens)
    return dataclasses.replace(figures, warnings=warnings), _left(path)


async def _check_ours(fake: RemoteDiscord, tokens: Sequence[str]) -> None:
    """Every answer given is the member's days, seen by them alone."""
    answers = await fake.answers(list(tokens))
    lost = [a.person for a in answers if a.answered_at is None]
    for dms in await fake.dms(lost) if lost else []:
        if any("days" not in dm for dm in dms):
            raise RuntimeError("a DM instead of a lost answer was not the member's days")
    for answer in answers:
        if answer.answered_at is None:
            continue  # lost: counted in the figures
        if answer.content is None or not answer.flags & EPHEMERAL or "days" not in answer.content:
            raise RuntimeError(f"an interaction was not answered with its days: {answer!r}")


def _left(path: Path) -> Left:
    with closing(sqlite3.connect(path)) as db:
        return Left(**sharing.outbox_left(db))


async def _prepare(path: Path, members: Sequence[int]) -> tuple[int, float]:
    """Create the schema, then load the members; return the rows written and the seconds."""
    await (await SqliteStore.open(path)).close()  # the migrations create the schema
    started = time.perf_counter()
    rows = load(path, members)
    return rows, time.perf_counter() - started


def _answers(wave: Wave) -> str:
    line = (
        f"{wave.answered:,} of {wave.sent:,} answered in {wave.total:.2f} s"
        f" = {wave.per_second:,.0f} interactions/s, the first after {ms(wave.first)},"
        f" CPU {ms(wave.cpu_per_interaction)} an interaction"
    )
    if wave.deferred:
        line += f"; {wave.deferred:,} deferred (answered by a follow-up)"
    if wave.lost:
        line += (
            f"; {wave.lost:,} NOT acknowledged within {ACK_DEADLINE:g} s"
            f" ({wave.by_dm:,} of them answered by DM instead)"
        )
    return line


def _report(label: str, figures: Figures) -> None:
    line = f"  {label} wave: {_answers(figures.wave)}"
    if figures.latencies:
        line += (
            f"; one at a time ({len(figures.latencies):,}): INTERACTION_CREATE to callback p50"
            f" {ms(quantile(figures.latencies, 0.50))}, p99 {ms(quantile(figures.latencies, 0.99))}"
        )
    if figures.singles_deferred or figures.singles_lost:
        line += (
            f" ({figures.singles_deferred:,} deferred, {figures.singles_lost:,} not acknowledged"
            " one at a time)"
        )
    print(line)


def _ratio(ours: Figures, bare: Figures) -> None:
    line = f"  ratio ours / bare: {ours.wave.per_second / bare.wave.per_second:.2f}x the rate"
    if ours.latencies and bare.latencies:
        line += (
            f"; latency p50 {quantile(ours.latencies, 0.5) / quantile(bare.latencies, 0.5):.1f}x,"
            f" p99 {quantile(ours.latencies, 0.99) / quantile(bare.latencies, 0.99):.1f}x"
            " the bare bot's"
        )
    cpu = ours.wave.cpu_per_interaction / bare.wave.cpu_per_interaction
    print(f"{line}; CPU {cpu:.1f}x an interaction")


async def run(wave: int, one_by_one: int, burst: int = 0) -> None:
    """Print the figures of a ``wave``, ``one_by_one`` interactions and a ``burst`` (0: none)."""
    if wave < 1 or one_by_one < 0 or burst < 0:
        raise ValueError("the wave needs an interaction; the other sizes cannot be negative")
    print(
        f"(e) /days through the whole Discord stack (discord.py {discord.__version__} -> adapter"
        " -> core -> SQLite -> outbox -> interaction callback) beside a bare discord.py bot"
        " with one app command, in turn on one fake Discord (REST and gateway) on 127.0.0.1 in"
        f" a process of its own; {wave:,} interactions sent at once, then {one_by_one:,} one at"
        " a time"
        + (f", then a burst of {burst:,} at once" if burst else "")
        + f", each from a different member of {GUILDS} servers"
    )
    waves = range(wave)
    singles = range(wave, wave + one_by_one)
    bursts = range(wave + one_by_one, wave + one_by_one + burst)
    total = wave + one_by_one + burst
    with on_disk("ours.db") as path:
        rows, seconds = await _prepare(path, range(total))
        async with discord_in_its_own_process(ACK_DEADLINE) as fake:
            await _world(fake)
            with _pointed_at(fake):
                bare = await _bare(fake, waves, singles, bursts)
                ours, left = await _ours(fake, path, waves, singles, bursts)
        disk = filesystem(path)
    print(
        f"  ours' clean dates: {total:,} members bulk-loaded in {seconds:.2f} s ({rows:,} rows),"
        f" on {disk}"
    )
    _report("bare discord.py (send_message):", bare)
    _report("ours (whole stack):             ", ours)
    _ratio(ours, bare)
    if bare.burst is not None and ours.burst is not None:
        print(f"  a burst, bare: {_answers(bare.burst)}")
        print(f"  a burst, ours: {_answers(ours.burst)}")
    print(
        f"  ours left: {left.days_sent:,} of {total:,} /days answers sent,"
        f" {left.other_rows:,} other outbox rows, {left.unsent:,} unsent"
    )
    for label, figures in (("bare", bare), ("ours", ours)):
        if figures.warnings:
            logged = "; ".join(f"{n:,} x {msg!r}" for msg, n in figures.warnings.most_common())
            print(f"  {label} logged (at WARNING or above): {logged}")
