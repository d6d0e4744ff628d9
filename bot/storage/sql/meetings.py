"""Meeting reminders: who wants to be reminded before their community's meetings."""

from __future__ import annotations

from bot.domain.model import Person
from bot.storage.sql.rows import person_from_row
from bot.storage.sql.session import Repository


class SqlMeetings(Repository):
    """``MeetingRepository`` in SQL: the protocol says what each method promises."""

    async def set_reminder(self, community: str, person: str, on: bool) -> None:
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

    async def wants_reminders(self, community: str, person: str) -> bool:
        row = await self._db.fetch_one(
            "SELECT 1 AS found FROM meeting_reminders WHERE community = ? AND person = ?",
            (community, person),
        )
        return row is not None

    async def reminder_people(self, community: str) -> list[Person]:
        rows = await self._db.fetch_all(
            "SELECT p.key, p.platform, p.platform_id, p.name, p.timezone, p.locale"
            " FROM meeting_reminders r JOIN people p ON p.key = r.person"
            " WHERE r.community = ? ORDER BY p.key",
            (community,),
        )
        return [person_from_row(r) for r in rows]

    async def has_reminders(self, community: str) -> bool:
        row = await self._db.fetch_one(
            "SELECT 1 AS found FROM meeting_reminders WHERE community = ? LIMIT 1", (community,)
        )
        return row is not None
