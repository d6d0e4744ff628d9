"""Supporters: who opted in to which pings where, their hours, and when they were last
pinged (for rest and fairness)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bot.domain.records import ROLES, Role, SupporterRow
from bot.storage.port import Row
from bot.storage.sql.person_data import SAME_PERSON, same_person
from bot.storage.sql.rows import flat, instant, marks, person_from_row
from bot.storage.sql.session import Repository, kept

_SET_ROLE: dict[Role, str] = {
    # Saying /supporter off is remembered as a "no", which a community's supporter role
    # does not override; /supporter on takes it back.
    "cravings": "UPDATE supporters SET cravings = ?, cravings_declined = NOT ?"
    " WHERE community = ? AND person = ?",
    "calls": "UPDATE supporters SET calls = ? WHERE community = ? AND person = ?",
    "practice": "UPDATE supporters SET practice = ? WHERE community = ? AND person = ?",
}


_TABLES = ("people", "supporter_pings", "supporters", "member_roles")


def supporters_sql(
    community: str, role: Role, supporter_role: str | None
) -> tuple[str, tuple[Any, ...]]:
    assert role in ROLES
    if role == "cravings" and supporter_role is not None:
        return (
            "SELECT p.key, p.platform, p.platform_id, p.name, p.timezone, p.locale,"
            " p.supporter_hours, p.supporter_urgent, r.last_pinged_at"
            " FROM people p LEFT JOIN supporter_pings r ON r.person = p.key AND r.role = ?"
            " WHERE p.key IN ("
            " SELECT s.person FROM supporters s WHERE s.community = ? AND s.cravings"
            " UNION"
            " SELECT m.person FROM member_roles m WHERE m.community = ? AND m.role = ?"
            " AND NOT EXISTS (SELECT 1 FROM supporters d WHERE d.community = m.community"
            " AND d.person = m.person AND d.cravings_declined)) ORDER BY p.key",
            (role, community, community, supporter_role),
        )
    return (
        "SELECT p.key, p.platform, p.platform_id, p.name, p.timezone, p.locale,"
        " p.supporter_hours, p.supporter_urgent, r.last_pinged_at"
        " FROM people p LEFT JOIN supporter_pings r ON r.person = p.key AND r.role = ?"
        " WHERE p.key IN (SELECT s.person FROM supporters s"
        " WHERE s.community = ? AND CASE ? WHEN 'cravings' THEN s.cravings"
        " WHEN 'calls' THEN s.calls ELSE s.practice END) ORDER BY p.key",
        (role, community, role),
    )


def supporters_from_rows(rows: list[Row]) -> list[SupporterRow]:
    return [
        SupporterRow(
            person_from_row(r),
            r["supporter_hours"],
            None if r["last_pinged_at"] is None else instant(r["last_pinged_at"]),
            bool(r["supporter_urgent"]),
        )
        for r in rows
    ]


class SqlSupporters(Repository):
    """``SupporterRepository`` in SQL: the protocol says what each method promises."""

    async def set_role(self, community: str, person: str, role: Role, on: bool) -> None:
        assert role in ROLES
        self._db.execute_later(
            "INSERT INTO supporters (community, person) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (community, person),
        )
        flags = (on, on) if role == "cravings" else (on,)
        self._db.execute_later(_SET_ROLE[role], (*flags, community, person))

    async def roles(self, community: str, person: str) -> set[Role]:
        row = await self._db.fetch_one(
            "SELECT cravings, calls, practice FROM supporters WHERE community = ? AND person = ?",
            (community, person),
        )
        return set() if row is None else {r for r in ROLES if row[r]}

    async def set_hours(self, person: str, hours: str | None) -> None:
        self._db.execute_later(
            "UPDATE people SET supporter_hours = ?"  # noqa: S608 - the backend's operator
            f" WHERE key IN ({SAME_PERSON}) AND supporter_hours {self._db.distinct} ?",
            (hours, *same_person(person), hours),
        )

    async def hours(self, person: str) -> str | None:
        row = await self._db.fetch_one(
            "SELECT supporter_hours FROM people WHERE key = ?", (person,)
        )
        return None if row is None else row["supporter_hours"]

    async def set_urgent(self, person: str, on: bool) -> None:
        self._db.execute_later(
            f"UPDATE people SET supporter_urgent = ? WHERE key IN ({SAME_PERSON})",  # noqa: S608
            (on, *same_person(person)),
        )

    async def urgent(self, person: str) -> bool:
        row = await self._db.fetch_one(
            "SELECT supporter_urgent FROM people WHERE key = ?", (person,)
        )
        return row is not None and bool(row["supporter_urgent"])

    async def set_bridge_pings(self, person: str, on: bool) -> None:
        self._db.execute_later(
            f"UPDATE people SET bridge_pings = ? WHERE key IN ({SAME_PERSON})",  # noqa: S608
            (on, *same_person(person)),
        )

    async def bridge_pings(self, person: str) -> bool:
        row = await self._db.fetch_one("SELECT bridge_pings FROM people WHERE key = ?", (person,))
        return row is None or bool(row["bridge_pings"])

    @kept(*_TABLES)
    async def opted_in(
        self, community: str, role: Role, *, supporter_role: str | None = None
    ) -> list[SupporterRow]:
        return supporters_from_rows(
            await self._db.fetch_all(*supporters_sql(community, role, supporter_role))
        )

    async def mark_pinged(self, people: Iterable[str], role: Role, now: datetime) -> None:
        rows = [(person, role, now) for person in dict.fromkeys(people)]
        if rows:
            self._db.execute_later(
                "INSERT INTO supporter_pings (person, role, last_pinged_at)"  # noqa: S608
                f" VALUES {marks(rows)} ON CONFLICT (person, role)"
                " DO UPDATE SET last_pinged_at = excluded.last_pinged_at",
                flat(rows),
            )
            # A linked member rests on every platform: they are one person.
            keys = [person for person, _, _ in rows]
            some = ", ".join("?" * len(keys))
            self._db.execute_later(
                "INSERT INTO supporter_pings (person, role, last_pinged_at)"  # noqa: S608
                " SELECT s.key, ?, ? FROM ("
                f"SELECT person AS key FROM person_links WHERE principal IN ({some})"
                f" UNION SELECT principal FROM person_links WHERE person IN ({some})"
                " UNION SELECT o.person FROM person_links o"
                f" JOIN person_links l ON o.principal = l.principal WHERE l.person IN ({some})"
                ") s WHERE TRUE ON CONFLICT (person, role)"
                " DO UPDATE SET last_pinged_at = excluded.last_pinged_at",
                (role, now, *keys, *keys, *keys),
            )
