"""Cravings and calls across the bridge: a Telegram group and a Discord server linked as one
fellowship share their supporters and phone lists. What crosses is a private ping with the
member's first name, never the note; the claim works from either side and edits the message
where it was posted; the member learns privately who is coming and how to reach them."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.app import App
from bot.clock import ManualClock
from bot.dialect import PlainDialect
from bot.domain.inbound import ButtonPressed, CommandIssued, Origin
from bot.domain.model import Person, community_key, person_key
from bot.flows import bridge as bridge_flow
from bot.render import Renderer

TG_GROUP = "-100200"
DC_GUILD = "900100"
DC_CHANNEL = "900101"
NOTE = "rough night after the office party"
TELEGRAM = community_key("telegram", TG_GROUP)
DISCORD = community_key("discord", DC_GUILD)


@dataclass(frozen=True)
class Member:
    platform: str
    id: str
    name: str

    @property
    def key(self) -> str:
        return person_key(self.platform, self.id)

    def origin(self, *, private: bool = False) -> Origin:
        if self.platform == "telegram":
            chat, community = (self.id, None) if private else (TG_GROUP, TG_GROUP)
        else:
            chat, community = (f"dm{self.id}", None) if private else (DC_CHANNEL, DC_GUILD)
        # As the adapters say: Discord can write to a server member; Telegram only to someone
        # who opened a private chat with the bot.
        return Origin(
            self.platform,
            chat,
            self.id,
            self.name,
            community=community,
            private=private,
            private_chat_open=self.platform == "discord",
        )


SAM = Member("telegram", "101", "Sam Okafor")
ANA = Member("telegram", "102", "Ana")
KIM = Member("telegram", "103", "Kim")
ALEX = Member("discord", "200000000000000001", "Alex Jones")
BEA = Member("discord", "200000000000000002", "Bea")
CY = Member("discord", "200000000000000003", "Cy")


@dataclass
class Sent:
    """One outbox row as its reader gets it."""

    id: int
    platform: str
    target: dict[str, Any]
    template: str
    text: str
    buttons: list[str]

    @property
    def private(self) -> bool:
        return self.target.get("person") is not None

    def to(self, member: Member) -> bool:
        return self.platform == member.platform and self.target.get("person") == member.id


class Fellowship:
    """A Telegram group and a Discord server the test links, and what the bot queued."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.events = 0
        self.seen = 0

    async def do(self, member: Member, command: str, args: str = "", **how: bool) -> None:
        self.events += 1
        origin = member.origin(**how)
        await self.app.core.handle(CommandIssued(f"e{self.events}", origin, command, args))

    async def press(self, member: Member, sent: Sent, action: str, **how: bool) -> None:
        self.events += 1
        (payload,) = [b.split("|", 1)[1] for b in sent.buttons if b.startswith(f"{action}|")]
        press = ButtonPressed(f"e{self.events}", member.origin(**how), action, payload, sent.id)
        await self.app.core.handle(press)

    async def link(self) -> None:
        async with self.app.store.transaction() as tx:
            await tx.communities.link(TELEGRAM, DISCORD)

    async def supporters(self, *members: Member, role: str = "supporter") -> None:
        for member in members:
            await self.do(member, role, "on")

    async def open_private_chats(self, *members: Member) -> None:
        """Members who started a private chat with the bot, so it can write to them there."""
        for member in members:
            await self.do(member, "start", private=True)

    async def rows(self) -> list[Sent]:
        """Every row queued since the last call, rendered as its reader reads it."""
        async with self.app.store.transaction() as tx:
            queued = await tx.outbox.messages(list(range(self.seen + 1, self.seen + 1000)))
        self.seen = max([self.seen, *(row.id for row in queued)])
        renderer = Renderer(PlainDialect())
        return [
            Sent(
                row.id,
                row.target.platform,
                {k: v for k, v in asdict(row.target).items() if v is not None},
                row.template,
                renderer.render(
                    row.template, row.context, locale=row.locale, mentions=row.mentions
                ),
                [f"{b.action}|{b.payload}" for b in row.buttons],
            )
            for row in sorted(queued, key=lambda r: r.id)
        ]


def on(rows: list[Sent], platform: str) -> list[Sent]:
    return [r for r in rows if r.platform == platform]


def to(rows: list[Sent], member: Member) -> list[Sent]:
    return [r for r in rows if r.to(member)]


async def linked(app: App) -> Fellowship:
    bridge = Fellowship(app)
    await bridge.do(SAM, "help")  # both chats exist before they are linked
    await bridge.do(ALEX, "help")
    await bridge.link()
    await bridge.rows()
    return bridge


