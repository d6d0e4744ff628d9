"""The fixed day every benchmark runs on, and the formats its figures are stored and shown in.

A fixed day keeps runs comparable: the same clean dates give the same milestones every time.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import statistics
import tempfile
from collections.abc import Awaitable, Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

TODAY = date(2026, 6, 15)
NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
"""The benchmarks' clock: an hour after a default group's 09:00 UTC announcement time."""
ANNOUNCE_AT = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
"""When today's milestones are due in a group with default settings (09:00, UTC)."""


def stamp(instant: datetime) -> str:
    """Format an instant exactly as the store writes it, so bulk rows sort with its own."""
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def days_before(days: int) -> date:
    return TODAY - timedelta(days=days)


def quantile(values: Sequence[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` lie (inclusive method, as numpy's)."""
    if len(values) == 1:
        return values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[round(fraction * 100) - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


BULK_CACHE_KIB = 256 * 1024


@contextmanager
def bulk_loading(path: Path) -> Iterator[sqlite3.Connection]:
    """One transaction on a connection with durability off: for loading benchmark data only."""
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=OFF")
        db.execute(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
        db.execute("BEGIN")
        yield db
        db.execute("COMMIT")


T = TypeVar("T")


async def until_done(work: Awaitable[T], tasks: Sequence[asyncio.Task[Any]]) -> T:
    """Await ``work``, failing at once (with the cause) if a task of the bot ends first."""
    job = asyncio.ensure_future(work)
    done, _ = await asyncio.wait([job, *tasks], return_when=asyncio.FIRST_COMPLETED)
    if job in done:
        return job.result()
    job.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await job
    stopped = next(task for task in tasks if task in done)
    raise RuntimeError(f"the bot stopped during the benchmark: {stopped.exception()!r}")


@contextmanager
def on_disk(name: str) -> Iterator[Path]:
    """A database path in a folder made for this run in the current directory (``make bench``
    runs in the repository): the ordinary disk, where ``/tmp`` may be memory."""
    with tempfile.TemporaryDirectory(prefix="homegroup-bench-", dir=Path.cwd()) as folder:
        yield Path(folder) / name


def filesystem(path: Path) -> str:
    """Which filesystem holds ``path``: its type, device and mount point (from /proc/mounts)."""
    where = os.path.realpath(path.parent)
    best = ("?", "?", "")
    try:
        with open("/proc/mounts", encoding="utf-8") as mounts:
            for line in mounts:
                device, mounted, kind = line.split()[:3]
                inside = where == mounted or where.startswith(mounted.rstrip("/") + "/")
                if inside and len(mounted) >= len(best[2]):
                    best = (kind, device, mounted)
    except OSError:
        return "filesystem unknown"
    kind, device, mounted = best
    return f"{kind} on {device}, mounted at {mounted}"
