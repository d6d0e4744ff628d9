"""Membership changes: a member who left is no longer pinged there; a group that removed the
bot gets no more messages until the bot is back; a member's roles are kept as the platform
last reported them; a private chat the member closed is not written to until they open it."""

from __future__ import annotations

import logging
from enum import StrEnum

from bot.contexts import Empty
from bot.dispatch import Flows
from bot.domain.inbound import MembershipChanged, PrivateChatChanged, RolesChanged
from bot.domain.model import community_key, person_key
from bot.flows.milestones import reschedule
from bot.turn import Turn

log = logging.getLogger(__name__)


class T(StrEnum):
    WELCOME = "welcome"


async def membership_changed(turn: Turn, change: MembershipChanged) -> None:
    """Apply a join or leave reported by the platform; greet a group that added the bot."""
    key = community_key(change.platform, change.community)
    community = await turn.tx.communities.get(key)
    was_there = community is not None and community.active
    if community is None:
        if change.person is not None or not change.present or change.chat is None:
            return
        community = await turn.tx.communities.upsert(
            key, change.platform, change.community, change.chat, turn.now
        )
    if change.person is not None:
        if not change.present:
            await turn.tx.memberships.leave(
                community.key, person_key(change.platform, change.person)
            )
        return
    await turn.tx.communities.set_active(community.key, change.present)
    log.info("bot %s a community", "added to" if change.present else "removed from")
    if change.present and not was_there:
        await turn.post(community, T.WELCOME, Empty(), chat=change.chat)
    # Milestone times are worked out afresh for everyone there (and none while removed).
    for member in await turn.tx.memberships.members(community.key):
        await reschedule(turn, member)


async def roles_changed(turn: Turn, change: RolesChanged) -> None:
    """Keep a member's roles as the platform reports them now.

    Like a join, this records nothing about someone the bot does not know yet: roles are kept
    only for members of a community the bot already serves.
    """
    community = await turn.tx.communities.get(community_key(change.platform, change.community))
    if community is None:
        return
    person = person_key(change.platform, change.person)
    if await turn.tx.memberships.get(community.key, person) is None:
        return
    kept = turn.capabilities(change.platform).held_roles(change.roles)
    await turn.tx.roles.replace(community.key, person, kept)


async def private_chat_changed(turn: Turn, change: PrivateChatChanged) -> None:
    """Remember whether the member can be written to privately (they blocked the bot, or not)."""
    await turn.tx.people.set_private_chat(person_key(change.platform, change.person), change.open)


flows = Flows(
    events={
        MembershipChanged: membership_changed,
        RolesChanged: roles_changed,
        PrivateChatChanged: private_chat_changed,
    },
    templates=(T,),
)
