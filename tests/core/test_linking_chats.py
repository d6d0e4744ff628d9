"""``/link`` and ``/unlink``: a Telegram group and a Discord server made one community by their
admins, each side's turns as its adapter hands them to the core, and what each side reads."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import timedelta

import pytest

from adapters.discord.dialect import DiscordDialect
from adapters.telegram.dialect import TelegramDialect
from bot.app import App
from bot.clock import ManualClock
from bot.domain.inbound import CommandIssued, Origin
from bot.domain.model import Community, community_key, person_key
from bot.domain.timers import Housekeeping
from bot.flows.housekeeping import HOUSEKEEPING
from bot.flows.linking import T
from bot.render import Renderer
from bot.samples.linking import HERE, SAMPLES, THERE
from tests.conftest import START
from tests.core.test_bridge_cravings import (
    ALEX,
    BEA,
    CY,
    KIM,
    SAM,
    TG_GROUP,
    Fellowship,
    Member,
    craving_pinging_alex,
    on,
    to,
)
from tests.core.test_bridge_cravings import linked as bridged

GROUP = "-1001"
"""The Telegram group."""
SERVER, CHANNEL = "900", "901"
"""The Discord server and the channel its admins use."""
TELEGRAM, DISCORD = community_key("telegram", GROUP), community_key("discord", SERVER)

TESS = Origin(
    "telegram", GROUP, "11", "Tess", community=GROUP, is_admin=True, private_chat_open=True
)
"""An admin of the Telegram group."""
TOM = replace(TESS, person="12", person_name="Tom", is_admin=False)
DANA = Origin(
    "discord", CHANNEL, "21", "Dana", community=SERVER, is_admin=True, private_chat_open=True
)
"""An admin of the Discord server; her slash commands come with an interaction."""
DEV = replace(DANA, person="22", person_name="Dev", is_admin=False)
OTHER_GROUP = replace(TESS, chat="-1002", community="-1002")

RENDERERS = {"telegram": Renderer(TelegramDialect()), "discord": Renderer(DiscordDialect())}
CODE = re.compile(r"/link ([0-9A-Z]{4}-[0-9A-Z]{4})")


@dataclass(frozen=True)
class Sent:
    """One message the bot queued, as its platform would show it."""

    platform: str
    chat: str | None
    person: str | None
    """Whose private chat (or interaction, seen by them alone) it goes to; None: the chat's."""
    interaction: str | None
    text: str
    withdraw: str | None = None
    """The message a row takes off its chat (a row with no text)."""


class Both:
    """Both platforms' turns into one app, and what the bot queued for each."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._events = 0
        self._seen = 0

    async def do(self, origin: Origin, command: str, args: str = "") -> list[Sent]:
        """``origin`` sends ``/command args``; return what the bot queued because of it."""
        self._events += 1
        if origin.platform == "discord":
            origin = replace(origin, interaction=f"interaction-{self._events}")
        event = CommandIssued(f"{origin.platform}:{self._events}", origin, command, args)
        await self.app.core.handle(event)
        async with self.app.store.transaction() as tx:
            queued = await tx.outbox.messages(list(range(self._seen + 1, self._seen + 100)))
        self._seen = max([m.id for m in queued], default=self._seen)
        return [
            Sent(
                m.target.platform,
                m.target.chat,
                m.target.person,
                m.target.interaction,
                RENDERERS[m.target.platform].render(
                    m.template, m.context, locale=m.locale, mentions=m.mentions
                )
                if m.template
                else "",
                m.target.withdraw,
            )
            for m in queued
        ]

    async def code(self, origin: Origin) -> str:
        """The code an admin's ``/link`` gave them."""
        (code,) = {m for sent in await self.do(origin, "link") for m in CODE.findall(sent.text)}
        return code

    async def linked(self, origin: Origin = TESS, other: Origin = DANA) -> None:
        """Link the chats of two admins: the first issues the code, the other enters it."""
        await self.do(other, "link", await self.code(origin))
        assert await self.fellowship(TELEGRAM) == [TELEGRAM, DISCORD]

    async def fellowship(self, key: str) -> list[str]:
        async with self.app.store.transaction() as tx:
            return [c.key for c in await tx.communities.fellowship(key)]

    async def community(self, key: str) -> Community:
        async with self.app.store.transaction() as tx:
            found = await tx.communities.get(key)
        assert found is not None
        return found


