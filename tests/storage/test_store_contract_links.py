"""The storage contract, linking across platforms: one-time codes used once (by one of two
racing redeemers), never when expired or replaced; wrong codes counted per chat and person;
linked chats listed as one fellowship; a person's identities and the principal their data
lives under."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.domain.model import LinkCode, Person
from bot.storage import Store, Transaction
from tests.conftest import START
from tests.storage.test_store_contract_community import ANA, GROUP, OTHER, SAM, meet

TTL = timedelta(minutes=10)
EXPIRY = START + TTL
THIRD = "console:third"
SAM_ELSEWHERE = "discord:900"
"""Sam as another platform knows them."""


async def issue(tx: Transaction, digest: str, origin: str = GROUP, kind: str = "chat") -> None:
    await tx.links.issue(kind, digest, origin, SAM, START, EXPIRY)


async def redeem(store: Store, digest: str, kind: str = "chat") -> LinkCode | None:
    async with store.transaction() as tx:
        return await tx.links.redeem(kind, digest, START + timedelta(minutes=1))


async def test_a_code_is_used_once_even_by_two_redeemers_at_once(store: Store) -> None:
    async with store.transaction() as tx:
        await meet(tx, SAM)
        await issue(tx, "d1")
    first, second = await asyncio.gather(redeem(store, "d1"), redeem(store, "d1"))
    won = [code for code in (first, second) if code is not None]
    assert won == [LinkCode("d1", "chat", GROUP, SAM, EXPIRY)], "exactly one of the two"
    assert await redeem(store, "d1") is None, "used"


async def test_an_unknown_expired_or_other_kind_of_code_links_nothing(store: Store) -> None:
    async with store.transaction() as tx:
        await meet(tx, SAM)
        await issue(tx, "d1")
        await issue(tx, "d2", origin=SAM, kind="person")
    assert await redeem(store, "unknown") is None
    assert await redeem(store, "d1", kind="person") is None, "a chat code links no person"
    async with store.transaction() as tx:
        assert await tx.links.redeem("chat", "d1", EXPIRY) is None, "expired at its expiry"
        assert await tx.links.redeem("person", "d2", EXPIRY - timedelta(seconds=1)) == LinkCode(
            "d2", "person", SAM, SAM, EXPIRY
        )
    assert await redeem(store, "d1") is not None, "a failed try does not use the code up"


async def test_a_new_code_replaces_the_live_one_of_the_same_origin(store: Store) -> None:
    async with store.transaction() as tx:
        await meet(tx, SAM)
        await meet(tx, SAM, group=OTHER)
        await issue(tx, "old")
        await issue(tx, "theirs", origin=OTHER)
        await issue(tx, "mine", origin=SAM, kind="person")
    async with store.transaction() as tx:
        await issue(tx, "new")
    assert await redeem(store, "old") is None, "replaced"
    assert await redeem(store, "new") is not None
    assert await redeem(store, "theirs") is not None, "another chat's code stays"
    assert await redeem(store, "mine", kind="person") is not None, "a person code stays"


async def test_wrong_codes_count_per_chat_and_person_until_forgotten(store: Store) -> None:
    later = START + timedelta(minutes=30)
    async with store.transaction() as tx:
        await meet(tx, SAM, ANA)
        await tx.links.record_failure([GROUP, SAM], START)
        await tx.links.record_failure([GROUP, ANA], later)
        await issue(tx, "expired")
        assert len(await tx.links.failures(GROUP, START)) == 2
        assert len(await tx.links.failures(GROUP, START + timedelta(seconds=1))) == 1
        assert len(await tx.links.failures(SAM, START)) == 1
        assert len(await tx.links.failures(OTHER, START)) == 0
    async with store.transaction() as tx:
        gone = await tx.links.forget_before(later)
        assert gone == 3, "two tries of START and the code that expired before then"
        assert len(await tx.links.failures(GROUP, START)) == 1
        assert len(await tx.links.failures(SAM, START)) == 0
        assert len(await tx.links.failures(ANA, START)) == 1
        assert await tx.links.redeem("chat", "expired", START) is None, "gone"


async def test_a_persons_wrong_tries_and_codes_go_when_they_are_erased(store: Store) -> None:
    async with store.transaction() as tx:
        await meet(tx, SAM, ANA)
        await tx.links.record_failure([GROUP, SAM], START)
        await tx.links.record_failure([ANA], START)
        await issue(tx, "sams")
    async with store.transaction() as tx:
        await tx.privacy.erase(Person(SAM, "console", "sam", "Sam"))
    async with store.transaction() as tx:
        assert len(await tx.links.failures(SAM, START)) == 0
        assert len(await tx.links.failures(GROUP, START)) == 1, "the chat's try stays"
        assert len(await tx.links.failures(ANA, START)) == 1
        assert await tx.links.redeem("chat", "sams", START) is None


async def test_linked_chats_are_one_fellowship_until_unlinked(store: Store) -> None:
    async with store.transaction() as tx:
        await meet(tx, SAM)
        await meet(tx, SAM, group=OTHER)
        await meet(tx, SAM, group=THIRD)
        (alone,) = await tx.communities.fellowship(GROUP)
        assert (alone.key, alone.fellowship) == (GROUP, None), "itself, when not linked"
        assert await tx.communities.fellowship("console:unknown") == []
        assert await tx.communities.link(OTHER, GROUP)
    async with store.transaction() as tx:
        linked = await tx.communities.fellowship(GROUP)
        assert [(c.key, c.fellowship) for c in linked] == [(GROUP, OTHER), (OTHER, OTHER)]
        assert [c.key for c in await tx.communities.fellowship(OTHER)] == [OTHER, GROUP]
        assert (await tx.communities.get(GROUP)).fellowship == OTHER  # type: ignore[union-attr]
        assert not await tx.communities.link(THIRD, GROUP), "a linked chat links no third"
        assert not await tx.communities.link(GROUP, THIRD)
    async with store.transaction() as tx:
        assert [c.key for c in await tx.communities.fellowship(GROUP)] == [GROUP, OTHER]
        assert [c.fellowship for c in await tx.communities.fellowship(THIRD)] == [None]
        await tx.communities.unlink(OTHER)
    async with store.transaction() as tx:
        assert [c.fellowship for c in await tx.communities.fellowship(GROUP)] == [None], (
            "a fellowship of one chat ends"
        )
        assert [c.fellowship for c in await tx.communities.fellowship(OTHER)] == [None]
        assert await tx.communities.link(THIRD, GROUP), "parted chats may link anew"


async def test_a_linked_identity_has_its_principal_until_unlinked(store: Store) -> None:
    async with store.transaction() as tx:
        await meet(tx, SAM, ANA)
        await tx.people.upsert(SAM_ELSEWHERE, "discord", "900", "Sam D", START)
        assert await tx.people.principal(SAM) == SAM, "itself, when not linked"
        assert [p.key for p in await tx.people.identities(SAM)] == [SAM]
        assert await tx.people.identities("console:nobody") == []
        await tx.people.link(SAM_ELSEWHERE, SAM, START)
        assert await tx.people.principal(SAM_ELSEWHERE) == SAM, "read in the same event"
    async with store.transaction() as tx:
        assert await tx.people.principal(SAM) == SAM
        assert await tx.people.principal(ANA) == ANA
        assert [p.key for p in await tx.people.identities(SAM_ELSEWHERE)] == [SAM_ELSEWHERE, SAM]
        (first, second) = await tx.people.identities(SAM)
        assert (first.key, second.key, second.platform) == (SAM, SAM_ELSEWHERE, "discord")
        await tx.people.unlink(SAM_ELSEWHERE)
        assert await tx.people.principal(SAM_ELSEWHERE) == SAM_ELSEWHERE
    async with store.transaction() as tx:
        assert [p.key for p in await tx.people.identities(SAM)] == [SAM]
        await tx.people.link(SAM_ELSEWHERE, SAM, START)
    async with store.transaction() as tx:
        await tx.privacy.erase(Person(SAM, "console", "sam", "Sam"))
    async with store.transaction() as tx:
        assert await tx.people.principal(SAM_ELSEWHERE) == SAM_ELSEWHERE, "the link went too"
        assert [p.key for p in await tx.people.identities(SAM_ELSEWHERE)] == [SAM_ELSEWHERE]
