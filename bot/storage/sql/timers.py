"""Timers: work due at a given time (a reminder, a check-in, housekeeping)."""

from __future__ import annotations

from datetime import datetime

from bot.domain.records import DueTimer
from bot.domain.timers import TimerPayload
from bot.storage.port import Row
from bot.storage.sql.rows import instant
from bot.storage.sql.session import Repository, Session

_DUE = "id, kind, key, due_at, payload, attempts, fence"
_HELD = "id = ? AND fence = ? AND leased_by IS NOT NULL"
"""The row, while the claim with this fence holds it: a process whose lease ran out and was
taken over, or whose timer was postponed meanwhile, finds nothing."""
_READY = "COALESCE(lease_until, due_at)"
"""When a row can next be claimed (a lease starts after its row fell due and ends before it is
postponed, so it is the later of the two); ``timers_ready`` indexes it."""


def _due(row: Row) -> DueTimer:
    return DueTimer(
        id=int(row["id"]),
        kind=row["kind"],
        due_at=instant(row["due_at"]),
        payload=str(row["payload"]),
        attempts=int(row["attempts"]),
        key=row["key"],
        fence=int(row["fence"]),
    )


class SqlTimers(Repository):
    """``TimerRepository`` in SQL: the protocol says what each method promises."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.scheduled = False
        """Whether this transaction added or moved a timer (the timer loop then looks again)."""

    async def schedule(
        self,
        payload: TimerPayload,
        due_at: datetime,
        *,
        key: str | None = None,
        about: str | None = None,
    ) -> None:
        self.scheduled = True
        self._db.execute_later(
            "INSERT INTO timers (kind, key, due_at, payload, person) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET due_at = excluded.due_at"
            " WHERE excluded.due_at < timers.due_at",
            (payload.kind, key, due_at, payload.dump(), about),
        )

    async def claim(
        self, now: datetime, limit: int, *, holder: str, until: datetime
    ) -> list[DueTimer]:
        rows = await self._db.fetch_all(
            "WITH picked AS (SELECT id FROM timers"  # noqa: S608
            " WHERE due_at <= ? AND (lease_until IS NULL OR lease_until <= ?)"
            f" ORDER BY due_at, id LIMIT ?{self._db.skip_locked})"
            " UPDATE timers SET leased_by = ?, lease_until = ?, fence = fence + 1"
            f" WHERE id IN (SELECT id FROM picked) RETURNING {_DUE}",
            (now, now, limit, holder, until),
        )
        return sorted(map(_due, rows), key=lambda t: (t.due_at, t.id))

    async def take(self, timer_id: int, fence: int) -> bool:
        taken = await self._db.execute(f"DELETE FROM timers WHERE {_HELD}", (timer_id, fence))  # noqa: S608
        return taken == 1

    async def due(self, now: datetime, limit: int) -> list[DueTimer]:
        rows = await self._db.fetch_all(
            f"SELECT {_DUE} FROM timers WHERE due_at <= ? ORDER BY due_at, id LIMIT ?",  # noqa: S608
            (now, limit),
        )
        return [_due(r) for r in rows]

    async def next_due(self) -> datetime | None:
        row = await self._db.fetch_one(
            f"SELECT {_READY} AS at FROM timers ORDER BY {_READY} LIMIT 1"  # noqa: S608
        )
        return None if row is None else instant(row["at"])

    async def postpone(self, timer_id: int, fence: int, due_at: datetime) -> None:
        self._db.execute_later(
            "UPDATE timers SET due_at = ?, attempts = attempts + 1,"  # noqa: S608
            f" leased_by = NULL, lease_until = NULL WHERE {_HELD}",
            (due_at, timer_id, fence),
        )

    async def release(self, timer_id: int, fence: int) -> None:
        self._db.execute_later(
            f"UPDATE timers SET leased_by = NULL, lease_until = NULL WHERE {_HELD}",  # noqa: S608
            (timer_id, fence),
        )

    async def drop(self, timer_id: int, fence: int) -> None:
        self._db.execute_later(f"DELETE FROM timers WHERE {_HELD}", (timer_id, fence))  # noqa: S608

    async def cancel(self, key: str) -> None:
        self._db.execute_later("DELETE FROM timers WHERE key = ?", (key,))