def one(sent: list[Sent], platform: str) -> Sent:
    (found,) = [s for s in sent if s.platform == platform]
    return found


REFUSED = "That code didn't link anything, and nothing has changed."
LOCKED = "linking is paused for 60 minutes, for this chat and for you. Nothing has changed."
SPENT = "Someone entered the linking code you asked for where it couldn't link anything"


# -- issuing the code ---------------------------------------------------------------------------


async def test_a_telegram_admin_gets_the_code_privately_and_the_group_only_a_pointer(
    app: App,
) -> None:
    sent = await Both(app).do(TESS, "link")
    private, notice = sent
    assert (private.person, private.chat) == ("11", GROUP), "Tess's private chat"
    assert "to link this Telegram group with your Discord server" in private.text
    assert CODE.search(private.text), "shown as /link CODE"
    assert "An admin of the Discord server enters it there" in private.text
    assert "It works once, for the next 10 minutes." in private.text
    assert (notice.person, notice.chat) == (None, GROUP)
    assert "I've sent you the answer privately" in notice.text
    assert not re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}", notice.text), "no code where all can read"


async def test_a_discord_admin_gets_the_code_on_her_interaction_alone(app: App) -> None:
    (sent,) = await Both(app).do(DANA, "link")
    assert (sent.person, sent.interaction) == ("21", "interaction-1"), "seen by Dana alone"
    assert "to link this Discord server with your Telegram group" in sent.text
    assert CODE.search(sent.text)


async def test_a_new_code_replaces_the_one_before(app: App) -> None:
    both = Both(app)
    first = await both.code(TESS)
    second = await both.code(TESS)
    assert REFUSED in one(await both.do(DANA, "link", first), "discord").text
    await both.do(DANA, "link", second)
    assert await both.fellowship(DISCORD) == [DISCORD, TELEGRAM]


# -- entering it ----------------------------------------------------------------------------


async def test_the_code_links_both_chats_copies_shared_settings_and_tells_both(
    app: App,
) -> None:
    both = Both(app)
    await both.do(TESS, "set", "ping_count 5")
    await both.do(TESS, "set", "meetings Mon 19:00 Online NA")
    await both.do(DANA, "set", "locale es")
    await both.do(DANA, "set", "ping_count 2")
    code = await both.code(TESS)
    sent = await both.do(DANA, "link", code.lower().replace("-", " "))  # as typed, loosely
    discord, telegram = one(sent, "discord"), one(sent, "telegram")
    assert (discord.person, discord.interaction) == (None, "interaction-6"), "the server reads it"
    assert "Este servidor de Discord ya está vinculado con un grupo de Telegram" in discord.text
    assert "Aquí se usan ahora los ajustes del lado de Telegram." in discord.text
    assert (telegram.chat, telegram.person) == (GROUP, None)
    assert "This Telegram group is now linked with a Discord server" in telegram.text
    assert "settings of the" not in telegram.text, "the group kept its own"
    server, group = await both.community(DISCORD), await both.community(TELEGRAM)
    assert server.fellowship == group.fellowship == TELEGRAM
    assert server.settings.ping_count == 5, "the shared settings of the side that issued it"
    assert server.settings.meetings == group.settings.meetings
    assert (server.settings.locale, group.settings.locale) == ("es", "en"), "each its own"


