"""``/link`` and ``/unlink``: two chats on different platforms made one community (issue 15).

An admin of one chat asks for a one-time code with ``/link``; it goes to them privately, since
whoever holds it can link the chat. An admin of a chat on the other platform enters it there with
``/link CODE``: both chats then share a fellowship, and the issuing chat's shared settings are
copied onto the other (``PER_CHAT_SETTINGS`` stay each chat's own). Admin rights are the
platform's own facts (``Origin.is_admin``) on both sides.

A wrong, expired or used code gets one answer that never tells whether it existed, and counts
against the chat and the admin; after ``MAX_FAILURES`` within ``LOCKOUT`` both are locked out of
linking, the right code included. ``/unlink`` on either side parts them: each keeps its copy of
the settings and its own members' supporter rows, which never moved.

While linked, a change to a shared setting on one side (``/set``) is written to every chat of
the fellowship (``mirror_settings``), and the admins of every side are told where it came from.
"""

from __future__ import annotations

import logging
from dataclasses import fields, replace
from datetime import timedelta
from enum import StrEnum

from bot.contexts import admin as a
from bot.contexts import linking as c
from bot.contexts.core import Command
from bot.dispatch import Flows
from bot.domain.community import CommunitySettings
from bot.domain.linking import (
    CODE_TTL,
    LOCKOUT,
    MAX_FAILURES,
    PER_CHAT_SETTINGS,
    digest,
    new_code,
    normalize,
    shared_settings,
    shown,
)
from bot.domain.model import Community
from bot.domain.replies import Priority, Template
from bot.flows.milestones import reschedule
from bot.flows.resources import arm_reminders
from bot.turn import Turn

log = logging.getLogger(__name__)

KIND = "chat"
"""The kind of code ``/link`` issues and takes (``/linkme`` has its own)."""
MOVES_MILESTONES = frozenset({"timezone", "announcement_hour", "milestones"})
MOVES_MEETINGS = frozenset({"timezone", "meetings"})


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


async def link(turn: Turn, args: str) -> None:
    """``/link`` issues a code for this chat; ``/link CODE`` links this chat with the chat
    that issued it."""
    here = await _admin_chat(turn, "link")
    if here is None:
        return
    if await _locked_out(turn, here):
        await turn.say(T.LOCKED, c.Locked(minutes=_minutes(LOCKOUT)))
        return
    if len(await turn.tx.communities.fellowship(here.key)) > 1:
        await turn.say(T.ALREADY, c.Already(where="here"))
        return
    if args:
        await _enter(turn, here, args)
    else:
        await _issue(turn, here)


async def unlink(turn: Turn, args: str) -> None:
    """Part this chat from the chats it is linked with; each keeps its copy of everything."""
    here = await _admin_chat(turn, "unlink")
    if here is None:
        return
    fellowship = await turn.tx.communities.fellowship(here.key)
    if len(fellowship) == 1:
        await turn.say(T.NOT_LINKED)
        return
    await turn.tx.communities.unlink(here.key)
    log.info("chats unlinked")
    rest = fellowship[1:]
    await turn.post(here, T.UNLINKED, c.Parted(other=rest[0].platform))
    for chat in rest:
        await turn.post(chat, T.UNLINKED, c.Parted(other=here.platform))


async def mirror_settings(turn: Turn, community: Community, before: CommunitySettings) -> list[str]:
    """After ``/set`` changed ``community``'s settings from ``before``: write a changed shared
    setting to every chat linked with it; return those chats' platforms (none when nothing
    shared changed, or it is not linked)."""
    changed = _changed(before, community.settings)
    if changed <= PER_CHAT_SETTINGS:
        return []
    fellowship = await turn.tx.communities.fellowship(community.key)
    others = fellowship[1:]
    for other in others:
        await _adopt(turn, other, shared_settings(community.settings, other.settings))
    if others:
        log.info("shared setting mirrored to %d linked chats", len(others))
    return [other.platform for other in others]


async def tell_admins(turn: Turn, community: Community, done: a.Done) -> None:
    """Tell the admins of every chat linked with ``community`` (but the one who changed it)
    that a shared setting changed there, naming the side it came from."""
    for chat in await turn.tx.communities.fellowship(community.key):
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
    assert turn.origin is not None
    if turn.origin.person == turn.origin.community:
        await turn.say(T.ANONYMOUS)
        return
    code = new_code()
    await turn.tx.links.issue(
        KIND, digest(code), here.key, turn.me.key, turn.now, turn.now + CODE_TTL
    )
    log.info("chat link code issued")
    context = c.Code(code=shown(code), minutes=_minutes(CODE_TTL), here=here.platform)
    await turn.say(T.CODE, context, private=True)


async def _enter(turn: Turn, here: Community, typed: str) -> None:
    """Link this chat with the chat whose code the admin typed, if it is one to use now."""
    code = normalize(typed)
    found = None if code is None else await turn.tx.links.redeem(KIND, digest(code), turn.now)
    if found is None:
        subjects = dict.fromkeys([here.key, turn.me.key])  # one, for an anonymous admin
        await turn.tx.links.record_failure(subjects, turn.now)
        log.info("chat link code refused")
        if await _locked_out(turn, here):
            await turn.say(T.LOCKED, c.Locked(minutes=_minutes(LOCKOUT)))
        else:
            await turn.say(T.REFUSED, c.Refused(minutes=_minutes(CODE_TTL)))
        return
    issuer = await turn.tx.communities.get(found.origin)
    if issuer is None or not issuer.active:  # the bot left that chat meanwhile
        await turn.say(T.REFUSED, c.Refused(minutes=_minutes(CODE_TTL)))
        return
    if issuer.platform == here.platform:
        # Typed in the wrong chat: the code stays its issuer's to use where it belongs.
        await turn.tx.links.issue(
            KIND, found.digest, found.origin, found.issued_by, turn.now, found.expires_at
        )
        await turn.say(T.SAME_PLATFORM)
        return
    if len(await turn.tx.communities.fellowship(issuer.key)) > 1:
        await turn.say(T.ALREADY, c.Already(where="there"))
        return
    await turn.tx.communities.link(issuer.key, here.key)
    here = await _adopt(turn, here, shared_settings(issuer.settings, here.settings))
    log.info("chats linked")
    await turn.post(here, T.DONE, c.Linked(other=issuer.platform, copied=True))
    await turn.post(issuer, T.DONE, c.Linked(other=here.platform, copied=False))


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


async def _admin_chat(turn: Turn, command: str) -> Community | None:
    """The chat this linking command is about; None (after saying why) when it cannot run."""
    assert turn.origin is not None
    if turn.community is None:
        await turn.say(Template.GROUP_ONLY, Command(command=command))
        return None
    if not turn.origin.is_admin:
        await turn.say(T.ADMINS_ONLY, c.AdminsOnly(command=command))
        return None
    return turn.community


async def _locked_out(turn: Turn, here: Community) -> bool:
    """Whether this chat or this admin entered too many wrong codes lately."""
    since = turn.now - LOCKOUT
    for subject in (here.key, turn.me.key):
        if await turn.tx.links.failures_since(subject, since) >= MAX_FAILURES:
            return True
    return False


def _minutes(length: timedelta) -> int:
    return int(length.total_seconds() // 60)


flows = Flows(commands={"link": link, "unlink": unlink}, templates=(T,))
