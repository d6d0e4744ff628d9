"""Cravings: what members shared, who was pinged for each, who claimed it, how it went."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.domain.records import Craving
from bot.storage.port import Row
from bot.storage.sql.rows import flat, instant, marks
from bot.storage.sql.session import Repository, kept
from bot.storage.sql.supporters import SqlSupporters, supporters_from_rows, supporters_sql

_COLUMNS = (
    "id, community, person, chat, private, message, pinged, claimed_by, outcome,"
    " created_at, urgent, crisis_sent_at, crisis_in_group"
)
_CRAVING = f"SELECT {_COLUMNS} FROM cravings"  # noqa: S608 - constants only
_CRAVINGS = ("cravings",)
_PINGS = ("craving_pings",)
_URGENTLY = (("urgently", True),)
"""How ``pinged`` is asked for those told it is urgent."""


def _latest_craving_sql(
    person: str, community: str, private: bool, since: datetime
) -> tuple[str, tuple[Any, ...]]:
    return (
        f"{_CRAVING} WHERE person = ? AND community = ? AND private = ? AND created_at >= ?"
        " AND (outcome IS NULL OR outcome = 'struggling')"
        " ORDER BY created_at DESC, id DESC LIMIT 1",
        (person, community, private, since),
    )


def _private_crisis_sql(person: str, since: datetime) -> tuple[str, tuple[Any, ...]]:
    return (
        "SELECT MAX(crisis_sent_at) AS at FROM cravings WHERE person = ?"
        " AND crisis_sent_at >= ? AND NOT crisis_in_group"
        " AND (outcome IS NULL OR outcome = 'struggling')",
        (person, since),
    )


def _at(rows: list[Row]) -> datetime | None:
    return None if not rows or rows[0]["at"] is None else instant(rows[0]["at"])


class SqlCravings(Repository):
    """``CravingRepository`` in SQL: the protocol says what each method promises."""

    async def create(
        self, community: str | None, person: str, chat: str, private: bool, now: datetime
    ) -> int:
        row = await self._db.fetch_one(
            "INSERT INTO cravings (community, person, chat, private, created_at)"  # noqa: S608
            f" VALUES (?, ?, ?, ?, ?) RETURNING {_COLUMNS}",
            (community, person, chat, private, now),
        )
        assert row is not None
        created = _craving(row)
        self._session.keep(SqlCravings.get, (created.id,), created)
        self._session.keep(SqlCravings.pinged, (created.id,), set())
        return created.id

    @kept(*_CRAVINGS)
    async def get(self, craving: int) -> Craving | None:
        row = await self._db.fetch_one(f"{_CRAVING} WHERE id = ?", (craving,))
        return None if row is None else _craving(row)

    @kept(*_CRAVINGS)
    async def latest(
        self, person: str, community: str, private: bool, since: datetime
    ) -> Craving | None:
        rows = await self._db.fetch_all(*_latest_craving_sql(person, community, private, since))
        return _craving(rows[0]) if rows else None

    async def before_sharing(
        self,
        person: str,
        community: str,
        private: bool,
        *,
        open_since: datetime,
        crisis_since: datetime,
        supporter_role: str | None,
    ) -> None:
        latest, crisis, supporters = await self._db.fetch_each(
            [
                _latest_craving_sql(person, community, private, open_since),
                _private_crisis_sql(person, crisis_since),
                supporters_sql(community, "cravings", supporter_role),
            ]
        )
        self._session.keep(
            SqlCravings.latest,
            (person, community, private, open_since),
            _craving(latest[0]) if latest else None,
        )
        self._session.keep(SqlCravings.latest_private_crisis, (person, crisis_since), _at(crisis))
        self._session.keep(
            SqlSupporters.opted_in,
            (community, "cravings"),
            supporters_from_rows(supporters),
            (("supporter_role", supporter_role),),
        )

    async def count_in(self, community: str) -> int:
        row = await self._db.fetch_one(
            "SELECT COUNT(*) AS n FROM cravings WHERE community = ?", (community,)
        )
        return 0 if row is None else int(row["n"])

    @kept(*_CRAVINGS)
    async def latest_private_crisis(self, person: str, since: datetime) -> datetime | None:
        return _at(await self._db.fetch_all(*_private_crisis_sql(person, since)))

    async def mark_urgent(self, craving: int) -> None:
        self._revise(
            craving, "UPDATE cravings SET urgent = TRUE WHERE id = ?", (craving,), urgent=True
        )

    async def mark_crisis_sent(self, craving: int, at: datetime, *, in_group: bool) -> None:
        self._revise(
            craving,
            "UPDATE cravings SET crisis_sent_at = ?, crisis_in_group = ? WHERE id = ?",
            (at, in_group, craving),
            crisis_sent_at=at,
            crisis_in_group=in_group,
        )

    async def set_message(self, craving: int, message: int) -> None:
        self._revise(
            craving,
            "UPDATE cravings SET message = ? WHERE id = ?",
            (message, craving),
            message=message,
        )

    def _revise(self, craving: int, sql: str, params: tuple[Any, ...], **changes: Any) -> None:
        """Update one craving by its id, and keep it as the update leaves it if it was kept."""
        found, before = self._session.recall(SqlCravings.get, (craving,))
        self._db.execute_later(sql, params)
        if found and before is not None:
            self._session.keep(SqlCravings.get, (craving,), replace(before, **changes))

    async def claim(self, craving: int, person: str, now: datetime) -> bool:
        found, before = self._session.recall(SqlCravings.get, (craving,))
        claimed = await self._db.execute(
            "UPDATE cravings SET claimed_by = ?, claimed_at = ?"
            " WHERE id = ? AND claimed_by IS NULL AND (outcome IS NULL OR outcome <> 'passed')",
            (person, now, craving),
        )
        if claimed == 1 and found and before is not None:
            self._session.keep(SqlCravings.get, (craving,), replace(before, claimed_by=person))
        return claimed == 1

    async def set_outcome(self, craving: int, outcome: str) -> None:
        self._revise(
            craving,
            "UPDATE cravings SET outcome = ? WHERE id = ?",
            (outcome, craving),
            outcome=outcome,
        )

    async def record_pings(
        self, craving: int, people: Iterable[str], now: datetime, *, urgent: bool = False
    ) -> None:
        chosen = list(dict.fromkeys(people))
        pinged = self._session.recall(SqlCravings.pinged, (craving,))
        told = self._session.recall(SqlCravings.pinged, (craving,), _URGENTLY)
        if chosen:
            rows = [(craving, person, now, urgent) for person in chosen]
            self._db.execute_later(
                "INSERT INTO craving_pings (craving, person, pinged_at, urgent)"  # noqa: S608
                f" VALUES {marks(rows)} ON CONFLICT (craving, person)"
                " DO UPDATE SET urgent = excluded.urgent OR craving_pings.urgent",
                flat(rows),
            )
        self._revise(
            craving, "UPDATE cravings SET pinged = TRUE WHERE id = ?", (craving,), pinged=True
        )
        if pinged[0]:
            self._session.keep(SqlCravings.pinged, (craving,), pinged[1] | set(chosen))
        if told[0]:
            urgently = told[1] | set(chosen) if urgent else told[1]
            self._session.keep(SqlCravings.pinged, (craving,), urgently, _URGENTLY)

    @kept(*_PINGS)
    async def pinged(self, craving: int, *, urgently: bool = False) -> set[str]:
        rows = await self._db.fetch_all(
            "SELECT person FROM craving_pings WHERE craving = ? AND (urgent OR NOT ?)",
            (craving, urgently),
        )
        return {r["person"] for r in rows}

    async def tally(self, person: str) -> tuple[int, int]:
        row = await self._db.fetch_one(
            "SELECT COUNT(*) AS logged,"
            " COALESCE(SUM(CASE WHEN outcome = 'passed' THEN 1 ELSE 0 END), 0) AS passed"
            " FROM cravings WHERE person = ?",
            (person,),
        )
        return (0, 0) if row is None else (int(row["logged"]), int(row["passed"]))


def _craving(row: Row) -> Craving:
    return Craving(
        id=int(row["id"]),
        community=row["community"],
        person=row["person"],
        chat=row["chat"],
        private=bool(row["private"]),
        message=row["message"],
        pinged=bool(row["pinged"]),
        claimed_by=row["claimed_by"],
        outcome=row["outcome"],
        created_at=instant(row["created_at"]),
        urgent=bool(row["urgent"]),
        crisis_sent_at=None if row["crisis_sent_at"] is None else instant(row["crisis_sent_at"]),
        crisis_in_group=bool(row["crisis_in_group"]),
    )
