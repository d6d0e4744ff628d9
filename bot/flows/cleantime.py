"""Clean time: ``/cleandate``, ``/days``, ``/together``, ``/timezone``, ``/milestones``, ``/share``.

A count answers privately unless the member shares their milestones in the group they asked
in: recovery status is health data, and sharing is the member's choice.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.contexts import cleantime as ctx
from bot.contexts.core import Command
from bot.dispatch import Flows
from bot.domain.announcing import together
from bot.domain.cleantime import (
    DEFAULT_SCHEDULE,
    EARLIEST,
    MAX_NAME,
    CleanDateError,
    Milestone,
    MilestoneSchedule,
    calendar_span,
    days_clean,
    local_today,
    split_date_and_name,
)
from bot.domain.model import PRIMARY, Community, Counter, community_key
from bot.domain.replies import Button, Template
from bot.domain.zones import UnknownZone, resolve_zone, zone_name
from bot.flows import bridge, consent
from bot.flows.milestones import reschedule
from bot.turn import Turn

KEEP_DATE = "cleandate.keep"
CELEBRATE = "share.celebrate"
KEEP_PRIVATE = "share.private"
MAX_COUNTERS = 10
"""A member's counters, the primary one included."""
MILESTONES_SHOWN_REACHED = 5
MILESTONES_SHOWN_UPCOMING = 3
MAX_ZONE_TEXT = 64


async def set_clean_date(turn: Turn, args: str) -> None:
    """Set the primary (or a named) clean date; anything unreadable changes nothing, and
    nothing is kept before the member says yes to keeping it."""
    zone = await turn.zone_of(turn.me)
    today = local_today(turn.now, zone)
    try:
        since, name = split_date_and_name(args, today, await turn.date_locales())
    except CleanDateError as error:
        await turn.say(
            Template.CLEANDATE_INVALID,
            ctx.CleandateInvalid(
                reason=error.reason, today=today.isoformat(), earliest="1900-01-01"
            ),
        )
        return
    if not await _room_for(turn, name):
        return
    if not await consent.given(turn):
        where = turn.community.platform_id if turn.community is not None else ""
        await consent.ask(turn, "clean_date", KEEP_DATE, f"{since:%Y%m%d}:{where}:{name}")
        return
    await _keep_clean_date(turn, since, name, turn.community)


async def keep_clean_date(turn: Turn, payload: str) -> None:
    """**Yes, keep it** on the question about a clean date: keep the date the button carries.

    The payload may be forged, so it is read as strictly as the member's own words: a date
    that is not today or earlier, a name too long, or a group the member is not in keeps
    nothing from the payload; the member is asked to send the date again.
    """
    day, _, rest = payload.partition(":")
    where, _, name = rest.partition(":")
    today = local_today(turn.now, await turn.zone_of(turn.me))
    since = payload_day(day, today)
    if since is None or len(name) > MAX_NAME or name != " ".join(name.split()):
        await consent.say_yes(turn, "clean_date", resend=True)
        return
    community = None
    if where:
        found = await turn.tx.communities.get(community_key(turn.me.platform, where))
        if found is not None and await turn.tx.memberships.get(found.key, turn.me.key) is not None:
            community = found
    await consent.say_yes(turn, "clean_date", resend=False)
    if await _room_for(turn, name):
        await _keep_clean_date(turn, since, name, community)


async def _room_for(turn: Turn, name: str) -> bool:
    """Whether the member may start a counter called ``name``; if not, say so."""
    counters = await turn.tx.counters.of(await turn.data_key())
    if name and len(counters) >= MAX_COUNTERS and all(c.name != name for c in counters):
        await turn.say(
            Template.CLEANDATE_INVALID,
            ctx.CleandateInvalid(reason="too_many_counters", limit=MAX_COUNTERS),
        )
        return False
    return True


async def _keep_clean_date(turn: Turn, since: date, name: str, community: Community | None) -> None:
    """Keep the date, then answer: in a group the member has not chosen to share in yet,
    privately, asking whether the group may celebrate their milestones."""
    await turn.tx.counters.set(await turn.data_key(), name, since, turn.now)
    await reschedule(turn, turn.me)
    membership = (
        await turn.tx.memberships.get(community.key, turn.me.key) if community is not None else None
    )
    shared = membership is not None and membership.share
    ask_share = name == PRIMARY and membership is not None and not membership.chosen
    today = local_today(turn.now, await turn.zone_of(turn.me))
    buttons: tuple[Button, ...] = ()
    if ask_share:
        assert community is not None
        buttons = (
            Button(Template.LABEL_SHARE_CELEBRATE, CELEBRATE, community.key),
            Button(Template.LABEL_SHARE_PRIVATE, KEEP_PRIVATE, community.key),
        )
    await turn.say(
        Template.CLEANDATE_SET,
        ctx.CleandateSet(
            who=turn.who,
            counter=_counter_context(
                Counter(turn.me.key, name, since), today, _schedule(community)
            ),
            shared=shared,
            in_group=community is not None,
            ask_share=ask_share,
        ),
        private=community is not None and (not shared or bool(name)),
        buttons=buttons,
    )


