"""The storage contract, communities: their settings, their members and admins, who shares
a count there, who wants meeting reminders, the roles members hold."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from bot.domain.community import CommunitySettings
from bot.domain.model import PRIMARY, Community
from bot.storage import Store, Transaction
from tests.conftest import START

GROUP = "console:group"
OTHER = "console:other"
ANA, BO, SAM = "console:ana", "console:bo", "console:sam"


async def meet(tx: Transaction, *keys: str, group: str = GROUP) -> None:
    """These people, members of ``group``."""
    await tx.communities.upsert(group, "console", group.split(":")[1], "chat", START)
    for key in keys:
        name = key.split(":")[1]
        await tx.people.upsert(key, "console", name, name.title(), START)
        await tx.memberships.ensure(group, key, START)


async def test_a_community_keeps_its_settings_and_whether_the_bot_is_in_it(
    store: Store,
) -> None:
    settings = replace(CommunitySettings(), locale="de", ping_count=5, announce_chat="news")
    async with store.transaction() as tx:
        first = await tx.communities.upsert(GROUP, "console", "group", "group", START)
        assert first == Community(GROUP, "console", "group", "group")
        await tx.communities.save_settings(GROUP, settings)
        await tx.communities.set_active(GROUP, False)
        assert await tx.communities.get("console:missing") is None
    async with store.transaction() as tx:
        kept = await tx.communities.get(GROUP)
        assert kept == Community(GROUP, "console", "group", "group", settings, active=False)
        assert kept.announce_chat == "news"
        again = await tx.communities.upsert(GROUP, "console", "group", "renamed", START)
        assert again == kept, "meeting a community again changes nothing"
        await tx.communities.set_active(GROUP, True)
        assert (await tx.communities.get(GROUP)).active  # type: ignore[union-attr]


async def test_members_leave_and_admins_are_those_the_bot_can_write_to(store: Store) -> None:
    async with store.transaction() as tx:
        await meet(tx, SAM, ANA, BO)
        await meet(tx, SAM, group=OTHER)
        await tx.memberships.set_admin(GROUP, SAM, True)
        await tx.memberships.set_admin(GROUP, ANA, True)
        await tx.people.set_private_chat(SAM, True)
        await tx.people.set_private_chat(BO, True)
        assert [p.key for p in await tx.memberships.admins(GROUP)] == [SAM]
        assert await tx.memberships.admins(OTHER) == []
        assert [p.key for p in await tx.memberships.members(GROUP)] == [ANA, BO, SAM]
        await tx.supporters.set_role(GROUP, BO, "cravings", True)
        await tx.meetings.set_reminder(GROUP, BO, True)
        await tx.roles.replace(GROUP, BO, ["supporter"])
        await tx.memberships.leave(GROUP, BO)
        await tx.memberships.set_admin(GROUP, SAM, False)
    async with store.transaction() as tx:
        assert [p.key for p in await tx.memberships.members(GROUP)] == [ANA, SAM]
        assert await tx.memberships.get(GROUP, BO) is None
        assert await tx.supporters.roles(GROUP, BO) == set(), "no longer pinged there"
        assert not await tx.meetings.wants_reminders(GROUP, BO)
        assert await tx.roles.of(GROUP, BO) == set()
        assert await tx.memberships.admins(GROUP) == []
        assert [m.community for m in await tx.memberships.of(SAM)] == [GROUP, OTHER]
        assert [p.key for p in await tx.memberships.members(OTHER)] == [SAM]


async def test_shared_counts_are_the_primary_ones_of_members_who_share_here(
    store: Store,
) -> None:
    async with store.transaction() as tx:
        await meet(tx, SAM, ANA, BO)
        await meet(tx, BO, group=OTHER)
        await tx.counters.set(SAM, PRIMARY, date(2026, 1, 1), START)
        await tx.counters.set(ANA, "nicotine", date(2026, 2, 1), START)
        await tx.counters.set(BO, PRIMARY, date(2026, 3, 1), START)
        for member in (SAM, ANA):
            await tx.memberships.set_share(GROUP, member, True)
        await tx.memberships.share_by_default(OTHER, BO)
        shared = await tx.counters.shared_in([GROUP])
        assert [(p.key, day) for p, day in shared] == [(SAM, date(2026, 1, 1))]
        assert [(p.name, day) for p, day in await tx.counters.shared_in([OTHER])] == [
            ("Bo", date(2026, 3, 1))
        ]
        both = await tx.counters.shared_in([GROUP, OTHER])
        assert [p.key for p, _ in both] == [BO, SAM]
        assert await tx.counters.shared_in([]) == []


async def test_a_linked_person_shares_once_as_their_principal(store: Store) -> None:
    """Sharing stays per chat (an identity's membership), the count is the principal's."""
    async with store.transaction() as tx:
        await meet(tx, SAM, ANA)
        await meet(tx, BO, group=OTHER)
        await tx.people.set_timezone(SAM, "Europe/Madrid")
        await tx.counters.set(SAM, PRIMARY, date(2026, 1, 1), START)
        await tx.counters.set(BO, PRIMARY, date(2025, 5, 5), START)  # left from before linking
        await tx.people.link(BO, SAM, START)
        await tx.memberships.set_share(OTHER, BO, True)
        (only,) = await tx.counters.shared_in([OTHER])
        assert (only[0].key, only[0].timezone, only[1]) == (SAM, "Europe/Madrid", date(2026, 1, 1))
        assert await tx.counters.shared_in([GROUP]) == [], "Sam shares in the other chat only"
        await tx.memberships.set_share(GROUP, SAM, True)
        both = await tx.counters.shared_in([GROUP, OTHER])
        assert [(p.key, day) for p, day in both] == [(SAM, date(2026, 1, 1))], "counted once"
        await tx.people.unlink(BO)
        apart = await tx.counters.shared_in([GROUP, OTHER])
        assert [(p.key, day) for p, day in apart] == [
            (BO, date(2025, 5, 5)),
            (SAM, date(2026, 1, 1)),
        ]


async def test_meeting_reminders_are_asked_for_per_member(store: Store) -> None:
    async with store.transaction() as tx:
        await meet(tx, SAM, ANA, BO)
        assert not await tx.meetings.has_reminders(GROUP)
        for member in (SAM, ANA, ANA):
            await tx.meetings.set_reminder(GROUP, member, True)
        await tx.meetings.set_reminder(GROUP, BO, False)
        assert await tx.meetings.has_reminders(GROUP)
        assert not await tx.meetings.has_reminders(OTHER)
        assert [p.key for p in await tx.meetings.reminder_people(GROUP)] == [ANA, SAM]
        await tx.meetings.set_reminder(GROUP, SAM, False)
    async with store.transaction() as tx:
        assert await tx.meetings.wants_reminders(GROUP, ANA)
        assert not await tx.meetings.wants_reminders(GROUP, SAM)
        assert [p.name for p in await tx.meetings.reminder_people(GROUP)] == ["Ana"]


async def test_a_members_roles_are_replaced_whole(store: Store) -> None:
    async with store.transaction() as tx:
        await meet(tx, SAM)
        await meet(tx, SAM, group=OTHER)
        assert await tx.roles.of(GROUP, SAM) == set()
        assert await tx.roles.replace(GROUP, SAM, ["r1", "r2"])
        assert not await tx.roles.replace(GROUP, SAM, ("r2", "r1")), "the same roles"
        assert await tx.roles.replace(OTHER, SAM, ["r9"])
    async with store.transaction() as tx:
        assert await tx.roles.of(GROUP, SAM) == {"r1", "r2"}
        assert await tx.roles.replace(GROUP, SAM, ["r3"])
        assert await tx.roles.of(GROUP, SAM) == {"r3"}
        assert await tx.roles.replace(GROUP, SAM, [])
        assert await tx.roles.of(GROUP, SAM) == set()
        assert await tx.roles.of(OTHER, SAM) == {"r9"}


async def test_a_member_is_announced_when_due_and_only_where_the_bot_still_is(
    store: Store,
) -> None:
    due = START - timedelta(hours=1)
    async with store.transaction() as tx:
        await meet(tx, SAM)
        await meet(tx, SAM, group=OTHER)
        await tx.counters.set(SAM, PRIMARY, date(2026, 10, 30), START)
        await tx.memberships.set_share(GROUP, SAM, True)
        for group in (GROUP, OTHER):
            await tx.announcements.set_due(group, SAM, (due, "30d", date(2026, 11, 29)))
        await tx.communities.set_active(OTHER, False)
        (found,) = await tx.announcements.due(START, 10)
        assert (found.community.key, found.person.key) == (GROUP, SAM)
        assert (found.milestone, found.day, found.due_at) == ("30d", date(2026, 11, 29), due)
        assert (found.clean_since, found.share) == (date(2026, 10, 30), True)
        assert found.principal == SAM
        await tx.announcements.set_due(GROUP, SAM, None)
        assert await tx.announcements.due(START, 10) == []
        assert await tx.announcements.earliest_due() == due, "the inactive one still waits"


async def test_a_linked_identity_is_announced_with_its_principals_date_and_zone(
    store: Store,
) -> None:
    due = START - timedelta(hours=1)
    async with store.transaction() as tx:
        await meet(tx, SAM)
        await meet(tx, BO, group=OTHER)
        await tx.people.set_timezone(SAM, "America/Bogota")
        await tx.counters.set(SAM, PRIMARY, date(2026, 10, 30), START)
        await tx.counters.set(BO, "nicotine", date(2026, 3, 3), START)
        await tx.people.link(BO, SAM, START)
        await tx.memberships.set_share(OTHER, BO, True)
        await tx.announcements.set_due(OTHER, BO, (due, "30d", date(2026, 11, 29)))
        (found,) = await tx.announcements.due(START, 10)
        assert (found.community.key, found.person.key, found.person.name) == (OTHER, BO, "Bo")
        assert (found.principal, found.person.timezone) == (SAM, "America/Bogota")
        assert found.clean_since == date(2026, 10, 30)
        await tx.counters.set(BO, PRIMARY, date(2026, 10, 30), START)
        (same,) = await tx.announcements.due(START, 10)
        assert same.clean_since == date(2026, 10, 30), "the same date twice is one date"
        await tx.counters.set(BO, PRIMARY, date(2026, 2, 2), START)
        (waiting,) = await tx.announcements.due(START, 10)
        assert waiting.clean_since is None, "two dates: the member has not chosen one yet"
        await tx.people.unlink(BO)
        (apart,) = await tx.announcements.due(START, 10)
        assert (apart.principal, apart.person.timezone) == (BO, None)
        assert apart.clean_since == date(2026, 2, 2)
