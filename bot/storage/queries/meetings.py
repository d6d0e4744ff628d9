"""Meeting reminders, and the members of a community (for recomputing after a settings change)."""

from __future__ import annotations

from bot.domain.model import Person
from bot.storage.queries.base import Queries, person_from_row


class MeetingQueries(Queries):
    """Meeting reminders, and the members of a community."""

    async def set_meeting_reminder(self, community: str, person: str, on: bool) -> None:
        """Opt a member in to (or out of) a reminder before each of the community's meetings."""
        if on:
            self._db.execute_later(
                "INSERT INTO meeting_reminders (community, person) VALUES (?, ?)"
                " ON CONFLICT DO NOTHING",
                (community, person),
            )
        else:
            self._db.execute_later(
                "DELETE FROM meeting_reminders WHERE community = ? AND person = ?",
                (community, person),
            )

    async def wants_meeting_reminders(self, community: str, person: str) -> bool:
        row = await self._db.fetch_one(
            "SELECT 1 AS found FROM meeting_reminders WHERE community = ? AND person = ?",
            (community, person),
        )
        return row is not None

    async def meeting_reminder_people(self, community: str) -> list[Person]:
        """Everyone in this community who asked to be reminded of its meetings."""
        rows = await self._db.fetch_all(
            "SELECT p.key, p.platform, p.platform_id, p.name, p.timezone"
            " FROM meeting_reminders r JOIN people p ON p.key = r.person"
            " WHERE r.community = ? ORDER BY p.key",
            (community,),
        )
        return [person_from_row(r) for r in rows]

    async def has_meeting_reminders(self, community: str) -> bool:
        row = await self._db.fetch_one(
            "SELECT 1 AS found FROM meeting_reminders WHERE community = ? LIMIT 1", (community,)
        )
        return row is not None

    async def cancel_meeting_timer(self, key: str) -> None:
        """Drop a keyed timer, so it can be armed again for a later time."""
        self._db.execute_later("DELETE FROM timers WHERE key = ?", (key,))

    async def community_members(self, community: str) -> list[Person]:
        """Everyone who belongs to this community."""
        rows = await self._db.fetch_all(
            "SELECT p.key, p.platform, p.platform_id, p.name, p.timezone"
            " FROM memberships m JOIN people p ON p.key = m.person"
            " WHERE m.community = ? ORDER BY p.key",
            (community,),
        )
        return [person_from_row(r) for r in rows]
