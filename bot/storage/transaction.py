"""The queries the flows need, written once in portable SQL for every backend."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.domain.community import CommunitySettings
from bot.domain.model import (
    PRIMARY,
    Community,
    Counter,
    DueAnnouncement,
    Membership,
    Person,
)
from bot.domain.replies import Attachment, Button, Mention, Priority, Reply, Target
from bot.domain.timers import TimerPayload
from bot.storage.port import Row
from bot.storage.queries.base import Queries, day, instant, kept, person_from_row
from bot.storage.queries.calls import CallQueries
from bot.storage.queries.consent import ConsentQueries
from bot.storage.queries.craving import CravingQueries
from bot.storage.queries.meetings import MeetingQueries
from bot.storage.queries.privacy import PrivacyQueries
from bot.storage.queries.relapse import RelapseQueries
from bot.storage.queries.roles import RoleQueries


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A reply waiting in the outbox for its platform to accept it."""

    id: int
    template: str
    locale: str
    target: Target
    context: dict[str, Any]
    buttons: tuple[Button, ...]
    mentions: tuple[Mention, ...]
    attempts: int
    edit_ref: str | None = None
    """The platform's id of the message to edit, when ``target.edit_of`` names one already sent."""
    attachment: Attachment | None = None
    priority: int = Priority.ANSWER


@dataclass(frozen=True, slots=True)
class DueRow:
    """What the scheduler keeps of a row due to leave: enough to order it, not its words."""

    id: int
    lane: str
    """The conversation it is ordered in (``Target.conversation``)."""
    priority: int
    edits: int | None = None
    """The message this row edits, while that one is not sent yet: the edit waits for it."""
    follows: int | None = None
    """The row this one follows, while that one was never tried: this one waits for it."""


_MESSAGES = (
    "SELECT o.id, o.template, o.locale, o.target, o.context, o.buttons, o.mentions,"
    " o.attachment, o.attempts, o.priority, e.sent_ref AS edit_ref"
    " FROM outbox o LEFT JOIN outbox e ON e.id = o.edit_of"
)
"""Outbox rows as ``_message`` reads them, with the platform id of the message each edits."""


def _message(r: Row) -> OutboxMessage:
    return OutboxMessage(
        id=int(r["id"]),
        template=r["template"],
        locale=r["locale"],
        target=Target.from_json(json.loads(r["target"])),
        context=json.loads(r["context"]),
        buttons=tuple(Button(*b) for b in json.loads(r["buttons"])),
        mentions=tuple(Mention(*m) for m in json.loads(r["mentions"])),
        attempts=int(r["attempts"]),
        edit_ref=r["edit_ref"],
        attachment=None if r["attachment"] is None else Attachment(*json.loads(r["attachment"])),
        priority=int(r["priority"]),
    )


@dataclass(frozen=True, slots=True)
class DueTimer:
    """A timer row that has fallen due; ``payload`` is its stored JSON, read by the core
    against the kind's payload type, so one unreadable row cannot stop the loop."""

    id: int
    kind: str
    due_at: datetime
    payload: str
    attempts: int
    key: str | None = None


def _community(row: Row, prefix: str = "") -> Community:
    return Community(
        key=row[f"{prefix}key"],
        platform=row[f"{prefix}platform"],
        platform_id=row[f"{prefix}platform_id"],
        chat=row[f"{prefix}chat"],
        settings=_settings(row[f"{prefix}settings"]),
        active=bool(row[f"{prefix}active"]),
    )


@functools.lru_cache(maxsize=4096)
def _settings(stored: str) -> CommunitySettings:
    """Read a community's stored settings once per text: they are frozen."""
    return CommunitySettings.from_json(json.loads(stored))


def _membership(row: Row) -> Membership:
    return Membership(row["community"], row["person"], bool(row["share"]), row["share"] is not None)


_PEOPLE = ("people",)
_COMMUNITIES = ("communities",)
_MEMBERSHIPS = ("memberships",)
_COUNTERS = ("counters",)


