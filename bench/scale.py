"""(i) ``/craving`` a second on PostgreSQL with 1, 2 and 3 ``homegroup run`` processes, beside
SQLite with one: what a group gains by moving to PostgreSQL and adding processes.

Each bot is ``homegroup run`` as deployed, a process of its own, in Telegram's webhook mode
(``TELEGRAM_WEBHOOK_*``): that is how several processes share the updates, each behind its own
listener, as a load balancer would spread Telegram's posts. The fake Bot API serves in a
process of its own too (``bench.fake_process``), taking the answers; this process only posts
updates and counts.

A wave of ``/craving`` commands, each from a member not seen before in one of ``GROUPS``
groups, is posted at once, spread over the processes' listeners in turn; it is timed from the
first post until the last of them is handled: the wave's cravings are all rows in the database
(asked every ``LOOK_EVERY`` seconds). Their answers then go out at the pace Telegram allows (30
messages a second for a bot however many processes send), which the Telegram stack bench
measures; here the question is how fast cravings are taken in and acted on. Each arrangement
runs ``repeats`` waves on one start; the median rate is printed, and its ratio to SQLite's.

Beside the rates, where the CPU went: the CPU seconds a craving cost, over each wave, in the bot
processes together, the PostgreSQL backends serving them, the fake platform, this process
(posting and counting, with its counting connection's backend) and the whole machine (others'
work too), read from ``/proc`` before and after each wave; with how many of the machine's cores
were busy meanwhile, and the PostgreSQL transactions a craving took (``pg_stat_database``, from
the first wave until the bots stopped). The bots' own counters (``/metrics``) tell the outbox
rows they tried and how long an event took them during each wave; and the bots' PostgreSQL
backends are sampled every ``LOOK_EVERY`` seconds meanwhile: running, waiting for a lock (and
on which statement), or idle in a transaction. Before its first wave, each arrangement sits
quiet for ``QUIET`` seconds, which shows what the processes spend on their own (polling,
leases) when no one writes. So a rate that falls with more processes can be told apart: CPU a
craving that grows is work the processes add (coordination); CPU a craving that stays flat
while every core is busy is the same work waiting for a core.

``python -m bench.scale [--quick]`` runs it alone; ``HOMEGROUP_BENCH_POSTGRES`` names the
server (its maintenance database; a database of the bench's own is made and dropped).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import itertools
import multiprocessing
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import asyncpg

from bench.fake_process import RemoteFake, fake_in_its_own_process
from tests.fakes.telegram_updates import command, group, user
from tests.process import homegroup_run
from tests.telegram_harness import free_port

POSTGRES = os.environ.get(
    "HOMEGROUP_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
GROUPS = 20
GROUP_BASE = -1003000000000
FIRST_USER = 500_000
SECRET = "bench-webhook-secret"
IN_FLIGHT = 32
"""Posts to the listeners at once, as Telegram keeps a few connections open to a webhook."""
LOOK_EVERY = 0.02
START_WAIT = 60.0
WAIT = 180.0
SIZES = {False: (300, 3), True: (60, 2)}
"""The wave and the waves an arrangement runs: in full, and ``--quick``."""
QUIET = 11.0
"""Seconds each arrangement sits quiet before its first wave: what its processes spend idle,
and long enough for PostgreSQL to publish the start's transactions (an idle backend reports
its counts within 10 s)."""
PROC = Path("/proc")
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True, slots=True)
class Arrangement:
    """Where the bots keep their data, and how many processes serve."""

    name: str
    processes: int
    postgres: bool


ARRANGEMENTS = (
    Arrangement("SQLite, 1 process", 1, postgres=False),
    Arrangement("PostgreSQL, 1 process", 1, postgres=True),
    Arrangement("PostgreSQL, 2 processes", 2, postgres=True),
    Arrangement("PostgreSQL, 3 processes", 3, postgres=True),
)


@asynccontextmanager
async def _database(arrangement: Arrangement, folder: Path) -> AsyncIterator[str]:
    """A new, empty database for one arrangement: its setting, dropped or deleted after."""
    if not arrangement.postgres:
        yield str(folder / f"{uuid.uuid4().hex}.db")
        return
    name = f"homegroup_bench_{uuid.uuid4().hex}"
    server = await asyncpg.connect(POSTGRES)
    try:
        await server.execute(f'CREATE DATABASE "{name}"')
        yield urlsplit(POSTGRES)._replace(path=f"/{name}").geturl()
    finally:
        await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await server.close()


@dataclass
class _Activity:
    """The bots' PostgreSQL backends as sampled: how many were running a statement, waiting
    for another transaction's lock, or inside a transaction waiting for the bot's next
    statement; and the statements that waited for locks."""

    samples: int = 0
    running: int = 0
    locked: int = 0
    in_transaction: int = 0
    lock_waits: collections.Counter[str] = field(default_factory=collections.Counter)

    def add(self, backends: list[tuple[str | None, str | None, str | None]]) -> None:
        self.samples += 1
        for state, waiting, query in backends:
            if state == "active" and waiting == "Lock":
                self.locked += 1
                self.lock_waits[" ".join((query or "").split())[:60]] += 1
            elif state == "active":
                self.running += 1
            elif state is not None and state.startswith("idle in transaction"):
                self.in_transaction += 1

    def mean(self, count: int) -> float:
        return count / self.samples if self.samples else 0.0


class _Look:
    """This process's one connection to the bench's database, kept open (a new one each time
    would cost PostgreSQL a process start, charged to the bots measured): how many cravings it
    holds, and on PostgreSQL which backends serve the bots and how many transactions they ran."""

    def __init__(self, database: str) -> None:
        self._database = database
        self._postgres: asyncpg.Connection | None = None
        self._sqlite: sqlite3.Connection | None = None
        self._asked = 0
        """Statements this connection sent: its own transactions, counted in the database's."""
        self._one_at_a_time = asyncio.Lock()
        self.own_backend = 0
        self.activity = _Activity()

    async def open(self) -> None:
        if self._database.startswith("postgresql://"):
            self._postgres = await asyncpg.connect(self._database)
            self.own_backend = self._postgres.get_server_pid()

    async def close(self) -> None:
        if self._postgres is not None:
            await self._postgres.close()
        if self._sqlite is not None:
            self._sqlite.close()

    async def _ask(self, sql: str) -> list[Any]:
        assert self._postgres is not None
        async with self._one_at_a_time:
            self._asked += 1
            return list(await self._postgres.fetch(sql))

    async def handled(self) -> int:
        """The cravings in the database."""
        if self._postgres is not None:
            return int((await self._ask("SELECT count(*) FROM cravings"))[0][0])
        if self._sqlite is None:  # opened once the bot made the file
            self._sqlite = sqlite3.connect(self._database, timeout=10, isolation_level=None)
        (count,) = self._sqlite.execute("SELECT count(*) FROM cravings").fetchone()
        return int(count)

    async def backends(self) -> list[int]:
        """The server processes of the other connections to the database: the bots'."""
        if self._postgres is None:
            return []
        rows = await self._ask(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [int(pid) for (pid,) in rows]

    async def sample(self) -> None:
        """What the bots' backends are doing now, added to ``activity``."""
        if self._postgres is None:
            return
        rows = await self._ask(
            "SELECT state, wait_event_type, query FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        self.activity.add([(state, waiting, query) for state, waiting, query in rows])

    @asynccontextmanager
    async def sampling(self) -> AsyncIterator[None]:
        """Sample the backends every ``LOOK_EVERY`` seconds meanwhile (on PostgreSQL)."""
        if self._postgres is None:
            yield
            return

        async def every() -> None:
            while True:
                await self.sample()
                await asyncio.sleep(LOOK_EVERY)

        sampler = asyncio.ensure_future(every())
        try:
            yield
        finally:
            sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampler

    async def transactions(self) -> int | None:
        """Transactions committed or rolled back in the database, less this connection's (a
        backend publishes its counts within 10 s of going idle, or as it ends)."""
        if self._postgres is None:
            return None
        await self._ask("SELECT pg_stat_force_next_flush()")  # published before it answers
        asked = self._asked
        rows = await self._ask(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database"
            " WHERE datname = current_database()"
        )
        return int(rows[0][0]) - asked

    async def all_gone(self) -> None:
        """Once the bots' backends have ended, so that their counts are published."""
        async with asyncio.timeout(WAIT):
            while await self.backends():  # noqa: ASYNC110 - other processes end them
                await asyncio.sleep(LOOK_EVERY)


async def _counted(bots: list[_Bot], session: aiohttp.ClientSession) -> dict[str, float]:
    """The bots' Prometheus counters, each summed over its labels and over the bots."""
    sums: dict[str, float] = {}
    for bot in bots:
        async with session.get(bot.metrics) as answer:
            text = await answer.text()
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                name = name.partition("{")[0]
                sums[name] = sums.get(name, 0.0) + float(value)
    return sums


@dataclass(frozen=True, slots=True)
class _Done:
    """What the bots did over a wave, by their own counters: outbox rows tried, and events
    handled with the seconds they took (transaction, waits for a core or a lock and all)."""

    sends: float
    events: float
    handling: float

    @classmethod
    def between(cls, before: dict[str, float], after: dict[str, float]) -> _Done:
        def grew(name: str) -> float:
            return after.get(name, 0.0) - before.get(name, 0.0)

        return cls(
            grew("homegroup_sends_total"),
            grew("homegroup_handling_seconds_count"),
            grew("homegroup_handling_seconds_sum"),
        )


@asynccontextmanager
async def _looking(database: str) -> AsyncIterator[_Look]:
    look = _Look(database)
    await look.open()
    try:
        yield look
    finally:
        await look.close()


def _ticks(pid: int, *, reaped: bool = False) -> int:
    """The clock ticks ``pid`` has run (with its reaped children's, if asked); 0 once gone."""
    try:
        fields = (PROC / str(pid) / "stat").read_text().rpartition(")")[2].split()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return 0
    # Fields 14-17 of proc(5), counted from the state, the third: utime, stime, cutime, cstime.
    return sum(int(tick) for tick in fields[11 : 15 if reaped else 13])


def _with_descendants(roots: list[int]) -> list[int]:
    """The processes and every process they started that still runs."""
    parents: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parent = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
                parents.setdefault(parent, []).append(int(entry.name))
    found, waiting = [], list(roots)
    while waiting:
        pid = waiting.pop()
        found.append(pid)
        waiting += parents.get(pid, [])
    return found


def _machine_ticks() -> tuple[int, int]:
    """Ticks every core of the machine was busy, and ticks taken by the hypervisor (steal)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(tick) for tick in (PROC / "stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return user + nice + system + irq + softirq, steal


@dataclass(frozen=True, slots=True)
class _Cpu:
    """CPU seconds each part had used at one moment, on ``time.monotonic``'s clock."""

    at: float
    bots: float
    backends: dict[int, float]
    platform: float
    driver: float
    machine: float
    steal: float


@dataclass(frozen=True, slots=True)
class _Spent:
    """CPU seconds each part used between two readings, and the seconds between them."""

    seconds: float
    bots: float
    postgres: float | None
    platform: float
    driver: float
    machine: float
    steal: float

    @property
    def ours(self) -> float:
        return self.bots + (self.postgres or 0.0) + self.platform + self.driver


class _Meter:
    """Reads the CPU of the parts of one arrangement: bots, their backends, the fake, us."""

    def __init__(self, bots: list[int], platform: int | None, look: _Look) -> None:
        self._bots = bots
        self._platform = platform
        self._look = look

    async def read(self) -> _Cpu:
        backends = {pid: _ticks(pid) / TICK for pid in await self._look.backends()}
        busy, steal = _machine_ticks()
        return _Cpu(
            at=time.monotonic(),
            bots=sum(_ticks(pid, reaped=True) for pid in _with_descendants(self._bots)) / TICK,
            backends=backends,
            platform=_ticks(self._platform) / TICK if self._platform else 0.0,
            driver=time.process_time() + _ticks(self._look.own_backend) / TICK,
            machine=busy / TICK,
            steal=steal / TICK,
        )

    @staticmethod
    def spent(before: _Cpu, after: _Cpu, postgres: bool) -> _Spent:
        """Between two readings; a backend first seen after counts from its start (a backend
        gone before the second reading is missed: the bots' pools keep theirs)."""
        return _Spent(
            seconds=after.at - before.at,
            bots=after.bots - before.bots,
            postgres=sum(cpu - before.backends.get(pid, 0.0) for pid, cpu in after.backends.items())
            if postgres
            else None,
            platform=after.platform - before.platform,
            driver=after.driver - before.driver,
            machine=after.machine - before.machine,
            steal=after.steal - before.steal,
        )


@dataclass
class _Bot:
    process: asyncio.subprocess.Process
    hook: str
    health: str

    @property
    def metrics(self) -> str:
        return self.health.removesuffix("/healthz") + "/metrics"


@asynccontextmanager
async def _serving(
    database: str, count: int, fake: RemoteFake, log: Path, session: aiohttp.ClientSession
) -> AsyncIterator[list[_Bot]]:
    """``count`` ``homegroup run`` processes on one database, each healthy; stopped after."""
    settings = {
        "HOMEGROUP_DATABASE": database,
        "TELEGRAM_TOKEN": fake.token,
        "TELEGRAM_API_URL": fake.root,
        "TELEGRAM_WEBHOOK_URL": "https://bench.invalid/hook",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
    }
    bots: list[_Bot] = []
    try:
        for _ in range(count):
            hook, health = free_port(), free_port()
            own = {
                **settings,
                "TELEGRAM_WEBHOOK_LISTEN": f"127.0.0.1:{hook}",
                "HOMEGROUP_HTTP": f"127.0.0.1:{health}",
            }
            bots.append(
                _Bot(
                    await homegroup_run(own, log),
                    f"http://127.0.0.1:{hook}/hook",
                    f"http://127.0.0.1:{health}/healthz",
                )
            )
        for bot in bots:
            await _healthy(bot, session, log)
        yield bots
    finally:
        for bot in bots:
            with contextlib.suppress(ProcessLookupError):
                bot.process.terminate()
        for bot in bots:
            try:
                await asyncio.wait_for(bot.process.wait(), 15)
            except TimeoutError:
                bot.process.kill()
                await bot.process.wait()


async def _healthy(bot: _Bot, session: aiohttp.ClientSession, log: Path) -> None:
    async with asyncio.timeout(START_WAIT):
        while True:
            if bot.process.returncode is not None:
                raise RuntimeError(f"homegroup run stopped at start: see {log}")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(bot.health) as answer:
                    if answer.status == 200:
                        return
            await asyncio.sleep(0.1)


async def _wave(
    bots: list[_Bot],
    members: range,
    session: aiohttp.ClientSession,
    look: _Look,
    update_ids: itertools.count[int],
) -> float:
    """Post a ``/craving`` from each member, spread over the bots; return the seconds until all
    of them were handled."""
    before = await look.handled()
    gate = asyncio.Semaphore(IN_FLIGHT)
    turns = itertools.cycle(bots)

    async def post(member: int, bot: _Bot) -> None:
        chat = group(GROUP_BASE - member % GROUPS, f"Circle {member % GROUPS}")
        update = command(chat, user(FIRST_USER + member, f"Member {member}"), "/craving")
        update["update_id"] = next(update_ids)
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with gate, session.post(bot.hook, json=update, headers=headers) as answer:
            if answer.status != 200:
                raise RuntimeError(f"a webhook post was answered {answer.status}")

    started = time.monotonic()
    async with asyncio.timeout(WAIT), look.sampling():
        await asyncio.gather(*(post(member, next(turns)) for member in members))
        while await look.handled() - before < len(members):  # noqa: ASYNC110 - another process writes them
            await asyncio.sleep(LOOK_EVERY)
    return time.monotonic() - started


@dataclass
class _Measured:
    """One arrangement's figures."""

    rates: list[float]
    waves: list[_Spent]
    done: list[_Done]
    activity: list[_Activity]
    quiet: _Spent
    transactions: float | None
    """PostgreSQL transactions a craving, from the first wave until the bots stopped."""

    def per_craving(self, wave: int, part: Callable[[_Spent], float | None]) -> float | None:
        """Median milliseconds of CPU a craving, over the waves."""
        spent = [part(one) for one in self.waves]
        values = [value for value in spent if value is not None]
        return statistics.median(values) * 1000 / wave if values else None

    def cores(self, part: Callable[[_Spent], float]) -> float:
        """Median cores kept busy while a wave ran."""
        return statistics.median(part(one) / one.seconds for one in self.waves)


def _ms(value: float | None) -> str:
    return f"{value:8.2f}" if value is not None else f"{'-':>8}"


async def run(
    wave: int,
    repeats: int,
    arrangements: tuple[Arrangement, ...] = ARRANGEMENTS,
    *,
    quiet: float = QUIET,
) -> None:
    """Print each arrangement's median ``/craving`` rate, and its ratio to the first's; then
    where the CPU went."""
    if wave < 1 or repeats < 1:
        raise ValueError("the wave needs a craving, and a run needs a wave")
    cores = os.cpu_count()
    print(
        f"(i) /craving handled a second, homegroup run processes in webhook mode: {repeats}"
        f" waves of {wave}, each from new members of {GROUPS} groups; {cores} CPUs"
    )
    measured: dict[str, _Measured] = {}
    troubles: list[str] = []
    update_ids = itertools.count(1)
    members = itertools.count(0, wave)
    counting = PROC.joinpath("stat").exists()
    started_before = set(multiprocessing.active_children())
    with tempfile.TemporaryDirectory(prefix="homegroup-bench-scale-") as folder:
        log = Path(folder) / "homegroup.log"
        async with fake_in_its_own_process() as fake, aiohttp.ClientSession() as session:
            children = set(multiprocessing.active_children()) - started_before
            platform = children.pop().pid if len(children) == 1 else None
            for arrangement in arrangements:
                async with (
                    _database(arrangement, Path(folder)) as database,
                    _looking(database) as look,
                ):
                    async with _serving(
                        database, arrangement.processes, fake, log, session
                    ) as bots:
                        meter = _Meter([bot.process.pid for bot in bots], platform, look)
                        before = await meter.read()
                        await asyncio.sleep(quiet)
                        calm = meter.spent(before, await meter.read(), arrangement.postgres)
                        transactions = await look.transactions()
                        rates, waves, done = [], [], []
                        activity: list[_Activity] = []
                        logged = log.stat().st_size
                        for _ in range(repeats):
                            first = next(members)
                            counters = await _counted(bots, session)  # not in the CPU read
                            look.activity = _Activity()
                            before = await meter.read()
                            seconds = await _wave(
                                bots, range(first, first + wave), session, look, update_ids
                            )
                            after = await meter.read()
                            rates.append(wave / seconds)
                            waves.append(meter.spent(before, after, arrangement.postgres))
                            done.append(_Done.between(counters, await _counted(bots, session)))
                            activity.append(look.activity)
                        with log.open("rb") as written:  # while the waves ran, not as they stop
                            written.seek(logged)
                            troubles += [
                                line
                                for line in written.read().decode().splitlines()
                                if " ERROR " in line
                            ]
                    a_craving = None
                    if transactions is not None:
                        await look.all_gone()
                        ended = await look.transactions()
                        assert ended is not None
                        a_craving = (ended - transactions) / (wave * repeats)
                measured[arrangement.name] = _Measured(
                    rates, waves, done, activity, calm, a_craving
                )
                median = statistics.median(rates)
                spread = f"{min(rates):.0f}-{max(rates):.0f}"
                print(f"  {arrangement.name:<24} median {median:7.1f} /s  (runs {spread} /s)")
    _print_ratios(measured, wave)
    if counting:
        _print_cpu(measured, wave, cores)
    if troubles:
        print(f"  the bots logged {len(troubles)} ERROR lines meanwhile, such as:")
        for line in sorted(set(troubles))[:3]:
            print(f"    {line[:160]}")


def _print_ratios(measured: dict[str, _Measured], wave: int) -> None:
    base_name, base = next(iter(measured.items()))
    base_cpu = base.per_craving(wave, lambda spent: spent.ours)
    for name, one in itertools.islice(measured.items(), 1, None):
        rate = statistics.median(one.rates) / statistics.median(base.rates)
        cpu = one.per_craving(wave, lambda spent: spent.ours)
        costs = f", {cpu / base_cpu:.2f}x the CPU a craving" if cpu and base_cpu else ""
        print(f"  ratio {name} / {base_name}: {rate:.2f}x{costs}")


def _print_cpu(measured: dict[str, _Measured], wave: int, cores: int | None) -> None:
    print(
        "  CPU ms a craving, median of the waves (bots: the homegroup run processes together;\n"
        "  postgres: the backends serving them; platform: the fake Bot API; driver: this process,\n"
        "  posting and counting; ours: those four; machine: every core's busy time, others' too);\n"
        f"  busy: cores kept busy meanwhile, ours / the machine's, of {cores}; sends: outbox rows\n"
        "  the bots tried a craving meanwhile (answers of earlier waves too, at their 30/s);\n"
        "  handle: ms an event took the bots to handle, waits included; xacts: PostgreSQL\n"
        "  transactions a craving, from the first wave until the bots stopped"
    )
    parts: dict[str, Callable[[_Spent], float | None]] = {
        "bots": lambda spent: spent.bots,
        "postgres": lambda spent: spent.postgres,
        "platform": lambda spent: spent.platform,
        "driver": lambda spent: spent.driver,
        "ours": lambda spent: spent.ours,
        "machine": lambda spent: spent.machine,
    }
    print(
        f"  {'':<24}"
        + "".join(f"{part:>9}" for part in parts)
        + f"{'busy':>13}{'sends':>7}{'handle':>7}{'xacts':>7}"
    )
    for name, one in measured.items():
        figures = "".join(f" {_ms(one.per_craving(wave, part))}" for part in parts.values())
        busy = f"{one.cores(lambda spent: spent.ours):.2f} / {one.cores(lambda s: s.machine):.2f}"
        sends = statistics.median(done.sends / wave for done in one.done)
        handle = statistics.median(
            done.handling * 1000 / done.events if done.events else 0.0 for done in one.done
        )
        xacts = f"{one.transactions:7.1f}" if one.transactions is not None else f"{'-':>7}"
        print(f"  {name:<24}{figures}{busy:>13}{sends:7.2f}{handle:7.1f}{xacts}")
    _print_activity(measured)
    steal = max(spent.steal / spent.seconds for one in measured.values() for spent in one.waves)
    print(f"  the hypervisor took at most {steal:.2f} cores (steal) in any wave")
    print(
        f"  quiet for {next(iter(measured.values())).quiet.seconds:.0f} s before the first"
        " wave, CPU ms a second:"
    )
    for name, one in measured.items():
        calm, seconds = one.quiet, one.quiet.seconds
        postgres = (
            f"{calm.postgres * 1000 / seconds:6.1f}" if calm.postgres is not None else "     -"
        )
        print(
            f"  {name:<24} bots {calm.bots * 1000 / seconds:6.1f}  postgres {postgres}"
            f"  machine {calm.machine * 1000 / seconds:6.1f}"
        )


def _print_activity(measured: dict[str, _Measured]) -> None:
    sampled = {name: one for name, one in measured.items() if any(a.samples for a in one.activity)}
    if not sampled:
        return
    print(
        f"  the bots' PostgreSQL backends while the waves ran, on average (sampled every"
        f" {LOOK_EVERY * 1000:.0f} ms, median\n  of the waves): running a statement; waiting for"
        " another transaction's lock (lock); in a\n  transaction, waiting for the bot's next"
        " statement; and the statement that waited most for a lock"
    )
    for name, one in sampled.items():
        running, locked, waiting = (
            statistics.median(activity.mean(count(activity)) for activity in one.activity)
            for count in (
                lambda a: a.running,
                lambda a: a.locked,
                lambda a: a.in_transaction,
            )
        )
        waits: collections.Counter[str] = sum(
            (activity.lock_waits for activity in one.activity), collections.Counter()
        )
        most = waits.most_common(1)[0][0] if waits else "-"
        print(
            f"  {name:<24} running {running:5.2f}  lock {locked:5.2f}"
            f"  in a transaction {waiting:5.2f}  most lock waits: {most}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small waves, for a smoke run")
    quick = parser.parse_args(argv).quick
    asyncio.run(run(*SIZES[quick]))


if __name__ == "__main__":
    main()
