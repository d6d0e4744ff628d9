"""``/link`` and ``/unlink``: two chats on different platforms made one community (issue 15).

An admin of one chat asks for a one-time code with ``/link``; it goes to them privately, since
whoever holds it can link the chat. An admin of a chat on the other platform enters it there with
``/link CODE``: both chats then share a fellowship, and the issuing chat's shared settings are
copied onto the other (``PER_CHAT_SETTINGS`` stay each chat's own). Admin rights are the
platform's own facts (``Origin.is_admin``) on both sides.

A wrong, expired or used code gets one answer that never tells whether it existed, and counts
against the chat and the admin; ``MAX_FAILURES`` within ``LOCKOUT`` lock both out of linking,
the right code included, for ``LOCKOUT`` from the last of them. ``/unlink`` on either side
parts them: each keeps its copy of the settings and its own members' supporter rows, which
never moved. Chats the bot was removed from are left out of what a fellowship is told.

While linked, a change to a shared setting on one side (``/set``) is written to every chat of
the fellowship (``mirror_settings``), and the admins of every side are told where it came from.
"""

from __future__ import annotations

import logging
from dataclasses import fields, replace
from enum import StrEnum

from bot.contexts import admin as a
from bot.contexts import linking as c
from bot.dispatch import Flows
from bot.domain.community import CommunitySettings
from bot.domain.linking import CODE_TTL, LOCKOUT, PER_CHAT_SETTINGS, shared_settings, shown
from bot.domain.model import Community, LinkCode
from bot.domain.replies import Priority
from bot.domain.settings_keys import MOVES_MEETINGS, MOVES_MILESTONES
from bot.flows import bridge, codes
from bot.flows.admins import admin_community
from bot.flows.milestones import reschedule
from bot.flows.resources import arm_reminders
from bot.turn import Turn

log = logging.getLogger(__name__)

KIND = "chat"
"""The kind of code ``/link`` issues and takes (``/linkme`` has its own)."""


class T(StrEnum):
    CODE = "link_code"
    ADMINS_ONLY = "link_admins_only"
    REFUSED = "link_refused"
    LOCKED = "link_locked"
    SAME_PLATFORM = "link_same_platform"
    ALREADY = "link_already"
    DONE = "link_done"
    UNLINKED = "unlink_done"
    NOT_LINKED = "unlink_not_linked"
    ANONYMOUS = "link_anonymous"
    MIRRORED = "link_settings_mirrored"
    SPENT = "link_code_spent"


async def link(turn: Turn, args: str) -> None:
    """``/link`` issues a code for this chat; ``/link CODE`` links this chat with the chat
    that issued it.

    A code typed in a group may be read by everyone there: the command is withdrawn where the
    platform lets the bot, and a code that is refused (no admin, a locked or linked chat) is
    spent, lest another chat's admin who read it link with it."""
    assert turn.origin is not None
    in_a_group = bool(args) and not turn.origin.private
    if in_a_group:
        await turn.withdraw_command()
    here = await admin_community(turn, "link", T.ADMINS_ONLY)
    if here is not None and await codes.locked_out(turn, [here.key, turn.me.key]):
        await turn.say(T.LOCKED, c.Locked(minutes=codes.minutes(LOCKOUT)))
        here = None
    elif here is not None and len(await turn.tx.communities.fellowship(here.key)) > 1:
        await turn.say(T.ALREADY, c.Already(where="here"))
        here = None
    if here is None:
        if in_a_group:
            await _spend(turn, args)
    elif args:
        await _enter(turn, here, args)
    else:
        await _issue(turn, here)


async def unlink(turn: Turn, args: str) -> None:
    """Part this chat from the chats it is linked with; each keeps its copy of everything.

    A linked chat the bot was removed from is parted too, but hears nothing."""
    here = await admin_community(turn, "unlink", T.ADMINS_ONLY)
    if here is None:
        return
    fellowship = await turn.tx.communities.fellowship(here.key)
    if len(fellowship) == 1:
        await turn.say(T.NOT_LINKED)
        return
    await turn.tx.communities.unlink(here.key)
    log.info("chats unlinked")
    await turn.post(here, T.UNLINKED, c.Parted(other=fellowship[1].platform))
    for chat in fellowship[1:]:
        if chat.active:
            await turn.post(chat, T.UNLINKED, c.Parted(other=here.platform))


async def mirror_settings(turn: Turn, community: Community, before: CommunitySettings) -> list[str]:
    """After ``/set`` changed ``community``'s settings from ``before``: write a changed shared
    setting to every chat linked with it; return those chats' platforms (none when nothing
    shared changed, or it is not linked)."""
    changed = _changed(before, community.settings)
    if changed <= PER_CHAT_SETTINGS:
        return []
    others = (await bridge.fellowship(turn, community))[1:]
    for other in others:
        await _adopt(turn, other, shared_settings(community.settings, other.settings))
    if others:
        log.info("shared setting mirrored to %d linked chats", len(others))
    return [other.platform for other in others]