async def test_a_discord_code_links_when_a_telegram_admin_enters_it(app: App) -> None:
    both = Both(app)
    await both.do(DANA, "set", "ping_count 7")
    sent = await both.do(TESS, "link", await both.code(DANA))
    assert "This Telegram group is now linked with a Discord server" in one(sent, "telegram").text
    assert "This Discord server is now linked with a Telegram group" in one(sent, "discord").text
    assert (await both.community(TELEGRAM)).settings.ping_count == 7
    assert await both.fellowship(TELEGRAM) == [TELEGRAM, DISCORD]


async def test_a_code_entered_on_its_own_platform_is_refused_and_spent(app: App) -> None:
    """Typed in another Telegram group, a code may have been read by anyone there, and any
    Discord admin among them could link with it: it links nothing, now or later."""
    both = Both(app)
    code = await both.code(TESS)
    sent = await both.do(OTHER_GROUP, "link", code)
    (answer,) = [m for m in sent if m.chat == "-1002"]
    (told,) = [m for m in sent if m.chat is None]
    assert "That code comes from Telegram too." in answer.text
    assert "it no longer works and nothing has changed" in answer.text
    assert await both.fellowship(community_key("telegram", "-1002")) == [
        community_key("telegram", "-1002")
    ]
    assert (told.platform, told.chat, told.person) == ("telegram", None, "11"), "Tess, privately"
    assert SPENT in told.text
    await both.do(DANA, "link", code)
    assert await both.fellowship(TELEGRAM) == [TELEGRAM]
    assert await both.fellowship(DISCORD) == [DISCORD]


async def test_a_chat_already_linked_is_not_linked_again(app: App) -> None:
    both = Both(app)
    await both.linked()
    (sent,) = await both.do(TESS, "link")
    assert "This group is already linked with another chat. Send /unlink first" in sent.text
    other_server = replace(DANA, community="950", chat="951")
    code = await both.code(other_server)
    answer, told = await both.do(TESS, "link", code)
    assert "already linked with another chat" in answer.text
    assert await both.fellowship(community_key("discord", "950")) == [
        community_key("discord", "950")
    ]
    assert (told.platform, told.person) == ("discord", "21"), "the admin who asked for it"
    assert SPENT in told.text
    await both.do(TESS, "unlink")
    assert REFUSED in one(await both.do(TESS, "link", code), "telegram").text, "spent"


# -- who may -----------------------------------------------------------------------------------


async def test_members_who_are_not_admins_can_neither_link_nor_unlink(app: App) -> None:
    both = Both(app)
    (sent,) = await both.do(TOM, "link")
    assert "Only this group's admins can use /link, so nothing has changed." in sent.text
    code = await both.code(TESS)
    answer, told = await both.do(DEV, "link", code)
    assert "Only this server's admins can use /link" in answer.text
    assert await both.fellowship(DISCORD) == [DISCORD]
    assert (told.platform, told.chat, told.person) == ("telegram", None, "11"), "Tess, privately"
    assert SPENT in told.text
    assert "Dev" not in told.text, "not who"
    assert "server" not in told.text, "nor where"
    assert REFUSED in one(await both.do(DANA, "link", code), "discord").text, "spent by Dev's try"
    assert await both.fellowship(DISCORD) == [DISCORD]
    await both.linked()
    (sent,) = await both.do(TOM, "unlink")
    assert "Only this group's admins can use /unlink" in sent.text
    (sent,) = await both.do(DEV, "unlink")
    assert "Only this server's admins can use /unlink" in sent.text
    assert await both.fellowship(DISCORD) == [DISCORD, TELEGRAM]


async def test_linking_is_for_a_group_chat(app: App) -> None:
    (sent,) = await Both(app).do(replace(TESS, chat="11", community=None, private=True), "link")
    assert "/link works in your group's chat" in sent.text


# -- codes that do not work ---------------------------------------------------------------------


