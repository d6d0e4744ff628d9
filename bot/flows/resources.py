"""``/resources`` and ``/meetings``: crisis lines, meeting links and reminders.

Reminders are one keyed timer per community, always due at the next reminder time; when it fires
it tells each member who opted in, privately, then arms itself for the meeting after. Changing
the meetings or the zone, or a member opting in or out, arms it afresh.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.contexts import resources as r
from bot.contexts.core import Command
from bot.dispatch import Flows, on_timer
from bot.domain.community import CommunitySettings
from bot.domain.meetings import due_reminders, next_reminder
from bot.domain.model import Community
from bot.domain.replies import Priority, Template
from bot.domain.timers import MeetingReminder
from bot.domain.zones import UnknownZone, resolve_zone, zone_name
from bot.turn import UTC_ZONE, Turn

log = logging.getLogger(__name__)


class T(StrEnum):
    RESOURCES = "resources"
    MEETINGS = "meetings"
    MEETINGS_REMIND_SET = "meetings_remind_set"
    MEETINGS_USAGE = "meetings_usage"
    MEETING_REMINDER = "meeting_reminder"


def reminder_key(community: Community) -> str:
    """Name the community's one reminder timer."""
    return f"meetings:{community.key}"


def community_zone(community: Community) -> ZoneInfo:
    """The zone a community's meeting times are written in; UTC when its name is unusable."""
    try:
        return resolve_zone(community.settings.timezone)
    except UnknownZone:
        return UTC_ZONE


async def show_resources(turn: Turn, args: str) -> None:
    """Show the community's crisis lines and meeting links, else the bundled defaults."""
    community = await turn.home_community()
    settings = community.settings if community else CommunitySettings()
    await turn.say(T.RESOURCES, settings.crisis())


async def meetings(turn: Turn, args: str) -> None:
    """List the community's meetings, or opt in or out of reminders with ``remind on|off``."""
    word, _, rest = args.partition(" ")
    word = word.lower()
    community = await turn.home_community()
    if community is None:
        await turn.say(Template.GROUP_ONLY, Command(command="meetings"))
        return
    reminding = await turn.tx.meetings.wants_reminders(community.key, turn.me.key)
    if word == "remind" and rest.strip().lower() in ("on", "off"):
        on = rest.strip().lower() == "on"
        await turn.tx.meetings.set_reminder(community.key, turn.me.key, on)
        await arm_reminders(turn, community)
        await turn.say(
            T.MEETINGS_REMIND_SET, r.RemindSet(on=on, count=len(community.settings.meetings))
        )
        return
    if word:
        await turn.say(T.MEETINGS_USAGE, r.Usage(reminding=reminding))
        return
    await turn.say(
        T.MEETINGS,
        r.Meetings(
            meetings=[m.as_context() for m in community.settings.meetings],
            zone=zone_name(community_zone(community)),
            reminding=reminding,
        ),
    )


async def arm_reminders(turn: Turn, community: Community) -> None:
    """Arm the community's reminder timer for its next meeting, if anyone wants reminding."""
    key = reminder_key(community)
    await turn.tx.timers.cancel(key)
    if not community.settings.meetings or not await turn.tx.meetings.has_reminders(community.key):
        return
    at = next_reminder(community.settings.meetings, community_zone(community), turn.now)
    if at is not None:
        await turn.tx.timers.schedule(MeetingReminder(community.key, at), at, key=key)


async def remind(turn: Turn, timer: MeetingReminder) -> None:
    """Tell each member who opted in about the meetings starting soon; arm the next reminder."""
    community = await turn.tx.communities.get(timer.community)
    if community is None:
        return
    turn = turn.scoped(community=community)
    since = min(turn.now, timer.since)
    zone = community_zone(community)
    due = due_reminders(community.settings.meetings, zone, since, turn.now)
    if due:
        people = await turn.tx.meetings.reminder_people(community.key)
        context = r.Reminder(meetings=[o.meeting.as_context() for o in due], zone=zone_name(zone))
        for person in people:
            await turn.tell(person, T.MEETING_REMINDER, context, priority=Priority.BACKGROUND)
        log.info("meeting reminders: %d meetings, %d members", len(due), len(people))
    await arm_reminders(turn, community)


flows = Flows(
    commands={"resources": show_resources, "meetings": meetings},
    timers=on_timer(MeetingReminder, remind),
    templates=(T,),
)
