"""The storage contract: every backend passes the same tests (see the ``store`` fixture)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import date, timedelta

import pytest

from bot.domain.model import Community, Membership, Person
from bot.domain.replies import Button, Mention, Reply, Target, Template
from bot.domain.timers import CravingFollowUp, MilestoneRun
from bot.storage.sqlite import MigrationError, SqliteStore
from tests.conftest import START

LATER = START + timedelta(hours=1)


async def test_an_inbound_key_is_claimed_once(store: SqliteStore) -> None:
    async with store.transaction() as tx:
        assert await tx.claim_inbound("telegram:update:1", START)
        assert not await tx.claim_inbound("telegram:update:1", START)
        assert await tx.claim_inbound("telegram:update:2", START)


async def test_a_failed_transaction_leaves_nothing(store: SqliteStore) -> None:
    async def failing_flow() -> None:
        async with store.transaction() as tx:
            await tx.claim_inbound("k", START)
            await tx.upsert_person("console:sam", "console", "sam", "Sam", START)
            raise RuntimeError("the flow failed")

    with pytest.raises(RuntimeError):
        await failing_flow()
    async with store.transaction() as tx:
        assert await tx.get_person("console:sam") is None
        assert await tx.claim_inbound("k", START)


async def test_people_keep_their_latest_name(store: SqliteStore) -> None:
    async with store.transaction() as tx:
        await tx.upsert_person("console:sam", "console", "sam", "Sam", START)
        await tx.set_person_timezone("console:sam", "Europe/London")
        person = await tx.upsert_person("console:sam", "console", "sam", "Samantha", LATER)
    assert person.name == "Samantha"
    assert person.timezone == "Europe/London"


async def test_counters_primary_first(store: SqliteStore) -> None:
    async with store.transaction() as tx:
        await tx.upsert_person("console:sam", "console", "sam", "Sam", START)
        await tx.set_counter("console:sam", "nicotine", date(2026, 1, 2), START)
        await tx.set_counter("console:sam", "", date(2025, 3, 1), START)
        await tx.set_counter("console:sam", "", date(2025, 4, 1), LATER)
        counters = await tx.counters_of("console:sam")
    assert [(c.name, c.clean_since) for c in counters] == [
        ("", date(2025, 4, 1)),
        ("nicotine", date(2026, 1, 2)),
    ]


async def test_sharing_starts_undecided_and_a_choice_sticks(store: SqliteStore) -> None:
    async with store.transaction() as tx:
        await tx.upsert_person("console:sam", "console", "sam", "Sam", START)
        await tx.upsert_community("console:group", "console", "group", "group", START)
        membership = await tx.ensure_membership("console:group", "console:sam", START)
        assert not membership.share
        await tx.set_share("console:group", "console:sam", False)
        await tx.share_by_default("console:group", "console:sam")
        assert not (await tx.ensure_membership("console:group", "console:sam", START)).share
        await tx.set_share("console:group", "console:sam", True)
        assert (await tx.ensure_membership("console:group", "console:sam", START)).share


async def test_due_announcements_come_earliest_first_and_only_when_due(
    store: SqliteStore,
) -> None:
    async with store.transaction() as tx:
        await tx.upsert_community("console:group", "console", "group", "group", START)
        for n, hours in enumerate((3, -2, -1, 5)):
            key = f"console:p{n}"
            await tx.upsert_person(key, "console", f"p{n}", f"P{n}", START)
            await tx.ensure_membership("console:group", key, START)
            due = START + timedelta(hours=hours)
            await tx.set_announcement_due("console:group", key, (due, "30d", due.date()))
        due_now = await tx.due_announcements(START, limit=10)
        assert [d.person.name for d in due_now] == ["P1", "P2"]
        assert [d.person.name for d in await tx.due_announcements(START, limit=1)] == ["P1"]
        assert await tx.earliest_announcement_due() == START - timedelta(hours=2)


async def test_an_announcement_is_recorded_once(store: SqliteStore) -> None:
    async with store.transaction() as tx:
        await tx.upsert_person("console:sam", "console", "sam", "Sam", START)
        await tx.upsert_community("console:group", "console", "group", "group", START)
        args = ("console:group", "console:sam", "", date(2026, 1, 1), "30d", START)
        assert await tx.record_announcement(*args)
        assert not await tx.record_announcement(*args)
        assert await tx.record_announcement(*args[:3], date(2026, 2, 1), "30d", START)


async def test_outbox_rows_round_trip_and_leave_once_sent(store: SqliteStore) -> None:
    reply = Reply(
        Template.HELP,
        Target("telegram", chat="-100"),
        {"who": {"id": "7", "name": "Sam"}},
        buttons=(Button("im_here", "craving.claim", "12"),),
        mentions=(Mention("7", "Sam"),),
    )
    async with store.transaction() as tx:
        first = await tx.enqueue(reply, "en", START)
        edit = await tx.enqueue(
            Reply(Template.HELP, Target("telegram", chat="-100", edit_of=first)), "en", START
        )
        await tx.enqueue(Reply(Template.HELP, Target("discord", chat="9")), "en", START)
        pending = await tx.pending_outbox("telegram", START, 10)
        assert [m.id for m in pending] == [first], "an edit waits for its message to be sent"
        assert pending[0].buttons == reply.buttons
        assert pending[0].mentions == reply.mentions
        assert pending[0].context == reply.context
        await tx.mark_sent(first, "555", START)
        pending = await tx.pending_outbox("telegram", START, 10)
        assert [(m.id, m.edit_ref) for m in pending] == [(edit, "555")]
        await tx.mark_retry(edit, LATER)
        assert await tx.pending_outbox("telegram", START, 10) == []
        assert [m.attempts for m in await tx.pending_outbox("telegram", LATER, 10)] == [1]
        await tx.mark_failed(edit, "blocked", LATER)
        assert await tx.pending_outbox("telegram", LATER, 10) == []


async def test_a_keyed_timer_exists_once_at_the_earlier_time(store: SqliteStore) -> None:
    async with store.transaction() as tx:
        await tx.schedule(MilestoneRun(), LATER, key="milestones")
        await tx.schedule(MilestoneRun(), START, key="milestones")
        await tx.schedule(MilestoneRun(), LATER + timedelta(hours=1), key="milestones")
        await tx.schedule(CravingFollowUp(3), LATER)
        due = await tx.due_timers(LATER, 10)
        assert [(t.kind, t.due_at, json.loads(t.payload)) for t in due] == [
            ("milestones", START, {}),
            ("craving.followup", LATER, {"craving": 3}),
        ]
        assert await tx.take_timer(due[0].id)
        assert not await tx.take_timer(due[0].id)
        assert await tx.next_timer_due() == LATER


async def test_meta_values_are_replaced(store: SqliteStore) -> None:
    async with store.transaction() as tx:
        await tx.set_meta("console.clock", "a")
        await tx.set_meta("console.clock", "b")
        assert await tx.get_meta("console.clock") == "b"
        assert await tx.get_meta("missing") is None


async def test_sqlite_runs_durable_and_safe(store: SqliteStore) -> None:
    assert await store.pragma("journal_mode") == "wal"
    assert await store.pragma("synchronous") == 2  # FULL
    assert await store.pragma("busy_timeout") >= 5000
    assert await store.pragma("foreign_keys") == 1


async def test_reopening_applies_no_migration_twice(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "again.db"
    for _ in range(2):
        store = await SqliteStore.open(path)
        async with store.transaction() as tx:
            await tx.set_meta("opened", "yes")
        await store.close()


async def test_a_database_from_a_newer_version_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "newer.db"
    store = await SqliteStore.open(path)
    await store.close()
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO schema_migrations VALUES (99, '2030-01-01 00:00:00.000000')")
    with pytest.raises(MigrationError, match="made by a newer version"):
        await SqliteStore.open(path)


async def test_an_event_reads_back_what_it_wrote_after_reading_it_once(
    store: SqliteStore,
) -> None:
    """Reads an event made are kept for it, and every write it makes is seen by its next read."""
    async with store.transaction() as tx:
        await tx.upsert_person("console:sam", "console", "sam", "Sam", START)
        await tx.upsert_person("console:ana", "console", "ana", "Ana", START)
        await tx.upsert_community("console:group", "console", "group", "group", START)
        await tx.ensure_membership("console:group", "console:sam", START)
        assert (await tx.get_person("console:sam")).timezone is None  # type: ignore[union-attr]
        await tx.set_person_timezone("console:sam", "Europe/London")
        assert (await tx.get_person("console:sam")).timezone == "Europe/London"  # type: ignore[union-attr]

        assert await tx.counters_of("console:sam") == []
        await tx.set_counter("console:sam", "nicotine", date(2026, 1, 2), START)
        await tx.set_counter("console:sam", "", date(2025, 3, 1), START)
        assert [c.name for c in await tx.counters_of("console:sam")] == ["", "nicotine"]

        assert not (await tx.memberships_of("console:sam"))[0].share
        await tx.set_share("console:group", "console:sam", True)
        assert (await tx.membership("console:group", "console:sam")).share  # type: ignore[union-attr]

        assert not await tx.private_chat_open("console:sam")
        await tx.set_private_chat("console:sam", True)
        assert await tx.private_chat_open("console:sam")

        craving = await tx.create_craving("console:group", "console:sam", "group", False, START)
        assert await tx.craving_pinged(craving) == set()
        await tx.record_craving_pings(craving, ["console:ana"], START)
        assert await tx.craving_pinged(craving) == {"console:ana"}
        assert await tx.craving_pinged(craving, urgently=True) == set()
        await tx.record_craving_pings(craving, ["console:ana"], START, urgent=True)
        assert await tx.craving_pinged(craving, urgently=True) == {"console:ana"}
        assert await tx.claim_craving(craving, "console:ana", START)
        await tx.set_craving_message(craving, 7)
        seen = await tx.get_craving(craving)
        assert seen is not None
        assert (seen.pinged, seen.claimed_by, seen.message) == (True, "console:ana", 7)
    async with store.transaction() as tx:  # and all of it was stored, not only kept
        assert await tx.craving_pinged(craving, urgently=True) == {"console:ana"}
        assert (await tx.get_craving(craving)) == seen
        assert [c.name for c in await tx.counters_of("console:sam")] == ["", "nicotine"]
        assert await tx.private_chat_open("console:sam")


async def test_arriving_creates_what_is_new_and_refreshes_what_changed(
    store: SqliteStore,
) -> None:
    sam = Person("console:sam", "console", "sam", "Sam")
    group = Community("console:group", "console", "group", "group")
    async with store.transaction() as tx:
        person, community = await tx.arrive(sam, group, START, admin=True, private_chat=False)
        assert (person, community) == (sam, group)
        assert await tx.membership(group.key, sam.key) == Membership(
            group.key, sam.key, share=False, chosen=False
        )
        await tx.set_person_timezone(sam.key, "Europe/Dublin")
    async with store.transaction() as tx:
        renamed = replace(sam, name="Samantha")
        person, community = await tx.arrive(renamed, group, LATER, admin=False, private_chat=True)
        assert person == replace(renamed, timezone="Europe/Dublin")
        assert community == group
        assert await tx.private_chat_open(sam.key)
        assert await tx.admins_of(group.key) == []
        person, community = await tx.arrive(sam, None, LATER, admin=False, private_chat=False)
        assert (person.name, community) == ("Sam", None)
    async with store.transaction() as tx:
        assert (await tx.get_person(sam.key)) == replace(sam, timezone="Europe/Dublin")
        assert await tx.private_chat_open(sam.key), "a private chat stays open until it closes"


async def test_arriving_with_an_inbound_handled_before_changes_nothing(
    store: SqliteStore,
) -> None:
    sam = Person("console:sam", "console", "sam", "Sam")
    group = Community("console:group", "console", "group", "group")
    async with store.transaction() as tx:
        assert await tx.store_inbox("telegram:update:7", "telegram", "{}", START)
        met = await tx.arrive(sam, group, START, admin=False, private_chat=False, claim="k1")
        assert met == (sam, group)
        assert (
            await tx.arrive(
                replace(sam, name="Renamed"),
                group,
                LATER,
                admin=True,
                private_chat=True,
                claim="k1",
            )
            is None
        )
        assert await tx.arrive(
            sam, None, LATER, admin=False, private_chat=False, claim="telegram:update:7"
        )
        assert await tx.inbox("telegram", 10) == [], "a claimed update leaves the inbox"
    async with store.transaction() as tx:
        assert (await tx.get_person(sam.key)) == sam
        assert not await tx.private_chat_open(sam.key)
        assert await tx.admins_of(group.key) == []
        assert not await tx.claim_inbound("k1", LATER)