async def test_wrong_expired_and_used_codes_link_nothing_and_get_one_answer(
    app: App, clock: ManualClock
) -> None:
    both = Both(app)
    code = await both.code(TESS)
    wrong = "ABCD-EFGH" if code != "ABCD-EFGH" else "HGFE-DCBA"
    answers = [one(await both.do(DANA, "link", wrong), "discord").text]
    answers.append(one(await both.do(DANA, "link", "not a code"), "discord").text)
    clock.advance(timedelta(minutes=10))
    answers.append(one(await both.do(DANA, "link", code), "discord").text)  # expired
    assert await both.fellowship(DISCORD) == [DISCORD]
    await both.linked()
    await both.do(DANA, "unlink")
    reused = await both.code(TESS)
    await both.do(DANA, "link", reused)
    await both.do(TESS, "unlink")
    answers.append(one(await both.do(DANA, "link", reused), "discord").text)  # used
    assert await both.fellowship(DISCORD) == [DISCORD]
    assert REFUSED in answers[0]
    assert set(answers) == {answers[0]}, "never whether the code ever existed"


async def test_five_wrong_codes_lock_out_the_chat_and_the_admin_for_an_hour(
    app: App, clock: ManualClock
) -> None:
    both = Both(app)
    code = await both.code(TESS)
    wrong = "ABCD-EFGH" if code != "ABCD-EFGH" else "HGFE-DCBA"
    for _ in range(4):
        assert REFUSED in one(await both.do(DANA, "link", wrong), "discord").text
    assert LOCKED in one(await both.do(DANA, "link", wrong), "discord").text, "the fifth"
    assert LOCKED in one(await both.do(DANA, "link", code), "discord").text, "even the right one"
    other_admin = replace(DANA, person="23", person_name="Dot")
    assert LOCKED in one(await both.do(other_admin, "link", code), "discord").text, "the chat"
    elsewhere = replace(DANA, community="950", chat="951")
    assert LOCKED in one(await both.do(elsewhere, "link", code), "discord").text, "the admin"
    assert await both.fellowship(DISCORD) == [DISCORD]
    clock.advance(timedelta(minutes=59))
    assert LOCKED in one(await both.do(DANA, "link"), "discord").text
    clock.advance(timedelta(minutes=1, seconds=1))
    await both.linked()


async def test_wrong_codes_spread_over_an_hour_lock_for_an_hour_from_the_fifth(
    app: App, clock: ManualClock
) -> None:
    both = Both(app)
    for minute in (0, 14, 28, 42):
        clock.advance_to(START + timedelta(minutes=minute))
        assert REFUSED in one(await both.do(DANA, "link", "ABCD-EFGH"), "discord").text
    clock.advance_to(START + timedelta(minutes=58))
    assert LOCKED in one(await both.do(DANA, "link", "ABCD-EFGH"), "discord").text, "the fifth"
    clock.advance_to(START + timedelta(minutes=63))
    async with app.store.transaction() as tx:  # housekeeping runs now, and keeps the tries
        await tx.timers.schedule(Housekeeping(), clock.now(), key=HOUSEKEEPING)
    await app.timers.fire_due()
    code = await both.code(TESS)
    locked = one(await both.do(DANA, "link", code), "discord").text
    assert LOCKED in locked, "the right code, an hour after the first try but not the fifth"
    assert await both.fellowship(DISCORD) == [DISCORD]
    clock.advance_to(START + timedelta(minutes=117))
    assert LOCKED in one(await both.do(DANA, "link"), "discord").text
    clock.advance_to(START + timedelta(minutes=118, seconds=1))
    await both.linked()


# -- unlinking ---------------------------------------------------------------------------------


