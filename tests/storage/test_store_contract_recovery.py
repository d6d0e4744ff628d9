"""The storage contract, a member's recovery: restarts in their private history, contacts,
and consent, whose withdrawal erases everything it covered."""

from __future__ import annotations

from datetime import date, timedelta

from bot.domain.model import PRIMARY, Membership
from bot.domain.records import Consent
from bot.storage import Store
from tests.conftest import START
from tests.storage.test_store_contract_community import ANA, GROUP, SAM, meet

LATER = START + timedelta(hours=1)
ENDED, RESTARTED = date(2026, 1, 1), date(2026, 6, 1)


async def test_restarts_are_kept_in_the_members_own_history(store: Store) -> None:
    async with store.transaction() as tx:
        await meet(tx, SAM, ANA)
        first = await tx.relapses.record(SAM, PRIMARY, ENDED, RESTARTED, START)
        second = await tx.relapses.record(SAM, "nicotine", ENDED, RESTARTED, LATER)
        await tx.relapses.set_note(first, "only for me")
    async with store.transaction() as tx:
        assert await tx.relapses.has(SAM, PRIMARY, ENDED, RESTARTED)
        assert not await tx.relapses.has(SAM, PRIMARY, ENDED, date(2026, 6, 2))
        assert not await tx.relapses.has(ANA, PRIMARY, ENDED, RESTARTED)
        history = await tx.relapses.of(SAM)
        assert [r.id for r in history] == [first, second], "oldest first"
        assert (history[0].counter, history[0].clean_since, history[0].restarted_on) == (
            PRIMARY,
            ENDED,
            RESTARTED,
        )
        assert (history[0].note, history[0].created_at) == ("only for me", START)
        assert (await tx.relapses.latest(SAM)) == history[1]
        assert await tx.relapses.latest(ANA) is None
        assert await tx.relapses.of(ANA) == []
        assert await tx.relapses.get(SAM, first) == history[0]
        assert await tx.relapses.get(ANA, first) is None, "never someone else's"
        await tx.relapses.set_note(first, None)
        assert (await tx.relapses.get(SAM, first)).note is None  # type: ignore[union-attr]


async def test_supporters_are_told_of_a_restart_once_unless_released(store: Store) -> None:
    async with store.transaction() as tx:
        await meet(tx, SAM, ANA)
        restart = await tx.relapses.record(SAM, PRIMARY, ENDED, RESTARTED, START)
        assert not await tx.relapses.claim_supporters_told(restart, ANA, START), "not Ana's"
        assert await tx.relapses.claim_supporters_told(restart, SAM, START)
        assert not await tx.relapses.claim_supporters_told(restart, SAM, LATER)
        assert (await tx.relapses.get(SAM, restart)).supporters_told_at == START  # type: ignore[union-attr]
        await tx.relapses.release_supporters_told(restart, ANA)
        assert not await tx.relapses.claim_supporters_told(restart, SAM, LATER)
        await tx.relapses.release_supporters_told(restart, SAM)
        assert (await tx.relapses.get(SAM, restart)).supporters_told_at is None  # type: ignore[union-attr]
        assert await tx.relapses.claim_supporters_told(restart, SAM, LATER), "may ask again"


async def test_a_member_has_one_contact_until_they_clear_it(store: Store) -> None:
    async with store.transaction() as tx:
        await meet(tx, SAM)
        assert await tx.contacts.of(SAM) is None
        await tx.contacts.set(SAM, "+1 555 0100", START)
        await tx.contacts.set(SAM, "+1 555 0199", LATER)
    async with store.transaction() as tx:
        assert await tx.contacts.of(SAM) == "+1 555 0199"
        assert await tx.contacts.clear(SAM)
        assert not await tx.contacts.clear(SAM)
        assert await tx.contacts.of(SAM) is None


async def test_consent_is_given_declined_and_withdrawn(store: Store) -> None:
    async with store.transaction() as tx:
        await meet(tx, SAM)
        assert await tx.consent.of(SAM) is None
        await tx.consent.decline(SAM, START)
        assert await tx.consent.of(SAM) == Consent(None, START, implied=False)
        await tx.consent.give(SAM, LATER)
        assert await tx.consent.of(SAM) == Consent(LATER, None, implied=False)
        await tx.consent.decline(SAM, LATER)
        assert await tx.consent.of(SAM) == Consent(LATER, LATER, implied=False)
        assert await tx.consent.untold_implied(10) == [], "a yes said is not implied"
        await tx.consent.mark_told(SAM, LATER)
        assert await tx.consent.of(SAM) == Consent(LATER, LATER, implied=False)


async def test_withdrawing_consent_erases_what_it_covered_and_nothing_else(
    store: Store,
) -> None:
    async with store.transaction() as tx:
        await meet(tx, SAM, ANA)
        for member in (SAM, ANA):
            await tx.consent.give(member, START)
            await tx.counters.set(member, PRIMARY, ENDED, START)
            await tx.contacts.set(member, "+1 555 0100", START)
            await tx.relapses.record(member, PRIMARY, ENDED, RESTARTED, START)
            await tx.memberships.set_share(GROUP, member, True)
            await tx.announcements.set_due(GROUP, member, (START, "30d", START.date()))
            await tx.announcements.record(GROUP, member, PRIMARY, ENDED, "30d", START)
        await tx.consent.withdraw(SAM)
    async with store.transaction() as tx:
        assert await tx.consent.of(SAM) is None
        assert await tx.counters.of(SAM) == []
        assert await tx.contacts.of(SAM) is None
        assert await tx.relapses.of(SAM) == []
        assert await tx.memberships.get(GROUP, SAM) == Membership(GROUP, SAM, False, False)
        assert [d.person.key for d in await tx.announcements.due(START, 10)] == [ANA]
        assert await tx.announcements.record(GROUP, SAM, PRIMARY, ENDED, "30d", LATER), "erased"
        assert await tx.consent.of(ANA) == Consent(START, None, implied=False)
        assert [c.clean_since for c in await tx.counters.of(ANA)] == [ENDED]
        assert await tx.contacts.of(ANA) is not None
        assert len(await tx.relapses.of(ANA)) == 1
        assert (await tx.memberships.get(GROUP, ANA)).share  # type: ignore[union-attr]
        assert not await tx.announcements.record(GROUP, ANA, PRIMARY, ENDED, "30d", LATER)