async def celebrate(turn: Turn, payload: str) -> None:
    """**Celebrate with the group**: the member's milestones are celebrated there."""
    await _choose_sharing(turn, payload, share=True)


async def keep_private(turn: Turn, payload: str) -> None:
    """**Keep it private**: nothing about the member's count is posted in that group."""
    await _choose_sharing(turn, payload, share=False)


async def _choose_sharing(turn: Turn, community_key_: str, *, share: bool) -> None:
    community = await turn.tx.communities.get(community_key_[:200])
    if community is None or await turn.tx.memberships.get(community.key, turn.me.key) is None:
        await turn.tell_me(Template.BUTTON_UNKNOWN)
        return
    context = await _share(turn, community, share)
    if await turn.edit_pressed(Template.SHARE_SET, context) is None:
        await turn.tell_me(Template.SHARE_SET, context)


def payload_day(text: str, today: date) -> date | None:
    """A ``YYYYMMDD`` day from a button, if it could be a clean date today."""
    if len(text) != 8 or not (text.isascii() and text.isdigit()):
        return None
    try:
        day = date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None
    return day if EARLIEST <= day <= today else None


async def show_days(turn: Turn, args: str) -> None:
    """Show every counter of the member (or the one named), with the next milestone of each."""
    counters = await turn.tx.counters.of(await turn.data_key())
    name = " ".join(args.split())
    if name:
        await _show_named(turn, counters, name)
        return
    if not counters:
        await turn.say(Template.DAYS_NONE)
        return
    today = local_today(turn.now, await turn.zone_of(turn.me))
    schedule = _schedule(turn.community)
    primary = [c for c in counters if c.name == PRIMARY]
    named = [c for c in counters if c.name]
    if primary and not turn.unseen and await _shares_here(turn):
        # The group may see the count the member shares there; named counts stay private.
        await turn.say(Template.DAYS, _days(turn, primary, today, schedule))
        if named:
            await turn.tell_me(Template.DAYS, _days(turn, named, today, schedule))
        return
    await turn.say(Template.DAYS, _days(turn, counters, today, schedule), private=True)


async def _show_named(turn: Turn, counters: list[Counter], name: str) -> None:
    """Show the named counter alone, privately; an unknown name gets the member's names."""
    named = [c for c in counters if c.name]
    # Names are stored as typed, spaces collapsed; the same letters in another case are
    # the same count to the member, unless they keep both.
    matches = [c for c in named if c.name == name] or [
        c for c in named if c.name.casefold() == name.casefold()
    ]
    if not matches:
        await turn.say(
            Template.DAYS_UNKNOWN,
            ctx.DaysUnknown(
                name=name if len(name) <= MAX_NAME else None,
                names=sorted((counter.name for counter in named), key=str.casefold),
                main=any(counter.name == PRIMARY for counter in counters),
            ),
            private=True,
        )
        return
    today = local_today(turn.now, await turn.zone_of(turn.me))
    schedule = _schedule(turn.community)
    await turn.say(Template.DAYS, _days(turn, matches, today, schedule), private=True)


async def show_together(turn: Turn, args: str) -> None:
    """Celebrate the community's combined clean time, without a leaderboard.

    Chats linked into one community (``/link``) answer for all of it: each person who shares
    in any of its chats counts once, however many of them they share in. Only a sum is shown,
    never a name, so nobody becomes visible in a chat where they did not choose to share.
    """
    if turn.community is None:
        await turn.say(Template.GROUP_ONLY, Command(command="together"))
        return
    chats = await bridge.fellowship(turn, turn.community)
    total = 0
    members = await turn.tx.counters.shared_in([chat.key for chat in chats])
    for person, since in members:
        today = local_today(turn.now, await turn.zone_of(person))
        total += max(0, days_clean(since, today))
    years, months = together(total)
    await turn.say(
        Template.TOGETHER,
        ctx.Together(
            members=len(members),
            total_days=total,
            years=years,
            months=months,
            linked=len(chats) > 1,
        ),
        public=True,
    )


