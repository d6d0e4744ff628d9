"""People: who the bot has met, the name they go by, their zone, whether their private chat
with the bot is open."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.model import Community, Membership, Person
from bot.storage.sql.communities import SqlCommunities
from bot.storage.sql.memberships import SqlMemberships
from bot.storage.sql.person_data import SAME_PERSON, copy, merge, same_person
from bot.storage.sql.rows import community_from_row, membership_from_row, person_from_row
from bot.storage.sql.session import Repository, kept


class SqlPeople(Repository):
    """``PeopleRepository`` in SQL: the protocol says what each method promises."""

    async def arrive(
        self,
        person: Person,
        community: Community | None,
        now: datetime,
        *,
        admin: bool,
        private_chat: bool,
        claim: str | None = None,
    ) -> tuple[Person, Community | None] | None:
        here = community.key if community is not None else None
        statements: list[tuple[str, tuple[Any, ...]]] = []
        if claim is not None:
            self._db.execute_later("DELETE FROM inbox WHERE key = ?", (claim,))
            statements.append(
                (
                    "INSERT INTO handled_inbounds (key, handled_at) VALUES (?, ?)"
                    " ON CONFLICT DO NOTHING RETURNING key",
                    (claim, now),
                )
            )
        statements.append(
            (
                "SELECT p.name, p.timezone, p.locale, p.private_chat,"
                " k.key AS k_key, k.platform AS k_platform, k.platform_id AS k_platform_id,"
                " k.chat AS k_chat, k.settings AS k_settings, k.active AS k_active,"
                " k.fellowship AS k_fellowship,"
                " m.community, m.person, m.share, m.is_admin, l.principal"
                " FROM (SELECT 1 AS here) AS one"
                " LEFT JOIN people p ON p.key = ?"
                " LEFT JOIN person_links l ON l.person = p.key"
                " LEFT JOIN communities k ON k.key = ?"
                " LEFT JOIN memberships m ON m.community = ? AND m.person = ?",
                (person.key, here, here, person.key),
            )
        )
        found = await self._db.fetch_each(statements)
        if claim is not None and not found[0]:
            return None
        row = found[-1][0]
        if row["name"] is None:
            self._db.execute_later(
                "INSERT INTO people (key, platform, platform_id, name, created_at, private_chat)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET name = excluded.name",
                (person.key, person.platform, person.platform_id, person.name, now, private_chat),
            )
            chat_open = private_chat
        else:
            chat_open = private_chat or bool(row["private_chat"])
            if row["name"] != person.name or chat_open != bool(row["private_chat"]):
                self._db.execute_later(
                    "UPDATE people SET name = ?, private_chat = ? WHERE key = ?",
                    (person.name, chat_open, person.key),
                )
            person = Person(
                person.key,
                person.platform,
                person.platform_id,
                person.name,
                row["timezone"],
                row["locale"],
            )
        self._session.keep(SqlPeople.get, (person.key,), person)
        self._session.keep(SqlPeople.private_chat_open, (person.key,), chat_open)
        # Flows read the person's own data through their principal (``/linkme``): known now.
        self._session.keep(SqlPeople.principal, (person.key,), row["principal"] or person.key)
        if community is None:
            return person, None
        if row["k_key"] is None:
            self._db.execute_later(
                "INSERT INTO communities (key, platform, platform_id, chat, settings, created_at)"
                " VALUES (?, ?, ?, ?, '{}', ?) ON CONFLICT (key) DO NOTHING",
                (community.key, community.platform, community.platform_id, community.chat, now),
            )
        else:
            community = community_from_row(row, "k_")
        if row["person"] is None:
            self._db.execute_later(
                "INSERT INTO memberships (community, person, joined_at, is_admin)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (community, person)"
                " DO UPDATE SET is_admin = excluded.is_admin",
                (community.key, person.key, now, admin),
            )
            membership = Membership(community.key, person.key, False, False)
        else:
            if bool(row["is_admin"]) != admin:
                self._db.execute_later(
                    "UPDATE memberships SET is_admin = ? WHERE community = ? AND person = ?",
                    (admin, community.key, person.key),
                )
            membership = membership_from_row(row)
        self._session.keep(SqlCommunities.get, (community.key,), community)
        self._session.keep(SqlMemberships.get, (community.key, person.key), membership)
        return person, community

    async def upsert(
        self, key: str, platform: str, platform_id: str, name: str, now: datetime
    ) -> Person:
        row = await self._db.fetch_one(
            "INSERT INTO people (key, platform, platform_id, name, created_at)"
            " VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET name = excluded.name"
            " RETURNING key, platform, platform_id, name, timezone, locale",
            (key, platform, platform_id, name, now),
        )
        assert row is not None
        return person_from_row(row)

    @kept("people")
    async def get(self, key: str) -> Person | None:
        row = await self._db.fetch_one(
            "SELECT key, platform, platform_id, name, timezone, locale FROM people WHERE key = ?",
            (key,),
        )
        return None if row is None else person_from_row(row)

    async def set_timezone(self, key: str, timezone: str | None) -> None:
        self._db.execute_later(
            f"UPDATE people SET timezone = ? WHERE key IN ({SAME_PERSON})",  # noqa: S608
            (timezone, *same_person(key)),
        )

    async def set_locale(self, key: str, locale: str | None) -> None:
        self._db.execute_later(
            f"UPDATE people SET locale = ? WHERE key IN ({SAME_PERSON})",  # noqa: S608
            (locale, *same_person(key)),
        )

    async def set_private_chat(self, person: str, open_: bool) -> None:
        found, known = self._session.recall(SqlPeople.private_chat_open, (person,))
        if found and known == open_:
            return
        self._session.write_keeping(
            "UPDATE people SET private_chat = ? WHERE key = ? AND private_chat <> ?",
            (open_, person, open_),
            (SqlPeople.get,),
        )
        self._session.keep(SqlPeople.private_chat_open, (person,), open_)

    @kept("people")
    async def private_chat_open(self, person: str) -> bool:
        row = await self._db.fetch_one("SELECT private_chat FROM people WHERE key = ?", (person,))
        return row is not None and bool(row["private_chat"])

    async def link(self, person: str, principal: str, now: datetime) -> None:
        self._db.execute_later(
            "INSERT INTO person_links (person, principal, linked_at) VALUES (?, ?, ?)"
            " ON CONFLICT (person) DO UPDATE SET principal = excluded.principal,"
            " linked_at = excluded.linked_at",
            (person, principal, now),
        )

    async def unlink(self, person: str) -> None:
        self._db.execute_later("DELETE FROM person_links WHERE person = ?", (person,))

    @kept("person_links")
    async def principal(self, key: str) -> str:
        row = await self._db.fetch_one(
            "SELECT principal FROM person_links WHERE person = ?", (key,)
        )
        return key if row is None else str(row["principal"])

    async def identities(self, key: str) -> list[Person]:
        principal = await self.principal(key)
        rows = await self._db.fetch_all(
            "SELECT key, platform, platform_id, name, timezone, locale FROM people"
            " WHERE key = ? OR key = ? OR key IN"
            " (SELECT person FROM person_links WHERE principal = ?)"
            " ORDER BY CASE WHEN key = ? THEN 0 WHEN key = ? THEN 1 ELSE 2 END, key",
            (key, principal, principal, key, principal),
        )
        return [person_from_row(row) for row in rows]

    async def merge_data(self, person: str, principal: str) -> None:
        merge(self._db, person, principal)

    async def copy_data(self, principal: str, person: str) -> None:
        copy(self._db, principal, person)
