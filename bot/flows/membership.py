"""Membership changes: a member who left is no longer pinged there; a group that removed the
bot gets no more messages until the bot is back."""

from __future__ import annotations

import logging

from bot.domain.inbound import MembershipChanged
from bot.domain.model import community_key, person_key
from bot.flows import Flows
from bot.flows.cleantime import reschedule
from bot.turn import Turn

log = logging.getLogger(__name__)


async def membership_changed(turn: Turn, change: MembershipChanged) -> None:
    """Apply a join or leave reported by the platform."""
    community = await turn.tx.get_community(community_key(change.platform, change.community))
    if community is None:
        return
    if change.person is not None:
        if not change.present:
            await turn.tx.leave_community(community.key, person_key(change.platform, change.person))
        return
    await turn.tx.set_community_active(community.key, change.present)
    log.info("bot %s a community", "added to" if change.present else "removed from")
    # Milestone times are worked out afresh for everyone there (and none while removed).
    for member in await turn.tx.community_members(community.key):
        await reschedule(turn, member)


flows = Flows()
