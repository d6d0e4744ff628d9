"""``/settings`` and ``/set``: what a community's admins may change.

Both work in the group's own chat and only for its admins (the adapter says who is one). A value
is checked whole before anything is stored, so a bad one changes nothing; a change that moves
when milestones fall or meetings start recomputes them at once.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from enum import StrEnum

from bot.contexts import admin as a
from bot.dispatch import Flows
from bot.domain.model import Community
from bot.domain.presets import preset, preset_emergency
from bot.domain.settings_keys import (
    MAX_RESOURCES,
    MOVES_MEETINGS,
    MOVES_MILESTONES,
    SettingError,
    apply,
    keys_for,
    limits,
)
from bot.flows import linking
from bot.flows.admins import admin_community
from bot.flows.milestones import reschedule
from bot.flows.resources import arm_reminders
from bot.language import available_locales
from bot.turn import Turn

log = logging.getLogger(__name__)


class T(StrEnum):
    SETTINGS_SHOW = "settings_show"
    SETTINGS_ADMINS_ONLY = "settings_admins_only"
    SET_DONE = "set_done"
    SET_INVALID = "set_invalid"
    SET_USAGE = "set_usage"


async def show_settings(turn: Turn, args: str) -> None:
    """Show every setting of this group with its current value."""
    community = await admin_community(turn, "settings", T.SETTINGS_ADMINS_ONLY)
    if community is not None:
        roles = turn.capabilities(community.platform).roles is not None
        await turn.say(T.SETTINGS_SHOW, settings_context(community, roles=roles))


async def set_value(turn: Turn, args: str) -> None:
    """Change one setting; a bad key or value gets a kind answer and changes nothing."""
    community = await admin_community(turn, "set", T.SETTINGS_ADMINS_ONLY)
    if community is None:
        return
    assert turn.origin is not None
    roles = turn.capabilities(community.platform).roles
    keys = list(keys_for(roles is not None))
    parts = args.split(None, 1)
    if not parts:
        await turn.say(T.SET_USAGE, a.Usage(keys=keys))
        return
    try:
        change = apply(
            community.settings,
            parts[0],
            parts[1] if len(parts) > 1 else "",
            chat=turn.origin.chat,
            locales=available_locales(),
            roles=roles,
            typed_in=await turn.date_locales(),
        )
    except SettingError as error:
        await turn.say(
            T.SET_INVALID,
            a.Invalid(
                key=error.key,
                reason=error.reason,
                details=error.details,
                limits=limits(community.settings),
                locales=list(available_locales()),
                keys=keys,
            ),
        )
        return
    await turn.tx.communities.save_settings(community.key, change.settings)
    before, community = community.settings, replace(community, settings=change.settings)
    turn = turn.scoped(community=community)
    log.info("community setting %s changed", change.key)
    if change.key in MOVES_MILESTONES:
        for person in await turn.tx.memberships.members(community.key):
            await reschedule(turn, person)
    if change.key in MOVES_MEETINGS:
        await arm_reminders(turn, community)
    done = a.Done(key=change.key, change=change.details)
    linked = await linking.mirror_settings(turn, community, before)
    if linked:
        done["linked"] = linked
        await linking.tell_admins(turn, community, done)
    await turn.say(T.SET_DONE, done)


def settings_context(community: Community, roles: bool = False) -> a.Settings:
    """What ``/settings`` shows: each value as ``/set`` takes it, durations in minutes; the
    role keys where the platform has ``roles`` (or some were set)."""
    settings = community.settings
    shown = preset(settings.resources_preset)
    return a.Settings(
        announce_chat=None if community.announce_chat == community.chat else settings.announce_chat,
        timezone=settings.timezone,
        announcement_hour=settings.announcement_hour,
        ping_count=settings.ping_count,
        max_pings=settings.max_pings,
        escalate_after=settings.escalate_after,
        followup_after=settings.followup_after,
        craving_cooldown=settings.craving_cooldown,
        call_expiry=settings.call_expiry,
        supporter_rest=settings.supporter_rest,
        milestones=settings.milestones.text(),
        locale=settings.locale,
        resources_length=None if settings.resources is None else len(settings.resources),
        resources_limit=MAX_RESOURCES,
        resources_preset=settings.resources_preset,
        resources_preset_name=None if shown is None else shown.name,
        # Text stored under the older, longer limit still fits alone, not below a preset.
        resources_over=settings.resources is not None
        and len(settings.resources) > MAX_RESOURCES
        and settings.resources_preset is not None,
        preset_emergency=preset_emergency(settings.resources_preset),
        emergency_number=settings.emergency_number,
        meetings_count=len(settings.meetings),
        roles=roles or settings.supporter_role is not None or bool(settings.milestone_roles),
        supporter_role=settings.supporter_role,
        milestone_roles=[
            a.MilestoneRole(milestone=milestone, role=role)
            for milestone, role in settings.milestone_roles
        ],
    )


flows = Flows(commands={"settings": show_settings, "set": set_value}, templates=(T,))
