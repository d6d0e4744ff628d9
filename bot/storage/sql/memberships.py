"""Memberships: who belongs where, whether they share their count there, who is an admin."""

from __future__ import annotations

from datetime import datetime

from bot.domain.model import Membership, Person
from bot.storage.sql.rows import membership_from_row, person_from_row
from bot.storage.sql.session import Repository, kept

_MEMBERSHIPS = "memberships"


class SqlMemberships(Repository):
    """``MembershipRepository`` in SQL: the protocol says what each method promises."""

    async def ensure(self, community: str, person: str, now: datetime) -> Membership:
        row = await self._db.fetch_one(
            "INSERT INTO memberships (community, person, joined_at) VALUES (?, ?, ?)"
            " ON CONFLICT (community, person) DO UPDATE SET share = memberships.share"
            " RETURNING community, person, share",
            (community, person, now),
        )
        assert row is not None
        return membership_from_row(row)

    @kept(_MEMBERSHIPS)
    async def get(self, community: str, person: str) -> Membership | None:
        row = await self._db.fetch_one(
            "SELECT community, person, share FROM memberships WHERE community = ? AND person = ?",
            (community, person),
        )
        return None if row is None else membership_from_row(row)

    @kept(_MEMBERSHIPS)
    async def of(self, person: str) -> list[Membership]:
        rows = await self._db.fetch_all(
            "SELECT community, person, share FROM memberships WHERE person = ? ORDER BY community",
            (person,),
        )
        found = [membership_from_row(r) for r in rows]
        for membership in found:
            self._session.keep(SqlMemberships.get, (membership.community, person), membership)
        return found

    async def set_share(self, community: str, person: str, share: bool) -> None:
        self._db.execute_later(
            "UPDATE memberships SET share = ? WHERE community = ? AND person = ?",
            (share, community, person),
        )

    async def share_by_default(self, community: str, person: str) -> None:
        self._db.execute_later(
            "UPDATE memberships SET share = TRUE"
            " WHERE community = ? AND person = ? AND share IS NULL",
            (community, person),
        )

    async def leave(self, community: str, person: str) -> None:
        for sql in (
            "DELETE FROM supporters WHERE community = ? AND person = ?",
            "DELETE FROM meeting_reminders WHERE community = ? AND person = ?",
            "DELETE FROM member_roles WHERE community = ? AND person = ?",
            "DELETE FROM memberships WHERE community = ? AND person = ?",
        ):
            self._db.execute_later(sql, (community, person))

    async def members(self, community: str) -> list[Person]:
        rows = await self._db.fetch_all(
            "SELECT p.key, p.platform, p.platform_id, p.name, p.timezone, p.locale"
            " FROM memberships m JOIN people p ON p.key = m.person"
            " WHERE m.community = ? ORDER BY p.key",
            (community,),
        )
        return [person_from_row(r) for r in rows]

    async def set_admin(self, community: str, person: str, admin: bool) -> None:
        self._db.execute_later(
            "UPDATE memberships SET is_admin = ?"
            " WHERE community = ? AND person = ? AND is_admin <> ?",
            (admin, community, person, admin),
        )

    async def admins(self, community: str) -> list[Person]:
        rows = await self._db.fetch_all(
            "SELECT p.key, p.platform, p.platform_id, p.name, p.timezone, p.locale"
            " FROM memberships m JOIN people p ON p.key = m.person"
            " WHERE m.community = ? AND m.is_admin AND p.private_chat ORDER BY p.key",
            (community,),
        )
        return [person_from_row(r) for r in rows]