# -- pings across --------------------------------------------------------------------------------


async def test_a_craving_in_telegram_reaches_a_discord_supporter_privately_by_first_name(
    app: App,
) -> None:
    bridge = await linked(app)
    await bridge.supporters(ANA, ALEX)
    await bridge.rows()
    await bridge.do(SAM, "craving", NOTE)
    rows = await bridge.rows()

    (answer,) = [r for r in on(rows, "telegram") if r.template == "craving_reply"]
    assert "@Ana: could you reach out to Sam Okafor?" in answer.text, "same side: as today"
    assert "I've also asked 1 peer in the linked chat, privately." in answer.text
    discord = on(rows, "discord")
    (ping,) = discord
    assert ping.to(ALEX)
    assert ping.target.get("chat") is None, "a DM, no line in any channel"
    assert ping.text.startswith("Sam, from the chat linked with yours on Telegram,")
    assert "tap I'm here and I'll tell them how to reach you." in ping.text
    assert "Okafor" not in ping.text, "the first name only"
    assert "office party" not in json.dumps([r.__dict__ for r in discord])
    assert [b.split("|")[0] for b in ping.buttons] == ["craving.claim"]


async def test_one_pool_is_fair_across_both_platforms(app: App, clock: ManualClock) -> None:
    """Least recently pinged first, the rest between pings and quiet hours hold across."""
    bridge = await linked(app)
    await bridge.supporters(ANA, ALEX, BEA)
    await bridge.open_private_chats(ANA)
    await bridge.do(CY, "supporter", "on")
    await bridge.do(CY, "supporter", "hours 01:00-02:00")  # quiet at noon
    await bridge.do(ALEX, "craving")  # a craving in Discord first: Ana and Bea are asked
    first = await bridge.rows()
    assert {r.target["person"] for r in first if r.template == "bridge_craving_ping"} == {ANA.id}
    clock.advance(timedelta(minutes=5))

    await bridge.do(SAM, "craving")  # Ana and Bea rest: Alex, never asked, is
    second = await bridge.rows()
    (ping,) = [r for r in second if r.template == "bridge_craving_ping"]
    assert ping.to(ALEX)
    assert "@Ana" not in next(r.text for r in second if r.template == "craving_reply")
    assert not to(second, CY), "in their quiet hours"


async def test_a_supporter_may_say_no_to_pings_from_the_other_platform(app: App) -> None:
    bridge = await linked(app)
    await bridge.supporters(ALEX)
    await bridge.do(ALEX, "supporter", "linked off", private=True)
    said = await bridge.rows()
    assert "no pings from a chat linked with yours" in to(said, ALEX)[0].text

    await bridge.do(SAM, "craving")
    assert not to(await bridge.rows(), ALEX)
    await bridge.do(BEA, "craving")  # their own chat's cravings still reach them
    assert "@Alex" in "".join(r.text for r in await bridge.rows())

    async with app.store.transaction() as tx:
        alex = await tx.people.get(ALEX.key)
        assert alex is not None
        data = await tx.privacy.everything_about(alex)
    assert data["people"][0]["bridge_pings"] is False, "/mydata shows it"


async def test_a_supporter_the_bot_cannot_write_to_privately_is_not_counted_as_asked(
    app: App,
) -> None:
    """A Telegram supporter who never started a private chat with the bot cannot get a ping
    from Discord: they are not asked, not rested, and the member is not told they were."""
    bridge = await linked(app)
    await bridge.supporters(ANA, KIM)
    await bridge.open_private_chats(KIM)
    await bridge.rows()
    await bridge.do(ALEX, "craving")
    rows = await bridge.rows()
    assert [r.target["person"] for r in rows if r.template == "bridge_craving_ping"] == [KIM.id]
    answer = next(r.text for r in rows if r.template == "craving_reply")
    assert "I've asked 1 person from your group to reach out to you." in answer

    await bridge.open_private_chats(ANA)
    await bridge.rows()
    await bridge.do(BEA, "craving")  # Ana was never asked, so she is not resting
    assert [r.target["person"] for r in await bridge.rows() if r.to(ANA)] == [ANA.id]


# -- the claim ----------------------------------------------------------------------------------


async def craving_pinging_alex(bridge: Fellowship) -> tuple[Sent, Sent]:
    await bridge.supporters(ALEX)
    await bridge.rows()
    await bridge.do(SAM, "craving", NOTE)
    rows = await bridge.rows()
    answer = next(r for r in rows if r.template == "craving_reply")
    ping = next(r for r in rows if r.to(ALEX))
    return answer, ping


