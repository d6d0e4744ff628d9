"""Timers: work due at a given time (a reminder, a check-in, housekeeping)."""

from __future__ import annotations

from datetime import datetime

from bot.domain.records import DueTimer
from bot.domain.timers import TimerPayload
from bot.storage.sql.rows import instant
from bot.storage.sql.session import Repository, Session


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

    async def take(self, timer_id: int) -> bool:
        return await self._db.execute("DELETE FROM timers WHERE id = ?", (timer_id,)) == 1

    async def due(self, now: datetime, limit: int) -> list[DueTimer]:
        rows = await self._db.fetch_all(
            "SELECT id, kind, key, due_at, payload, attempts FROM timers WHERE due_at <= ?"
            " ORDER BY due_at, id LIMIT ?",
            (now, limit),
        )
        return [
            DueTimer(
                id=int(r["id"]),
                kind=r["kind"],
                due_at=instant(r["due_at"]),
                payload=str(r["payload"]),
                attempts=int(r["attempts"]),
                key=r["key"],
            )
            for r in rows
        ]

    async def next_due(self) -> datetime | None:
        row = await self._db.fetch_one("SELECT due_at FROM timers ORDER BY due_at LIMIT 1")
        return None if row is None else instant(row["due_at"])

    async def postpone(self, timer_id: int, due_at: datetime) -> None:
        self._db.execute_later(
            "UPDATE timers SET due_at = ?, attempts = attempts + 1 WHERE id = ?",
            (due_at, timer_id),
        )

    async def drop(self, timer_id: int) -> None:
        self._db.execute_later("DELETE FROM timers WHERE id = ?", (timer_id,))

    async def cancel(self, key: str) -> None:
        self._db.execute_later("DELETE FROM timers WHERE key = ?", (key,))
