"""Communities: the groups and servers the bot serves, and their settings."""

from __future__ import annotations

import json
from datetime import datetime

from bot.domain.community import CommunitySettings
from bot.domain.model import Community
from bot.storage.sql.rows import community_from_row
from bot.storage.sql.session import Repository, kept


class SqlCommunities(Repository):
    """``CommunityRepository`` in SQL: the protocol says what each method promises."""

    async def upsert(
        self, key: str, platform: str, platform_id: str, chat: str, now: datetime
    ) -> Community:
        row = await self._db.fetch_one(
            "INSERT INTO communities (key, platform, platform_id, chat, settings, created_at)"
            " VALUES (?, ?, ?, ?, '{}', ?)"
            " ON CONFLICT (key) DO UPDATE SET chat = communities.chat"
            " RETURNING key, platform, platform_id, chat, settings, active, fellowship",
            (key, platform, platform_id, chat, now),
        )
        assert row is not None
        return community_from_row(row)

    @kept("communities")
    async def get(self, key: str) -> Community | None:
        row = await self._db.fetch_one(
            "SELECT key, platform, platform_id, chat, settings, active, fellowship"
            " FROM communities WHERE key = ?",
            (key,),
        )
        return None if row is None else community_from_row(row)

    async def set_active(self, key: str, active: bool) -> None:
        self._db.execute_later("UPDATE communities SET active = ? WHERE key = ?", (active, key))

    async def save_settings(self, key: str, settings: CommunitySettings) -> None:
        self._db.execute_later(
            "UPDATE communities SET settings = ? WHERE key = ?",
            (json.dumps(settings.as_json(), sort_keys=True), key),
        )

    async def fellowship(self, key: str) -> list[Community]:
        rows = await self._db.fetch_all(
            "SELECT key, platform, platform_id, chat, settings, active, fellowship"
            " FROM communities WHERE key = ? OR fellowship ="
            " (SELECT fellowship FROM communities WHERE key = ?)"
            " ORDER BY CASE WHEN key = ? THEN 0 ELSE 1 END, key",
            (key, key, key),
        )
        return [community_from_row(row) for row in rows]

    async def link(self, a: str, b: str) -> bool:
        rows = await self._db.fetch_all(
            "SELECT key, fellowship FROM communities WHERE key IN (?, ?)"  # noqa: S608
            f" ORDER BY key{self._db.for_update}",
            (a, b),
        )
        if len(rows) != 2 or any(row["fellowship"] is not None for row in rows):
            return False
        self._db.execute_later(
            "UPDATE communities SET fellowship = ? WHERE key IN (?, ?)", (a, a, b)
        )
        return True

    async def unlink(self, key: str) -> None:
        rest = [c.key for c in await self.fellowship(key)][1:]
        left = [key, *rest] if len(rest) == 1 else [key]
        for gone in left:
            self._db.execute_later(
                "UPDATE communities SET fellowship = NULL WHERE key = ?", (gone,)
            )
