"""The milestone run: celebrate the members whose milestone time has come, one digest per group.

The run is one keyed timer, always due at the earliest pending announcement, so it wakes only
when somebody is due and reads only those members through an index. Each celebration is
recorded under (community, member, counter, clean date, milestone), so none is made twice, and a
restarted count earns its milestones again.

Sharing is per chat: a member is celebrated in each chat where they chose to share, by the
identity that chat knows, never in a chat linked to it where they did not choose it. A person
linked on two platforms has one clean date (their principal's), so one milestone day, and is
named once in a chat's digest; while they have yet to choose between two dates (``/linkme``),
the chats of the identity whose date waits celebrate neither. The record keeps the identity
the chat knows, so linking or unlinking changes nothing that the history already holds.

Where the community maps a milestone to a role, a member celebrated for it is also given that
role: an outbox row whose target carries the grant, and whose own words are posted only if
the platform refuses (so the admins learn what permission is missing).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import StrEnum

from bot.contexts import milestones as m
from bot.dispatch import Flows, on_timer
from bot.domain.announcing import next_announcement, too_late
from bot.domain.cleantime import Milestone, local_today, milestone_date
from bot.domain.model import PRIMARY, Community, DueAnnouncement, Person
from bot.domain.replies import Mention, Priority, RoleGrant, Template
from bot.domain.timers import MilestoneRun
from bot.turn import Turn, member_zone

log = logging.getLogger(__name__)

MILESTONES_TIMER = MilestoneRun.kind

BATCH = 500
"""Members handled in one run; a fuller queue re-arms the run at once."""


class T(StrEnum):
    MILESTONE_ROLE_FAILED = "milestone_role_failed"


async def run_milestones(turn: Turn, timer: MilestoneRun) -> None:
    """Announce every due milestone, advance each member to their next one, re-arm."""
    due = await turn.tx.announcements.due(turn.now, BATCH)
    digests: dict[str, tuple[Community, list[m.Celebrated], list[Mention]]] = {}
    # (community, principal, milestone): a person linked on two platforms is named once.
    named: set[tuple[str, str, str]] = set()
    celebrated: list[DueAnnouncement] = []
    skipped = 0
    for item in due:
        zone = member_zone(item.person, item.community)
        still_true = _still_true(item)
        entry_from_day = item.day + timedelta(days=1)
        once = (item.community.key, item.principal, item.milestone)
        if still_true and too_late(item.due_at, turn.now):
            skipped += 1
        elif still_true:
            assert item.clean_since is not None
            recorded = await turn.tx.announcements.record(
                item.community.key,
                item.person.key,
                PRIMARY,
                item.clean_since,
                item.milestone,
                turn.now,
            )
            if recorded and once not in named:
                named.add(once)
                _, entries, mentions = digests.setdefault(
                    item.community.key, (item.community, [], [])
                )
                entries.append(
                    m.Celebrated(
                        person=item.person.ref,
                        milestone=item.milestone,
                        day=item.day.isoformat(),
                        late=local_today(turn.now, zone) > item.day,
                    )
                )
                mentions.append(Mention(item.person.platform_id, item.person.name))
                celebrated.append(item)
        else:
            entry_from_day = local_today(turn.now, zone)
        nxt = None
        if item.share and item.clean_since is not None:
            nxt = next_announcement(
                item.clean_since,
                zone,
                item.community.settings.announcement_hour,
                item.community.settings.milestones,
                entry_from_day,
            )
        await turn.tx.announcements.set_due(item.community.key, item.person.key, nxt)
    for community, entries, mentions in digests.values():
        await turn.post(
            community,
            Template.MILESTONE_DIGEST,
            m.Digest(entries=entries),
            chat=community.announce_chat,
            mentions=mentions,
            priority=Priority.BACKGROUND,
        )
    # After the digests: a refusal, if the platform gives one, reads after the celebration.
    for item in celebrated:
        await _grant_role(turn, item.community, item.person, item.milestone)
    if skipped:
        log.info("skipped %d milestone announcements more than 3 days late", skipped)
    following = turn.now if len(due) == BATCH else await turn.tx.announcements.earliest_due()
    if following is not None:
        await turn.tx.timers.schedule(MilestoneRun(), following, key=MILESTONES_TIMER)


async def _grant_role(turn: Turn, community: Community, person: Person, milestone: str) -> None:
    """Ask the platform to give the member the role the community ties to this milestone."""
    role = community.settings.milestone_role(milestone)
    if role is None or turn.capabilities(community.platform).roles is None:
        return
    grant = RoleGrant(community.platform_id, person.platform_id, role)
    await turn.post(
        community,
        T.MILESTONE_ROLE_FAILED,
        m.RoleFailed(who=person.ref, milestone=milestone, role=role),
        chat=community.announce_chat,
        grant=grant,
        about=person.key,
        priority=Priority.BACKGROUND,
    )


def _still_true(item: DueAnnouncement) -> bool:
    """Whether the stored due milestone still belongs to the member's current count."""
    if not item.share or item.clean_since is None:
        return False
    try:
        milestone = Milestone.from_key(item.milestone)
    except ValueError:
        return False
    return milestone_date(item.clean_since, milestone) == item.day


async def reschedule(turn: Turn, person: Person) -> None:
    """Recompute when each group of each of the person's identities next celebrates them, and
    arm the run: one clean date and zone (the principal's), celebrated where each identity
    shares."""
    identities = await turn.tx.people.identities(person.key)
    principal = await turn.data_key(person)
    owner = next((i for i in identities if i.key == principal), person)
    counters = await turn.tx.counters.of(principal)
    primary = next((c for c in counters if c.name == PRIMARY), None)
    for identity in identities:
        for membership in await turn.tx.memberships.of(identity.key):
            community = await turn.tx.communities.get(membership.community)
            if community is None:
                continue
            due = None
            if membership.share and primary is not None and community.active:
                zone = member_zone(owner, community)
                due = next_announcement(
                    primary.clean_since,
                    zone,
                    community.settings.announcement_hour,
                    community.settings.milestones,
                    local_today(turn.now, zone),
                )
            await turn.tx.announcements.set_due(community.key, identity.key, due)
            if due is not None:
                await turn.tx.timers.schedule(MilestoneRun(), due[0], key=MILESTONES_TIMER)


flows = Flows(timers=on_timer(MilestoneRun, run_milestones), templates=(T,))
