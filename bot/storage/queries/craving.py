"""Supporters, cravings, their pings and claims."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.domain.model import Person
from bot.storage.queries.base import Queries, instant

Role = Literal["cravings", "calls", "practice"]
"""What a supporter opted in to: craving pings, calls, practice calls."""
_ROLES: tuple[Role, ...] = ("cravings", "calls", "practice")
_SET_ROLE: dict[Role, str] = {
    "cravings": "UPDATE supporters SET cravings = ? WHERE community = ? AND person = ?",
    "calls": "UPDATE supporters SET calls = ? WHERE community = ? AND person = ?",
    "practice": "UPDATE supporters SET practice = ? WHERE community = ? AND person = ?",
}


@dataclass(frozen=True, slots=True)
class SupporterRow:
    """A supporter as the fair choice needs them."""

    person: Person
    hours: str | None
    last_pinged_at: datetime | None


@dataclass(frozen=True, slots=True)
class Craving:
    """One craving a member shared."""

    id: int
    community: str | None
    person: str
    chat: str
    message: int | None
    pinged: bool
    claimed_by: str | None
    outcome: str | None
    created_at: datetime


class CravingQueries(Queries):
    """Supporters, cravings, their pings and claims."""

    # -- supporters -----------------------------------------------------------------------------

    async def set_supporter(self, community: str, person: str, role: Role, on: bool) -> None:
        """Opt a person in or out of one kind of ping in one community."""
        assert role in _ROLES
        await self._db.execute(
            "INSERT INTO supporters (community, person) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (community, person),
        )
        await self._db.execute(_SET_ROLE[role], (on, community, person))

    async def supporter_roles(self, community: str, person: str) -> set[Role]:
        row = await self._db.fetch_one(
            "SELECT cravings, calls, practice FROM supporters WHERE community = ? AND person = ?",
            (community, person),
        )
        return set() if row is None else {r for r in _ROLES if row[r]}

    async def set_supporter_hours(self, person: str, hours: str | None) -> None:
        await self._db.execute(
            "UPDATE people SET supporter_hours = ? WHERE key = ?", (hours, person)
        )

    async def supporter_hours(self, person: str) -> str | None:
        row = await self._db.fetch_one(
            "SELECT supporter_hours FROM people WHERE key = ?", (person,)
        )
        return None if row is None else row["supporter_hours"]

    async def supporters(self, community: str, role: Role) -> list[SupporterRow]:
        """Everyone in this community who opted in to ``role``."""
        assert role in _ROLES
        rows = await self._db.fetch_all(
            "SELECT p.key, p.platform, p.platform_id, p.name, p.timezone,"
            " p.supporter_hours, p.last_pinged_at"
            " FROM supporters s JOIN people p ON p.key = s.person"
            " WHERE s.community = ? AND CASE ? WHEN 'cravings' THEN s.cravings"
            " WHEN 'calls' THEN s.calls ELSE s.practice END",
            (community, role),
        )
        return [
            SupporterRow(
                Person(r["key"], r["platform"], r["platform_id"], r["name"], r["timezone"]),
                r["supporter_hours"],
                None if r["last_pinged_at"] is None else instant(r["last_pinged_at"]),
            )
            for r in rows
        ]

    async def mark_pinged(self, people: Iterable[str], now: datetime) -> None:
        """Remember when these supporters were last pinged, for rest and fairness."""
        for person in people:
            await self._db.execute(
                "UPDATE people SET last_pinged_at = ? WHERE key = ?", (now, person)
            )
