"""The storage contract, what leaves and when: the outbox's scheduling, messages found by the
platform's id and forgotten once old, and timers moved, dropped and cancelled."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.domain.replies import Priority, Reply, Target, Template
from bot.domain.timers import CravingFollowUp, MilestoneRun
from bot.storage import Store
from tests.conftest import START
from tests.storage.test_store_contract_community import SAM, meet

LATER = START + timedelta(hours=1)
GROUP_CHAT = Target("console", chat="group")
SAMS_CHAT = Target("console", person="sam")


def reply(target: Target = GROUP_CHAT, priority: Priority = Priority.ANSWER) -> Reply:
    return Reply(Template.HELP, target, {"n": 1}, priority=priority)


async def test_the_scheduler_sees_due_rows_most_urgent_first(store: Store) -> None:
    async with store.transaction() as tx:
        answer = await tx.outbox.enqueue(reply(SAMS_CHAT), "en", START)
        urgent = await tx.outbox.enqueue(reply(priority=Priority.URGENT), "en", START)
        after = await tx.outbox.enqueue(reply(), "en", START, follows=answer)
        edit = await tx.outbox.enqueue(
            reply(Target("console", chat="group", edit_of=urgent)), "en", START
        )
        await tx.outbox.enqueue(reply(Target("elsewhere", chat="9")), "en", START)
        due = await tx.outbox.due("console", START)
        assert [(d.id, d.lane, d.priority) for d in due] == [
            (urgent, "group", Priority.URGENT),
            (answer, "person:sam", Priority.ANSWER),
            (after, "group", Priority.ANSWER),
            (edit, "group", Priority.ANSWER),
        ]
        assert [(d.follows, d.edits) for d in due] == [
            (None, None),
            (None, None),
            (answer, None),
            (None, urgent),
        ]
        assert [m.id for m in await tx.outbox.pending("console", START, 10)] == [urgent, answer]
        assert await tx.outbox.due("console", START - timedelta(seconds=1)) == []
        newer = await tx.outbox.due("console", LATER, newer_than=after)
        assert [d.id for d in newer] == [edit]
        await tx.outbox.mark_retry(answer, LATER)  # tried: what follows it may go
        await tx.outbox.mark_sent(urgent, "101", START)
        due = await tx.outbox.due("console", START)
        assert [(d.id, d.follows, d.edits) for d in due] == [
            (after, None, None),
            (edit, None, None),
        ]
        fell_due = await tx.outbox.due("console", LATER, newer_than=edit, due_since=LATER)
        assert [d.id for d in fell_due] == [answer]
        messages = await tx.outbox.messages([edit, urgent, answer, 999])
        assert [(m.id, m.edit_ref) for m in messages] == [(answer, None), (edit, "101")]
        assert messages[0].context == {"n": 1}
        assert messages[0].target == SAMS_CHAT
        assert await tx.outbox.messages([]) == []


async def test_a_sent_message_is_found_by_its_platform_id_until_forgotten(store: Store) -> None:
    async with store.transaction() as tx:
        sent = await tx.outbox.enqueue(reply(), "en", START)
        failed = await tx.outbox.enqueue(reply(), "en", START)
        waiting = await tx.outbox.enqueue(reply(), "en", START)
        await tx.outbox.mark_sent(sent, "555", START)
        await tx.outbox.mark_failed(failed, "blocked", LATER)
    async with store.transaction() as tx:
        assert await tx.outbox.by_ref("console", "555") == sent
        assert await tx.outbox.by_ref("elsewhere", "555") is None
        assert await tx.outbox.by_ref("console", "556") is None
        assert await tx.outbox.target(sent) == GROUP_CHAT, "where it went is kept"
        assert await tx.outbox.target(999) is None
        assert await tx.outbox.forget_before(START) == 0
        assert await tx.outbox.forget_before(LATER) == 1
        assert await tx.outbox.by_ref("console", "555") is None
        assert await tx.outbox.target(sent) is None
        assert await tx.outbox.forget_before(LATER + timedelta(seconds=1)) == 1
        assert await tx.outbox.target(failed) is None
        assert await tx.outbox.target(waiting) == GROUP_CHAT, "still to leave: kept"


async def test_messages_held_for_a_member_go_once_they_can_be_reached(store: Store) -> None:
    held_until = LATER + timedelta(days=1)
    async with store.transaction() as tx:
        await meet(tx, SAM)
        row = await tx.outbox.enqueue(reply(SAMS_CHAT), "en", START, about=SAM)
        other = await tx.outbox.enqueue(reply(), "en", START)
        await tx.outbox.mark_sent(other, "1", START)
        assert await tx.outbox.next_attempt("console") == START
        await tx.outbox.mark_retry(row, held_until)
        assert await tx.outbox.next_attempt("console") == held_until
        assert await tx.outbox.next_attempt("elsewhere") is None
        assert await tx.outbox.pending("console", LATER, 10) == []
        assert await tx.outbox.deliver_waiting_now(SAM, LATER) == 1
        assert await tx.outbox.deliver_waiting_now("console:nobody", LATER) == 0
        assert await tx.outbox.next_attempt("console") == LATER
        assert [m.id for m in await tx.outbox.pending("console", LATER, 10)] == [row]


async def test_timers_are_moved_dropped_and_cancelled(store: Store) -> None:
    async with store.transaction() as tx:
        assert not tx.timers.scheduled
        await tx.timers.schedule(CravingFollowUp(1), START)
        await tx.timers.schedule(CravingFollowUp(2), START)
        await tx.timers.schedule(MilestoneRun(), START, key="milestones")
        assert tx.timers.scheduled, "the timer loop looks again"
        first, second, keyed = await tx.timers.claim(START, 10, holder="p", until=LATER)
        await tx.timers.postpone(first.id, first.fence, LATER)
        await tx.timers.drop(second.id, second.fence)
        await tx.timers.cancel("milestones")
    async with store.transaction() as tx:
        assert not tx.timers.scheduled
        assert await tx.timers.due(START, 10) == []
        (moved,) = await tx.timers.due(LATER, 10)
        assert (moved.id, moved.kind, moved.attempts) == (first.id, "craving.followup", 1)
        assert await tx.timers.next_due() == LATER
        await tx.timers.schedule(MilestoneRun(), LATER, key="milestones")
        assert [t.key for t in await tx.timers.due(LATER, 10)] == [None, "milestones"]
        assert not await tx.timers.take(second.id, second.fence), "dropped"
        assert keyed.key == "milestones"


async def test_the_backlog_counts_waiting_rows_per_platform_and_priority(store: Store) -> None:
    async with store.transaction() as tx:
        assert await tx.outbox.backlog() == []
        first = await tx.outbox.enqueue(reply(), "en", START)
        await tx.outbox.enqueue(reply(), "en", LATER)
        await tx.outbox.enqueue(reply(priority=Priority.URGENT), "en", LATER)
        await tx.outbox.enqueue(reply(Target("elsewhere", chat="9")), "en", LATER)
        sent = await tx.outbox.enqueue(reply(), "en", START - timedelta(days=1))
        failed = await tx.outbox.enqueue(reply(), "en", START - timedelta(days=1))
        await tx.outbox.mark_sent(sent, "1", START)
        await tx.outbox.mark_failed(failed, "blocked", START)
        await tx.outbox.mark_retry(first, LATER)  # waiting to retry still waits
    async with store.transaction() as tx:
        backlog = await tx.outbox.backlog()
    assert [(b.platform, b.priority, b.count, b.oldest) for b in backlog] == sorted(
        [
            ("console", Priority.ANSWER, 2, START),
            ("console", Priority.URGENT, 1, LATER),
            ("elsewhere", Priority.ANSWER, 1, LATER),
        ]
    )


LEASE = timedelta(seconds=60)


async def test_a_lane_goes_out_from_one_worker_until_it_lets_go_or_its_lease_runs_out(
    store: Store,
) -> None:
    async with store.transaction() as tx:
        first = await tx.outbox.claim_lanes(
            "console", ["group", "person:sam", "group"], "a", START, START + LEASE
        )
        assert sorted(lease.lane for lease in first) == ["group", "person:sam"]
        assert await tx.outbox.claim_lanes("console", ["group"], "b", START, START + LEASE) == []
        assert [
            lease.lane
            for lease in await tx.outbox.claim_lanes(
                "elsewhere", ["group"], "b", START, START + LEASE
            )
        ] == ["group"], "another platform's lane of the same name is another lane"
    group, sams = sorted(first, key=lambda lease: lease.lane)
    async with store.transaction() as tx:
        renewed = await tx.outbox.claim_lanes("console", ["group"], "a", LATER, LATER + LEASE)
        assert renewed == [group], "renewed by its holder, token kept"
        paced = replace(group, minute=(LATER, LATER + timedelta(seconds=1)))
        await tx.outbox.release_lanes([paced])
        (taken,) = await tx.outbox.claim_lanes("console", ["group"], "b", LATER, LATER + LEASE)
        assert taken.token != group.token
        assert taken.minute == paced.minute, "the group's minute is carried to its next holder"
        await tx.outbox.release_lanes([group])  # a's lease is no longer the lane's
        assert await tx.outbox.claim_lanes("console", ["group"], "a", LATER, LATER + LEASE) == []
        # a died holding Sam's chat: b takes it over once a's lease ran out, not before.
        expired = START + LEASE
        assert (
            await tx.outbox.claim_lanes(
                "console", ["person:sam"], "b", expired - timedelta(seconds=1), LATER + LEASE
            )
            == []
        )
        (over,) = await tx.outbox.claim_lanes("console", ["person:sam"], "b", expired, LATER)
        assert over.token != sams.token
        await tx.outbox.release_lanes([over])
        (again,) = await tx.outbox.claim_lanes("console", ["person:sam"], "a", LATER, LATER)
        assert again.minute == (), "a lane let go with no minute to carry is forgotten"
        await tx.outbox.release_lanes([taken])
        assert await tx.outbox.forget_before(LATER + LEASE + timedelta(seconds=1)) == 0
        (forgotten,) = await tx.outbox.claim_lanes("console", ["group"], "a", START, LATER)
        assert forgotten.minute == (), "a lease long over was forgotten, minute and all"


async def test_a_worker_that_lost_its_lane_marks_nothing(store: Store) -> None:
    async with store.transaction() as tx:
        rows = [await tx.outbox.enqueue(reply(), "en", START) for _ in range(3)]
        (stale,) = await tx.outbox.claim_lanes("console", ["group"], "a", START, START + LEASE)
        (held,) = await tx.outbox.claim_lanes("console", ["group"], "b", LATER, LATER + LEASE)
        assert not await tx.outbox.mark_sent(rows[0], "1", LATER, lease=stale)
        assert not await tx.outbox.mark_retry(rows[1], LATER, lease=stale)
        assert not await tx.outbox.mark_failed(rows[2], "blocked", LATER, lease=stale)
        assert [(d.id, d.priority) for d in await tx.outbox.due("console", START)] == [
            (row, Priority.ANSWER) for row in rows
        ], "still due, as they were"
        assert [m.attempts for m in await tx.outbox.messages(rows)] == [0, 0, 0]
        assert await tx.outbox.mark_sent(rows[0], "1", LATER, lease=held)
        assert await tx.outbox.mark_retry(rows[1], LATER, lease=held)
        assert await tx.outbox.mark_failed(rows[2], "blocked", LATER, lease=held)
        assert not await tx.outbox.mark_retry(999, LATER), "no such row"
        assert not await tx.outbox.mark_sent(999, "2", LATER), "no such row"
        assert await tx.outbox.by_ref("console", "1") == rows[0]
        assert [m.attempts for m in await tx.outbox.messages(rows)] == [1]


async def test_a_slot_of_the_platforms_budget_is_shared_by_every_taker(store: Store) -> None:
    async with store.transaction() as tx:
        assert await tx.outbox.take_budget("console", 100, 3, 4) == 3
        assert await tx.outbox.take_budget("console", 100, 3, 4) == 1, "what is left of it"
        assert await tx.outbox.take_budget("console", 100, 1, 4) == 0
        assert await tx.outbox.take_budget("elsewhere", 100, 9, 4) == 4, "a budget per platform"
        assert await tx.outbox.take_budget("console", 101, 9, 4) == 4, "a new slot, all of it"
        assert await tx.outbox.take_budget("console", 100, 1, 4) == 0, "a slot gone by"
    async with store.transaction() as tx:
        assert await tx.outbox.take_budget("console", 101, 1, 4) == 0, "taken is taken"
        assert await tx.outbox.take_budget("console", 102, 2, 4) == 2