async def tell_admins(turn: Turn, community: Community, done: a.Done) -> None:
    """Tell the admins of every chat linked with ``community`` (but the one who changed it)
    that a shared setting changed there, naming the side it came from."""
    for chat in await bridge.fellowship(turn, community):
        there = turn.scoped(community=chat)
        for admin in await turn.tx.memberships.admins(chat.key):
            if admin.key == turn.me.key:
                continue
            context = c.Mirrored(side=community.platform, key=done["key"], change=done["change"])
            await there.tell(admin, T.MIRRORED, context, priority=Priority.BACKGROUND)


async def _issue(turn: Turn, here: Community) -> None:
    """A new code for this chat, shown to the admin alone: it replaces any earlier one.

    An admin who speaks as the chat itself (anonymously) has no private chat to get it in:
    anything sent to them goes to the whole chat, so they get no code."""
    if codes.as_the_group(turn):
        await turn.say(T.ANONYMOUS)
        return
    code = await codes.issue(turn, KIND, here.key)
    log.info("chat link code issued")
    context = c.Code(code=shown(code), minutes=codes.minutes(CODE_TTL), here=here.platform)
    await turn.say(T.CODE, context, private=True)


async def _enter(turn: Turn, here: Community, typed: str) -> None:
    """Link this chat with the chat whose code the admin typed, if it is one to use now."""
    found = await codes.redeem(turn, KIND, typed)
    if found is None:
        log.info("chat link code refused")
        if await codes.wrong(turn, [here.key, turn.me.key]):  # one, for an anonymous admin
            await turn.say(T.LOCKED, c.Locked(minutes=codes.minutes(LOCKOUT)))
        else:
            await turn.say(T.REFUSED, c.Refused(minutes=codes.minutes(CODE_TTL)))
        return
    issuer = await turn.tx.communities.get(found.origin)
    if issuer is None or not issuer.active:  # the bot left that chat meanwhile
        await turn.say(T.REFUSED, c.Refused(minutes=codes.minutes(CODE_TTL)))
        return
    if issuer.platform == here.platform:
        # Typed in a chat of its own platform, where others may have read it: spent unused.
        log.info("chat link code spent: it was typed on its own platform")
        await _spent(turn, found)
        await turn.say(T.SAME_PLATFORM)
        return
    if not await turn.tx.communities.link(issuer.key, here.key):
        await turn.say(T.ALREADY, c.Already(where="there"))
        return
    here = await _adopt(turn, here, shared_settings(issuer.settings, here.settings))
    log.info("chats linked")
    await turn.post(here, T.DONE, c.Linked(other=issuer.platform, copied=True))
    await turn.post(issuer, T.DONE, c.Linked(other=here.platform, copied=False))


async def _spend(turn: Turn, typed: str) -> None:
    """A code refused in the group it was typed in: spend it unused, and tell whoever asked
    for it that it no longer works."""
    found = await codes.redeem(turn, KIND, typed)
    if found is not None:
        log.info("chat link code spent: it was typed in the open")
        await _spent(turn, found)


async def _spent(turn: Turn, found: LinkCode) -> None:
    """Tell the admin who asked for a code, privately, that it was spent unused: they may
    need a new one. Where and by whom it was typed is not theirs to learn."""
    issuer = await turn.tx.people.get(found.issued_by)
    chat = await turn.tx.communities.get(found.origin)
    if issuer is None or chat is None or not chat.active:
        return
    there = turn.scoped(community=chat)
    await there.tell(issuer, T.SPENT, traceless=True, priority=Priority.BACKGROUND)


async def _adopt(turn: Turn, chat: Community, settings: CommunitySettings) -> Community:
    """Give a chat new settings, moving its milestones and meeting reminders if they moved."""
    moved = _changed(chat.settings, settings)
    if not moved:
        return chat
    await turn.tx.communities.save_settings(chat.key, settings)
    chat = replace(chat, settings=settings)
    there = turn.scoped(community=chat)
    if moved & MOVES_MILESTONES:
        for person in await turn.tx.memberships.members(chat.key):
            await reschedule(there, person)
    if moved & MOVES_MEETINGS:
        await arm_reminders(there, chat)
    return chat


def _changed(before: CommunitySettings, after: CommunitySettings) -> set[str]:
    return {f.name for f in fields(before) if getattr(before, f.name) != getattr(after, f.name)}


flows = Flows(commands={"link": link, "unlink": unlink}, templates=(T,))
