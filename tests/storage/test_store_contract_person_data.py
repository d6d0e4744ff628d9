"""The storage contract, a person's own data across linked identities (``/linkme``): merged into
the principal without losing a date both sides hold differently, copied back on unlinking, and
the values every identity's row carries (zone, language, supporter hours, rest) written to
each."""

from __future__ import annotations

from datetime import date, timedelta

from bot.domain.model import Counter
from bot.domain.records import Consent
from bot.storage import Store, Transaction
from tests.conftest import START
from tests.storage.test_store_contract_community import GROUP, SAM, meet

SAM_ELSEWHERE = "discord:900"
"""Sam as another platform knows them: linked to Sam, the principal."""
LATER = START + timedelta(hours=1)


async def two_sides(tx: Transaction) -> None:
    await meet(tx, SAM)
    await tx.people.upsert(SAM_ELSEWHERE, "discord", "900", "Sam", START)
    await tx.memberships.ensure(GROUP, SAM_ELSEWHERE, START)


async def test_a_merge_moves_the_persons_data_and_keeps_a_differing_date_pending(
    store: Store,
) -> None:
    async with store.transaction() as tx:
        await two_sides(tx)
        await tx.counters.set(SAM, "", date(2025, 3, 1), START)
        await tx.counters.set(SAM, "nicotine", date(2025, 1, 1), START)
        await tx.counters.set(SAM_ELSEWHERE, "", date(2025, 6, 14), START)
        await tx.counters.set(SAM_ELSEWHERE, "nicotine", date(2025, 1, 1), START)
        await tx.counters.set(SAM_ELSEWHERE, "sugar", date(2026, 2, 2), START)
        await tx.relapses.record(SAM_ELSEWHERE, "", date(2024, 1, 1), date(2025, 6, 14), START)
        await tx.contacts.set(SAM_ELSEWHERE, "+1 555 0100", START)
        await tx.consent.decline(SAM, START)
        await tx.consent.give(SAM_ELSEWHERE, START)
        await tx.people.set_timezone(SAM_ELSEWHERE, "Europe/Madrid")
        await tx.people.set_locale(SAM, "es")
        await tx.supporters.set_hours(SAM_ELSEWHERE, "09:00-17:00")
        await tx.supporters.set_urgent(SAM_ELSEWHERE, True)
        await tx.supporters.set_bridge_pings(SAM_ELSEWHERE, False)
        await tx.supporters.set_role(GROUP, SAM, "cravings", True)
        await tx.supporters.set_role(GROUP, SAM_ELSEWHERE, "cravings", True)
        await tx.supporters.mark_pinged([SAM_ELSEWHERE], "cravings", LATER)
        await tx.supporters.mark_pinged([SAM], "cravings", START)
    async with store.transaction() as tx:
        await tx.people.merge_data(SAM_ELSEWHERE, SAM)
        await tx.people.link(SAM_ELSEWHERE, SAM, START)
    async with store.transaction() as tx:
        assert await tx.counters.of(SAM) == [
            Counter(SAM, "", date(2025, 3, 1)),
            Counter(SAM, "nicotine", date(2025, 1, 1)),
            Counter(SAM, "sugar", date(2026, 2, 2)),
        ]
        assert await tx.counters.of(SAM_ELSEWHERE) == [
            Counter(SAM_ELSEWHERE, "", date(2025, 6, 14))
        ], "the other date waits for the member's choice"
        assert [r.restarted_on for r in await tx.relapses.of(SAM)] == [date(2025, 6, 14)]
        assert await tx.relapses.of(SAM_ELSEWHERE) == []
        assert await tx.contacts.of(SAM) == "+1 555 0100"
        assert await tx.contacts.of(SAM_ELSEWHERE) is None
        assert await tx.consent.of(SAM) == Consent(START, None, False), "a yes on either side"
        assert await tx.consent.of(SAM_ELSEWHERE) is None
        for key in (SAM, SAM_ELSEWHERE):
            person = await tx.people.get(key)
            assert person is not None
            assert (person.timezone, person.locale) == ("Europe/Madrid", "es")
            assert await tx.supporters.hours(key) == "09:00-17:00"
            assert await tx.supporters.urgent(key)
            assert not await tx.supporters.bridge_pings(key), "a no to the other side kept"
        rows = await tx.supporters.opted_in(GROUP, "cravings")
        assert {r.person.key: r.last_pinged_at for r in rows} == {SAM: LATER, SAM_ELSEWHERE: LATER}


