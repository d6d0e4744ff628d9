"""(a) ``/cleandate`` and ``/days`` through ``Core.handle`` on a SQLite file, one group.

Every command takes the production path: its own ``BEGIN IMMEDIATE`` transaction, dedupe key,
flow and a durable (``synchronous=FULL``) commit, so the figures include the fsync per command.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from bench.support import NOW, days_before, ms, quantile
from bot.app import bootstrap
from bot.clock import ManualClock
from bot.core import Core
from bot.domain.inbound import CommandIssued, Origin
from bot.settings import Settings

SPREAD_DAYS = 3650
"""Clean dates are spread over ten years, so members sit at many different milestones."""


@dataclass(frozen=True, slots=True)
class Timing:
    """One command sent once by each member: the whole loop's wall time and each call's."""

    total: float
    latencies: list[float]
    handled: int

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.total


def _origin(member: int) -> Origin:
    return Origin(
        platform="console",
        chat="group",
        person=f"m{member}",
        person_name=f"Member {member}",
        community="group",
    )


def _clean_date(member: int) -> str:
    return days_before(1 + member % SPREAD_DAYS).isoformat()


async def _time_command(core: Core, name: str, members: int, args: Callable[[int], str]) -> Timing:
    """Send ``/name`` once per member, in turn, timing each ``handle`` call."""
    latencies: list[float] = []
    handled = 0
    started = time.perf_counter()
    for member in range(members):
        command = CommandIssued(f"{name}:{member}", _origin(member), name=name, args=args(member))
        before = time.perf_counter()
        handled += await core.handle(command)
        latencies.append(time.perf_counter() - before)
    return Timing(time.perf_counter() - started, latencies, handled)


def _report(name: str, timing: Timing) -> None:
    print(
        f"  /{name:<10} {len(timing.latencies):,} commands in {timing.total:.2f} s"
        f" = {timing.per_second:,.0f} commands/s;"
        f" latency p50 {ms(quantile(timing.latencies, 0.50))},"
        f" p99 {ms(quantile(timing.latencies, 0.99))}"
        f" ({timing.handled:,} handled)"
    )


def _stored(path: Path) -> tuple[int, int, int]:
    """Counters, scheduled announcements and outbox rows, to show the commands took effect."""
    with closing(sqlite3.connect(path)) as db:
        counters = db.execute("SELECT COUNT(*) FROM counters").fetchone()[0]
        scheduled = db.execute(
            "SELECT COUNT(*) FROM memberships WHERE announce_due_at IS NOT NULL"
        ).fetchone()[0]
        outbox = db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    return counters, scheduled, outbox


async def run(members: int) -> None:
    print(
        f"(a) /cleandate then /days through core.handle, {members:,} members of one group,"
        " one SQLite file (WAL, synchronous=FULL)"
    )
    with tempfile.TemporaryDirectory(prefix="homegroup-bench-") as folder:
        path = Path(folder) / "cleantime.db"
        app = await bootstrap(Settings(database=str(path)), clock=ManualClock(NOW))
        try:
            clean_dates = await _time_command(app.core, "cleandate", members, _clean_date)
            days = await _time_command(app.core, "days", members, lambda _: "")
        finally:
            await app.close()
        _report("cleandate", clean_dates)
        _report("days", days)
        counters, scheduled, outbox = _stored(path)
        print(
            f"  stored: {counters:,} counters, {scheduled:,} members with a next announcement,"
            f" {outbox:,} outbox rows"
        )