async def test_a_claim_from_discord_edits_the_telegram_message_and_tells_the_member(
    app: App,
) -> None:
    bridge = await linked(app)
    answer, ping = await craving_pinging_alex(bridge)
    await bridge.press(ALEX, ping, "craving.claim", private=True)
    rows = await bridge.rows()

    (edit,) = [r for r in rows if r.target.get("edit_of") == answer.id]
    assert edit.platform == "telegram"
    assert edit.target["chat"] == TG_GROUP
    assert "Alex is on it and will reach out to Sam Okafor." in edit.text
    (told,) = to(rows, SAM)
    assert told.platform == "telegram"
    assert told.private
    assert "Alex is coming to be with you. They're on Discord" in told.text
    assert "If you use Discord, find Alex in the linked chat there" in told.text
    (thanks,) = to(rows, ALEX)
    assert "Thank you for being there for Sam. They're on Telegram" in thanks.text
    assert "office party" not in json.dumps([r.__dict__ for r in on(rows, "discord")])


async def test_the_member_gets_the_supporters_contact_and_keeps_their_own(app: App) -> None:
    """A member saved their contact for the volunteer who takes their call: whoever steps in
    for their craving from the other side never gets it. The supporter's own goes to them."""
    bridge = await linked(app)
    await bridge.do(ALEX, "consent", "on", private=True)
    await bridge.do(ALEX, "contact", "Signal +44 7700 900123", private=True)
    saved = to(await bridge.rows(), ALEX)[-1].text
    assert (
        "you step in there when someone has a craving or asks for a call, I give it to that person"
        in (saved)
    ), "the supporter knows where their own contact goes"
    await bridge.do(SAM, "consent", "on", private=True)
    await bridge.do(SAM, "contact", "+34 600 000 001", private=True)
    _, ping = await craving_pinging_alex(bridge)
    await bridge.press(ALEX, ping, "craving.claim", private=True)
    rows = await bridge.rows()

    (told,) = to(rows, SAM)
    assert "How to reach them: Signal +44 7700 900123" in told.text
    assert "I've given Alex the contact you saved" not in told.text
    (thanks,) = to(rows, ALEX)
    assert "I've given them the contact you saved with /contact, so they can reach you." in (
        thanks.text
    )
    assert "+34 600 000 001" not in json.dumps([r.__dict__ for r in on(rows, "discord")])


async def test_a_claim_on_the_same_platform_hands_over_the_supporters_handle(app: App) -> None:
    bridge = await linked(app)
    await bridge.supporters(ANA, ALEX)
    await bridge.rows()
    await bridge.do(SAM, "craving")
    answer = next(r for r in await bridge.rows() if r.template == "craving_reply")
    await bridge.press(ANA, answer, "craving.claim")
    rows = await bridge.rows()

    (told,) = to(rows, SAM)
    assert "Ana is on the way to you" in told.text
    assert "you can write to @Ana first." in told.text, "a mention: Ana's handle"
    assert not on(rows, "discord"), "nothing crosses when the claim stays on its side"


async def test_two_supporters_on_both_sides_tapping_at_once_make_one_claim(app: App) -> None:
    bridge = await linked(app)
    await bridge.supporters(ANA)
    answer, ping = await craving_pinging_alex(bridge)
    await asyncio.gather(
        bridge.press(ALEX, ping, "craving.claim", private=True),
        bridge.press(ANA, answer, "craving.claim"),
    )
    rows = await bridge.rows()
    edits = [r for r in rows if r.target.get("edit_of") == answer.id]
    told = [r for r in to(rows, SAM) if r.template in ("craving_claimed", "bridge_coming")]
    covered = [r for r in rows if r.template == "craving_covered"]
    assert (len(edits), len(told), len(covered)) == (1, 1, 1)


async def test_a_forged_claim_from_the_other_side_is_refused(app: App) -> None:
    bridge = await linked(app)
    _, ping = await craving_pinging_alex(bridge)
    await bridge.press(BEA, ping, "craving.claim", private=True)  # never pinged
    rows = await bridge.rows()
    assert [r.template for r in rows] == ["button_unknown"]
    assert not to(rows, SAM)


# -- a restart -------------------------------------------------------------------------------------


