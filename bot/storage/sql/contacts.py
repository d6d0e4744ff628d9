"""Contacts: the way to reach a member that they chose to hand to whoever takes their call."""

from __future__ import annotations

from datetime import datetime

from bot.storage.sql.session import Repository


class SqlContacts(Repository):
    """``ContactRepository`` in SQL: the protocol says what each method promises."""

    async def set(self, person: str, contact: str, now: datetime) -> None:
        self._db.execute_later(
            "INSERT INTO contacts (person, contact, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (person) DO UPDATE"
            " SET contact = excluded.contact, updated_at = excluded.updated_at",
            (person, contact, now),
        )

    async def of(self, person: str) -> str | None:
        row = await self._db.fetch_one("SELECT contact FROM contacts WHERE person = ?", (person,))
        return None if row is None else str(row["contact"])

    async def clear(self, person: str) -> bool:
        return await self._db.execute("DELETE FROM contacts WHERE person = ?", (person,)) == 1
