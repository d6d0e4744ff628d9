"""Members who set a clean date and share it, written straight into a migrated database.

Going through the core would cost seconds per thousand members, so parts (d) and (e) write
what ``/cleandate`` leaves for each member (without its reply) in the store's own formats: the
community, the person, the clean date, the shared membership with its next milestone, and the
milestone run armed at the earliest one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from bench.support import NOW, TODAY, bulk_loading, days_before, stamp
from bot.domain.announcing import next_announcement
from bot.domain.community import CommunitySettings
from bot.domain.model import PRIMARY, community_key, person_key
from bot.domain.replies import Template
from bot.flows.milestones import MILESTONES_TIMER
from bot.turn import UTC_ZONE

SPREAD_DAYS = 3650
CLEAN_DAYS = [d for d in range(91, SPREAD_DAYS + 1) if days_before(d).day != TODAY.day]
"""Days clean, spread over ten years, none with a milestone today: milestones fall 1 to 90 days
after the clean date or on its day of the month, and a milestone today would post a digest
(another message) in the middle of a wave."""
DEFAULTS = CommunitySettings()


def clean_date(number: int) -> date:
    return days_before(CLEAN_DAYS[number * 37 % len(CLEAN_DAYS)])


def name(number: int) -> str:
    return f"Member {number}"


@dataclass(frozen=True, slots=True)
class Member:
    """Member ``number`` and where they share, in the platform's own ids."""

    number: int
    user_id: str
    community_id: str
    chat: str


def load(path: Path, platform: str, members: Sequence[Member]) -> int:
    """Write the members' rows in one transaction; return how many rows were written."""
    created = stamp(NOW - timedelta(hours=1))
    plans = {m.number: _next_milestone(m.number) for m in members}
    earliest = min(due_at for due_at, _, _ in plans.values())
    if earliest <= stamp(NOW):
        raise RuntimeError(f"a milestone is due at {earliest}: it would post during the run")
    communities = {m.community_id: m.chat for m in members}

    def person(member: Member) -> str:
        return person_key(platform, member.user_id)

    def community(member: Member) -> str:
        return community_key(platform, member.community_id)

    with bulk_loading(path) as db:
        db.executemany(
            "INSERT INTO communities (key, platform, platform_id, chat, settings, created_at)"
            " VALUES (?, ?, ?, ?, '{}', ?)",
            [
                (community_key(platform, c), platform, c, chat, created)
                for c, chat in sorted(communities.items())
            ],
        )
        db.executemany(
            "INSERT INTO people (key, platform, platform_id, name, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [(person(m), platform, m.user_id, name(m.number), created) for m in members],
        )
        db.executemany(
            "INSERT INTO counters (person, name, clean_since, updated_at) VALUES (?, ?, ?, ?)",
            [(person(m), PRIMARY, clean_date(m.number).isoformat(), created) for m in members],
        )
        db.executemany(
            "INSERT INTO memberships (community, person, share, announce_due_at,"
            " announce_milestone, announce_day, joined_at) VALUES (?, ?, 1, ?, ?, ?, ?)",
            [(community(m), person(m), *plans[m.number], created) for m in members],
        )
        db.execute(
            "INSERT INTO timers (kind, key, due_at, payload) VALUES (?1, ?1, ?2, '{}')",
            (MILESTONES_TIMER, earliest),
        )
    return len(communities) + 3 * len(plans) + 1


def _next_milestone(number: int) -> tuple[str, str, str]:
    """When the member is next celebrated: as ``reschedule`` computes it for a default group."""
    due = next_announcement(
        clean_date(number), UTC_ZONE, DEFAULTS.announcement_hour, DEFAULTS.milestones, TODAY
    )
    assert due is not None
    due_at, milestone, day = due
    return stamp(due_at), milestone, day.isoformat()


def outbox_left(db: sqlite3.Connection) -> dict[str, int]:
    """After a run: the /days answers sent, any other rows, and rows never sent."""

    def count(sql: str, *params: object) -> int:
        return int(db.execute(sql, params).fetchone()[0])

    days = str(Template.DAYS)
    return {
        "days_sent": count(
            "SELECT COUNT(*) FROM outbox WHERE template = ? AND sent_at IS NOT NULL", days
        ),
        "other_rows": count("SELECT COUNT(*) FROM outbox WHERE template != ?", days),
        "unsent": count("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL"),
    }
