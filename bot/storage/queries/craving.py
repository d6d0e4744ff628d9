"""Supporters, cravings, their pings and claims."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from bot.domain.model import Person
from bot.storage.port import Row
from bot.storage.queries.base import Queries, instant, kept, person_from_row

Role = Literal["cravings", "calls", "practice"]
"""What a supporter opted in to: craving pings, calls, practice calls."""
_ROLES: tuple[Role, ...] = ("cravings", "calls", "practice")
_SET_ROLE: dict[Role, str] = {
    # Saying /supporter off is remembered as a "no", which a community's supporter role
    # does not override; /supporter on takes it back.
    "cravings": "UPDATE supporters SET cravings = ?, cravings_declined = NOT ?"
    " WHERE community = ? AND person = ?",
    "calls": "UPDATE supporters SET calls = ? WHERE community = ? AND person = ?",
    "practice": "UPDATE supporters SET practice = ? WHERE community = ? AND person = ?",
}


@dataclass(frozen=True, slots=True)
class SupporterRow:
    """A supporter as the fair choice needs them."""

    person: Person
    hours: str | None
    last_pinged_at: datetime | None
    urgent: bool = False
    """Whether they accept urgent pings in their quiet hours (``/supporter urgent on``)."""


@dataclass(frozen=True, slots=True)
class Craving:
    """One craving a member shared."""

    id: int
    community: str | None
    person: str
    chat: str
    private: bool
    message: int | None
    pinged: bool
    claimed_by: str | None
    outcome: str | None
    created_at: datetime
    urgent: bool = False
    """Someone may be in immediate danger: pings go out whatever the cooldown, rest and
    max_pings."""
    crisis_sent_at: datetime | None = None
    """When the member got the full crisis block in this episode (it is sent once)."""
    crisis_in_group: bool = False
    """The block was shown in the group answer rather than sent privately."""


_COLUMNS = (
    "id, community, person, chat, private, message, pinged, claimed_by, outcome,"
    " created_at, urgent, crisis_sent_at, crisis_in_group"
)
_CRAVING = f"SELECT {_COLUMNS} FROM cravings"  # noqa: S608 - constants only
_CRAVINGS = ("cravings",)
_PINGS = ("craving_pings",)


def _marks(rows: list[tuple[Any, ...]]) -> str:
    """Placeholders for a multi-row VALUES: ``(?, ?), (?, ?)``."""
    one = f"({', '.join('?' * len(rows[0]))})"
    return ", ".join([one] * len(rows))


def _flat(rows: list[tuple[Any, ...]]) -> list[Any]:
    return [value for row in rows for value in row]


_SUPPORTER_TABLES = ("people", "supporter_pings", "supporters", "member_roles")


def _supporters_sql(
    community: str, role: Role, supporter_role: str | None
) -> tuple[str, tuple[Any, ...]]:
    assert role in _ROLES
    if role == "cravings" and supporter_role is not None:
        return (
            "SELECT p.key, p.platform, p.platform_id, p.name, p.timezone,"
            " p.supporter_hours, p.supporter_urgent, r.last_pinged_at"
            " FROM people p LEFT JOIN supporter_pings r ON r.person = p.key AND r.role = ?"
            " WHERE p.key IN ("
            " SELECT s.person FROM supporters s WHERE s.community = ? AND s.cravings"
            " UNION"
            " SELECT m.person FROM member_roles m WHERE m.community = ? AND m.role = ?"
            " AND NOT EXISTS (SELECT 1 FROM supporters d WHERE d.community = m.community"
            " AND d.person = m.person AND d.cravings_declined))",
            (role, community, community, supporter_role),
        )
    return (
        "SELECT p.key, p.platform, p.platform_id, p.name, p.timezone,"
        " p.supporter_hours, p.supporter_urgent, r.last_pinged_at"
        " FROM people p LEFT JOIN supporter_pings r ON r.person = p.key AND r.role = ?"
        " WHERE p.key IN (SELECT s.person FROM supporters s"
        " WHERE s.community = ? AND CASE ? WHEN 'cravings' THEN s.cravings"
        " WHEN 'calls' THEN s.calls ELSE s.practice END)",
        (role, community, role),
    )


def _supporters(rows: list[Row]) -> list[SupporterRow]:
    return [
        SupporterRow(
            person_from_row(r),
            r["supporter_hours"],
            None if r["last_pinged_at"] is None else instant(r["last_pinged_at"]),
            bool(r["supporter_urgent"]),
        )
        for r in rows
    ]


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


class CravingQueries(Queries):
    """Supporters, cravings, their pings and claims."""

    # -- supporters -----------------------------------------------------------------------------

    async def set_supporter(self, community: str, person: str, role: Role, on: bool) -> None:
        """Opt a person in or out of one kind of ping in one community."""
        assert role in _ROLES
        self._db.execute_later(
            "INSERT INTO supporters (community, person) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (community, person),
        )
        flags = (on, on) if role == "cravings" else (on,)
        self._db.execute_later(_SET_ROLE[role], (*flags, community, person))

    async def supporter_roles(self, community: str, person: str) -> set[Role]:
        row = await self._db.fetch_one(
            "SELECT cravings, calls, practice FROM supporters WHERE community = ? AND person = ?",
            (community, person),
        )
        return set() if row is None else {r for r in _ROLES if row[r]}

    async def set_supporter_hours(self, person: str, hours: str | None) -> None:
        self._db.execute_later(
            "UPDATE people SET supporter_hours = ?"  # noqa: S608 - the backend's operator
            f" WHERE key = ? AND supporter_hours {self._db.distinct} ?",
            (hours, person, hours),
        )

    async def supporter_hours(self, person: str) -> str | None:
        row = await self._db.fetch_one(
            "SELECT supporter_hours FROM people WHERE key = ?", (person,)
        )
        return None if row is None else row["supporter_hours"]

    async def set_supporter_urgent(self, person: str, on: bool) -> None:
        self._db.execute_later("UPDATE people SET supporter_urgent = ? WHERE key = ?", (on, person))

    async def supporter_urgent(self, person: str) -> bool:
        row = await self._db.fetch_one(
            "SELECT supporter_urgent FROM people WHERE key = ?", (person,)
        )
        return row is not None and bool(row["supporter_urgent"])

    async def set_private_chat(self, person: str, open_: bool) -> None:
        """Remember whether the person's private chat with the bot is open."""
        found, known = self._recall(("private_chat_open", (person,), ()), ("people",))
        if found and known == open_:
            return
        self._write_keeping(
            "UPDATE people SET private_chat = ? WHERE key = ? AND private_chat <> ?",
            (open_, person, open_),
            ("get_person",),
        )
        self._seed("private_chat_open", (person,), ("people",), open_)

    @kept("people")
    async def private_chat_open(self, person: str) -> bool:
        row = await self._db.fetch_one("SELECT private_chat FROM people WHERE key = ?", (person,))
        return row is not None and bool(row["private_chat"])

    @kept(*_SUPPORTER_TABLES)
    async def supporters(
        self, community: str, role: Role, *, supporter_role: str | None = None
    ) -> list[SupporterRow]:
        """Everyone in this community who opted in to ``role``.

        For craving pings, members who hold the community's ``supporter_role`` count as opted
        in too, unless they said /supporter off here.
        """
        return _supporters(
            await self._db.fetch_all(*_supporters_sql(community, role, supporter_role))
        )

    async def mark_pinged(self, people: Iterable[str], role: Role, now: datetime) -> None:
        """Remember when these supporters were last pinged for ``role``, for rest and fairness."""
        rows = [(person, role, now) for person in dict.fromkeys(people)]
        if rows:
            self._db.execute_later(
                "INSERT INTO supporter_pings (person, role, last_pinged_at)"  # noqa: S608
                f" VALUES {_marks(rows)} ON CONFLICT (person, role)"
                " DO UPDATE SET last_pinged_at = excluded.last_pinged_at",
                _flat(rows),
            )

    # -- cravings -------------------------------------------------------------------------------

    async def create_craving(
        self, community: str | None, person: str, chat: str, private: bool, now: datetime
    ) -> int:
        row = await self._db.fetch_one(
            "INSERT INTO cravings (community, person, chat, private, created_at)"  # noqa: S608
            f" VALUES (?, ?, ?, ?, ?) RETURNING {_COLUMNS}",
            (community, person, chat, private, now),
        )
        assert row is not None
        created = _craving(row)
        self._seed("get_craving", (created.id,), _CRAVINGS, created)
        self._seed("craving_pinged", (created.id,), _PINGS, set())
        return created.id

    @kept(*_CRAVINGS)
    async def get_craving(self, craving: int) -> Craving | None:
        row = await self._db.fetch_one(f"{_CRAVING} WHERE id = ?", (craving,))
        return None if row is None else _craving(row)

    @kept(*_CRAVINGS)
    async def latest_craving(
        self, person: str, community: str, private: bool, since: datetime
    ) -> Craving | None:
        """The member's latest craving shared since ``since`` in this community, in the group
        (or, with ``private``, in their private chat), whose episode has not ended."""
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
        """Read in one trip what sharing a craving reads in turn: the member's open craving
        here, when they last got the crisis block privately, and the community's craving
        supporters. Each is kept, so the calls that follow find it without a trip."""
        latest, crisis, supporters = await self._db.fetch_each(
            [
                _latest_craving_sql(person, community, private, open_since),
                _private_crisis_sql(person, crisis_since),
                _supporters_sql(community, "cravings", supporter_role),
            ]
        )
        self._seed(
            "latest_craving",
            (person, community, private, open_since),
            _CRAVINGS,
            _craving(latest[0]) if latest else None,
        )
        self._seed("latest_private_crisis", (person, crisis_since), _CRAVINGS, _at(crisis))
        self._keep(
            ("supporters", (community, "cravings"), (("supporter_role", supporter_role),)),
            _SUPPORTER_TABLES,
            _supporters(supporters),
        )

    async def cravings_in(self, community: str) -> int:
        """How many cravings were ever shared in a community."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*) AS n FROM cravings WHERE community = ?", (community,)
        )
        return 0 if row is None else int(row["n"])

    @kept(*_CRAVINGS)
    async def latest_private_crisis(self, person: str, since: datetime) -> datetime | None:
        """When the member was last sent the full crisis block privately, if since ``since``,
        in a craving whose episode has not ended."""
        return _at(await self._db.fetch_all(*_private_crisis_sql(person, since)))

    async def mark_craving_urgent(self, craving: int) -> None:
        self._revise(
            craving, "UPDATE cravings SET urgent = TRUE WHERE id = ?", (craving,), urgent=True
        )

    async def mark_crisis_sent(self, craving: int, at: datetime, *, in_group: bool) -> None:
        """Remember when (and where) the member got the full crisis block in this episode."""
        self._revise(
            craving,
            "UPDATE cravings SET crisis_sent_at = ?, crisis_in_group = ? WHERE id = ?",
            (at, in_group, craving),
            crisis_sent_at=at,
            crisis_in_group=in_group,
        )

    async def set_craving_message(self, craving: int, message: int) -> None:
        self._revise(
            craving,
            "UPDATE cravings SET message = ? WHERE id = ?",
            (message, craving),
            message=message,
        )

    def _revise(self, craving: int, sql: str, params: tuple[Any, ...], **changes: Any) -> None:
        """Update one craving by its id, and keep it as the update leaves it if it was kept."""
        found, before = self._recall(("get_craving", (craving,), ()), _CRAVINGS)
        self._db.execute_later(sql, params)
        if found and before is not None:
            self._seed("get_craving", (craving,), _CRAVINGS, replace(before, **changes))

    async def claim_craving(self, craving: int, person: str, now: datetime) -> bool:
        """Let the first supporter claim a craving not yet passed; False if someone was first."""
        found, before = self._recall(("get_craving", (craving,), ()), _CRAVINGS)
        claimed = await self._db.execute(
            "UPDATE cravings SET claimed_by = ?, claimed_at = ?"
            " WHERE id = ? AND claimed_by IS NULL AND (outcome IS NULL OR outcome <> 'passed')",
            (person, now, craving),
        )
        if claimed == 1 and found and before is not None:
            self._seed("get_craving", (craving,), _CRAVINGS, replace(before, claimed_by=person))
        return claimed == 1

    async def set_craving_outcome(self, craving: int, outcome: str) -> None:
        self._revise(
            craving,
            "UPDATE cravings SET outcome = ? WHERE id = ?",
            (outcome, craving),
            outcome=outcome,
        )

    async def record_craving_pings(
        self, craving: int, people: Iterable[str], now: datetime, *, urgent: bool = False
    ) -> None:
        chosen = list(dict.fromkeys(people))
        pinged = self._recall(("craving_pinged", (craving,), ()), _PINGS)
        told = self._recall(("craving_pinged", (craving,), (("urgently", True),)), _PINGS)
        if chosen:
            rows = [(craving, person, now, urgent) for person in chosen]
            self._db.execute_later(
                "INSERT INTO craving_pings (craving, person, pinged_at, urgent)"  # noqa: S608
                f" VALUES {_marks(rows)} ON CONFLICT (craving, person)"
                " DO UPDATE SET urgent = excluded.urgent OR craving_pings.urgent",
                _flat(rows),
            )
        self._revise(
            craving, "UPDATE cravings SET pinged = TRUE WHERE id = ?", (craving,), pinged=True
        )
        if pinged[0]:
            self._seed("craving_pinged", (craving,), _PINGS, pinged[1] | set(chosen))
        if told[0]:
            urgently = told[1] | set(chosen) if urgent else told[1]
            self._keep(("craving_pinged", (craving,), (("urgently", True),)), _PINGS, urgently)

    @kept(*_PINGS)
    async def craving_pinged(self, craving: int, *, urgently: bool = False) -> set[str]:
        """Who was pinged for this craving (``urgently``: told it is urgent)."""
        rows = await self._db.fetch_all(
            "SELECT person FROM craving_pings WHERE craving = ? AND (urgent OR NOT ?)",
            (craving, urgently),
        )
        return {r["person"] for r in rows}

    async def craving_record(self, person: str) -> tuple[int, int]:
        """How many cravings the member logged, and how many they marked as passed."""
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