class CoreQueries(Queries):
    """Dedupe keys, people, communities, clean time, announcements, outbox, timers."""

    scheduled = False
    """Whether this transaction added or moved a timer (the timer loop then looks again)."""

    # -- inbound dedupe -------------------------------------------------------------------------

    async def claim_inbound(self, key: str, now: datetime) -> bool:
        """Record an inbound's key, and take its stored update (if any) out of the inbox with
        it; False when it was handled before."""
        self._db.execute_later("DELETE FROM inbox WHERE key = ?", (key,))
        inserted = await self._db.execute(
            "INSERT INTO handled_inbounds (key, handled_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (key, now),
        )
        return inserted == 1

    # -- inbox: updates stored before the platform is told they arrived --------------------------

    async def store_inbox(
        self,
        key: str,
        platform: str,
        payload: str,
        now: datetime,
        *,
        due: datetime | None = None,
    ) -> bool:
        """Keep an update until its effect commits; False when it was stored or handled already.

        ``due`` holds it from the inbox's handling until then (None: due at once), for an
        update its receiver is handling itself.
        """
        (stored,) = await self.store_updates([(key, payload)], platform, now, due=due)
        return stored

    async def store_updates(
        self,
        updates: Sequence[tuple[str, str]],
        platform: str,
        now: datetime,
        *,
        due: datetime | None = None,
    ) -> list[bool]:
        """Keep updates, each ``(key, payload)``, as ``store_inbox`` does, in one trip; for
        each, whether it was new."""
        found = await self._db.fetch_each(
            [
                (
                    "INSERT INTO inbox (key, platform, payload, received_at, next_attempt_at)"
                    " SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS"
                    " (SELECT 1 FROM handled_inbounds WHERE key = ?)"
                    " ON CONFLICT DO NOTHING RETURNING key",
                    (key, platform, payload, now, due, key),
                )
                for key, payload in updates
            ]
        )
        return [bool(rows) for rows in found]

    async def inbox(
        self, platform: str, limit: int, due_by: datetime | None = None
    ) -> list[tuple[str, str, int]]:
        """Stored updates to handle, oldest first: (key, payload, tries so far); never one set
        aside, and with ``due_by`` only those due by then."""
        due = "" if due_by is None else " AND (next_attempt_at IS NULL OR next_attempt_at <= ?)"
        rows = await self._db.fetch_all(
            "SELECT key, payload, attempts FROM inbox WHERE platform = ? AND set_aside_at IS NULL"  # noqa: S608
            + due
            + " ORDER BY received_at, key LIMIT ?",
            (platform, limit) if due_by is None else (platform, due_by, limit),
        )
        return [(r["key"], r["payload"], int(r["attempts"])) for r in rows]

    async def next_inbox_attempt(self, platform: str) -> datetime | None:
        """When the next stored update that waits to be tried again falls due."""
        row = await self._db.fetch_one(
            "SELECT MIN(next_attempt_at) AS due FROM inbox"
            " WHERE platform = ? AND set_aside_at IS NULL",
            (platform,),
        )
        return None if row is None or row["due"] is None else instant(row["due"])

    async def inbox_failed(
        self, key: str, reason: str, now: datetime, *, retry_at: datetime, max_tries: int
    ) -> tuple[int, bool]:
        """Count a failed try at a stored update: it waits until ``retry_at``, or is set aside
        once it failed ``max_tries`` times. Return the tries so far and whether it is set aside
        now (0 and False when it is gone: handled meanwhile, or erased)."""
        row = await self._db.fetch_one(
            "UPDATE inbox SET attempts = attempts + 1, reason = ?, next_attempt_at = ?,"
            " set_aside_at = CASE WHEN attempts + 1 >= ? THEN ? END"
            " WHERE key = ? AND set_aside_at IS NULL RETURNING attempts, set_aside_at",
            (reason, retry_at, max_tries, now, key),
        )
        if row is None:
            return 0, False
        return int(row["attempts"]), row["set_aside_at"] is not None

    async def inbox_set_aside(self, platform: str) -> int:
        """How many of the platform's stored updates were set aside after failing."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*) AS n FROM inbox WHERE platform = ? AND set_aside_at IS NOT NULL",
            (platform,),
        )
        return 0 if row is None else int(row["n"])

    async def release_inbox(self, platform: str, now: datetime) -> int:
        """Make due now every stored update a receiver was holding for itself: it was a
        process that is gone (call before this process receives anything)."""
        return await self._db.execute(
            "UPDATE inbox SET next_attempt_at = ?"
            " WHERE platform = ? AND set_aside_at IS NULL AND next_attempt_at > ?",
            (now, platform, now),
        )

    async def drop_inbox(self, *keys: str) -> None:
        """Forget stored updates (handled, or erased), sent with the transaction's next trip."""
        if keys:
            self._db.execute_later(
                f"DELETE FROM inbox WHERE key IN ({', '.join('?' * len(keys))})",  # noqa: S608
                keys,
            )

    async def forget_set_aside_before(self, cutoff: datetime) -> int:
        """Delete stored updates that were set aside before ``cutoff``; how many went."""
        return await self._db.execute(
            "DELETE FROM inbox WHERE set_aside_at IS NOT NULL AND set_aside_at < ?", (cutoff,)
        )

    async def forget_inbounds_before(self, cutoff: datetime) -> int:
        """Drop dedupe keys older than any redelivery could be."""
        return await self._db.execute(
            "DELETE FROM handled_inbounds WHERE handled_at < ?", (cutoff,)
        )

    # -- people and communities -----------------------------------------------------------------

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
        """Meet whoever caused an event, and where, with one read.

        Create the person, community and membership that are new; refresh a changed name,
        whether they are an admin there, and (``private_chat``) that their private chat with
        the bot is open. Return the person and community as stored; write nothing unchanged.
        With ``claim``, claim that inbound key first in the same trip (as ``claim_inbound``):
        None when it was handled before, and then nothing else is written.
        """
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
                "SELECT p.name, p.timezone, p.private_chat,"
                " k.key AS k_key, k.platform AS k_platform, k.platform_id AS k_platform_id,"
                " k.chat AS k_chat, k.settings AS k_settings, k.active AS k_active,"
                " m.community, m.person, m.share, m.is_admin"
                " FROM (SELECT 1 AS here) AS one"
                " LEFT JOIN people p ON p.key = ?"
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
                person.key, person.platform, person.platform_id, person.name, row["timezone"]
            )
        self._seed("get_person", (person.key,), _PEOPLE, person)
        self._seed("private_chat_open", (person.key,), _PEOPLE, chat_open)
        if community is None:
            return person, None
        if row["k_key"] is None:
            self._db.execute_later(
                "INSERT INTO communities (key, platform, platform_id, chat, settings, created_at)"
                " VALUES (?, ?, ?, ?, '{}', ?) ON CONFLICT (key) DO NOTHING",
                (community.key, community.platform, community.platform_id, community.chat, now),
            )
        else:
            community = _community(row, "k_")
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
            membership = _membership(row)
        self._seed("get_community", (community.key,), _COMMUNITIES, community)
        self._seed("membership", (community.key, person.key), _MEMBERSHIPS, membership)
        return person, community

    async def upsert_person(
        self, key: str, platform: str, platform_id: str, name: str, now: datetime
    ) -> Person:
        """Create the person, or refresh the name they go by now."""
        row = await self._db.fetch_one(
            "INSERT INTO people (key, platform, platform_id, name, created_at)"
            " VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET name = excluded.name"
            " RETURNING key, platform, platform_id, name, timezone",
            (key, platform, platform_id, name, now),
        )
        assert row is not None
        return person_from_row(row)

    @kept(*_PEOPLE)
    async def get_person(self, key: str) -> Person | None:
        row = await self._db.fetch_one(
            "SELECT key, platform, platform_id, name, timezone FROM people WHERE key = ?", (key,)
        )
        return None if row is None else person_from_row(row)

    async def set_person_timezone(self, key: str, timezone: str | None) -> None:
        self._db.execute_later("UPDATE people SET timezone = ? WHERE key = ?", (timezone, key))

    async def upsert_community(
        self, key: str, platform: str, platform_id: str, chat: str, now: datetime
    ) -> Community:
        """Create the community on first contact; its settings start at the defaults."""
        row = await self._db.fetch_one(
            "INSERT INTO communities (key, platform, platform_id, chat, settings, created_at)"
            " VALUES (?, ?, ?, ?, '{}', ?)"
            " ON CONFLICT (key) DO UPDATE SET chat = communities.chat"
            " RETURNING key, platform, platform_id, chat, settings, active",
            (key, platform, platform_id, chat, now),
        )
        assert row is not None
        return _community(row)

    @kept(*_COMMUNITIES)
    async def get_community(self, key: str) -> Community | None:
        row = await self._db.fetch_one(
            "SELECT key, platform, platform_id, chat, settings, active FROM communities"
            " WHERE key = ?",
            (key,),
        )
        return None if row is None else _community(row)

    async def set_community_active(self, key: str, active: bool) -> None:
        """Mark whether the bot is still in this community (it may be removed and re-added)."""
        self._db.execute_later("UPDATE communities SET active = ? WHERE key = ?", (active, key))

    async def leave_community(self, community: str, person: str) -> None:
        """Forget a member's place in a community they left: they are no longer pinged there."""
        for sql in (
            "DELETE FROM supporters WHERE community = ? AND person = ?",
            "DELETE FROM meeting_reminders WHERE community = ? AND person = ?",
            "DELETE FROM member_roles WHERE community = ? AND person = ?",
            "DELETE FROM memberships WHERE community = ? AND person = ?",
        ):
            self._db.execute_later(sql, (community, person))

    async def save_community_settings(self, key: str, settings: CommunitySettings) -> None:
        self._db.execute_later(
            "UPDATE communities SET settings = ? WHERE key = ?",
            (json.dumps(settings.as_json(), sort_keys=True), key),
        )

    # -- memberships ----------------------------------------------------------------------------

    async def ensure_membership(self, community: str, person: str, now: datetime) -> Membership:
        row = await self._db.fetch_one(
            "INSERT INTO memberships (community, person, joined_at) VALUES (?, ?, ?)"
            " ON CONFLICT (community, person) DO UPDATE SET share = memberships.share"
            " RETURNING community, person, share",
            (community, person, now),
        )
        assert row is not None
        return Membership(
            row["community"], row["person"], bool(row["share"]), row["share"] is not None
        )

    @kept(*_MEMBERSHIPS)
    async def membership(self, community: str, person: str) -> Membership | None:
        row = await self._db.fetch_one(
            "SELECT community, person, share FROM memberships WHERE community = ? AND person = ?",
            (community, person),
        )
        return None if row is None else _membership(row)

    @kept(*_MEMBERSHIPS)
    async def memberships_of(self, person: str) -> list[Membership]:
        rows = await self._db.fetch_all(
            "SELECT community, person, share FROM memberships WHERE person = ? ORDER BY community",
            (person,),
        )
        found = [_membership(r) for r in rows]
        for membership in found:
            self._seed("membership", (membership.community, person), _MEMBERSHIPS, membership)
        return found

    async def set_share(self, community: str, person: str, share: bool) -> None:
        self._db.execute_later(
            "UPDATE memberships SET share = ? WHERE community = ? AND person = ?",
            (share, community, person),
        )

    async def share_by_default(self, community: str, person: str) -> None:
        """Turn sharing on here unless the member already chose."""
        self._db.execute_later(
            "UPDATE memberships SET share = TRUE"
            " WHERE community = ? AND person = ? AND share IS NULL",
            (community, person),
        )

    async def sharing_counters(self, community: str) -> list[tuple[Person, date]]:
        """Members who share their count in this community, with their primary clean date."""
        rows = await self._db.fetch_all(
            "SELECT p.key, p.platform, p.platform_id, p.name, p.timezone, c.clean_since"
            " FROM memberships m"
            " JOIN people p ON p.key = m.person"
            " JOIN counters c ON c.person = m.person AND c.name = ?"
            " WHERE m.community = ? AND m.share",
            (PRIMARY, community),
        )
        return [(person_from_row(r), day(r["clean_since"])) for r in rows]

    # -- counters -------------------------------------------------------------------------------

    async def set_counter(self, person: str, name: str, clean_since: date, now: datetime) -> None:
        found, counters = self._recall(("counters_of", (person,), ()), _COUNTERS)
        self._db.execute_later(
            "INSERT INTO counters (person, name, clean_since, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (person, name) DO UPDATE"
            " SET clean_since = excluded.clean_since, updated_at = excluded.updated_at",
            (person, name, clean_since, now),
        )
        if found:
            kept = [c for c in counters if c.name != name] + [Counter(person, name, clean_since)]
            kept.sort(key=lambda c: (c.name != PRIMARY, c.name))
            self._seed("counters_of", (person,), _COUNTERS, kept)

    @kept(*_COUNTERS)
    async def counters_of(self, person: str) -> list[Counter]:
        """The primary counter first, then named ones by name."""
        rows = await self._db.fetch_all(
            "SELECT person, name, clean_since FROM counters WHERE person = ?"
            " ORDER BY name != '', name",
            (person,),
        )
        return [Counter(r["person"], r["name"], day(r["clean_since"])) for r in rows]

    # -- milestone announcements ----------------------------------------------------------------

    async def set_announcement_due(
        self,
        community: str,
        person: str,
        due: tuple[datetime, str, date] | None,
    ) -> None:
        """Set when (and for which milestone and day) this member is next celebrated here."""
        due_at, milestone, milestone_day = due if due else (None, None, None)
        self._write_keeping(
            "UPDATE memberships SET announce_due_at = ?, announce_milestone = ?, announce_day = ?"
            " WHERE community = ? AND person = ?",
            (due_at, milestone, milestone_day, community, person),
            ("membership", "memberships_of"),
        )

    async def due_announcements(self, now: datetime, limit: int) -> list[DueAnnouncement]:
        """Memberships whose next announcement time has come, earliest first, via the index."""
        rows = await self._db.fetch_all(
            "SELECT m.announce_due_at, m.announce_milestone, m.announce_day, m.share,"
            " p.key AS p_key, p.platform AS p_platform, p.platform_id AS p_platform_id,"
            " p.name AS p_name, p.timezone AS p_timezone,"
            " k.key AS k_key, k.platform AS k_platform, k.platform_id AS k_platform_id,"
            " k.chat AS k_chat, k.settings AS k_settings, k.active AS k_active,"
            " c.clean_since"
            " FROM memberships m"
            " JOIN people p ON p.key = m.person"
            " JOIN communities k ON k.key = m.community"
            " LEFT JOIN counters c ON c.person = m.person AND c.name = ?"
            " WHERE m.announce_due_at IS NOT NULL AND m.announce_due_at <= ? AND k.active"
            " ORDER BY m.announce_due_at LIMIT ?",
            (PRIMARY, now, limit),
        )
        return [
            DueAnnouncement(
                community=_community(r, "k_"),
                person=person_from_row(r, "p_"),
                milestone=r["announce_milestone"],
                day=day(r["announce_day"]),
                due_at=instant(r["announce_due_at"]),
                clean_since=None if r["clean_since"] is None else day(r["clean_since"]),
                share=bool(r["share"]),
            )
            for r in rows
        ]

    async def earliest_announcement_due(self) -> datetime | None:
        row = await self._db.fetch_one(
            "SELECT announce_due_at FROM memberships WHERE announce_due_at IS NOT NULL"
            " ORDER BY announce_due_at LIMIT 1"
        )
        return None if row is None else instant(row["announce_due_at"])

    async def record_announcement(
        self,
        community: str,
        person: str,
        counter: str,
        clean_since: date,
        milestone: str,
        now: datetime,
    ) -> bool:
        """Remember a celebration; False when this very one was made before."""
        inserted = await self._db.execute(
            "INSERT INTO announcements"
            " (community, person, counter, clean_since, milestone, announced_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (community, person, counter, clean_since, milestone, now),
        )
        return inserted == 1

    # -- outbox ---------------------------------------------------------------------------------

    async def enqueue(
        self,
        reply: Reply,
        locale: str,
        now: datetime,
        *,
        about: str | None = None,
        follows: int | None = None,
    ) -> int:
        """Put a reply in the outbox; it leaves only after this transaction commits.

        ``follows`` names a row this one must not overtake: it waits until that row was tried.
        """
        row = await self._db.fetch_one(
            "INSERT INTO outbox (platform, target, edit_of, template, locale, context, buttons,"
            " mentions, attachment, person, created_at, next_attempt_at, priority, lane, follows)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                reply.target.platform,
                json.dumps(reply.target.as_json()),
                reply.target.edit_of,
                str(reply.template),
                locale,
                json.dumps(reply.context),
                json.dumps([[b.label, b.action, b.payload] for b in reply.buttons]),
                json.dumps([[m.person, m.name] for m in reply.mentions]),
                None
                if reply.attachment is None
                else json.dumps([reply.attachment.filename, reply.attachment.data]),
                about,
                now,
                now,
                int(reply.priority),
                reply.target.conversation,
                follows,
            ),
        )
        assert row is not None
        return int(row["id"])

    async def pending_outbox(self, platform: str, now: datetime, limit: int) -> list[OutboxMessage]:
        """Messages due to leave, most urgent first, then oldest, with the platform id of any
        message they edit; an edit of a message not yet sent, or a row following one not yet
        tried, is not due."""
        rows = await self._db.fetch_all(
            _MESSAGES + " LEFT JOIN outbox f ON f.id = o.follows"
            " WHERE o.platform = ? AND o.sent_at IS NULL AND o.failed_at IS NULL"
            " AND o.next_attempt_at <= ?"
            " AND (e.id IS NULL OR e.sent_at IS NOT NULL OR e.failed_at IS NOT NULL)"
            " AND (f.id IS NULL OR f.sent_at IS NOT NULL OR f.failed_at IS NOT NULL"
            " OR f.attempts > 0)"
            " ORDER BY o.priority, o.id LIMIT ?",
            (platform, now, limit),
        )
        return [_message(r) for r in rows]

    async def due_outbox(
        self,
        platform: str,
        now: datetime,
        *,
        newer_than: int = 0,
        due_since: datetime | None = None,
    ) -> list[DueRow]:
        """What a scheduler needs of each row due to leave, most urgent first: rows with an id
        above ``newer_than`` and rows that fell due since ``due_since`` (by default, all)."""
        rows = await self._db.fetch_all(
            "SELECT o.id, o.lane, o.priority, CASE WHEN o.lane IS NULL THEN o.target END AS target,"
            " CASE WHEN e.sent_at IS NULL AND e.failed_at IS NULL THEN e.id END AS edits,"
            " CASE WHEN f.sent_at IS NULL AND f.failed_at IS NULL AND f.attempts = 0"
            " THEN f.id END AS follows"
            " FROM outbox o LEFT JOIN outbox e ON e.id = o.edit_of"
            " LEFT JOIN outbox f ON f.id = o.follows"
            " WHERE o.platform = ? AND o.sent_at IS NULL AND o.failed_at IS NULL"
            " AND o.next_attempt_at <= ? AND (o.id > ? OR o.next_attempt_at >= ?)"
            " ORDER BY o.priority, o.id",
            (platform, now, newer_than, due_since or now),
        )
        return [
            DueRow(
                id=int(r["id"]),
                lane=r["lane"]
                if r["lane"] is not None
                else Target.from_json(json.loads(r["target"])).conversation,
                priority=int(r["priority"]),
                edits=r["edits"],
                follows=r["follows"],
            )
            for r in rows
        ]

    async def outbox_messages(self, ids: list[int]) -> list[OutboxMessage]:
        """The rows with these ids that still wait to leave (an erasure may have taken some)."""
        if not ids:
            return []
        marks = ", ".join("?" * len(ids))
        rows = await self._db.fetch_all(
            _MESSAGES  # only placeholders are joined in
            + f" WHERE o.id IN ({marks}) AND o.sent_at IS NULL AND o.failed_at IS NULL",
            ids,
        )
        return [_message(r) for r in rows]

    async def mark_sent(self, outbox_id: int, ref: str | None, now: datetime) -> None:
        """Record delivery and forget what the message said (and its lane): only its platform id
        is kept."""
        self._db.execute_later(
            "UPDATE outbox SET sent_at = ?, sent_ref = ?, attempts = attempts + 1,"
            " context = '{}', mentions = '[]', buttons = '[]', attachment = NULL, lane = NULL"
            " WHERE id = ?",
            (now, ref, outbox_id),
        )

    async def mark_retry(self, outbox_id: int, at: datetime) -> None:
        await self._db.execute(
            "UPDATE outbox SET next_attempt_at = ?, attempts = attempts + 1 WHERE id = ?",
            (at, outbox_id),
        )

    async def mark_failed(self, outbox_id: int, reason: str, now: datetime) -> None:
        await self._db.execute(
            "UPDATE outbox SET failed_at = ?, failure = ?, attempts = attempts + 1,"
            " context = '{}', mentions = '[]', buttons = '[]', attachment = NULL, lane = NULL"
            " WHERE id = ?",
            (now, reason, outbox_id),
        )

    async def forget_outbox_before(self, cutoff: datetime) -> int:
        """Delete messages that left (or failed for good) before ``cutoff``."""
        return await self._db.execute(
            "DELETE FROM outbox WHERE COALESCE(sent_at, failed_at) < ?", (cutoff,)
        )

    async def outbox_by_ref(self, platform: str, ref: str) -> int | None:
        """The outbox id of the message the platform knows as ``ref``."""
        row = await self._db.fetch_one(
            "SELECT id FROM outbox WHERE platform = ? AND sent_ref = ? ORDER BY id LIMIT 1",
            (platform, ref),
        )
        return None if row is None else int(row["id"])

    async def deliver_waiting_now(self, person: str, now: datetime) -> int:
        """Let messages waiting for this person (e.g. until they open a private chat) go now."""
        return await self._db.execute(
            "UPDATE outbox SET next_attempt_at = ?"
            " WHERE person = ? AND sent_at IS NULL AND failed_at IS NULL",
            (now, person),
        )

    async def outbox_target(self, outbox_id: int) -> Target | None:
        """Where an earlier message went, so that it can be edited in place."""
        row = await self._db.fetch_one("SELECT target FROM outbox WHERE id = ?", (outbox_id,))
        return None if row is None else Target.from_json(json.loads(row["target"]))

    async def next_outbox_attempt(self, platform: str) -> datetime | None:
        row = await self._db.fetch_one(
            "SELECT next_attempt_at FROM outbox"
            " WHERE platform = ? AND sent_at IS NULL AND failed_at IS NULL"
            " ORDER BY next_attempt_at LIMIT 1",
            (platform,),
        )
        return None if row is None else instant(row["next_attempt_at"])

    # -- timers ---------------------------------------------------------------------------------

    async def schedule(
        self,
        payload: TimerPayload,
        due_at: datetime,
        *,
        key: str | None = None,
        about: str | None = None,
    ) -> None:
        """Add a timer; a keyed timer exists once and keeps the earlier of two due times."""
        self.scheduled = True
        self._db.execute_later(
            "INSERT INTO timers (kind, key, due_at, payload, person) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET due_at = excluded.due_at"
            " WHERE excluded.due_at < timers.due_at",
            (payload.kind, key, due_at, payload.dump(), about),
        )

    async def take_timer(self, timer_id: int) -> bool:
        """Delete a fired timer; False when another worker fired it first."""
        return await self._db.execute("DELETE FROM timers WHERE id = ?", (timer_id,)) == 1

    async def due_timers(self, now: datetime, limit: int) -> list[DueTimer]:
        rows = await self._db.fetch_all(
            "SELECT id, kind, key, due_at, payload, attempts FROM timers WHERE due_at <= ?"
            " ORDER BY due_at, id LIMIT ?",
            (now, limit),
        )
        return [
            DueTimer(
                id=int(r["id"]),
                kind=r["kind"],
                due_at=instant(r["due_at"]),
                payload=str(r["payload"]),
                attempts=int(r["attempts"]),
                key=r["key"],
            )
            for r in rows
        ]

    async def next_timer_due(self) -> datetime | None:
        row = await self._db.fetch_one("SELECT due_at FROM timers ORDER BY due_at LIMIT 1")
        return None if row is None else instant(row["due_at"])

    async def postpone_timer(self, timer_id: int, due_at: datetime) -> None:
        """Push back a timer whose handler failed, so one bad row cannot stall the loop."""
        self._db.execute_later(
            "UPDATE timers SET due_at = ?, attempts = attempts + 1 WHERE id = ?",
            (due_at, timer_id),
        )

    async def drop_timer(self, timer_id: int) -> None:
        self._db.execute_later("DELETE FROM timers WHERE id = ?", (timer_id,))

    # -- process-wide values --------------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        row = await self._db.fetch_one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row["value"])

    async def set_meta(self, key: str, value: str) -> None:
        self._db.execute_later(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


class Transaction(
    CoreQueries,
    ConsentQueries,
    CravingQueries,
    CallQueries,
    RelapseQueries,
    MeetingQueries,
    PrivacyQueries,
    RoleQueries,
):
    """One open transaction: everything a flow reads and writes goes through here."""
