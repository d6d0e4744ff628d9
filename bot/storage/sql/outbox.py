"""The outbox: replies waiting for their platform to accept them, and what was sent."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from datetime import datetime

from bot.domain.records import Backlog, DueRow, LaneLease, OutboxMessage
from bot.domain.replies import Attachment, Button, Mention, Reply, Target
from bot.storage.port import Row
from bot.storage.sql.rows import instant
from bot.storage.sql.session import Repository

_MESSAGES = (
    "SELECT o.id, o.template, o.locale, o.target, o.context, o.buttons, o.mentions,"
    " o.attachment, o.attempts, o.priority, e.sent_ref AS edit_ref"
    " FROM outbox o LEFT JOIN outbox e ON e.id = o.edit_of"
)
"""Outbox rows as ``_message`` reads them, with the platform id of the message each
edits."""


_FENCE = (
    " AND EXISTS (SELECT 1 FROM outbox_lanes l"
    " WHERE l.platform = outbox.platform AND l.lane = ? AND l.token = ?)"
)
"""What a mark by a lane's holder adds: the row changes only while its lease is the lane's."""


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


class SqlOutbox(Repository):
    """``OutboxRepository`` in SQL: the protocol says what each method promises."""

    async def enqueue(
        self,
        reply: Reply,
        locale: str,
        now: datetime,
        *,
        about: str | None = None,
        follows: int | None = None,
    ) -> int:
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
                reply.target.lane,
                follows,
            ),
        )
        assert row is not None
        return int(row["id"])

    async def pending(self, platform: str, now: datetime, limit: int) -> list[OutboxMessage]:
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

    async def due(
        self,
        platform: str,
        now: datetime,
        *,
        newer_than: int = 0,
        due_since: datetime | None = None,
    ) -> list[DueRow]:
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
                else Target.from_json(json.loads(r["target"])).lane,
                priority=int(r["priority"]),
                edits=r["edits"],
                follows=r["follows"],
            )
            for r in rows
        ]

    async def messages(self, ids: list[int]) -> list[OutboxMessage]:
        if not ids:
            return []
        marks = ", ".join("?" * len(ids))
        rows = await self._db.fetch_all(
            _MESSAGES  # only placeholders are joined in
            + f" WHERE o.id IN ({marks}) AND o.sent_at IS NULL AND o.failed_at IS NULL"
            " ORDER BY o.id",
            ids,
        )
        return [_message(r) for r in rows]

    async def mark_sent(
        self, outbox_id: int, ref: str | None, now: datetime, *, lease: LaneLease | None = None
    ) -> bool:
        changed = await self._db.execute(
            *_fenced(
                "UPDATE outbox SET sent_at = ?, sent_ref = ?, attempts = attempts + 1,"
                " context = '{}', mentions = '[]', buttons = '[]', attachment = NULL, lane = NULL"
                " WHERE id = ?",
                (now, ref, outbox_id),
                lease,
            )
        )
        return changed > 0

    async def mark_retry(
        self, outbox_id: int, at: datetime, *, lease: LaneLease | None = None
    ) -> bool:
        changed = await self._db.execute(
            *_fenced(
                "UPDATE outbox SET next_attempt_at = ?, attempts = attempts + 1 WHERE id = ?",
                (at, outbox_id),
                lease,
            )
        )
        return changed > 0

    async def mark_failed(
        self, outbox_id: int, reason: str, now: datetime, *, lease: LaneLease | None = None
    ) -> bool:
        changed = await self._db.execute(
            *_fenced(
                "UPDATE outbox SET failed_at = ?, failure = ?, attempts = attempts + 1,"
                " context = '{}', mentions = '[]', buttons = '[]', attachment = NULL, lane = NULL"
                " WHERE id = ?",
                (now, reason, outbox_id),
                lease,
            )
        )
        return changed > 0

    async def claim_lanes(
        self, platform: str, lanes: Sequence[str], holder: str, now: datetime, until: datetime
    ) -> list[LaneLease]:
        named = {_digest(lane): lane for lane in lanes}
        # One statement a lane, atomic on its own: PostgreSQL locks the lane's row on conflict
        # and judges the WHERE on its newest version, so of two claimants one wins. Every
        # process locks lanes in one order (by digest): two renewing and claiming the same
        # lanes in orders of their own would each lock a lane the other waits for, until
        # PostgreSQL broke the deadlock by failing one of them.
        found = await self._db.fetch_each(
            [
                (
                    "INSERT INTO outbox_lanes (platform, lane, holder, token, lease_until)"
                    " VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT (platform, lane) DO UPDATE SET"
                    " token = CASE WHEN outbox_lanes.holder = excluded.holder"
                    " THEN outbox_lanes.token ELSE excluded.token END,"
                    " holder = excluded.holder, lease_until = excluded.lease_until"
                    " WHERE outbox_lanes.holder IS NULL OR outbox_lanes.holder = excluded.holder"
                    " OR outbox_lanes.lease_until <= ?"
                    " RETURNING lane, token, minute",
                    (platform, digest, holder, uuid.uuid4().hex, until, now),
                )
                for digest in sorted(named)
            ]
        )
        return [
            LaneLease(
                platform,
                named[r["lane"]],
                r["token"],
                tuple(datetime.fromisoformat(at) for at in json.loads(r["minute"])),
            )
            for rows in found
            for r in rows
        ]

    async def release_lanes(self, leases: Sequence[LaneLease]) -> None:
        for lease in sorted(leases, key=lambda held: _digest(held.lane)):  # as claim_lanes locks
            key = (lease.platform, _digest(lease.lane), lease.token)
            if not lease.minute:
                self._db.execute_later(
                    "DELETE FROM outbox_lanes WHERE platform = ? AND lane = ? AND token = ?", key
                )
                continue
            self._db.execute_later(
                "UPDATE outbox_lanes SET holder = NULL, minute = ?"
                " WHERE platform = ? AND lane = ? AND token = ?",
                (json.dumps([at.isoformat() for at in lease.minute]), *key),
            )

    async def take_budget(self, platform: str, slot: int, wanted: int, per_slot: int) -> int:
        first = min(wanted, per_slot)
        # One statement, atomic on its own: of processes taking at once, each sees what the
        # one before it took. A slot gone by (a clock behind the others) gets nothing.
        row = await self._db.fetch_one(
            "INSERT INTO outbox_budget (platform, slot, used, granted) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (platform) DO UPDATE SET"
            " granted = CASE WHEN outbox_budget.slot < excluded.slot THEN excluded.granted"
            " WHEN outbox_budget.used + excluded.granted > ? THEN ? - outbox_budget.used"
            " ELSE excluded.granted END,"
            " used = CASE WHEN outbox_budget.slot < excluded.slot THEN excluded.used"
            " WHEN outbox_budget.used + excluded.granted > ? THEN ?"
            " ELSE outbox_budget.used + excluded.granted END,"
            " slot = excluded.slot"
            " WHERE outbox_budget.slot <= excluded.slot"
            " RETURNING granted",
            (platform, slot, first, first, per_slot, per_slot, per_slot, per_slot),
        )
        return 0 if row is None else int(row["granted"])

    async def forget_before(self, cutoff: datetime) -> int:
        self._db.execute_later("DELETE FROM outbox_lanes WHERE lease_until < ?", (cutoff,))
        return await self._db.execute(
            "DELETE FROM outbox WHERE COALESCE(sent_at, failed_at) < ?", (cutoff,)
        )

    async def by_ref(self, platform: str, ref: str) -> int | None:
        row = await self._db.fetch_one(
            "SELECT id FROM outbox WHERE platform = ? AND sent_ref = ? ORDER BY id LIMIT 1",
            (platform, ref),
        )
        return None if row is None else int(row["id"])

    async def deliver_waiting_now(self, person: str, now: datetime) -> int:
        return await self._db.execute(
            "UPDATE outbox SET next_attempt_at = ?"
            " WHERE person = ? AND sent_at IS NULL AND failed_at IS NULL",
            (now, person),
        )

    async def target(self, outbox_id: int) -> Target | None:
        row = await self._db.fetch_one("SELECT target FROM outbox WHERE id = ?", (outbox_id,))
        return None if row is None else Target.from_json(json.loads(row["target"]))

    async def next_attempt(self, platform: str) -> datetime | None:
        row = await self._db.fetch_one(
            "SELECT next_attempt_at FROM outbox"
            " WHERE platform = ? AND sent_at IS NULL AND failed_at IS NULL"
            " ORDER BY next_attempt_at LIMIT 1",
            (platform,),
        )
        return None if row is None else instant(row["next_attempt_at"])

    async def backlog(self) -> list[Backlog]:
        rows = await self._db.fetch_all(
            "SELECT platform, priority, COUNT(*) AS waiting, MIN(created_at) AS oldest"
            " FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"
            " GROUP BY platform, priority ORDER BY platform, priority"
        )
        return [
            Backlog(r["platform"], int(r["priority"]), int(r["waiting"]), instant(r["oldest"]))
            for r in rows
        ]


def _fenced(
    sql: str, params: tuple[object, ...], lease: LaneLease | None
) -> tuple[str, tuple[object, ...]]:
    """A mark that changes its row only while ``lease`` is still the lane's: a worker that lost
    the lane (it stalled past its lease, and another took it over) changes nothing."""
    if lease is None:
        return sql, params
    return sql + _FENCE, (*params, _digest(lease.lane), lease.token)


def _digest(lane: str) -> str:
    """How a lane is stored: its name may be a member's private chat, which no lease keeps."""
    return hashlib.blake2b(lane.encode(), digest_size=16).hexdigest()
