"""Milestone announcements: when each member is next celebrated, and celebrations made."""

from __future__ import annotations

from datetime import date, datetime

from bot.domain.model import PRIMARY, DueAnnouncement
from bot.storage.sql.memberships import SqlMemberships
from bot.storage.sql.rows import community_from_row, day, instant, person_from_row
from bot.storage.sql.session import Repository


class SqlAnnouncements(Repository):
    """``AnnouncementRepository`` in SQL: the protocol says what each method promises."""

    async def set_due(
        self,
        community: str,
        person: str,
        due: tuple[datetime, str, date] | None,
    ) -> None:
        due_at, milestone, milestone_day = due if due else (None, None, None)
        self._session.write_keeping(
            "UPDATE memberships SET announce_due_at = ?, announce_milestone = ?, announce_day = ?"
            " WHERE community = ? AND person = ?",
            (due_at, milestone, milestone_day, community, person),
            (SqlMemberships.get, SqlMemberships.of),
        )

    async def due(self, now: datetime, limit: int) -> list[DueAnnouncement]:
        rows = await self._db.fetch_all(
            # The identity the chat knows, with the person's own data (zone, language, clean
            # date) read through the principal while linked. A linked identity that still holds
            # a date of its own that differs is waiting for the member to choose (/linkme):
            # no date, so that nothing is celebrated there before they do.
            "SELECT m.announce_due_at, m.announce_milestone, m.announce_day, m.share,"
            " p.key AS p_key, p.platform AS p_platform, p.platform_id AS p_platform_id,"
            " p.name AS p_name, o.timezone AS p_timezone, o.locale AS p_locale,"
            " o.key AS principal,"
            " k.key AS k_key, k.platform AS k_platform, k.platform_id AS k_platform_id,"
            " k.chat AS k_chat, k.settings AS k_settings, k.active AS k_active,"
            " k.fellowship AS k_fellowship,"
            " CASE WHEN q.clean_since <> c.clean_since THEN NULL ELSE c.clean_since END"
            " AS clean_since"
            " FROM memberships m"
            " JOIN people p ON p.key = m.person"
            " LEFT JOIN person_links l ON l.person = m.person"
            " JOIN people o ON o.key = COALESCE(l.principal, m.person)"
            " JOIN communities k ON k.key = m.community"
            " LEFT JOIN counters c ON c.person = o.key AND c.name = ?"
            " LEFT JOIN counters q ON q.person = l.person AND q.name = ?"
            " WHERE m.announce_due_at IS NOT NULL AND m.announce_due_at <= ? AND k.active"
            " ORDER BY m.announce_due_at LIMIT ?",
            (PRIMARY, PRIMARY, now, limit),
        )
        return [
            DueAnnouncement(
                community=community_from_row(r, "k_"),
                person=person_from_row(r, "p_"),
                milestone=r["announce_milestone"],
                day=day(r["announce_day"]),
                due_at=instant(r["announce_due_at"]),
                clean_since=None if r["clean_since"] is None else day(r["clean_since"]),
                share=bool(r["share"]),
                principal=r["principal"],
            )
            for r in rows
        ]

    async def earliest_due(self) -> datetime | None:
        row = await self._db.fetch_one(
            "SELECT announce_due_at FROM memberships WHERE announce_due_at IS NOT NULL"
            " ORDER BY announce_due_at LIMIT 1"
        )
        return None if row is None else instant(row["announce_due_at"])

    async def record(
        self,
        community: str,
        person: str,
        counter: str,
        clean_since: date,
        milestone: str,
        now: datetime,
    ) -> bool:
        inserted = await self._db.execute(
            "INSERT INTO announcements"
            " (community, person, counter, clean_since, milestone, announced_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (community, person, counter, clean_since, milestone, now),
        )
        return inserted == 1
