"""Consent: whether a member said yes to keeping their recovery data, and erasing it again."""

from __future__ import annotations

from datetime import datetime

from bot.domain.model import Person
from bot.domain.records import Consent
from bot.storage.sql.rows import instant, person_from_row
from bot.storage.sql.session import Repository

COVERED = ("counters", "restarts", "contacts", "announcements")
"""The tables whose rows exist only with a member's consent; withdrawing it empties them."""


class SqlConsent(Repository):
    """``ConsentRepository`` in SQL: the protocol says what each method promises."""

    async def of(self, person: str) -> Consent | None:
        row = await self._db.fetch_one(
            "SELECT given_at, declined_at, implied FROM consents WHERE person = ?", (person,)
        )
        if row is None:
            return None
        return Consent(
            None if row["given_at"] is None else instant(row["given_at"]),
            None if row["declined_at"] is None else instant(row["declined_at"]),
            bool(row["implied"]),
        )

    async def give(self, person: str, now: datetime) -> None:
        self._db.execute_later(
            "INSERT INTO consents (person, given_at) VALUES (?, ?)"
            " ON CONFLICT (person) DO UPDATE SET given_at = excluded.given_at,"
            " declined_at = NULL, implied = FALSE",
            (person, now),
        )

    async def decline(self, person: str, now: datetime) -> None:
        self._db.execute_later(
            "INSERT INTO consents (person, declined_at) VALUES (?, ?)"
            " ON CONFLICT (person) DO UPDATE SET declined_at = excluded.declined_at",
            (person, now),
        )

    async def withdraw(self, person: str) -> None:
        for table in COVERED:
            self._db.execute_later(f"DELETE FROM {table} WHERE person = ?", (person,))  # noqa: S608
        self._db.execute_later(
            "UPDATE memberships SET share = NULL, announce_due_at = NULL WHERE person = ?",
            (person,),
        )
        self._db.execute_later("DELETE FROM consents WHERE person = ?", (person,))

    async def untold_implied(self, limit: int) -> list[Person]:
        rows = await self._db.fetch_all(
            "SELECT p.key, p.platform, p.platform_id, p.name, p.timezone, p.locale FROM consents c"
            " JOIN people p ON p.key = c.person WHERE c.implied AND c.told_at IS NULL"
            " ORDER BY c.person LIMIT ?",
            (limit,),
        )
        return [person_from_row(r) for r in rows]

    async def mark_told(self, person: str, now: datetime) -> None:
        self._db.execute_later("UPDATE consents SET told_at = ? WHERE person = ?", (now, person))
