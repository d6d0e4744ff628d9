"""(a) ``/cleandate`` and ``/days`` through ``Core.handle`` on a SQLite file, one group.

Every command takes the production path: its own ``BEGIN IMMEDIATE`` transaction, dedupe key,
flow and a durable (``synchronous=FULL``) commit, so the figures include the fsync per command.
A clean date is kept only once the member says yes, so each member does what a new member does:
``/cleandate`` (the bot asks), then **Yes, keep it** on the question the bot sent (the date is
kept), then ``/days``.
"""

from __future__ import annotations

import json
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
from bot.domain.inbound import ButtonPressed, CommandIssued, Origin
from bot.domain.replies import Target
from bot.flows.cleantime import KEEP_DATE
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


def _origin(member: int, *, private: bool = False) -> Origin:
    """The member in the group, or (``private``) in their private chat with the bot."""
    return Origin(
        platform="console",
        chat=f"dm:m{member}" if private else "group",
        person=f"m{member}",
        person_name=f"Member {member}",
        community=None if private else "group",
        private=private,
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


@dataclass(frozen=True, slots=True)
class Question:
    """The bot's question whether to keep a member's clean date, as the outbox holds it."""

    message: int
    """Its outbox id: the message whose button the member presses."""
    private: bool
    payload: str
    """What its **Yes, keep it** button carries."""


def _questions(path: Path) -> dict[str, Question]:
    """Each member's question about keeping their clean date, by their platform id, read from the
    outbox (outside the timing: a platform hands the button back, the bench reads it)."""
    found: dict[str, Question] = {}
    with closing(sqlite3.connect(path)) as db:
        rows = db.execute(
            "SELECT id, target, buttons FROM outbox WHERE buttons LIKE ?",
            ('%"' + KEEP_DATE + '"%',),
        )
        for message, target, buttons in rows:
            to = Target.from_json(json.loads(target))
            payload = next(p for _, action, p in json.loads(buttons) if action == KEEP_DATE)
            if to.person is not None:
                found[to.person] = Question(int(message), to.private, payload)
    return found


async def _time_keep(core: Core, members: int, questions: dict[str, Question]) -> Timing:
    """Press **Yes, keep it** once per member, in turn, timing each ``handle`` call."""
    latencies: list[float] = []
    handled = 0
    started = time.perf_counter()
    for member in range(members):
        asked = questions[f"m{member}"]
        press = ButtonPressed(
            f"keep:{member}",
            _origin(member, private=asked.private),
            KEEP_DATE,
            asked.payload,
            message=asked.message,
        )
        before = time.perf_counter()
        handled += await core.handle(press)
        latencies.append(time.perf_counter() - before)
    return Timing(time.perf_counter() - started, latencies, handled)


def _report(name: str, timing: Timing, unit: str = "commands") -> None:
    print(
        f"  {name:<11} {len(timing.latencies):,} {unit} in {timing.total:.2f} s"
        f" = {timing.per_second:,.0f} {unit}/s;"
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
        f"(a) /cleandate, Yes keep it, then /days through core.handle, {members:,} members of"
        " one group,"
        " one SQLite file (WAL, synchronous=FULL)"
    )
    with tempfile.TemporaryDirectory(prefix="homegroup-bench-") as folder:
        path = Path(folder) / "cleantime.db"
        app = await bootstrap(Settings(database=str(path)), clock=ManualClock(NOW))
        try:
            clean_dates = await _time_command(app.core, "cleandate", members, _clean_date)
            keeps = await _time_keep(app.core, members, _questions(path))
            days = await _time_command(app.core, "days", members, lambda _: "")
        finally:
            await app.close()
        _report("/cleandate", clean_dates)
        _report("keep", keeps, "presses")
        _report("/days", days)
        counters, scheduled, outbox = _stored(path)
        print(
            f"  stored: {counters:,} counters, {scheduled:,} members with a next announcement,"
            f" {outbox:,} outbox rows"
        )
