"""Milestones and ``/together`` in one community across a Telegram group and a Discord server.

Sharing is per chat: each chat's digest names the members who chose to share there, by the
identity that chat knows. A person linked on both platforms has one clean date, is celebrated
in each chat where they share and never twice in one, and ``/together`` counts them once.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from bot.app import App
from bot.clock import ManualClock
from bot.dialect import PlainDialect
from bot.domain.inbound import ButtonPressed, CommandIssued, Origin
from bot.domain.model import community_key, person_key
from bot.domain.records import OutboxMessage
from bot.render import Renderer
from tests.conftest import START

GROUP = "-1001"
GUILD = "900000000000000009"
CHANNEL = "900000000000000090"
TELEGRAM = community_key("telegram", GROUP)
DISCORD = community_key("discord", GUILD)

# Telegram ids, and Discord ids of the same names (a linked person has one of each).
ANA_TG, BEN_TG = "7001", "7002"
ANA_DC, CAL_DC, DEE_DC = "100000000000000001", "100000000000000002", "100000000000000003"
TESS_TG, DANA_DC = "7009", "100000000000000009"  # the chats' admins
NAMES = {
    ANA_TG: "Ana",
    BEN_TG: "Ben",
    ANA_DC: "Ana",
    CAL_DC: "Cal",
    DEE_DC: "Dee",
    TESS_TG: "Tess",
    DANA_DC: "Dana",
}

THIRTY_DAYS_ON_30_NOVEMBER = "2026-10-31"
SIXTY_DAYS_ON_30_NOVEMBER = "2026-10-01"


def telegram(person: str) -> Origin:
    return Origin("telegram", GROUP, person, NAMES[person], community=GROUP)


def discord(person: str) -> Origin:
    return Origin(
        "discord", CHANNEL, person, NAMES[person], community=GUILD, interaction=f"i-{person}"
    )


def alone(origin: Origin) -> Origin:
    """The member's private chat with the bot on the origin's platform."""
    chat = origin.person if origin.platform == "telegram" else f"dm{origin.person}"
    return Origin(origin.platform, chat, origin.person, origin.person_name, private=True)


class Chats:
    """Members of a Telegram group and a Discord server typing, as the adapters hand it over."""

    def __init__(self, app: App, clock: ManualClock) -> None:
        self.app = app
        self.clock = clock
        self._n = 0

    def _key(self) -> str:
        self._n += 1
        return f"linked:test:{self._n}"

    async def command(self, origin: Origin, text: str) -> None:
        name, _, args = text.lstrip("/").partition(" ")
        assert await self.app.core.handle(CommandIssued(self._key(), origin, name, args))

    async def clean_date(self, origin: Origin, day: str, *, share: bool = True) -> None:
        """Set a clean date, say yes to keeping it, and choose whether this chat celebrates it."""
        await self.command(origin, "/consent on")
        await self.command(origin, f"/cleandate {day}")
        where = community_key(origin.platform, origin.community or "")
        action = "share.celebrate" if share else "share.private"
        await self.app.core.handle(ButtonPressed(self._key(), origin, action, where))

    async def link_chats(self) -> None:
        """An admin of the Telegram group sends ``/link``; one of the Discord server enters
        the code it gives them there."""
        tess = replace(telegram(TESS_TG), is_admin=True, private_chat_open=True)
        await self.command(tess, "/link")
        code = (await self.queued("telegram", "link_code"))[-1].context["code"]
        await self.command(replace(discord(DANA_DC), is_admin=True), f"/link {code}")
        async with self.app.store.transaction() as tx:
            linked = await tx.communities.fellowship(TELEGRAM)
        assert [chat.key for chat in linked] == [TELEGRAM, DISCORD]

    async def link_people(self, principal: Origin, other: Origin) -> None:
        """``/linkme`` privately on the principal's platform, then its code privately on the
        other's: the member's two identities are one person."""
        await self.command(alone(principal), "/linkme")
        code = (await self.queued(principal.platform, "linkme_code"))[-1].context["code"]
        await self.command(alone(other), f"/linkme {code}")

    async def link_in_store(self, identity: str, principal: str) -> None:
        """Link two identities as no command can (``/linkme`` links two platforms)."""
        async with self.app.store.transaction() as tx:
            await tx.people.link(identity, principal, self.clock.now())

    async def unlink_people(self, origin: Origin) -> None:
        await self.command(alone(origin), "/unlinkme")

    async def keep_date(self, origin: Origin, day: str) -> None:
        """Answer ``/linkme``'s question: which of the two clean dates to keep."""
        payload = f"{date.fromisoformat(day):%Y%m%d}:"
        inbound = ButtonPressed(self._key(), alone(origin), "linkme.keep", payload)
        assert await self.app.core.handle(inbound)

    async def queued(self, platform: str, template: str) -> list[OutboxMessage]:
        async with self.app.store.transaction() as tx:
            waiting = await tx.outbox.pending(platform, self.clock.now(), 1000)
        return [message for message in waiting if message.template == template]

    async def digests(self, platform: str) -> list[list[str]]:
        """Each milestone digest queued on the platform: the ids it names (and mentions)."""
        found = await self.queued(platform, "milestone_digest")
        named = []
        for digest in found:
            entries = [entry["person"]["id"] for entry in digest.context["entries"]]
            assert entries == [mention.person for mention in digest.mentions]
            named.append(sorted(entries))
        return named

    async def together(self, origin: Origin) -> str:
        await self.command(origin, "/together")
        answer = (await self.queued(origin.platform, "together"))[-1]
        return Renderer(PlainDialect()).render(answer.template, answer.context)

    async def next_day(self) -> None:
        self.clock.advance(timedelta(days=1))
        await self.app.timers.fire_due()


