"""Nothing twice, nothing lost: redelivered events and restarts."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from bot.app import App, bootstrap
from bot.clock import ManualClock
from bot.domain.inbound import CommandIssued, Origin
from bot.settings import Settings
from tests.conftest import START, keep_clean_date

GROUP = Origin(platform="console", chat="group", person="sam", person_name="Sam", community="group")


def outbox(database: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT template, target FROM outbox ORDER BY id").fetchall()


async def test_the_same_inbound_twice_has_one_effect(app: App, database: Path) -> None:
    await app.core.handle(CommandIssued("telegram:update:40", GROUP, "consent", "on"))
    first = CommandIssued("telegram:update:41", GROUP, "cleandate", "2026-03-01")
    assert await app.core.handle(first)
    assert not await app.core.handle(first)
    again_other_args = CommandIssued("telegram:update:41", GROUP, "cleandate", "2026-04-01")
    assert not await app.core.handle(again_other_args)
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT clean_since FROM counters").fetchall() == [("2026-03-01",)]
    assert [t for t, _ in outbox(database)].count("cleandate_set") == 1


async def test_a_milestone_due_while_down_is_announced_once_after_start(
    database: Path,
) -> None:
    clock = ManualClock(START)
    app = await bootstrap(Settings(database=str(database)), clock=clock)
    await keep_clean_date(app.core, "k1", GROUP, "2026-10-31")
    await app.close()  # the process stops before 30 November, 09:00 UTC

    clock.advance(timedelta(days=1, hours=3))  # it comes back on 30 November, 15:00
    for _ in range(2):  # two restarts in a row: still only one announcement
        app = await bootstrap(Settings(database=str(database)), clock=clock)
        await app.timers.fire_due()
        await app.close()
    digests = [t for t, _ in outbox(database) if t == "milestone_digest"]
    assert digests == ["milestone_digest"]


async def test_late_announcements_say_when_and_stale_ones_are_skipped(
    database: Path,
) -> None:
    clock = ManualClock(START)
    app = await bootstrap(Settings(database=str(database)), clock=clock)
    sam = GROUP
    kim = Origin(
        platform="console", chat="group", person="kim", person_name="Kim", community="group"
    )
    await keep_clean_date(app.core, "k1", sam, "2026-10-31")  # 30 days: 30 Nov
    await keep_clean_date(app.core, "k2", kim, "2026-09-01")  # 90 days: 30 Nov
    await app.close()

    clock.advance(timedelta(days=3, hours=20))  # back on 3 December 08:00: 71 hours late
    app = await bootstrap(Settings(database=str(database)), clock=clock)
    await app.timers.fire_due()
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT context FROM outbox WHERE template = 'milestone_digest'"
        ).fetchall()
    assert len(rows) == 1, "both members are celebrated in one digest"
    assert '"late": true' in rows[0][0]
    await app.close()

    clock.advance(timedelta(days=40))  # down again for 40 days: the 60-day day is long gone
    app = await bootstrap(Settings(database=str(database)), clock=clock)
    await app.timers.fire_due()
    with sqlite3.connect(database) as db:
        count = db.execute(
            "SELECT COUNT(*) FROM outbox WHERE template = 'milestone_digest'"
        ).fetchone()[0]
    assert count == 1, "a milestone more than 3 days late is skipped, not announced"
    await app.close()


async def test_a_restarted_count_earns_its_milestones_again(app: App, clock: ManualClock) -> None:
    await keep_clean_date(app.core, "k1", GROUP, "2026-11-28")
    clock.advance(timedelta(days=1))
    await app.timers.fire_due()
    await keep_clean_date(app.core, "k2", GROUP, "2026-11-30")
    clock.advance(timedelta(days=1))
    await app.timers.fire_due()
    with sqlite3.connect(app.settings.database) as db:
        announced = db.execute(
            "SELECT clean_since, milestone FROM announcements ORDER BY clean_since"
        ).fetchall()
    assert announced == [("2026-11-28", "1d"), ("2026-11-30", "1d")]


async def test_milestone_run_reads_only_due_members_through_the_index(app: App) -> None:
    with sqlite3.connect(app.settings.database) as db:
        plan = " ".join(
            row[-1]
            for row in db.execute(
                "EXPLAIN QUERY PLAN SELECT * FROM memberships"
                " WHERE announce_due_at IS NOT NULL AND announce_due_at <= ?"
                " ORDER BY announce_due_at LIMIT 500",
                ("2026-11-29",),
            )
        )
    assert "memberships_announce_due" in plan
