"""(b) The milestone run's cost as the member count grows, with exactly 100 members due.

The run should read only the due members through ``memberships_announce_due``, so its cost
should stay flat from 10k to 1M stored members; these figures show whether it does.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bench import population
from bench.support import NOW, megabytes, ms, stamp
from bot.app import bootstrap
from bot.clock import ManualClock
from bot.domain.inbound import TimerFired
from bot.domain.replies import Template
from bot.flows.milestones import BATCH, MILESTONES_TIMER
from bot.settings import Settings
from bot.storage.port import Row
from bot.storage.sql.transaction import SqlTransaction
from bot.storage.sqlite import SqliteStore

DUE_INDEX = "memberships_announce_due"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one run left behind, read back from the file."""

    digests: int
    announced: int
    recorded: int
    still_due: int


@dataclass(frozen=True, slots=True)
class SizeResult:
    members: int
    load_seconds: float
    file_bytes: int
    runs: list[float]
    outcomes: list[Outcome]
    plan: list[str]

    @property
    def median(self) -> float:
        return statistics.median(self.runs)


class _RecordingConnection:
    """Stands in for the store's connection to capture the exact SQL the run issues."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Sequence[Any]]] = []

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        self.calls.append((sql, params))
        return 0

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        self.calls.append((sql, params))
        return None

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        self.calls.append((sql, params))
        return []


async def _due_query() -> tuple[str, list[Any]]:
    """The due-members query as the SQL repositories write it, with parameters bound as stored."""
    recorder = _RecordingConnection()
    await SqlTransaction(recorder).announcements.due(NOW, BATCH)
    sql, params = recorder.calls[0]
    return sql, [stamp(p) if isinstance(p, datetime) else p for p in params]


async def _explain(db: sqlite3.Connection) -> list[str]:
    """The planner's steps for the due query on this database (no ANALYZE, as in production)."""
    sql, params = await _due_query()
    return [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", params)]


def _report_plan(members: int, plan: list[str]) -> None:
    print(f"  EXPLAIN QUERY PLAN of the due query, {members:,} members stored:")
    for step in plan:
        print(f"    {step}")
    uses = any(DUE_INDEX in step for step in plan)
    print(f"  due query uses index {DUE_INDEX}: {'yes' if uses else 'NO'}")


def _outcome(db: sqlite3.Connection) -> Outcome:
    contexts = [
        json.loads(context)
        for (context,) in db.execute(
            "SELECT context FROM outbox WHERE template = ?", (str(Template.MILESTONE_DIGEST),)
        )
    ]
    (recorded,) = db.execute("SELECT COUNT(*) FROM announcements").fetchone()
    (still_due,) = db.execute(
        "SELECT COUNT(*) FROM memberships WHERE announce_due_at <= ?", (stamp(NOW),)
    ).fetchone()
    return Outcome(
        digests=len(contexts),
        announced=sum(len(context["entries"]) for context in contexts),
        recorded=recorded,
        still_due=still_due,
    )


async def _measure(members: int, repeats: int, explain: bool) -> SizeResult:
    """Build one database of ``members`` and time ``repeats`` runs over the same 100 due."""
    with tempfile.TemporaryDirectory(prefix="homegroup-bench-") as folder:
        path = Path(folder) / "milestones.db"
        await (await SqliteStore.open(path)).close()  # the migrations create the schema
        started = time.perf_counter()
        population.load(path, members)
        load_seconds = time.perf_counter() - started
        file_bytes = path.stat().st_size
        app = await bootstrap(Settings(database=str(path)), clock=ManualClock(NOW))
        runs: list[float] = []
        outcomes: list[Outcome] = []
        plan: list[str] = []
        try:
            with closing(sqlite3.connect(path, isolation_level=None)) as db:
                if explain:
                    plan = await _explain(db)
                for _ in range(repeats):
                    timer_id = population.rearm(db, members)
                    before = time.perf_counter()
                    await app.core.handle(TimerFired(timer_id, MILESTONES_TIMER, fence=1))
                    runs.append(time.perf_counter() - before)
                    outcomes.append(_outcome(db))
        finally:
            await app.close()
    return SizeResult(members, load_seconds, file_bytes, runs, outcomes, plan)


def _report(result: SizeResult) -> None:
    rows = 3 * result.members + result.members // population.GROUP_SIZE
    print(
        f"  {result.members:,} members: bulk load {result.load_seconds:.1f} s"
        f" ({rows / result.load_seconds:,.0f} rows/s), file {megabytes(result.file_bytes)}"
    )
    print(
        f"    milestone run: median {ms(result.median)} (min {ms(min(result.runs))},"
        f" max {ms(max(result.runs))}, {len(result.runs)} runs)"
    )
    for outcome in sorted(set(result.outcomes), key=lambda o: (o.announced, o.digests)):
        times = result.outcomes.count(outcome)
        print(
            f"    after {times} of {len(result.outcomes)} runs: outbox has {outcome.digests}"
            f" digest rows announcing {outcome.announced} members;"
            f" {outcome.recorded} rows in announcements; {outcome.still_due} members still due"
        )


async def run(sizes: Sequence[int], repeats: int) -> None:
    print(
        f"(b) one milestone run (TimerFired through core.handle) with {population.DUE} members"
        f" due ({population.DUE_GROUPS} groups x {population.DUE_PER_GROUP}),"
        f" groups of {population.GROUP_SIZE:,}; median of {repeats} runs per size"
    )
    ordered = sorted(sizes)
    results = []
    for members in ordered:
        result = await _measure(members, repeats, explain=members == ordered[-1])
        _report(result)
        results.append(result)
    smallest, largest = results[0], results[-1]
    print(
        f"  ratio {largest.members:,} / {smallest.members:,} members:"
        f" {largest.median / smallest.median:.2f}x the run time"
    )
    _report_plan(largest.members, largest.plan)
