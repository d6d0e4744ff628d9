"""Linking codes and wrong tries: one-time codes, kept as digests, and the lockout's count."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.domain.model import LinkCode
from bot.storage.sql.rows import instant
from bot.storage.sql.session import Repository


class SqlLinks(Repository):
    """``LinkRepository`` in SQL: the protocol says what each method promises."""

    async def issue(
        self,
        kind: str,
        digest: str,
        origin: str,
        issued_by: str,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        self._db.execute_later(
            "DELETE FROM link_codes WHERE kind = ? AND origin = ?", (kind, origin)
        )
        self._db.execute_later(
            "INSERT INTO link_codes (digest, kind, origin, issued_by, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (digest, kind, origin, issued_by, now, expires_at),
        )

    async def redeem(self, kind: str, digest: str, now: datetime) -> LinkCode | None:
        # One statement: a second redeemer waits for the first one's row lock (PostgreSQL) or
        # its write (SQLite), then finds the code used.
        row = await self._db.fetch_one(
            "UPDATE link_codes SET used_at = ?"
            " WHERE digest = ? AND kind = ? AND used_at IS NULL AND expires_at > ?"
            " RETURNING digest, kind, origin, issued_by, expires_at",
            (now, digest, kind, now),
        )
        if row is None:
            return None
        return LinkCode(
            row["digest"], row["kind"], row["origin"], row["issued_by"], instant(row["expires_at"])
        )

    async def record_failure(self, subjects: Iterable[str], now: datetime) -> None:
        for subject in subjects:
            self._db.execute_later(
                "INSERT INTO link_failures (subject, failed_at, person)"
                " VALUES (?, ?, (SELECT key FROM people WHERE key = ?))",
                (subject, now, subject),
            )

    async def failures(self, subject: str, since: datetime) -> list[datetime]:
        rows = await self._db.fetch_all(
            "SELECT failed_at FROM link_failures WHERE subject = ? AND failed_at >= ?"
            " ORDER BY failed_at",
            (subject, since),
        )
        return [instant(row["failed_at"]) for row in rows]

    async def forget_before(self, cutoff: datetime) -> int:
        codes = await self._db.execute("DELETE FROM link_codes WHERE expires_at < ?", (cutoff,))
        failures = await self._db.execute(
            "DELETE FROM link_failures WHERE failed_at < ?", (cutoff,)
        )
        return codes + failures
