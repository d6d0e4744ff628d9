"""Bulk-load a migrated database with many sharing members, and re-arm the same 100 as due.

Going through ``Core.handle`` would take hours for a million members, so rows are written
straight into the file with the stdlib ``sqlite3`` module, in the exact formats the store uses.
Members sit in groups of ``GROUP_SIZE``; the 100 due ones are 10 in each of 10 groups spread
over the file, so every size does the same work: 10 digests with 10 celebrations each.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from bench.support import ANNOUNCE_AT, NOW, TODAY, bulk_loading, days_before, stamp

GROUP_SIZE = 1000
DUE_GROUPS = 10
DUE_PER_GROUP = 10
DUE = DUE_GROUPS * DUE_PER_GROUP
MILESTONES_KEY = "milestones"
HORIZON_DAYS = 365
"""Members not due are due on a day of the coming year, spread evenly, at their 1y milestone."""

DUE_MILESTONE = "30d"
DUE_SINCE = days_before(30).isoformat()
"""Due members got clean 30 days ago, so today's 30-day milestone is really theirs."""

Row = tuple[object, ...]


def person_key(member: int) -> str:
    return f"console:{_person_id(member)}"


def community_key(group: int) -> str:
    return f"console:{_group_id(group)}"


def _person_id(member: int) -> str:
    return f"u{member:07d}"


def _group_id(group: int) -> str:
    return f"g{group:05d}"


def due_members(members: int) -> list[int]:
    """Ten members in each of ten groups spread evenly over the file."""
    groups = members // GROUP_SIZE
    if members % GROUP_SIZE or groups < DUE_GROUPS:
        raise ValueError(f"members must be a multiple of {GROUP_SIZE} and at least 10 groups")
    step = GROUP_SIZE // DUE_PER_GROUP
    return [
        (g * groups // DUE_GROUPS) * GROUP_SIZE + k * step
        for g in range(DUE_GROUPS)
        for k in range(DUE_PER_GROUP)
    ]


def _future_slots() -> list[tuple[str, str, str]]:
    """(clean date, announce_due_at, milestone day) for each day of the coming year."""
    slots = []
    for offset in range(1, HORIZON_DAYS + 1):
        day = TODAY + timedelta(days=offset)
        since = day.replace(year=day.year - 1)
        due_at = ANNOUNCE_AT + timedelta(days=offset)
        slots.append((since.isoformat(), stamp(due_at), day.isoformat()))
    return slots


def _rows(members: int, created: str) -> tuple[Iterator[Row], Iterator[Row], Iterator[Row]]:
    """Generators of people, counters and memberships, each in primary-key order."""
    due = set(due_members(members))
    slots = _future_slots()
    today = TODAY.isoformat()
    announce_at = stamp(ANNOUNCE_AT)

    def plan(member: int) -> tuple[str, str, str, str]:
        if member in due:
            return DUE_SINCE, announce_at, DUE_MILESTONE, today
        since, due_at, day = slots[member * HORIZON_DAYS // members]
        return since, due_at, "1y", day

    people = (
        (person_key(m), "console", _person_id(m), f"Member {m}", created) for m in range(members)
    )
    counters = ((person_key(m), "", plan(m)[0], created) for m in range(members))
    memberships = (
        (community_key(m // GROUP_SIZE), person_key(m), 1, *plan(m)[1:], created)
        for m in range(members)
    )
    return people, counters, memberships


def load(path: Path, members: int) -> None:
    """Insert everyone in one transaction; durability is off only for this loading connection."""
    created = stamp(NOW - timedelta(hours=1))
    people, counters, memberships = _rows(members, created)
    groups = (
        (community_key(g), _group_id(g), _group_id(g), created)
        for g in range(members // GROUP_SIZE)
    )
    with bulk_loading(path) as db:
        db.executemany(
            "INSERT INTO communities (key, platform, platform_id, chat, settings, created_at)"
            " VALUES (?, 'console', ?, ?, '{}', ?)",
            groups,
        )
        db.executemany(
            "INSERT INTO people (key, platform, platform_id, name, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            people,
        )
        db.executemany(
            "INSERT INTO counters (person, name, clean_since, updated_at) VALUES (?, ?, ?, ?)",
            counters,
        )
        db.executemany(
            "INSERT INTO memberships (community, person, share, announce_due_at,"
            " announce_milestone, announce_day, joined_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            memberships,
        )


def rearm(db: sqlite3.Connection, members: int, now: datetime = NOW) -> int:
    """Make the same 100 members due again and arm the run at ``now``, claimed with fence 1 as
    the timer loop would have; return the timer id.

    A run records its celebrations and moves each member to the next milestone; undoing that
    (and emptying the outbox) lets the next repetition do exactly the same work.
    """
    due = [
        (
            stamp(ANNOUNCE_AT),
            DUE_MILESTONE,
            TODAY.isoformat(),
            community_key(m // GROUP_SIZE),
            person_key(m),
        )
        for m in due_members(members)
    ]
    db.execute("BEGIN IMMEDIATE")
    db.executemany(
        "UPDATE memberships SET announce_due_at = ?, announce_milestone = ?, announce_day = ?"
        " WHERE community = ? AND person = ?",
        due,
    )
    db.execute("DELETE FROM announcements")
    db.execute("DELETE FROM outbox")
    db.execute("DELETE FROM timers WHERE key = ?", (MILESTONES_KEY,))
    (timer_id,) = db.execute(
        "INSERT INTO timers (kind, key, due_at, payload, leased_by, lease_until, fence)"
        " VALUES (?, ?, ?, '{}', 'bench', ?, 1) RETURNING id",
        (MILESTONES_KEY, MILESTONES_KEY, stamp(now), stamp(now + timedelta(minutes=1))),
    ).fetchone()
    db.execute("COMMIT")
    return int(timer_id)