async def test_each_chat_gets_one_digest_naming_only_those_who_share_there(
    app: App, clock: ManualClock
) -> None:
    chats = Chats(app, clock)
    await chats.clean_date(telegram(ANA_TG), THIRTY_DAYS_ON_30_NOVEMBER)
    await chats.clean_date(telegram(BEN_TG), THIRTY_DAYS_ON_30_NOVEMBER, share=False)
    await chats.clean_date(discord(CAL_DC), SIXTY_DAYS_ON_30_NOVEMBER)
    await chats.clean_date(discord(DEE_DC), THIRTY_DAYS_ON_30_NOVEMBER, share=False)
    await chats.link_chats()
    await chats.next_day()

    assert await chats.digests("telegram") == [[ANA_TG]]
    assert await chats.digests("discord") == [[CAL_DC]], "Telegram's sharers stay in Telegram"


async def test_a_linked_person_is_celebrated_once_in_each_chat_where_they_share(
    app: App, clock: ManualClock
) -> None:
    chats = Chats(app, clock)
    await chats.clean_date(telegram(ANA_TG), THIRTY_DAYS_ON_30_NOVEMBER)
    await chats.command(discord(ANA_DC), "/share on")  # no date of her own on Discord
    await chats.clean_date(discord(CAL_DC), THIRTY_DAYS_ON_30_NOVEMBER)
    await chats.link_chats()
    await chats.link_people(telegram(ANA_TG), discord(ANA_DC))
    await chats.next_day()

    assert await chats.digests("telegram") == [[ANA_TG]]
    assert await chats.digests("discord") == [[ANA_DC, CAL_DC]], (
        "one digest, Ana once, by her Discord id, on her one clean date's 30 days"
    )
    (digest,) = await chats.queued("discord", "milestone_digest")
    assert [entry["milestone"] for entry in digest.context["entries"]] == ["30d", "30d"]


async def test_a_side_whose_date_waits_for_the_members_choice_celebrates_once_she_chooses(
    app: App, clock: ManualClock
) -> None:
    chats = Chats(app, clock)
    await chats.clean_date(telegram(ANA_TG), THIRTY_DAYS_ON_30_NOVEMBER)
    await chats.clean_date(discord(ANA_DC), "2026-10-02")  # her 2 months are on 2 December
    await chats.link_chats()
    await chats.link_people(telegram(ANA_TG), discord(ANA_DC))
    assert await chats.queued("discord", "linkme_choose"), "asked which date to keep"
    await chats.next_day()
    assert await chats.digests("telegram") == [[ANA_TG]], "the Telegram side as before"
    assert await chats.digests("discord") == [], "neither date is celebrated before she chooses"

    await chats.keep_date(discord(ANA_DC), THIRTY_DAYS_ON_30_NOVEMBER)
    await app.timers.fire_due()
    assert await chats.digests("telegram") == [[ANA_TG]], "celebrated once there"
    assert await chats.digests("discord") == [[ANA_DC]], "her chosen date's 30 days, today"
    await chats.next_day()
    await chats.next_day()
    assert await chats.digests("discord") == [[ANA_DC]], "the date she let go counts no more"


async def test_a_new_clean_date_on_one_side_moves_the_celebration_on_the_other(
    app: App, clock: ManualClock
) -> None:
    chats = Chats(app, clock)
    await chats.clean_date(telegram(ANA_TG), "2026-10-20")
    await chats.command(discord(ANA_DC), "/share on")
    await chats.link_chats()
    await chats.link_people(telegram(ANA_TG), discord(ANA_DC))
    await chats.command(telegram(ANA_TG), f"/cleandate {THIRTY_DAYS_ON_30_NOVEMBER}")
    await chats.next_day()

    assert await chats.digests("telegram") == [[ANA_TG]]
    assert await chats.digests("discord") == [[ANA_DC]], "her one date counts in both chats"


async def test_two_identities_of_one_person_in_one_chat_are_named_once(
    app: App, clock: ManualClock
) -> None:
    """``/linkme`` links one identity per platform, so this cannot happen through it; the
    digest still never names one person twice, however the store came to hold them."""
    chats = Chats(app, clock)
    await chats.clean_date(discord(CAL_DC), THIRTY_DAYS_ON_30_NOVEMBER)
    await chats.command(discord(DEE_DC), "/share on")
    await chats.link_in_store(person_key("discord", DEE_DC), person_key("discord", CAL_DC))
    await chats.command(discord(DEE_DC), "/share on")  # her days recounted, from Cal's date
    await chats.next_day()

    (named,) = await chats.digests("discord")
    assert named in ([CAL_DC], [DEE_DC])


