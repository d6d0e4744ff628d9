"""Process-wide values the bot keeps between runs (what it last did, once per install)."""

from __future__ import annotations

from bot.storage.sql.session import Repository


class SqlMeta(Repository):
    """``MetaRepository`` in SQL: the protocol says what each method promises."""

    async def get(self, key: str) -> str | None:
        row = await self._db.fetch_one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row["value"])

    async def set(self, key: str, value: str) -> None:
        self._db.execute_later(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