async def test_unlink_parts_them_and_each_keeps_its_settings_and_supporters(app: App) -> None:
    both = Both(app)
    await both.do(TOM, "supporter", "on")
    await both.do(DEV, "supporter", "on")
    await both.do(TESS, "set", "ping_count 4")
    await both.linked()
    sent = await both.do(DANA, "unlink")
    assert "This Discord server is no longer linked with the Telegram group." in (
        one(sent, "discord").text
    )
    assert "This Telegram group is no longer linked with the Discord server." in (
        one(sent, "telegram").text
    )
    assert await both.fellowship(TELEGRAM) == [TELEGRAM]
    assert await both.fellowship(DISCORD) == [DISCORD]
    assert (await both.community(DISCORD)).settings.ping_count == 4, "a copy of the settings"
    async with app.store.transaction() as tx:
        assert await tx.supporters.roles(TELEGRAM, person_key("telegram", "12")) == {"cravings"}
        assert await tx.supporters.roles(DISCORD, person_key("discord", "22")) == {"cravings"}
    (sent,) = await both.do(TESS, "unlink")
    assert "This group isn't linked with another chat" in sent.text


async def test_a_chat_the_bot_was_removed_from_is_left_out_of_its_fellowship(app: App) -> None:
    both = Both(app)
    await both.do(TESS, "set", "ping_count 4")
    await both.linked()
    async with app.store.transaction() as tx:
        await tx.communities.set_active(DISCORD, False)
    sent = await both.do(TESS, "set", "ping_count 6")
    assert [s.platform for s in sent] == ["telegram"], "no Discord admin told"
    assert "Cravings now ping 6 supporters at a time." in sent[0].text
    assert "uses it too now" not in sent[0].text
    assert (await both.community(DISCORD)).settings.ping_count == 4, "nothing written there"
    sent = await both.do(TESS, "unlink")
    assert [(s.platform, s.chat) for s in sent] == [("telegram", GROUP)], "nothing posted there"
    assert "no longer linked with the Discord server" in sent[0].text
    assert await both.fellowship(DISCORD) == [DISCORD], "parted all the same"


# -- settings while linked -----------------------------------------------------------------------


async def test_a_shared_setting_is_mirrored_and_both_sides_admins_are_told_where(
    app: App,
) -> None:
    both = Both(app)
    await both.do(replace(TOM, is_admin=True), "help")  # a second admin on the Telegram side
    await both.linked()
    sent = await both.do(DANA, "set", "ping_count 6")
    done = one(sent, "discord")
    assert "Cravings now ping 6 supporters at a time." in done.text
    assert "The linked Telegram group uses it too now." in done.text
    told = {s.person: s for s in sent if s.platform == "telegram"}
    assert set(told) == {"11", "12"}, "each Telegram admin, privately"
    for line in told.values():
        assert "was changed on the Discord side, for both sides" in line.text
        assert "Cravings now ping 6 supporters at a time." in line.text
    assert (await both.community(TELEGRAM)).settings.ping_count == 6
    sent = await both.do(TESS, "set", "locale es")
    assert [s.platform for s in sent] == ["telegram"], "a chat's own language: nobody else told"
    assert (await both.community(DISCORD)).settings.locale == "en"
    sent = await both.do(TESS, "set", "timezone Europe/Madrid")
    group = one([s for s in sent if s.person is None], "telegram").text
    assert "La zona horaria de este grupo ahora es Europe/Madrid" in group, "now in Spanish"
    assert "El servidor de Discord vinculado también lo usa ahora." in group
    (dana,) = [s for s in sent if s.platform == "discord"]
    assert dana.person == "21"
    assert "was changed on the Telegram side" in dana.text
    assert (await both.community(DISCORD)).settings.timezone == "Europe/Madrid"


async def test_an_admin_writing_as_the_group_gets_no_code_but_may_enter_one(app: App) -> None:
    both = Both(app)
    anonymous = replace(TESS, person=GROUP, person_name="The group", private_chat_open=False)
    (sent,) = await both.do(anonymous, "link")
    assert (sent.chat, sent.person) == (GROUP, None)
    assert "I can't send you a linking code privately" in sent.text
    assert not re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}", sent.text)
    async with app.store.transaction() as tx:
        assert await tx.links.forget_before(START + timedelta(days=1)) == 0, "no code issued"
    sent = await both.do(anonymous, "link", await both.code(DANA))
    assert "This Telegram group is now linked with a Discord server" in one(sent, "telegram").text