async def test_a_linked_person_is_not_celebrated_where_they_keep_it_private(
    app: App, clock: ManualClock
) -> None:
    chats = Chats(app, clock)
    await chats.clean_date(telegram(ANA_TG), THIRTY_DAYS_ON_30_NOVEMBER)
    await chats.command(discord(ANA_DC), "/share off")
    await chats.link_chats()
    await chats.link_people(discord(ANA_DC), telegram(ANA_TG))  # either side may give the code
    await chats.next_day()

    assert await chats.digests("telegram") == [[ANA_TG]]
    assert await chats.digests("discord") == [], "sharing in Telegram is not sharing in Discord"


async def test_linking_and_unlinking_never_announce_a_milestone_twice_in_a_chat(
    app: App, clock: ManualClock
) -> None:
    chats = Chats(app, clock)
    await chats.clean_date(telegram(ANA_TG), THIRTY_DAYS_ON_30_NOVEMBER)
    await chats.clean_date(discord(ANA_DC), THIRTY_DAYS_ON_30_NOVEMBER)
    await chats.link_chats()
    await chats.next_day()  # 30 November: each chat celebrates her 30 days
    assert await chats.digests("telegram") == [[ANA_TG]]
    assert await chats.digests("discord") == [[ANA_DC]]

    # Later that day she links her identities, then splits them, then links them the other
    # way round: each time her days are recounted, and her 30 days are still today.
    clock.advance(timedelta(hours=2))
    await chats.link_people(telegram(ANA_TG), discord(ANA_DC))
    await app.timers.fire_due()
    await chats.unlink_people(discord(ANA_DC))
    await app.timers.fire_due()
    await chats.link_people(discord(ANA_DC), telegram(ANA_TG))
    await app.timers.fire_due()
    assert await chats.digests("telegram") == [[ANA_TG]]
    assert await chats.digests("discord") == [[ANA_DC]]

    clock.advance(timedelta(days=30))  # 30 December: 60 days, once in each chat
    await app.timers.fire_due()
    assert await chats.digests("telegram") == [[ANA_TG], [ANA_TG]]
    assert await chats.digests("discord") == [[ANA_DC], [ANA_DC]]


async def test_together_counts_a_linked_person_once_across_the_linked_chats(
    app: App, clock: ManualClock
) -> None:
    chats = Chats(app, clock)
    four_hundred_days_ago = (START.date() - timedelta(days=400)).isoformat()
    fifty_days_ago = (START.date() - timedelta(days=50)).isoformat()
    await chats.clean_date(telegram(ANA_TG), four_hundred_days_ago)
    await chats.clean_date(telegram(BEN_TG), fifty_days_ago, share=False)
    await chats.clean_date(discord(CAL_DC), four_hundred_days_ago)
    await chats.clean_date(discord(DEE_DC), fifty_days_ago, share=False)
    assert "One of you shares their clean time here so far: 1 year, 1 month." in (
        await chats.together(telegram(ANA_TG))
    )

    await chats.command(discord(ANA_DC), "/share on")
    await chats.link_people(telegram(ANA_TG), discord(ANA_DC))
    await chats.link_chats()
    for origin in (telegram(BEN_TG), discord(DEE_DC)):
        answer = await chats.together(origin)
        assert "Together, across our linked chats, 2 of you have 2 years, 2 months clean." in (
            answer
        ), "Ana shares on both sides and counts once; Ben and Dee, who share nowhere, not at all"


async def test_together_in_a_chat_not_linked_counts_that_chat_alone(
    app: App, clock: ManualClock
) -> None:
    chats = Chats(app, clock)
    four_hundred_days_ago = (START.date() - timedelta(days=400)).isoformat()
    await chats.clean_date(telegram(ANA_TG), four_hundred_days_ago)
    await chats.clean_date(discord(CAL_DC), four_hundred_days_ago)
    for origin in (telegram(BEN_TG), discord(DEE_DC)):
        answer = await chats.together(origin)
        assert "One of you shares their clean time here so far: 1 year, 1 month." in answer


async def test_together_leaves_out_a_linked_chat_the_bot_was_removed_from(
    app: App, clock: ManualClock
) -> None:
    chats = Chats(app, clock)
    four_hundred_days_ago = (START.date() - timedelta(days=400)).isoformat()
    await chats.clean_date(telegram(ANA_TG), four_hundred_days_ago)
    await chats.clean_date(discord(CAL_DC), four_hundred_days_ago)
    await chats.link_chats()
    async with app.store.transaction() as tx:
        await tx.communities.set_active(DISCORD, False)

    answer = await chats.together(telegram(BEN_TG))

    assert "One of you shares their clean time here so far: 1 year, 1 month." in answer, (
        "Cal shares in a server the bot has left: not counted"
    )
