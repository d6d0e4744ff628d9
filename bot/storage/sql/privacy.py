"""``PrivacyRepository`` in SQL. Every table that refers to a person does so through a foreign
key to ``people.key`` that cascades (or, for a claim on someone else's request, sets NULL), so
deleting the person row erases them everywhere it is their row; what names them without that
key is found first, by the rules of ``bot.storage.naming``."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Collection, Iterable
from datetime import date, datetime
from typing import Any, Protocol, cast

from bot.domain.model import Person
from bot.storage.naming import (
    SECTIONS,
    THEIRS,
    embeds,
    holds_user,
    made_of,
    payload_holds,
    unname,
)
from bot.storage.port import Row
from bot.storage.sql.rows import instant
from bot.storage.sql.session import Repository

_OUTBOX = (
    "SELECT id, platform, target, edit_of, template, locale, context, buttons, mentions,"
    " attachment IS NOT NULL AS has_attachment, person, created_at, next_attempt_at, attempts,"
    " sent_at, sent_ref, failed_at, failure, priority, lane, follows FROM outbox"
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
    ("link_codes", "issued_by"): "SELECT kind, origin, created_at, expires_at, used_at"
    " FROM link_codes WHERE issued_by = ? ORDER BY created_at, kind",
    ("link_failures", "person"): "SELECT * FROM link_failures WHERE person = ? ORDER BY failed_at",
    ("person_links", "person"): "SELECT * FROM person_links WHERE person = ?",
    ("person_links", "principal"): "SELECT person, linked_at FROM person_links"
    " WHERE principal = ? ORDER BY person",
    ("timers", "person"): "SELECT * FROM timers WHERE person = ? ORDER BY due_at, id",
    ("outbox", "person"): _OUTBOX + " WHERE person = ? ORDER BY id",
}
"""Each (table, column) that refers to a person, and how their rows there are read.