# -- the templates with the real platforms ------------------------------------------------------


@pytest.mark.parametrize("platform", ["telegram", "discord"])
def test_every_linking_message_names_both_platforms_in_each_language(platform: str) -> None:
    """The samples use platforms no adapter declares (the core never spells one): here each
    template is rendered on each real one, naming the other."""
    other = "discord" if platform == "telegram" else "telegram"
    names = {"telegram": "Telegram group", "discord": "Discord server"}
    spanish = {"telegram": "grupo de Telegram", "discord": "servidor de Discord"}
    renderer = RENDERERS[platform]
    for template, contexts in SAMPLES.items():
        for sample in contexts:
            context = {
                key: (other if value == THERE else platform if value == HERE else value)
                for key, value in sample.items()
            }
            english = renderer.render(template, context, locale="en")
            castellano = renderer.render(template, context, locale="es")
            assert not re.search(r"\b(group|server)\b", castellano), template
            if template == T.CODE:
                assert f"this {names[platform]} with your {names[other]}" in english
                assert f"este {spanish[platform]} con tu {spanish[other]}" in castellano
            if template in (T.DONE, T.UNLINKED):
                assert names[platform] in english
                assert names[other] in english
                assert spanish[platform] in castellano
                assert spanish[other] in castellano
            if template == T.MIRRORED:
                assert f"on the {other.title()} side" in english
                assert f"desde el lado de {other.title()}" in castellano


# -- unlinking while a craving is open -----------------------------------------------------------


async def unlink_by_admin(bridge: Fellowship) -> None:
    """A Telegram admin parts the two chats (the craving tests' members are no admins)."""
    admin = Origin("telegram", TG_GROUP, "199", "Tess", community=TG_GROUP, is_admin=True)
    bridge.events += 1
    await bridge.app.core.handle(CommandIssued(f"e{bridge.events}", admin, "unlink", ""))
    sent = await bridge.rows()
    assert {r.platform for r in sent if r.template == T.UNLINKED} == {"telegram", "discord"}


async def test_a_craving_open_when_the_chats_unlink_can_still_be_claimed_from_the_other_side(
    app: App,
) -> None:
    bridge = await bridged(app)
    answer, ping = await craving_pinging_alex(bridge)
    await unlink_by_admin(bridge)

    await bridge.press(ALEX, ping, "craving.claim", private=True)
    rows = await bridge.rows()

    (edit,) = [r for r in rows if r.target.get("edit_of") == answer.id]
    assert (edit.platform, edit.target["chat"]) == ("telegram", TG_GROUP), "where it started"
    assert "Alex is on it and will reach out to Sam Okafor." in edit.text
    (told,) = to(rows, SAM)
    assert told.private
    assert "Alex is coming to be with you." in told.text


async def test_a_craving_open_when_the_chats_unlink_escalates_on_its_own_side_only(
    app: App, clock: ManualClock
) -> None:
    dee = Member("discord", "200000000000000004", "Dee")
    bridge = await bridged(app)
    await bridge.supporters(ALEX, BEA, CY)
    await bridge.rows()
    await bridge.do(SAM, "craving")
    first = [r for r in await bridge.rows() if r.template == "bridge_craving_ping"]
    assert len(first) == 3, "asked across while linked"
    await unlink_by_admin(bridge)
    await bridge.supporters(KIM, dee)  # one new supporter on each side
    await bridge.rows()

    clock.advance(timedelta(minutes=10))
    await app.timers.fire_due()
    later = await bridge.rows()

    assert not on(later, "discord"), "nobody asked across any more"
    assert "@Kim" in "\n".join(r.text for r in on(later, "telegram")), "Sam's own side is"
