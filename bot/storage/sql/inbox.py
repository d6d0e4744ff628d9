"""Inbound dedupe keys, and the updates stored before the platform is told they arrived."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.storage.sql.rows import instant
from bot.storage.sql.session import Repository


class SqlInbox(Repository):
    """``InboxRepository`` in SQL: the protocol says what each method promises."""

    async def claim(self, key: str, now: datetime) -> bool:
        self._db.execute_later("DELETE FROM inbox WHERE key = ?", (key,))
        inserted = await self._db.execute(
            "INSERT INTO handled_inbounds (key, handled_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (key, now),
        )
        return inserted == 1

    async def store(
        self,
        key: str,
        platform: str,
        payload: str,
        now: datetime,
        *,
        due: datetime | None = None,
    ) -> bool:
        (stored,) = await self.store_all([(key, payload)], platform, now, due=due)
        return stored

    async def store_all(
        self,
        updates: Sequence[tuple[str, str]],
        platform: str,
        now: datetime,
        *,
        due: datetime | None = None,
    ) -> list[bool]:
        found = await self._db.fetch_each(
            [
                (
                    "INSERT INTO inbox (key, platform, payload, received_at, next_attempt_at)"
                    " SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS"
                    " (SELECT 1 FROM handled_inbounds WHERE key = ?)"
                    " ON CONFLICT DO NOTHING RETURNING key",
                    (key, platform, payload, now, due, key),
                )
                for key, payload in updates
            ]
        )
        return [bool(rows) for rows in found]

    async def waiting(
        self, platform: str, limit: int, due_by: datetime | None = None
    ) -> list[tuple[str, str, int]]:
        due = "" if due_by is None else " AND (next_attempt_at IS NULL OR next_attempt_at <= ?)"
        rows = await self._db.fetch_all(
            "SELECT key, payload, attempts FROM inbox WHERE platform = ? AND set_aside_at IS NULL"  # noqa: S608
            + due
            + " ORDER BY received_at, key LIMIT ?",
            (platform, limit) if due_by is None else (platform, due_by, limit),
        )
        return [(r["key"], r["payload"], int(r["attempts"])) for r in rows]

    async def next_attempt(self, platform: str) -> datetime | None:
        row = await self._db.fetch_one(
            "SELECT MIN(next_attempt_at) AS due FROM inbox"
            " WHERE platform = ? AND set_aside_at IS NULL",
            (platform,),
        )
        return None if row is None or row["due"] is None else instant(row["due"])

    async def failed(
        self, key: str, reason: str, now: datetime, *, retry_at: datetime, max_tries: int
    ) -> tuple[int, bool]:
        row = await self._db.fetch_one(
            "UPDATE inbox SET attempts = attempts + 1, reason = ?, next_attempt_at = ?,"  # noqa: S608
            f" set_aside_at = CASE WHEN attempts + 1 >= ? THEN {self._db.instant} END"
            " WHERE key = ? AND set_aside_at IS NULL RETURNING attempts, set_aside_at",
            (reason, retry_at, max_tries, now, key),
        )
        if row is None:
            return 0, False
        return int(row["attempts"]), row["set_aside_at"] is not None

    async def set_aside_count(self, platform: str) -> int:
        row = await self._db.fetch_one(
            "SELECT COUNT(*) AS n FROM inbox WHERE platform = ? AND set_aside_at IS NOT NULL",
            (platform,),
        )
        return 0 if row is None else int(row["n"])

    async def release(self, platform: str, now: datetime) -> int:
        return await self._db.execute(
            "UPDATE inbox SET next_attempt_at = ?"
            " WHERE platform = ? AND set_aside_at IS NULL AND next_attempt_at > ?",
            (now, platform, now),
        )

    async def drop(self, *keys: str) -> None:
        if keys:
            self._db.execute_later(
                f"DELETE FROM inbox WHERE key IN ({', '.join('?' * len(keys))})",  # noqa: S608
                keys,
            )

    async def forget_set_aside_before(self, cutoff: datetime) -> int:
        return await self._db.execute(
            "DELETE FROM inbox WHERE set_aside_at IS NOT NULL AND set_aside_at < ?", (cutoff,)
        )

    async def forget_handled_before(self, cutoff: datetime) -> int:
        return await self._db.execute(
            "DELETE FROM handled_inbounds WHERE handled_at < ?", (cutoff,)
        )
