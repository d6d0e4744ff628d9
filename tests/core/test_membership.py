"""Members who leave are not pinged there; a group that removed the bot hears nothing more."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from bot.app import App
from bot.clock import ManualClock
from bot.domain.inbound import CommandIssued, MembershipChanged, Origin
from tests.conftest import keep_clean_date


def _origin(person: str) -> Origin:
    return Origin("console", "group", person, person.title(), community="group")


def _rows(database: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(database) as db:
        return db.execute(sql).fetchall()


async def test_a_member_who_left_is_no_longer_pinged(app: App, database: Path) -> None:
    await app.core.handle(CommandIssued("1", _origin("ana"), "supporter", "on"))
    await app.core.handle(CommandIssued("2", _origin("ben"), "supporter", "on"))
    left = MembershipChanged("tg:9", "console", "group", "ana", present=False)
    assert await app.core.handle(left)
    assert not await app.core.handle(left), "the same update twice has one effect"
    await app.core.handle(CommandIssued("3", _origin("sam"), "craving"))
    assert _rows(database, "SELECT person FROM craving_pings") == [("console:ben",)]
    assert _rows(database, "SELECT person FROM supporters") == [("console:ben",)]


async def test_a_group_that_removed_the_bot_gets_no_announcements(
    app: App, clock: ManualClock, database: Path
) -> None:
    await keep_clean_date(app.core, "1", _origin("sam"), "2026-10-31")
    await app.core.handle(MembershipChanged("tg:1", "console", "group", None, present=False))
    clock.advance(timedelta(days=2))
    await app.timers.fire_due()
    assert _rows(database, "SELECT template FROM outbox WHERE template = 'milestone_digest'") == []
    await app.core.handle(MembershipChanged("tg:2", "console", "group", None, present=True))
    clock.advance(timedelta(days=30))
    await app.timers.fire_due()
    digests = _rows(database, "SELECT COUNT(*) FROM outbox WHERE template = 'milestone_digest'")
    assert digests == [(1,)], "back in the group: the next milestone (60 days) is celebrated"
