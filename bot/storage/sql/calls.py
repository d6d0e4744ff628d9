"""Call requests: a member asking for a (practice) call, the volunteers pinged, who took it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.domain.model import Person
from bot.domain.records import CallCounts, CallRequest
from bot.storage.port import Row
from bot.storage.sql.rows import instant, person_from_row
from bot.storage.sql.session import Repository


def _request(row: Row) -> CallRequest:
    return CallRequest(
        id=int(row["id"]),
        community=row["community"],
        person=row["person"],
        chat=row["chat"],
        practice=bool(row["practice"]),
        message=None if row["message"] is None else int(row["message"]),
        claimed_by=row["claimed_by"],
        claimed_at=None if row["claimed_at"] is None else instant(row["claimed_at"]),
        expired_at=None if row["expired_at"] is None else instant(row["expired_at"]),
        created_at=instant(row["created_at"]),
    )


class SqlCalls(Repository):
    """``CallRepository`` in SQL: the protocol says what each method promises."""

    async def add(
        self, community: str, person: str, chat: str, practice: bool, now: datetime
    ) -> int:
        row = await self._db.fetch_one(
            "INSERT INTO call_requests (community, person, chat, practice, created_at)"
            " VALUES (?, ?, ?, ?, ?) RETURNING id",
            (community, person, chat, practice, now),
        )
        assert row is not None
        return int(row["id"])

    async def set_message(self, request: int, message: int) -> None:
        self._db.execute_later(
            "UPDATE call_requests SET message = ? WHERE id = ?", (message, request)
        )

    async def get(self, request: int) -> CallRequest | None:
        row = await self._db.fetch_one(
            "SELECT id, community, person, chat, practice, message, claimed_by, claimed_at,"
            " expired_at, created_at FROM call_requests WHERE id = ?",
            (request,),
        )
        return None if row is None else _request(row)

    async def open_request(self, community: str, person: str, practice: bool) -> CallRequest | None:
        row = await self._db.fetch_one(
            "SELECT id, community, person, chat, practice, message, claimed_by, claimed_at,"
            " expired_at, created_at FROM call_requests"
            " WHERE community = ? AND person = ? AND practice = ?"
            " AND claimed_by IS NULL AND expired_at IS NULL"
            " ORDER BY created_at DESC, id DESC LIMIT 1",
            (community, person, practice),
        )
        return None if row is None else _request(row)

    async def add_pings(self, request: int, people: Iterable[str], now: datetime) -> None:
        for person in people:
            self._db.execute_later(
                "INSERT INTO call_pings (request, person, pinged_at) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (request, person, now),
            )

    async def was_pinged(self, request: int, person: str) -> bool:
        row = await self._db.fetch_one(
            "SELECT 1 AS found FROM call_pings WHERE request = ? AND person = ?", (request, person)
        )
        return row is not None

    async def claim(self, request: int, person: str, now: datetime) -> bool:
        changed = await self._db.execute(
            "UPDATE call_requests SET claimed_by = ?, claimed_at = ?"
            " WHERE id = ? AND claimed_by IS NULL AND expired_at IS NULL",
            (person, now, request),
        )
        return changed == 1

    async def expire(self, request: int, now: datetime) -> bool:
        changed = await self._db.execute(
            "UPDATE call_requests SET expired_at = ?"
            " WHERE id = ? AND claimed_by IS NULL AND expired_at IS NULL",
            (now, request),
        )
        return changed == 1

    async def recent_claimers(self, person: str, since: datetime) -> list[Person]:
        rows = await self._db.fetch_all(
            "SELECT DISTINCT p.key, p.platform, p.platform_id, p.name, p.timezone, p.locale"
            " FROM call_requests r JOIN people p ON p.key = r.claimed_by"
            " WHERE r.person = ? AND r.claimed_at >= ? ORDER BY p.key",
            (person, since),
        )
        return [person_from_row(r) for r in rows]

    async def counts(self, person: str) -> CallCounts:
        rows = await self._db.fetch_all(
            "SELECT practice, COUNT(*) AS asked, COUNT(claimed_by) AS answered"
            " FROM call_requests WHERE person = ? GROUP BY practice",
            (person,),
        )
        by_kind = {bool(r["practice"]): (int(r["asked"]), int(r["answered"])) for r in rows}
        taken = await self._db.fetch_one(
            "SELECT COUNT(*) AS n FROM call_requests WHERE claimed_by = ?", (person,)
        )
        calls = by_kind.get(False, (0, 0))
        practice = by_kind.get(True, (0, 0))
        return CallCounts(
            calls=calls[0],
            calls_answered=calls[1],
            practice=practice[0],
            practice_answered=practice[1],
            taken=0 if taken is None else int(taken["n"]),
        )
