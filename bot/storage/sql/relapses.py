"""Restarts: counts that ended, kept in their member's private history."""

from __future__ import annotations

from datetime import date, datetime

from bot.domain.records import Restart
from bot.storage.port import Row
from bot.storage.sql.rows import day, instant
from bot.storage.sql.session import Repository


def _restart(row: Row) -> Restart:
    told = row["supporters_told_at"]
    return Restart(
        id=int(row["id"]),
        person=row["person"],
        counter=row["counter"],
        clean_since=day(row["clean_since"]),
        restarted_on=day(row["restarted_on"]),
        note=row["note"],
        created_at=instant(row["created_at"]),
        supporters_told_at=None if told is None else instant(told),
    )


class SqlRelapses(Repository):
    """``RelapseRepository`` in SQL: the protocol says what each method promises."""

    async def record(
        self, person: str, counter: str, clean_since: date, restarted_on: date, now: datetime
    ) -> int:
        row = await self._db.fetch_one(
            "INSERT INTO restarts (person, counter, clean_since, restarted_on, created_at)"
            " VALUES (?, ?, ?, ?, ?) RETURNING id",
            (person, counter, clean_since, restarted_on, now),
        )
        assert row is not None
        return int(row["id"])

    async def has(self, person: str, counter: str, clean_since: date, restarted_on: date) -> bool:
        row = await self._db.fetch_one(
            "SELECT id FROM restarts WHERE person = ? AND counter = ? AND clean_since = ?"
            " AND restarted_on = ?",
            (person, counter, clean_since, restarted_on),
        )
        return row is not None

    async def of(self, person: str) -> list[Restart]:
        rows = await self._db.fetch_all(
            "SELECT id, person, counter, clean_since, restarted_on, note, created_at,"
            " supporters_told_at FROM restarts WHERE person = ? ORDER BY created_at, id",
            (person,),
        )
        return [_restart(r) for r in rows]

    async def latest(self, person: str) -> Restart | None:
        row = await self._db.fetch_one(
            "SELECT id, person, counter, clean_since, restarted_on, note, created_at,"
            " supporters_told_at FROM restarts WHERE person = ?"
            " ORDER BY created_at DESC, id DESC LIMIT 1",
            (person,),
        )
        return None if row is None else _restart(row)

    async def get(self, person: str, restart_id: int) -> Restart | None:
        row = await self._db.fetch_one(
            "SELECT id, person, counter, clean_since, restarted_on, note, created_at,"
            " supporters_told_at FROM restarts WHERE id = ? AND person = ?",
            (restart_id, person),
        )
        return None if row is None else _restart(row)

    async def set_note(self, restart_id: int, note: str | None) -> None:
        self._db.execute_later("UPDATE restarts SET note = ? WHERE id = ?", (note, restart_id))

    async def claim_supporters_told(self, restart_id: int, person: str, now: datetime) -> bool:
        changed = await self._db.execute(
            "UPDATE restarts SET supporters_told_at = ?"
            " WHERE id = ? AND person = ? AND supporters_told_at IS NULL",
            (now, restart_id, person),
        )
        return changed == 1

    async def release_supporters_told(self, restart_id: int, person: str) -> None:
        self._db.execute_later(
            "UPDATE restarts SET supporters_told_at = NULL WHERE id = ? AND person = ?",
            (restart_id, person),
        )
