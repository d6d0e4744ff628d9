"""The storage contract: every backend passes the same tests (see ``BACKENDS`` in conftest)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest

from bot.domain.model import Community, Membership, Person
from bot.domain.replies import Button, Mention, Reply, Target, Template
from bot.domain.timers import CravingFollowUp, MilestoneRun
from bot.storage import Store
from tests.conftest import START

LATER = START + timedelta(hours=1)


async def test_an_inbound_key_is_claimed_once(store: Store) -> None:
    async with store.transaction() as tx:
        assert await tx.inbox.claim("telegram:update:1", START)
        assert not await tx.inbox.claim("telegram:update:1", START)
        assert await tx.inbox.claim("telegram:update:2", START)


async def test_a_failed_transaction_leaves_nothing(store: Store) -> None:
    async def failing_flow() -> None:
        async with store.transaction() as tx:
            await tx.inbox.claim("k", START)
            await tx.people.upsert("console:sam", "console", "sam", "Sam", START)
            raise RuntimeError("the flow failed")

    with pytest.raises(RuntimeError):
        await failing_flow()
    async with store.transaction() as tx:
        assert await tx.people.get("console:sam") is None
        assert await tx.inbox.claim("k", START)


async def test_people_keep_their_latest_name(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.people.upsert("console:sam", "console", "sam", "Sam", START)
        await tx.people.set_timezone("console:sam", "Europe/London")
        person = await tx.people.upsert("console:sam", "console", "sam", "Samantha", LATER)
    assert person.name == "Samantha"
    assert person.timezone == "Europe/London"


async def test_a_person_keeps_the_language_they_chose(store: Store) -> None:
    sam = Person("console:sam", "console", "sam", "Sam")
    async with store.transaction() as tx:
        await tx.people.arrive(sam, None, START, admin=False, private_chat=True)
        await tx.people.set_locale(sam.key, "es")
        assert (await tx.people.get(sam.key)) == replace(sam, locale="es")
    async with store.transaction() as tx:
        arrived = await tx.people.arrive(sam, None, LATER, admin=False, private_chat=True)
        assert arrived is not None
        assert arrived[0].locale == "es"
        assert (await tx.people.upsert(sam.key, "console", "sam", "Sam", LATER)).locale == "es"
        await tx.people.set_locale(sam.key, None)
    async with store.transaction() as tx:
        assert (await tx.people.get(sam.key)) == sam


async def test_counters_primary_first(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.people.upsert("console:sam", "console", "sam", "Sam", START)
        await tx.counters.set("console:sam", "nicotine", date(2026, 1, 2), START)
        await tx.counters.set("console:sam", "", date(2025, 3, 1), START)
        await tx.counters.set("console:sam", "", date(2025, 4, 1), LATER)
        counters = await tx.counters.of("console:sam")
    assert [(c.name, c.clean_since) for c in counters] == [
        ("", date(2025, 4, 1)),
        ("nicotine", date(2026, 1, 2)),
    ]


async def test_sharing_starts_undecided_and_a_choice_sticks(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.people.upsert("console:sam", "console", "sam", "Sam", START)
        await tx.communities.upsert("console:group", "console", "group", "group", START)
        membership = await tx.memberships.ensure("console:group", "console:sam", START)
        assert not membership.share
        await tx.memberships.set_share("console:group", "console:sam", False)
        await tx.memberships.share_by_default("console:group", "console:sam")
        assert not (await tx.memberships.ensure("console:group", "console:sam", START)).share
        await tx.memberships.set_share("console:group", "console:sam", True)
        assert (await tx.memberships.ensure("console:group", "console:sam", START)).share


async def test_due_announcements_come_earliest_first_and_only_when_due(
    store: Store,
) -> None:
    async with store.transaction() as tx:
        await tx.communities.upsert("console:group", "console", "group", "group", START)
        for n, hours in enumerate((3, -2, -1, 5)):
            key = f"console:p{n}"
            await tx.people.upsert(key, "console", f"p{n}", f"P{n}", START)
            await tx.memberships.ensure("console:group", key, START)
            due = START + timedelta(hours=hours)
            await tx.announcements.set_due("console:group", key, (due, "30d", due.date()))
        due_now = await tx.announcements.due(START, limit=10)
        assert [d.person.name for d in due_now] == ["P1", "P2"]
        assert [d.person.name for d in await tx.announcements.due(START, limit=1)] == ["P1"]
        assert await tx.announcements.earliest_due() == START - timedelta(hours=2)


async def test_an_announcement_is_recorded_once(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.people.upsert("console:sam", "console", "sam", "Sam", START)
        await tx.communities.upsert("console:group", "console", "group", "group", START)
        args = ("console:group", "console:sam", "", date(2026, 1, 1), "30d", START)
        assert await tx.announcements.record(*args)
        assert not await tx.announcements.record(*args)
        assert await tx.announcements.record(*args[:3], date(2026, 2, 1), "30d", START)


async def test_outbox_rows_round_trip_and_leave_once_sent(store: Store) -> None:
    reply = Reply(
        Template.HELP,
        Target("telegram", chat="-100"),
        {"who": {"id": "7", "name": "Sam"}},
        buttons=(Button("im_here", "craving.claim", "12"),),
        mentions=(Mention("7", "Sam"),),
    )
    async with store.transaction() as tx:
        first = await tx.outbox.enqueue(reply, "en", START)
        edit = await tx.outbox.enqueue(
            Reply(Template.HELP, Target("telegram", chat="-100", edit_of=first)), "en", START
        )
        await tx.outbox.enqueue(Reply(Template.HELP, Target("discord", chat="9")), "en", START)
        pending = await tx.outbox.pending("telegram", START, 10)
        assert [m.id for m in pending] == [first], "an edit waits for its message to be sent"
        assert pending[0].buttons == reply.buttons
        assert pending[0].mentions == reply.mentions
        assert pending[0].context == reply.context
        await tx.outbox.mark_sent(first, "555", START)
        pending = await tx.outbox.pending("telegram", START, 10)
        assert [(m.id, m.edit_ref) for m in pending] == [(edit, "555")]
        await tx.outbox.mark_retry(edit, LATER)
        assert await tx.outbox.pending("telegram", START, 10) == []
        assert [m.attempts for m in await tx.outbox.pending("telegram", LATER, 10)] == [1]
        await tx.outbox.mark_failed(edit, "blocked", LATER)
        assert await tx.outbox.pending("telegram", LATER, 10) == []


async def test_a_keyed_timer_exists_once_at_the_earlier_time(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.timers.schedule(MilestoneRun(), LATER, key="milestones")
        await tx.timers.schedule(MilestoneRun(), START, key="milestones")
        await tx.timers.schedule(MilestoneRun(), LATER + timedelta(hours=1), key="milestones")
        await tx.timers.schedule(CravingFollowUp(3), LATER)
        due = await tx.timers.due(LATER, 10)
        assert [(t.kind, t.due_at, json.loads(t.payload)) for t in due] == [
            ("milestones", START, {}),
            ("craving.followup", LATER, {"craving": 3}),
        ]
        claimed = await tx.timers.claim(START, 10, holder="p", until=LATER)
        assert [t.id for t in claimed] == [due[0].id]
        assert await tx.timers.take(due[0].id, claimed[0].fence)
        assert not await tx.timers.take(due[0].id, claimed[0].fence)
        assert await tx.timers.next_due() == LATER


async def test_meta_values_are_replaced(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.meta.set("console.clock", "a")
        await tx.meta.set("console.clock", "b")
        assert await tx.meta.get("console.clock") == "b"
        assert await tx.meta.get("missing") is None


async def test_an_event_reads_back_what_it_wrote_after_reading_it_once(
    store: Store,
) -> None:
    """Reads an event made are kept for it, and every write it makes is seen by its next read."""
    async with store.transaction() as tx:
        await tx.people.upsert("console:sam", "console", "sam", "Sam", START)
        await tx.people.upsert("console:ana", "console", "ana", "Ana", START)
        await tx.communities.upsert("console:group", "console", "group", "group", START)
        await tx.memberships.ensure("console:group", "console:sam", START)
        assert (await tx.people.get("console:sam")).timezone is None  # type: ignore[union-attr]
        await tx.people.set_timezone("console:sam", "Europe/London")
        assert (await tx.people.get("console:sam")).timezone == "Europe/London"  # type: ignore[union-attr]

        assert await tx.counters.of("console:sam") == []
        await tx.counters.set("console:sam", "nicotine", date(2026, 1, 2), START)
        await tx.counters.set("console:sam", "", date(2025, 3, 1), START)
        assert [c.name for c in await tx.counters.of("console:sam")] == ["", "nicotine"]

        assert not (await tx.memberships.of("console:sam"))[0].share
        await tx.memberships.set_share("console:group", "console:sam", True)
        assert (await tx.memberships.get("console:group", "console:sam")).share  # type: ignore[union-attr]

        assert not await tx.people.private_chat_open("console:sam")
        await tx.people.set_private_chat("console:sam", True)
        assert await tx.people.private_chat_open("console:sam")

        craving = await tx.cravings.create("console:group", "console:sam", "group", False, START)
        assert await tx.cravings.pinged(craving) == set()
        await tx.cravings.record_pings(craving, ["console:ana"], START)
        assert await tx.cravings.pinged(craving) == {"console:ana"}
        assert await tx.cravings.pinged(craving, urgently=True) == set()
        await tx.cravings.record_pings(craving, ["console:ana"], START, urgent=True)
        assert await tx.cravings.pinged(craving, urgently=True) == {"console:ana"}
        assert await tx.cravings.claim(craving, "console:ana", START)
        await tx.cravings.set_message(craving, 7)
        seen = await tx.cravings.get(craving)
        assert seen is not None
        assert (seen.pinged, seen.claimed_by, seen.message) == (True, "console:ana", 7)
    async with store.transaction() as tx:  # and all of it was stored, not only kept
        assert await tx.cravings.pinged(craving, urgently=True) == {"console:ana"}
        assert (await tx.cravings.get(craving)) == seen
        assert [c.name for c in await tx.counters.of("console:sam")] == ["", "nicotine"]
        assert await tx.people.private_chat_open("console:sam")


async def test_arriving_creates_what_is_new_and_refreshes_what_changed(
    store: Store,
) -> None:
    sam = Person("console:sam", "console", "sam", "Sam")
    group = Community("console:group", "console", "group", "group")
    async with store.transaction() as tx:
        person, community = await tx.people.arrive(
            sam, group, START, admin=True, private_chat=False
        )
        assert (person, community) == (sam, group)
        assert await tx.memberships.get(group.key, sam.key) == Membership(
            group.key, sam.key, share=False, chosen=False
        )
        await tx.people.set_timezone(sam.key, "Europe/Dublin")
    async with store.transaction() as tx:
        renamed = replace(sam, name="Samantha")
        person, community = await tx.people.arrive(
            renamed, group, LATER, admin=False, private_chat=True
        )
        assert person == replace(renamed, timezone="Europe/Dublin")
        assert community == group
        assert await tx.people.private_chat_open(sam.key)
        assert await tx.memberships.admins(group.key) == []
        person, community = await tx.people.arrive(
            sam, None, LATER, admin=False, private_chat=False
        )
        assert (person.name, community) == ("Sam", None)
    async with store.transaction() as tx:
        assert (await tx.people.get(sam.key)) == replace(sam, timezone="Europe/Dublin")
        assert await tx.people.private_chat_open(sam.key), (
            "a private chat stays open until it closes"
        )


async def test_arriving_with_an_inbound_handled_before_changes_nothing(
    store: Store,
) -> None:
    sam = Person("console:sam", "console", "sam", "Sam")
    group = Community("console:group", "console", "group", "group")
    async with store.transaction() as tx:
        assert await tx.inbox.store("telegram:update:7", "telegram", "{}", START)
        met = await tx.people.arrive(sam, group, START, admin=False, private_chat=False, claim="k1")
        assert met == (sam, group)
        assert (
            await tx.people.arrive(
                replace(sam, name="Renamed"),
                group,
                LATER,
                admin=True,
                private_chat=True,
                claim="k1",
            )
            is None
        )
        assert await tx.people.arrive(
            sam, None, LATER, admin=False, private_chat=False, claim="telegram:update:7"
        )
        assert await tx.inbox.waiting("telegram", 10) == [], "a claimed update leaves the inbox"
    async with store.transaction() as tx:
        assert (await tx.people.get(sam.key)) == sam
        assert not await tx.people.private_chat_open(sam.key)
        assert await tx.memberships.admins(group.key) == []
        assert not await tx.inbox.claim("k1", LATER)
