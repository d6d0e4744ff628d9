"""The roles members hold in a community, as the platform last reported them."""

from __future__ import annotations

from collections.abc import Iterable

from bot.storage.sql.session import Repository


class SqlRoles(Repository):
    """``RoleRepository`` in SQL: the protocol says what each method promises."""

    async def of(self, community: str, person: str) -> set[str]:
        rows = await self._db.fetch_all(
            "SELECT role FROM member_roles WHERE community = ? AND person = ?",
            (community, person),
        )
        return {r["role"] for r in rows}

    async def replace(self, community: str, person: str, roles: Iterable[str]) -> bool:
        wanted = set(roles)
        held = await self.of(community, person)
        if wanted == held:
            return False
        for role in held - wanted:
            self._db.execute_later(
                "DELETE FROM member_roles WHERE community = ? AND person = ? AND role = ?",
                (community, person, role),
            )
        for role in sorted(wanted - held):
            self._db.execute_later(
                "INSERT INTO member_roles (community, person, role) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (community, person, role),
            )
        return True
