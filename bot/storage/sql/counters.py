"""Clean-time counters: a member's primary count and their named ones."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from bot.domain.model import PRIMARY, Counter, Person
from bot.storage.sql.rows import day, person_from_row
from bot.storage.sql.session import Repository, kept

_SHARED = (
    # A linked identity counts as its principal: one person, one clean date, however many of
    # the chats asked about they share in.
    "SELECT DISTINCT o.key, o.platform, o.platform_id, o.name, o.timezone, o.locale,"
    " c.clean_since"
    " FROM memberships m"
    " LEFT JOIN person_links l ON l.person = m.person"
    " JOIN people o ON o.key = COALESCE(l.principal, m.person)"
    " JOIN counters c ON c.person = o.key AND c.name = ?"
)


class SqlCounters(Repository):
    """``CounterRepository`` in SQL: the protocol says what each method promises."""

    async def set(self, person: str, name: str, clean_since: date, now: datetime) -> None:
        found, counters = self._session.recall(SqlCounters.of, (person,))
        self._db.execute_later(
            "INSERT INTO counters (person, name, clean_since, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (person, name) DO UPDATE"
            " SET clean_since = excluded.clean_since, updated_at = excluded.updated_at",
            (person, name, clean_since, now),
        )
        if found:
            kept = [c for c in counters if c.name != name] + [Counter(person, name, clean_since)]
            kept.sort(key=lambda c: (c.name != PRIMARY, c.name))
            self._session.keep(SqlCounters.of, (person,), kept)

    async def remove(self, person: str, name: str) -> None:
        self._db.execute_later("DELETE FROM counters WHERE person = ? AND name = ?", (person, name))

    @kept("counters")
    async def of(self, person: str) -> list[Counter]:
        rows = await self._db.fetch_all(
            "SELECT person, name, clean_since FROM counters WHERE person = ?"
            " ORDER BY name != '', name",
            (person,),
        )
        return [Counter(r["person"], r["name"], day(r["clean_since"])) for r in rows]

    async def shared_in(self, communities: Sequence[str]) -> list[tuple[Person, date]]:
        if not communities:
            return []
        marks = ", ".join("?" * len(communities))
        rows = await self._db.fetch_all(
            _SHARED  # only placeholders are joined in
            + f" WHERE m.community IN ({marks}) AND m.share ORDER BY o.key",
            (PRIMARY, *communities),
        )
        return [(person_from_row(r), day(r["clean_since"])) for r in rows]
