"""Call requests, phone-list volunteers and contacts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.domain.model import Person
from bot.storage.port import Row
from bot.storage.queries.base import Queries, instant, person_from_row


@dataclass(frozen=True, slots=True)
class CallRequest:
    """One request for a phone call (or a practice call) posted in a group."""

    id: int
    community: str
    person: str
    chat: str
    practice: bool
    message: int | None
    """The outbox id of the group post with the **I'll call** button; None when asked privately."""
    claimed_by: str | None
    claimed_at: datetime | None
    expired_at: datetime | None
    created_at: datetime

    @property
    def open(self) -> bool:
        return self.claimed_by is None and self.expired_at is None

    @property
    def private(self) -> bool:
        """Asked privately: only the volunteers it pinged were told, each in a private chat."""
        return self.message is None


@dataclass(frozen=True, slots=True)
class CallCounts:
    """What a member asked for and what they gave: requests, answered ones, calls taken."""

    calls: int = 0
    calls_answered: int = 0
    practice: int = 0
    practice_answered: int = 0
    taken: int = 0


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


class CallQueries(Queries):
    """Call requests, phone-list volunteers and contacts."""

    # -- requests -------------------------------------------------------------------------------

    async def add_call_request(
        self, community: str, person: str, chat: str, practice: bool, now: datetime
    ) -> int:
        row = await self._db.fetch_one(
            "INSERT INTO call_requests (community, person, chat, practice, created_at)"
            " VALUES (?, ?, ?, ?, ?) RETURNING id",
            (community, person, chat, practice, now),
        )
        assert row is not None
        return int(row["id"])

    async def set_call_message(self, request: int, message: int) -> None:
        self._db.execute_later(
            "UPDATE call_requests SET message = ? WHERE id = ?", (message, request)
        )

    async def call_request(self, request: int) -> CallRequest | None:
        row = await self._db.fetch_one(
            "SELECT id, community, person, chat, practice, message, claimed_by, claimed_at,"
            " expired_at, created_at FROM call_requests WHERE id = ?",
            (request,),
        )
        return None if row is None else _request(row)

    async def open_call_request(
        self, community: str, person: str, practice: bool
    ) -> CallRequest | None:
        """The member's request of this kind here that nobody has taken and has not closed."""
        row = await self._db.fetch_one(
            "SELECT id, community, person, chat, practice, message, claimed_by, claimed_at,"
            " expired_at, created_at FROM call_requests"
            " WHERE community = ? AND person = ? AND practice = ?"
            " AND claimed_by IS NULL AND expired_at IS NULL"
            " ORDER BY created_at DESC LIMIT 1",
            (community, person, practice),
        )
        return None if row is None else _request(row)

    async def add_call_pings(self, request: int, people: Iterable[str], now: datetime) -> None:
        for person in people:
            self._db.execute_later(
                "INSERT INTO call_pings (request, person, pinged_at) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (request, person, now),
            )

    async def was_pinged_for_call(self, request: int, person: str) -> bool:
        """Whether ``person`` was asked to take this request."""
        row = await self._db.fetch_one(
            "SELECT 1 AS found FROM call_pings WHERE request = ? AND person = ?", (request, person)
        )
        return row is not None

    async def claim_call(self, request: int, person: str, now: datetime) -> bool:
        """Take an open request for ``person``; False when someone was first or it closed."""
        changed = await self._db.execute(
            "UPDATE call_requests SET claimed_by = ?, claimed_at = ?"
            " WHERE id = ? AND claimed_by IS NULL AND expired_at IS NULL",
            (person, now, request),
        )
        return changed == 1

    async def expire_call(self, request: int, now: datetime) -> bool:
        """Close a request nobody took; False when it was taken or closed already."""
        changed = await self._db.execute(
            "UPDATE call_requests SET expired_at = ?"
            " WHERE id = ? AND claimed_by IS NULL AND expired_at IS NULL",
            (now, request),
        )
        return changed == 1

    async def recent_call_claimers(self, person: str, since: datetime) -> list[Person]:
        """Who took this member's calls since ``since``, each once."""
        rows = await self._db.fetch_all(
            "SELECT DISTINCT p.key, p.platform, p.platform_id, p.name, p.timezone"
            " FROM call_requests r JOIN people p ON p.key = r.claimed_by"
            " WHERE r.person = ? AND r.claimed_at >= ? ORDER BY p.key",
            (person, since),
        )
        return [person_from_row(r) for r in rows]

    async def call_counts(self, person: str) -> CallCounts:
        """How many calls and practice calls the member asked for, and calls they took."""
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

    # -- contacts -------------------------------------------------------------------------------

    async def set_contact(self, person: str, contact: str, now: datetime) -> None:
        self._db.execute_later(
            "INSERT INTO contacts (person, contact, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (person) DO UPDATE"
            " SET contact = excluded.contact, updated_at = excluded.updated_at",
            (person, contact, now),
        )

    async def contact_of(self, person: str) -> str | None:
        row = await self._db.fetch_one("SELECT contact FROM contacts WHERE person = ?", (person,))
        return None if row is None else str(row["contact"])

    async def clear_contact(self, person: str) -> bool:
        """Remove the member's contact; False when there was none."""
        return await self._db.execute("DELETE FROM contacts WHERE person = ?", (person,)) == 1