async def set_timezone(turn: Turn, args: str) -> None:
    """Set (or, with no argument, show) the zone the member's dates are counted in."""
    if not args:
        zone = await turn.zone_of(turn.me)
        await turn.say(
            Template.TIMEZONE_SHOW,
            ctx.TimezoneShow(zone=zone_name(zone), own=turn.me.timezone is not None),
        )
        return
    try:
        if len(args) > MAX_ZONE_TEXT:
            raise UnknownZone(())
        zone = resolve_zone(args)
    except UnknownZone as unknown:
        await turn.say(
            Template.TIMEZONE_UNKNOWN, ctx.TimezoneUnknown(suggestions=list(unknown.suggestions))
        )
        return
    await turn.tx.people.set_timezone(turn.me.key, zone_name(zone))
    person = await turn.tx.people.get(turn.me.key)
    assert person is not None
    turn = turn.scoped(person=person)
    await reschedule(turn, person)
    await turn.say(
        Template.TIMEZONE_SET,
        ctx.TimezoneSet(zone=zone_name(zone), local_today=local_today(turn.now, zone).isoformat()),
    )


async def show_milestones(turn: Turn, args: str) -> None:
    """List the primary count's recent and upcoming milestones with their dates."""
    counters = await turn.tx.counters.of(await turn.data_key())
    primary = next((c for c in counters if c.name == PRIMARY), None)
    if primary is None:
        await turn.say(Template.DAYS_NONE)
        return
    today = local_today(turn.now, await turn.zone_of(turn.me))
    schedule = _schedule(turn.community)
    reached = schedule.reached(primary.clean_since, today)
    upcoming: list[ctx.Upcoming] = []
    for milestone, day in schedule.upcoming(primary.clean_since, today + timedelta(days=1)):
        upcoming.append(_upcoming(milestone, day, today))
        if len(upcoming) == MILESTONES_SHOWN_UPCOMING:
            break
    await turn.say(
        Template.MILESTONES,
        ctx.Milestones(
            since=primary.clean_since.isoformat(),
            reached_count=len(reached),
            reached=[
                ctx.Reached(milestone=m.key, day=d.isoformat())
                for m, d in reached[-MILESTONES_SHOWN_REACHED:]
            ],
            upcoming=upcoming,
        ),
        private=not await _shares_here(turn),
    )


async def set_share(turn: Turn, args: str) -> None:
    """Turn milestone celebrations in this group on or off."""
    if turn.community is None:
        await turn.say(Template.GROUP_ONLY, Command(command="share"))
        return
    choice = args.lower()
    if choice not in ("on", "off"):
        await turn.say(Template.SHARE_USAGE, ctx.ShareUsage(shared=await _shares_here(turn)))
        return
    await turn.say(Template.SHARE_SET, await _share(turn, turn.community, choice == "on"))


async def _share(turn: Turn, community: Community, share: bool) -> ctx.ShareSet:
    """Celebrate the member's milestones in ``community``, or stop; what the answer says."""
    await turn.tx.memberships.set_share(community.key, turn.me.key, share)
    await reschedule(turn, turn.me)
    has_date = any(c.name == PRIMARY for c in await turn.tx.counters.of(await turn.data_key()))
    return ctx.ShareSet(shared=share, has_date=has_date)


async def _shares_here(turn: Turn) -> bool:
    if turn.community is None:
        return False
    membership = await turn.tx.memberships.get(turn.community.key, turn.me.key)
    return membership is not None and membership.share


def _schedule(community: Community | None) -> MilestoneSchedule:
    return community.settings.milestones if community else DEFAULT_SCHEDULE


def _days(
    turn: Turn, counters: list[Counter], today: date, schedule: MilestoneSchedule
) -> ctx.Days:
    return ctx.Days(
        who=turn.who, counters=[_counter_context(counter, today, schedule) for counter in counters]
    )


def _upcoming(milestone: Milestone, day: date, today: date) -> ctx.Upcoming:
    return ctx.Upcoming(milestone=milestone.key, day=day.isoformat(), in_days=(day - today).days)


def _counter_context(counter: Counter, today: date, schedule: MilestoneSchedule) -> ctx.Counter:
    # A member who set "today" and then moved to a zone a day behind sees day 0, not day -1.
    today = max(today, counter.clean_since)
    days = days_clean(counter.clean_since, today)
    reached_today = [m.key for m, d in schedule.reached(counter.clean_since, today) if d == today]
    upcoming = schedule.next_on_or_after(counter.clean_since, today + timedelta(days=1))
    return ctx.Counter(
        name=counter.name,
        since=counter.clean_since.isoformat(),
        days=days,
        span=calendar_span(counter.clean_since, today).as_context(),
        today=reached_today[-1] if reached_today else None,
        next=None if upcoming is None else _upcoming(*upcoming, today),
    )


flows = Flows(
    commands={
        "cleandate": set_clean_date,
        "days": show_days,
        "together": show_together,
        "timezone": set_timezone,
        "milestones": show_milestones,
        "share": set_share,
    },
    buttons={KEEP_DATE: keep_clean_date, CELEBRATE: celebrate, KEEP_PRIVATE: keep_private},
)
