"""Everything stored about one person: gathered for ``/mydata``, erased for ``/forgetme``.

Every table that refers to a person does so through a foreign key to ``people.key`` that
cascades (or, for a claim on someone else's request, sets NULL), so deleting the person row
erases them everywhere. A few rows name a person without that key: an outbox row addressed to
them but queued with no ``person`` (an edit), or a timer whose payload holds their key. Those are
found and deleted here first.

A group message still waiting to be sent that mentions them (a digest, a ping list) is left to
go out once, because deleting it would take it from everyone else too; like every sent row, its
text is cleared the moment the platform accepts it.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Protocol, cast

from bot.domain.model import Person
from bot.storage.port import Row
from bot.storage.queries.base import Queries

_OUTBOX = (
    "SELECT id, platform, target, edit_of, template, locale, context, buttons, mentions,"
    " attachment IS NOT NULL AS has_attachment, person, created_at, next_attempt_at, attempts,"
    " sent_at, sent_ref, failed_at, failure FROM outbox"
)
"""An outbox row as ``/mydata`` shows it: a file waiting to be sent is not copied again."""

PERSON_TABLES: dict[tuple[str, str], str] = {
    ("counters", "person"): "SELECT * FROM counters WHERE person = ? ORDER BY name",
    ("memberships", "person"): "SELECT * FROM memberships WHERE person = ? ORDER BY community",
    ("announcements", "person"): "SELECT * FROM announcements WHERE person = ?"
    " ORDER BY announced_at",
    ("supporters", "person"): "SELECT * FROM supporters WHERE person = ? ORDER BY community",
    ("supporter_pings", "person"): "SELECT * FROM supporter_pings WHERE person = ? ORDER BY role",
    ("cravings", "person"): "SELECT * FROM cravings WHERE person = ? ORDER BY id",
    ("cravings", "claimed_by"): "SELECT id, community, claimed_at FROM cravings"
    " WHERE claimed_by = ? ORDER BY id",
    ("craving_pings", "person"): "SELECT * FROM craving_pings WHERE person = ? ORDER BY pinged_at",
    ("call_requests", "person"): "SELECT * FROM call_requests WHERE person = ? ORDER BY id",
    ("call_requests", "claimed_by"): "SELECT id, community, practice, claimed_at"
    " FROM call_requests WHERE claimed_by = ? ORDER BY id",
    ("call_pings", "person"): "SELECT * FROM call_pings WHERE person = ? ORDER BY pinged_at",
    ("contacts", "person"): "SELECT * FROM contacts WHERE person = ?",
    ("consents", "person"): "SELECT * FROM consents WHERE person = ?",
    ("restarts", "person"): "SELECT * FROM restarts WHERE person = ? ORDER BY created_at, id",
    ("meeting_reminders", "person"): "SELECT * FROM meeting_reminders WHERE person = ?"
    " ORDER BY community",
    ("member_roles", "person"): "SELECT * FROM member_roles WHERE person = ?"
    " ORDER BY community, role",
    ("timers", "person"): "SELECT * FROM timers WHERE person = ? ORDER BY due_at, id",
    ("outbox", "person"): _OUTBOX + " WHERE person = ? ORDER BY id",
}
"""Each (table, column) that refers to a person, and how their rows there are read.

Where the rows are someone else's (a craving this person claimed), only what concerns this
person is read, never the other member's identity.
"""

SECTIONS: dict[tuple[str, str], str] = {
    (table, column): table if column == "person" else f"{table}_{column}"
    for table, column in PERSON_TABLES
}
"""The name of each (table, column)'s section in the ``/mydata`` file."""

_JSON_COLUMNS = frozenset({"target", "context", "buttons", "mentions", "payload"})
_LIKE_ESCAPE = "!"


class _Keyed(Protocol):
    def keys(self) -> Iterable[str]: ...

    def __getitem__(self, key: str, /) -> Any: ...


def _plain(row: Row) -> dict[str, Any]:
    """A stored row as JSON-safe values; JSON columns read back, instants as ISO text."""
    keyed = cast(_Keyed, row)
    out: dict[str, Any] = {}
    for key in keyed.keys():  # noqa: SIM118 - a row is not a mapping
        value = keyed[key]
        if isinstance(value, datetime | date):
            value = value.isoformat()
        elif key in _JSON_COLUMNS and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        out[key] = value
    return out


def _contains(pattern: str) -> str:
    escaped = (
        pattern.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2)
        .replace("%", _LIKE_ESCAPE + "%")
        .replace("_", _LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"


def _holds(value: Any, text: str) -> bool:
    """Whether a timer payload holds ``text`` as any of its values."""
    if isinstance(value, dict):
        return any(_holds(v, text) for v in value.values())
    if isinstance(value, list):
        return any(_holds(v, text) for v in value)
    return isinstance(value, str) and value == text


class PrivacyQueries(Queries):
    """Everything stored about one person: gathered, or erased."""

    async def everything_about(self, person: Person) -> dict[str, list[dict[str, Any]]]:
        """Every stored row about ``person``, by section (see ``SECTIONS``)."""
        found: dict[str, list[dict[str, Any]]] = {}
        row = await self._db.fetch_one("SELECT * FROM people WHERE key = ?", (person.key,))
        found["people"] = [] if row is None else [_plain(row)]
        for where, sql in PERSON_TABLES.items():
            found[SECTIONS[where]] = [
                _plain(r) for r in await self._db.fetch_all(sql, (person.key,))
            ]
        known = {r["id"] for r in found["outbox"]}
        for outbox_id in await self._addressed_to(person):
            if outbox_id in known:
                continue
            addressed = await self._db.fetch_one(_OUTBOX + " WHERE id = ?", (outbox_id,))
            if addressed is not None:
                found["outbox"].append(_plain(addressed))
        found["outbox"].sort(key=lambda r: int(r["id"]))
        return found

    async def erase_person(self, person: Person) -> None:
        """Delete every row about ``person``, in every table."""
        for outbox_id in await self._addressed_to(person):
            await self._db.execute("DELETE FROM outbox WHERE id = ?", (outbox_id,))
        timers = await self._db.fetch_all(
            "SELECT id, payload FROM timers WHERE payload LIKE ? ESCAPE '!'",
            (_contains(json.dumps(person.key)),),
        )
        for timer in timers:
            if _holds(json.loads(timer["payload"]), person.key):
                await self._db.execute("DELETE FROM timers WHERE id = ?", (timer["id"],))
        await self._db.execute("DELETE FROM people WHERE key = ?", (person.key,))

    async def _addressed_to(self, person: Person) -> list[int]:
        """Outbox rows that went, or will go, to the person's own private chat."""
        rows = await self._db.fetch_all(
            "SELECT id, target FROM outbox WHERE platform = ? AND target LIKE ? ESCAPE '!'",
            (person.platform, _contains(json.dumps(person.platform_id))),
        )
        found = []
        for row in rows:
            target = json.loads(row["target"])
            if person.platform_id in (target.get("person"), target.get("chat")):
                found.append(int(row["id"]))
        return found
