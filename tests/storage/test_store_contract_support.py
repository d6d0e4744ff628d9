"""The storage contract, peer support: who opted in to which pings, cravings and their
episodes, pings and claims, call requests taken once or expired."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.model import Person
from bot.domain.records import CallCounts
from bot.storage import Store
from tests.conftest import START
from tests.storage.test_store_contract_community import ANA, BO, GROUP, OTHER, SAM, meet

EARLIER = START - timedelta(hours=1)
LATER = START + timedelta(hours=1)


async def test_supporters_opt_in_per_kind_of_ping_and_per_community(store: Store) -> None:
    async with store.transaction() as tx:
        await meet(tx, SAM, ANA)
        await meet(tx, SAM, group=OTHER)
        await tx.supporters.set_role(GROUP, SAM, "cravings", True)
        await tx.supporters.set_role(GROUP, SAM, "practice", True)
        await tx.supporters.set_role(GROUP, ANA, "calls", True)
        await tx.supporters.set_role(OTHER, SAM, "calls", True)
    async with store.transaction() as tx:
        assert await tx.supporters.roles(GROUP, SAM) == {"cravings", "practice"}
        assert await tx.supporters.roles(OTHER, SAM) == {"calls"}
        assert await tx.supporters.roles(GROUP, BO) == set()
        assert [s.person.key for s in await tx.supporters.opted_in(GROUP, "cravings")] == [SAM]
        assert [s.person.key for s in await tx.supporters.opted_in(GROUP, "calls")] == [ANA]
        assert [s.person.key for s in await tx.supporters.opted_in(GROUP, "practice")] == [SAM]
        await tx.supporters.set_role(GROUP, SAM, "cravings", False)
        assert await tx.supporters.roles(GROUP, SAM) == {"practice"}
        assert await tx.supporters.opted_in(GROUP, "cravings") == []


async def test_a_supporter_role_counts_for_cravings_unless_the_member_said_off(
    store: Store,
) -> None:
    async with store.transaction() as tx:
        await meet(tx, SAM, ANA, BO)
        await tx.supporters.set_role(GROUP, SAM, "cravings", True)
        await tx.roles.replace(GROUP, BO, ["helpers"])
        await tx.roles.replace(GROUP, ANA, ["helpers"])
        await tx.supporters.set_role(GROUP, ANA, "cravings", False)
        held = await tx.supporters.opted_in(GROUP, "cravings", supporter_role="helpers")
        assert {s.person.key for s in held} == {BO, SAM}, "Ana said /supporter off"
        assert [s.person.key for s in await tx.supporters.opted_in(GROUP, "cravings")] == [SAM]
        assert await tx.supporters.opted_in(GROUP, "calls", supporter_role="helpers") == []
        await tx.supporters.set_role(GROUP, ANA, "cravings", True)
        held = await tx.supporters.opted_in(GROUP, "cravings", supporter_role="helpers")
        assert {s.person.key for s in held} == {ANA, BO, SAM}


async def test_hours_urgency_and_the_last_ping_reach_the_fair_choice(store: Store) -> None:
    async with store.transaction() as tx:
        await meet(tx, SAM)
        await tx.supporters.set_role(GROUP, SAM, "cravings", True)
        await tx.supporters.set_role(GROUP, SAM, "calls", True)
        (fresh,) = await tx.supporters.opted_in(GROUP, "cravings")
        assert (fresh.hours, fresh.last_pinged_at, fresh.urgent) == (None, None, False)
        await tx.supporters.set_hours(SAM, "22:00-07:00")
        await tx.supporters.set_urgent(SAM, True)
        await tx.supporters.mark_pinged([SAM, SAM], "cravings", START)
    async with store.transaction() as tx:
        assert await tx.supporters.hours(SAM) == "22:00-07:00"
        assert await tx.supporters.urgent(SAM)
        (row,) = await tx.supporters.opted_in(GROUP, "cravings")
        assert row.person == Person(SAM, "console", "sam", "Sam")
        assert (row.hours, row.last_pinged_at, row.urgent) == ("22:00-07:00", START, True)
        (calls,) = await tx.supporters.opted_in(GROUP, "calls")
        assert calls.last_pinged_at is None, "a craving ping does not rest a phone volunteer"
        await tx.supporters.mark_pinged([SAM], "cravings", LATER)
        await tx.supporters.set_hours(SAM, None)
        await tx.supporters.set_urgent(SAM, False)
        (row,) = await tx.supporters.opted_in(GROUP, "cravings")
        assert (row.hours, row.last_pinged_at, row.urgent) == (None, LATER, False)
        assert await tx.supporters.hours("console:nobody") is None
        assert not await tx.supporters.urgent("console:nobody")
        assert await tx.supporters.bridge_pings(SAM), "pings from a linked chat until said off"
        await tx.supporters.set_bridge_pings(SAM, False)
    async with store.transaction() as tx:
        assert not await tx.supporters.bridge_pings(SAM)
        assert await tx.supporters.bridge_pings("console:nobody")
        await tx.supporters.set_bridge_pings(SAM, True)
        assert await tx.supporters.bridge_pings(SAM)


async def test_a_craving_episode_stays_open_until_it_passes(store: Store) -> None:
    async with store.transaction() as tx:
        await meet(tx, SAM)
        first = await tx.cravings.create(GROUP, SAM, "group", False, START)
        private = await tx.cravings.create(GROUP, SAM, "dm", True, START)
        latest = await tx.cravings.latest(SAM, GROUP, False, EARLIER)
        assert latest == await tx.cravings.get(first)
        assert latest is not None
        assert (latest.person, latest.chat, latest.private, latest.created_at) == (
            SAM,
            "group",
            False,
            START,
        )
        assert (latest.claimed_by, latest.outcome, latest.pinged, latest.urgent) == (
            None,
            None,
            False,
            False,
        )
        assert await tx.cravings.latest(SAM, GROUP, False, LATER) is None, "too long ago"
        await tx.cravings.set_outcome(first, "struggling")
        assert (await tx.cravings.latest(SAM, GROUP, False, EARLIER)).id == first  # type: ignore[union-attr]
        await tx.cravings.set_outcome(first, "passed")
        assert await tx.cravings.latest(SAM, GROUP, False, EARLIER) is None
        assert (await tx.cravings.latest(SAM, GROUP, True, EARLIER)).id == private  # type: ignore[union-attr]
        newer = await tx.cravings.create(GROUP, SAM, "group", False, LATER)
        again = await tx.cravings.create(GROUP, SAM, "group", False, LATER)
        assert (await tx.cravings.latest(SAM, GROUP, False, EARLIER)).id == again  # type: ignore[union-attr]
        assert newer < again
    async with store.transaction() as tx:
        assert await tx.cravings.count_in(GROUP) == 4
        assert await tx.cravings.count_in(OTHER) == 0
        assert await tx.cravings.tally(SAM) == (4, 1)
        assert await tx.cravings.tally(ANA) == (0, 0)
        assert (await tx.cravings.get(first)).outcome == "passed"  # type: ignore[union-attr]


async def test_the_crisis_block_is_remembered_for_the_episode(store: Store) -> None:
    async with store.transaction() as tx:
        await meet(tx, SAM)
        craving = await tx.cravings.create(GROUP, SAM, "group", False, START)
        shown = await tx.cravings.create(GROUP, SAM, "group", False, START)
        await tx.cravings.mark_crisis_sent(craving, START, in_group=False)
        await tx.cravings.mark_crisis_sent(shown, LATER, in_group=True)
        await tx.cravings.mark_urgent(craving)
    async with store.transaction() as tx:
        seen = await tx.cravings.get(craving)
        assert seen is not None
        assert (seen.urgent, seen.crisis_sent_at, seen.crisis_in_group) == (True, START, False)
        in_group = await tx.cravings.get(shown)
        assert in_group is not None
        assert (in_group.crisis_sent_at, in_group.crisis_in_group) == (LATER, True)
        assert await tx.cravings.latest_private_crisis(SAM, EARLIER) == START
        assert await tx.cravings.latest_private_crisis(SAM, LATER) is None
        await tx.cravings.set_outcome(craving, "used")
        assert await tx.cravings.latest_private_crisis(SAM, EARLIER) is None, "episode ended"


async def test_reads_made_ahead_of_sharing_a_craving_are_those_made_after(store: Store) -> None:
    async with store.transaction() as tx:
        await meet(tx, SAM, ANA)
        await tx.supporters.set_role(GROUP, ANA, "cravings", True)
        craving = await tx.cravings.create(GROUP, SAM, "group", False, START)
        await tx.cravings.mark_crisis_sent(craving, START, in_group=False)
        await tx.cravings.before_sharing(
            SAM, GROUP, False, open_since=EARLIER, crisis_since=EARLIER, supporter_role=None
        )
        assert (await tx.cravings.latest(SAM, GROUP, False, EARLIER)).id == craving  # type: ignore[union-attr]
        assert await tx.cravings.latest_private_crisis(SAM, EARLIER) == START
        supporters = await tx.supporters.opted_in(GROUP, "cravings", supporter_role=None)
        assert [s.person.key for s in supporters] == [ANA]
        newer = await tx.cravings.create(GROUP, SAM, "group", False, LATER)
        assert (await tx.cravings.latest(SAM, GROUP, False, EARLIER)).id == newer  # type: ignore[union-attr]
        await tx.supporters.set_role(GROUP, ANA, "cravings", False)
        assert await tx.supporters.opted_in(GROUP, "cravings", supporter_role=None) == []


async def test_a_craving_is_claimed_once_and_never_once_it_passed(store: Store) -> None:
    async with store.transaction() as tx:
        await meet(tx, SAM, ANA, BO)
        craving = await tx.cravings.create(GROUP, SAM, "group", False, START)
        passed = await tx.cravings.create(GROUP, SAM, "group", False, START)
        await tx.cravings.set_outcome(passed, "passed")
        assert await tx.cravings.claim(craving, ANA, START)
        assert not await tx.cravings.claim(craving, BO, START), "Ana was first"
        assert not await tx.cravings.claim(passed, BO, START)
        assert not await tx.cravings.claim(999, BO, START)
    async with store.transaction() as tx:
        assert (await tx.cravings.get(craving)).claimed_by == ANA  # type: ignore[union-attr]
        assert (await tx.cravings.get(passed)).claimed_by is None  # type: ignore[union-attr]
        assert await tx.cravings.get(999) is None


async def test_a_call_request_is_taken_once_or_expires(store: Store) -> None:
    async with store.transaction() as tx:
        await meet(tx, SAM, ANA, BO)
        request = await tx.calls.add(GROUP, SAM, "group", False, START)
        asked = await tx.calls.get(request)
        assert asked is not None
        assert (asked.community, asked.person, asked.chat, asked.practice) == (
            GROUP,
            SAM,
            "group",
            False,
        )
        assert (asked.open, asked.private, asked.created_at) == (True, True, START)
        assert await tx.calls.open_request(GROUP, SAM, False) == asked
        assert await tx.calls.open_request(GROUP, SAM, True) is None
        assert await tx.calls.open_request(OTHER, SAM, False) is None
        await tx.calls.set_message(request, 5)
        await tx.calls.add_pings(request, [ANA, BO], START)
        await tx.calls.add_pings(request, [ANA], LATER)
    async with store.transaction() as tx:
        assert (await tx.calls.get(request)).message == 5  # type: ignore[union-attr]
        assert not (await tx.calls.get(request)).private  # type: ignore[union-attr]
        assert await tx.calls.was_pinged(request, ANA)
        assert not await tx.calls.was_pinged(request, SAM)
        assert await tx.calls.claim(request, ANA, LATER)
        assert not await tx.calls.claim(request, BO, LATER), "Ana was first"
        assert not await tx.calls.expire(request, LATER), "taken: it does not expire"
        assert await tx.calls.open_request(GROUP, SAM, False) is None
        taken = await tx.calls.get(request)
        assert taken is not None
        assert (taken.claimed_by, taken.claimed_at, taken.expired_at) == (ANA, LATER, None)
        practice = await tx.calls.add(GROUP, SAM, "group", True, START)
        assert await tx.calls.expire(practice, LATER)
        assert not await tx.calls.expire(practice, LATER)
        assert not await tx.calls.claim(practice, BO, LATER), "expired: nobody takes it"
        assert (await tx.calls.get(practice)).expired_at == LATER  # type: ignore[union-attr]
        assert await tx.calls.get(999) is None


async def test_what_a_member_asked_for_and_who_took_their_calls(store: Store) -> None:
    async with store.transaction() as tx:
        await meet(tx, SAM, ANA, BO)
        calls = [await tx.calls.add(GROUP, SAM, "group", False, START) for _ in range(3)]
        practice = await tx.calls.add(GROUP, SAM, "group", True, START)
        await tx.calls.claim(calls[0], ANA, START)
        await tx.calls.claim(calls[1], ANA, LATER)
        await tx.calls.claim(practice, BO, LATER)
        assert await tx.calls.counts(SAM) == CallCounts(
            calls=3, calls_answered=2, practice=1, practice_answered=1, taken=0
        )
        assert await tx.calls.counts(ANA) == CallCounts(taken=2)
        claimers = await tx.calls.recent_claimers(SAM, START)
        assert [p.key for p in claimers] == [ANA, BO], "each once"
        assert [p.name for p in await tx.calls.recent_claimers(SAM, LATER)] == ["Ana", "Bo"]
        later = LATER + timedelta(seconds=1)
        assert await tx.calls.recent_claimers(SAM, later) == []
        assert await tx.calls.recent_claimers(ANA, START) == []