async def test_a_restart_is_told_to_supporters_of_the_linked_chat_by_first_name_only(
    app: App,
) -> None:
    """ "Tell my supporters" reaches the fellowship as a craving does: those of the linked chat
    privately, with the member's first name and nothing of their dates or note."""
    bridge = await linked(app)
    await bridge.supporters(ANA, ALEX)
    await bridge.do(SAM, "consent", "on", private=True)
    await bridge.do(SAM, "cleandate", "2025-03-14", private=True)
    await bridge.do(SAM, "relapse", private=True)
    (confirm,) = [r for r in await bridge.rows() if r.template == "relapse_confirm"]
    await bridge.press(SAM, confirm, "relapse.yes", private=True)
    (done,) = [r for r in await bridge.rows() if r.template == "relapse_done"]
    await bridge.press(SAM, done, "relapse.tell", private=True)
    rows = await bridge.rows()

    assert "@Sam Okafor restarted their count" in to(rows, ANA)[0].text, "as in one chat"
    (across,) = on(rows, "discord")
    assert across.to(ALEX)
    assert across.target.get("chat") is None, "a DM, no line in any channel"
    assert across.text.startswith("Sam, from the chat linked with yours on Telegram, restarted")
    assert "Okafor" not in across.text
    assert not re.search(r"\d", across.text), "no dates"
    assert "I told 2 supporters, privately" in to(rows, SAM)[-1].text


# -- calls across --------------------------------------------------------------------------------


async def test_a_call_in_telegram_asks_a_discord_volunteer_who_takes_it(app: App) -> None:
    bridge = await linked(app)
    await bridge.do(SAM, "consent", "on", private=True)
    await bridge.do(SAM, "contact", "+34 600 000 001", private=True)
    await bridge.do(ALEX, "phonelist", "on")
    await bridge.rows()
    await bridge.do(SAM, "call", "please, it's about my sponsor")
    rows = await bridge.rows()
    (post,) = [r for r in on(rows, "telegram") if r.template == "call_request"]
    (ask,) = on(rows, "discord")
    assert ask.to(ALEX)
    assert ask.target.get("chat") is None
    assert ask.text.startswith("Sam, from the chat linked with yours on Telegram, would like")
    assert "sponsor" not in ask.text
    assert "Okafor" not in ask.text

    await bridge.press(ALEX, ask, "call.take", private=True)
    rows = await bridge.rows()
    (edit,) = [r for r in rows if r.target.get("edit_of") == post.id]
    assert "Alex is calling Sam Okafor." in edit.text
    taker = to(rows, ALEX)
    assert any("How to reach them: +34 600 000 001" in r.text for r in taker)
    assert "Sam" in taker[0].text
    assert "Okafor" not in "".join(r.text for r in taker)
    (told,) = to(rows, SAM)
    assert "Alex will call you. They're on Discord" in told.text
    assert "I've given Alex the contact you saved" in told.text


async def test_a_practice_call_from_discord_is_taken_in_telegram(app: App) -> None:
    bridge = await linked(app)
    await bridge.open_private_chats(ANA)
    await bridge.do(ANA, "phonelist", "practice on")
    await bridge.rows()
    await bridge.do(ALEX, "practice")
    (ask,) = [r for r in await bridge.rows() if r.platform == "telegram"]
    assert ask.to(ANA)
    assert "Alex, from the chat linked with yours on Discord" in ask.text
    await bridge.press(ANA, ask, "call.take", private=True)
    rows = await bridge.rows()
    (told,) = to(rows, ALEX)
    assert "Ana will take your practice call. They're on Telegram" in told.text
    assert "Save one now, here: /contact" in told.text
    assert any(r.target.get("edit_of") and r.platform == "discord" for r in rows)


async def test_a_claim_delivered_again_after_a_crash_has_one_effect(app: App) -> None:
    """Discord sends the press again when the process died before acknowledging it."""
    bridge = await linked(app)
    answer, ping = await craving_pinging_alex(bridge)
    (payload,) = [b.split("|", 1)[1] for b in ping.buttons]
    press = ButtonPressed(
        "discord:interaction:77", ALEX.origin(private=True), "craving.claim", payload, ping.id
    )
    assert await app.core.handle(press)
    assert not await app.core.handle(press), "seen before: no second effect"
    rows = await bridge.rows()
    assert len([r for r in rows if r.target.get("edit_of") == answer.id]) == 1
    assert len(to(rows, SAM)) == 1


async def test_a_craving_shared_privately_reaches_both_sides_privately(app: App) -> None:
    bridge = await linked(app)
    await bridge.supporters(ANA, ALEX)
    await bridge.rows()
    await bridge.do(SAM, "craving", NOTE, private=True)
    rows = await bridge.rows()
    assert all(r.private for r in rows), "nothing in any chat"
    assert "asked for support privately" in to(rows, ANA)[0].text
    (ping,) = to(rows, ALEX)
    assert ping.text.startswith("Sam, from the chat linked with yours on Telegram")
    assert "office party" not in ping.text