Where the rows are someone else's (a craving this person claimed), only what concerns this
person is read, never the other member's identity.
"""

_JSON_COLUMNS = frozenset({"target", "context", "buttons", "mentions", "payload"})
_FLAGS = frozenset(
    {
        "active", "bridge_pings", "calls", "cravings", "cravings_declined", "crisis_in_group",
        "has_attachment", "implied", "is_admin", "pinged", "practice", "private", "private_chat",
        "share", "supporter_urgent", "urgent",
    }
)  # fmt: skip
"""The boolean columns: SQLite hands them back as 0 or 1."""
_STORED_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}")
"""An instant as SQLite keeps it, as text (``bot/storage/sqlite.py``)."""
_LIKE_ESCAPE = "!"


class _Keyed(Protocol):
    def keys(self) -> Iterable[str]: ...

    def __getitem__(self, key: str, /) -> Any: ...


def _plain(row: Row) -> dict[str, Any]:
    """A stored row as JSON-safe values, the same whichever backend stored it: JSON columns
    read back, instants as ISO text with their offset, flags as booleans."""
    keyed = cast(_Keyed, row)
    out: dict[str, Any] = {}
    for key in keyed.keys():  # noqa: SIM118 - a row is not a mapping
        value = keyed[key]
        if isinstance(value, str) and _STORED_INSTANT.fullmatch(value):
            value = instant(value)
        if isinstance(value, datetime | date):
            value = value.isoformat()
        elif key in _FLAGS and isinstance(value, int):
            value = bool(value)
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


class SqlPrivacy(Repository):
    """``PrivacyRepository`` in SQL: the protocol says what each method promises."""

    async def everything_about(self, person: Person) -> dict[str, list[dict[str, Any]]]:
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
        found["inbox"] = []
        for key in await self._stored_updates_naming(person):
            stored = await self._db.fetch_one("SELECT * FROM inbox WHERE key = ?", (key,))
            if stored is not None:
                found["inbox"].append(_plain(stored))
        return found

    async def erase(
        self, person: Person, *, notices: Collection[str] = (), released: Collection[str] = ()
    ) -> None:
        for outbox_id in await self._addressed_to(person):
            self._db.execute_later("DELETE FROM outbox WHERE id = ?", (outbox_id,))
        await self._unname_waiting(person, notices, released)
        await self._drop_timers_naming(person)
        for key in await self._stored_updates_naming(person):
            self._db.execute_later("DELETE FROM inbox WHERE key = ?", (key,))
        handled = await self._db.fetch_all(
            "SELECT key FROM handled_inbounds WHERE key LIKE ? ESCAPE '!'",
            (_contains(person.platform_id),),
        )
        for row in handled:
            if made_of(str(row["key"]), person):
                self._db.execute_later("DELETE FROM handled_inbounds WHERE key = ?", (row["key"],))
        self._db.execute_later("DELETE FROM people WHERE key = ?", (person.key,))

    async def farewell_waiting(self, outbox_id: int) -> bool:
        row = await self._db.fetch_one(
            "SELECT 1 FROM outbox WHERE id = ? AND sent_at IS NULL AND failed_at IS NULL",
            (outbox_id,),
        )
        return row is not None

    async def drop_farewell(self, outbox_id: int, template: str) -> None:
        self._db.execute_later(
            "DELETE FROM outbox WHERE id = ? AND template = ?", (outbox_id, template)
        )

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

    async def _unname_waiting(
        self, person: Person, notices: Collection[str], released: Collection[str]
    ) -> None:
        """Take the person out of other members' messages still waiting to be sent."""
        needles = [
            _contains(json.dumps(text)) for text in (person.platform_id, person.key, person.name)
        ]
        rows = await self._db.fetch_all(
            "SELECT id, template, context, buttons, mentions FROM outbox"
            " WHERE platform = ? AND sent_at IS NULL AND failed_at IS NULL"
            " AND ((context || buttons || mentions) LIKE ? ESCAPE '!'"
            " OR (context || buttons || mentions) LIKE ? ESCAPE '!'"
            " OR (context || buttons || mentions) LIKE ? ESCAPE '!')",
            (person.platform, *needles),
        )
        for row in rows:
            context = unname(json.loads(row["context"]), person, released)
            mentions = [m for m in json.loads(row["mentions"]) if m[0] != person.platform_id]
            buttons = json.loads(row["buttons"])
            pressed_for_them = any(
                b[2] in (person.key, person.platform_id) for b in buttons if len(b) > 2
            )
            listed_only_them = context.emptied and row["template"] in notices
            if context.lone or context.value is THEIRS or pressed_for_them or listed_only_them:
                self._db.execute_later("DELETE FROM outbox WHERE id = ?", (row["id"],))
                continue
            context_text, mentions_text = json.dumps(context.value), json.dumps(mentions)
            if (context_text, mentions_text) != (row["context"], row["mentions"]):
                self._db.execute_later(
                    "UPDATE outbox SET context = ?, mentions = ? WHERE id = ?",
                    (context_text, mentions_text, row["id"]),
                )

    async def _drop_timers_naming(self, person: Person) -> None:
        """Delete timers that hold the person's key or platform id without the person column."""
        names = (person.key, person.platform_id)
        timers = await self._db.fetch_all(
            "SELECT id, key, payload FROM timers WHERE payload LIKE ? ESCAPE '!'"
            " OR payload LIKE ? ESCAPE '!' OR key LIKE ? ESCAPE '!'",
            (*(_contains(json.dumps(name)) for name in names), _contains(person.key)),
        )
        for timer in timers:
            keyed = timer["key"] is not None and embeds(str(timer["key"]), person.key)
            if keyed or payload_holds(str(timer["payload"]), names):
                self._db.execute_later("DELETE FROM timers WHERE id = ?", (timer["id"],))

    async def _stored_updates_naming(self, person: Person) -> list[str]:
        """Keys of the platform's stored updates (handled or set aside) that name the person."""
        rows = await self._db.fetch_all(
            "SELECT key, payload FROM inbox WHERE platform = ? AND payload LIKE ? ESCAPE '!'"
            " ORDER BY received_at, key",
            (person.platform, _contains(person.platform_id)),
        )
        found = []
        for row in rows:
            try:
                update = json.loads(row["payload"])
            except ValueError:
                continue
            if holds_user(update, person.platform_id):
                found.append(str(row["key"]))
        return found
