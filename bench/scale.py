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

``python -m bench.scale [--quick]`` runs it alone; ``HOMEGROUP_BENCH_POSTGRES`` names the
server (its maintenance database; a database of the bench's own is made and dropped).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, closing
from dataclasses import dataclass
from pathlib import Path
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


@asynccontextmanager
async def _counter(database: str) -> AsyncIterator[Callable[[], Awaitable[int]]]:
    """How many cravings the database holds, asked of it on one connection kept open (a new
    one each time would cost PostgreSQL a process start, charged to the bots measured)."""
    if database.startswith("postgresql://"):
        connection = await asyncpg.connect(database)

        async def on_postgres() -> int:
            return int(await connection.fetchval("SELECT count(*) FROM cravings"))

        try:
            yield on_postgres
        finally:
            await connection.close()
        return
    with closing(sqlite3.connect(database, timeout=10, isolation_level=None)) as db:

        async def on_sqlite() -> int:
            (count,) = db.execute("SELECT count(*) FROM cravings").fetchone()
            return int(count)

        yield on_sqlite


@dataclass
class _Bot:
    process: asyncio.subprocess.Process
    hook: str
    health: str


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
    handled: Callable[[], Awaitable[int]],
    update_ids: itertools.count[int],
) -> float:
    """Post a ``/craving`` from each member, spread over the bots; return the seconds until all
    of them were handled."""
    before = await handled()
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
    async with asyncio.timeout(WAIT):
        await asyncio.gather(*(post(member, next(turns)) for member in members))
        while await handled() - before < len(members):  # noqa: ASYNC110 - another process writes them
            await asyncio.sleep(LOOK_EVERY)
    return time.monotonic() - started


async def run(
    wave: int, repeats: int, arrangements: tuple[Arrangement, ...] = ARRANGEMENTS
) -> None:
    """Print each arrangement's median ``/craving`` rate, and its ratio to the first's."""
    if wave < 1 or repeats < 1:
        raise ValueError("the wave needs a craving, and a run needs a wave")
    print(
        f"(i) /craving handled a second, homegroup run processes in webhook mode: {repeats}"
        f" waves of {wave}, each from new members of {GROUPS} groups"
    )
    medians: dict[str, float] = {}
    troubles: list[str] = []
    update_ids = itertools.count(1)
    members = itertools.count(0, wave)
    with tempfile.TemporaryDirectory(prefix="homegroup-bench-scale-") as folder:
        log = Path(folder) / "homegroup.log"
        async with fake_in_its_own_process() as fake, aiohttp.ClientSession() as session:
            for arrangement in arrangements:
                async with (
                    _database(arrangement, Path(folder)) as database,
                    _serving(database, arrangement.processes, fake, log, session) as bots,
                    _counter(database) as handled,
                ):
                    rates = []
                    logged = log.stat().st_size
                    for _ in range(repeats):
                        first = next(members)
                        seconds = await _wave(
                            bots, range(first, first + wave), session, handled, update_ids
                        )
                        rates.append(wave / seconds)
                    with log.open("rb") as written:  # while the waves ran, not as they stop
                        written.seek(logged)
                        troubles += [
                            line
                            for line in written.read().decode().splitlines()
                            if " ERROR " in line
                        ]
                medians[arrangement.name] = statistics.median(rates)
                spread = f"{min(rates):.0f}-{max(rates):.0f}"
                print(
                    f"  {arrangement.name:<24} median {medians[arrangement.name]:7.1f} /s"
                    f"  (runs {spread} /s)"
                )
    base_name, base = next(iter(medians.items()))
    for name, median in itertools.islice(medians.items(), 1, None):
        print(f"  ratio {name} / {base_name}: {median / base:.2f}x")
    if troubles:
        print(f"  the bots logged {len(troubles)} ERROR lines meanwhile, such as:")
        for line in sorted(set(troubles))[:3]:
            print(f"    {line[:160]}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small waves, for a smoke run")
    quick = parser.parse_args(argv).quick
    asyncio.run(run(*SIZES[quick]))


if __name__ == "__main__":
    main()