async def test_a_person_linked_on_both_sides_is_asked_once_and_never_for_their_own(
    app: App, clock: ManualClock
) -> None:
    ana_on_discord = Member("discord", "200000000000000009", "Ana")
    sam_on_discord = Member("discord", "200000000000000008", "Sam")
    bridge = await linked(app)
    await bridge.supporters(ANA, ana_on_discord, sam_on_discord, ALEX, BEA)
    async with app.store.transaction() as tx:
        await tx.people.link(ana_on_discord.key, ANA.key, clock.now())
        await tx.people.link(sam_on_discord.key, SAM.key, clock.now())
    await bridge.rows()
    await bridge.do(SAM, "craving")
    rows = await bridge.rows()
    answer = next(r.text for r in rows if r.template == "craving_reply")
    assert "@Ana" in answer, "asked where the member is"
    asked = {r.target["person"] for r in rows if r.template == "bridge_craving_ping"}
    assert asked == {ALEX.id, BEA.id}, "not Ana a second time, not Sam's own other identity"

    clock.advance(timedelta(minutes=5))
    await bridge.do(KIM, "craving")  # Ana rests on both sides after her ping in Telegram
    assert not to(await bridge.rows(), ana_on_discord)


async def test_nobody_claiming_brings_in_the_next_supporter_of_the_other_side(
    app: App, clock: ManualClock
) -> None:
    dee = Member("discord", "200000000000000004", "Dee")
    bridge = await linked(app)
    await bridge.supporters(ALEX, BEA, CY, dee)
    await bridge.rows()
    await bridge.do(SAM, "craving")
    first = {r.target["person"] for r in await bridge.rows() if r.template == "bridge_craving_ping"}
    assert len(first) == 3
    clock.advance(timedelta(minutes=10))
    await app.timers.fire_due()
    later = [r for r in await bridge.rows() if r.template == "bridge_craving_ping"]
    assert [r.target["person"] for r in later] == list({ALEX.id, BEA.id, CY.id, dee.id} - first)


async def test_a_contact_saved_after_a_call_was_taken_across_reaches_the_taker(
    app: App,
) -> None:
    bridge = await linked(app)
    await bridge.open_private_chats(ANA)
    await bridge.do(ANA, "phonelist", "on")
    await bridge.rows()
    await bridge.do(ALEX, "call")
    (ask,) = [r for r in await bridge.rows() if r.platform == "telegram"]
    await bridge.press(ANA, ask, "call.take", private=True)
    await bridge.rows()
    await bridge.do(ALEX, "consent", "on", private=True)
    await bridge.do(ALEX, "contact", "+44 7700 900555", private=True)
    rows = await bridge.rows()
    (forwarded,) = [r for r in to(rows, ANA) if r.template == "call_contact_forward"]
    assert forwarded.text.startswith("Alex has just saved how to reach them")
    assert "+44 7700 900555" in forwarded.text
    assert "I've passed it to Ana, who took your call." in to(rows, ALEX)[-1].text


async def test_a_claim_from_telegram_edits_the_discord_message(app: App) -> None:
    bridge = await linked(app)
    await bridge.supporters(ANA)
    await bridge.open_private_chats(ANA)
    await bridge.rows()
    await bridge.do(ALEX, "craving")
    rows = await bridge.rows()
    answer = next(r for r in rows if r.template == "craving_reply")
    (ping,) = to(rows, ANA)
    await bridge.press(ANA, ping, "craving.claim", private=True)
    rows = await bridge.rows()
    (edit,) = [r for r in rows if r.target.get("edit_of") == answer.id]
    assert edit.platform == "discord"
    assert "Ana is on it and will reach out to Alex Jones." in edit.text
    (told,) = to(rows, ALEX)
    assert "Ana is coming to be with you. They're on Telegram" in told.text


def test_a_person_is_seen_from_the_other_side_by_first_name_only() -> None:
    sam = Person(SAM.key, "telegram", SAM.id, "Sam  Okafor")
    assert bridge_flow.as_seen_from(sam, "telegram") == {"id": SAM.id, "name": "Sam  Okafor"}
    assert bridge_flow.as_seen_from(sam, "discord") == {"id": SAM.id, "name": "Sam"}


def test_every_template_names_a_platform_with_the_one_macro() -> None:
    """A platform's name is spelled once per language (``_bridge.j2``), so the two sides are
    never named two ways."""
    messages = Path(__file__).parents[2] / "messages"
    spelled = re.compile(r"""["'](Telegram|Discord)["']""")
    inline = [
        f"{template.parent.name}/{template.name}"
        for template in sorted(messages.glob("*/*.j2"))
        if template.name != "_bridge.j2" and spelled.search(template.read_text())
    ]
    assert inline == []