async def test_linked_identities_share_zone_language_hours_and_rest(store: Store) -> None:
    async with store.transaction() as tx:
        await two_sides(tx)
        await tx.supporters.set_role(GROUP, SAM, "cravings", True)
        await tx.supporters.set_role(GROUP, SAM_ELSEWHERE, "cravings", True)
        await tx.people.link(SAM_ELSEWHERE, SAM, START)
    async with store.transaction() as tx:
        await tx.people.set_timezone(SAM_ELSEWHERE, "Asia/Tokyo")
        await tx.people.set_locale(SAM, "es")
        await tx.supporters.set_hours(SAM, "08:00-20:00")
        await tx.supporters.set_urgent(SAM_ELSEWHERE, True)
        await tx.supporters.set_bridge_pings(SAM_ELSEWHERE, False)
        await tx.supporters.mark_pinged([SAM_ELSEWHERE], "cravings", LATER)
    async with store.transaction() as tx:
        for key in (SAM, SAM_ELSEWHERE):
            person = await tx.people.get(key)
            assert person is not None
            assert (person.timezone, person.locale) == ("Asia/Tokyo", "es")
            assert await tx.supporters.hours(key) == "08:00-20:00"
            assert await tx.supporters.urgent(key)
            assert not await tx.supporters.bridge_pings(key)
        rows = await tx.supporters.opted_in(GROUP, "cravings")
        assert {r.person.key: r.last_pinged_at for r in rows} == {SAM: LATER, SAM_ELSEWHERE: LATER}


async def test_a_copy_gives_the_other_identity_its_own_data_back(store: Store) -> None:
    async with store.transaction() as tx:
        await two_sides(tx)
        await tx.counters.set(SAM, "", date(2025, 3, 1), START)
        await tx.counters.set(SAM_ELSEWHERE, "", date(2025, 6, 14), START)  # still pending
        await tx.relapses.record(SAM, "", date(2024, 1, 1), date(2025, 3, 1), START)
        await tx.contacts.set(SAM, "+1 555 0100", START)
        await tx.consent.give(SAM, START)
        await tx.people.link(SAM_ELSEWHERE, SAM, START)
    async with store.transaction() as tx:
        await tx.people.copy_data(SAM, SAM_ELSEWHERE)
        await tx.people.unlink(SAM_ELSEWHERE)
    async with store.transaction() as tx:
        assert await tx.counters.of(SAM_ELSEWHERE) == [
            Counter(SAM_ELSEWHERE, "", date(2025, 6, 14))
        ], "its own date stays its own"
        restarts = await tx.relapses.of(SAM_ELSEWHERE)
        assert [(r.clean_since, r.restarted_on) for r in restarts] == [
            (date(2024, 1, 1), date(2025, 3, 1))
        ]
        assert restarts[0].id != (await tx.relapses.of(SAM))[0].id, "a copy, not a move"
        assert await tx.contacts.of(SAM_ELSEWHERE) == "+1 555 0100"
        assert await tx.consent.of(SAM_ELSEWHERE) == Consent(START, None, False)
        assert await tx.counters.of(SAM) == [Counter(SAM, "", date(2025, 3, 1))], "kept"
        await tx.counters.remove(SAM_ELSEWHERE, "")
        await tx.counters.remove(SAM_ELSEWHERE, "never held")
        assert await tx.counters.of(SAM_ELSEWHERE) == []
        assert await tx.counters.of(SAM) == [Counter(SAM, "", date(2025, 3, 1))]
