"""``/craving``: an immediate answer, fair peer pings, a claim, escalation and a follow-up.

1. The member gets a warm answer at once, with a few concrete things to do and buttons:
   **I'm here** (for peers), **It passed**, **Call me** and **I'm in danger** (for the member).
2. Up to ``ping_count`` supporters are pinged, chosen fairly (``pick_among``) from the chat and
   every chat linked with it; those of a linked chat on the other platform privately there
   (``bot.flows.bridge``). When none can be, the answer says so at once, with the crisis lines
   and the next meeting.
3. The first **I'm here**, from either side, claims it; the message is edited where it was
   posted to say who is on it, and the member is told privately who is coming and how.
4. Unclaimed after ``escalate_after``: the next supporters are pinged, up to ``max_pings``; then
   the member is told privately that nobody could be reached yet.
5. After ``followup_after`` the member is asked privately how it went.
6. A member's repeated cravings within ``craving_cooldown`` join the open one: every one gets
   the supportive answer, but pings go out once.
7. Danger (words of immediate danger in any note, or **I'm in danger**) makes the craving
   urgent: the group answer leads with the emergency number instead of things to do, the
   member gets the crisis lines privately at once, and supporters are pinged urgently whatever
   the cooldown, their rest and ``max_pings``.

The full crisis block goes to a member once per craving (its "episode"); later messages point
back to it and repeat only the emergency number.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from bot.contexts import Ref
from bot.contexts import craving as ctx
from bot.dispatch import Flows, on_timer
from bot.domain.community import CommunitySettings
from bot.domain.meetings import occurrences
from bot.domain.model import Community, Person
from bot.domain.records import Craving
from bot.domain.replies import Button, Mention, Priority, Template, parse_id
from bot.domain.timers import CravingEscalation, CravingFollowUp
from bot.flows import bridge
from bot.flows.supporters import pick_among
from bot.turn import Turn

log = logging.getLogger(__name__)

MAX_NOTE = 500
ACTIONS = ("tell", "call", "walk", "sweet", "meeting", "read", "tape")
"""The concrete things a craving answer suggests, three at a time, rotating."""
EPISODE = timedelta(hours=24)
"""How long one craving's crisis block counts as sent: the episode ends with its outcome, or
after this long."""
ESCALATE = CravingEscalation.kind
FOLLOW_UP = CravingFollowUp.kind


class T(StrEnum):
    REPLY = "craving_reply"
    PING = "craving_ping"
    CRISIS = "craving_crisis"
    NOBODY = "craving_nobody"
    CLAIMED = "craving_claimed"
    COVERED = "craving_covered"
    NOT_YOURS = "craving_not_yours"
    FOLLOW_UP = "craving_followup"
    FOLLOW_UP_ANSWER = "craving_followup_answer"
    RECORD = "cravings_record"
    INVITE_SUPPORTERS = "craving_invite_supporters"
    LABEL_IM_HERE = "label_craving_im_here"
    LABEL_PASSED = "label_craving_passed"
    LABEL_CALL_ME = "label_craving_call_me"
    LABEL_DANGER = "label_craving_danger"
    LABEL_STRUGGLING = "label_craving_struggling"
    LABEL_USED = "label_craving_used"


async def craving(turn: Turn, args: str) -> None:
    """Answer at once, then bring in peers."""
    await share(turn, " ".join(args.split())[:MAX_NOTE], danger=turn.danger.spoken_in(args))


async def danger_in_note(turn: Turn, note: str) -> bool:
    """Take the danger path when a member's note (a call's, a restart's) speaks of danger."""
    if not turn.danger.spoken_in(note):
        return False
    await share(turn, " ".join(note.split())[:MAX_NOTE], danger=True)
    return True


async def share(turn: Turn, note: str, *, danger: bool) -> None:
    """Open a craving (or join the member's open one) and answer where they asked."""
    assert turn.origin is not None
    community = await turn.home_community()
    settings = community.settings if community else CommunitySettings()
    reachable = await turn.reaches_me_privately()
    private = turn.community is None

    # A craving while the member's last one here is still open joins it: every one gets the
    # answer, supporters are pinged once, the crisis block is given once. Danger within a day
    # of an open craving whose block was given joins it too. Only a craving shared the same way
    # (in the group, or privately) is joined, so a private one never reaches the group.
    open_craving = None
    if community is not None:
        cooldown = turn.now - timedelta(minutes=settings.craving_cooldown)
        await turn.tx.cravings.before_sharing(
            turn.me.key,
            community.key,
            private,
            open_since=cooldown,
            crisis_since=turn.now - EPISODE,
            supporter_role=settings.supporter_role,
        )
        open_craving = await turn.tx.cravings.latest(turn.me.key, community.key, private, cooldown)
        if open_craving is None and danger:
            earlier = await turn.tx.cravings.latest(
                turn.me.key, community.key, private, turn.now - EPISODE
            )
            if earlier is not None and _crisis_given(earlier, turn.now):
                open_craving = earlier
    if open_craving is not None:
        current = open_craving
    else:
        current = await _open(turn, community, settings, reachable=reachable)
    if danger:
        await turn.tx.cravings.mark_urgent(current.id)
        if reachable:  # privately and at once, before anything else is said to them
            await _send_crisis(turn, current, settings)

    # A joined craving that could ask nobody tries again: someone may be free now.
    home, communities = await _chats(turn, current)
    pinged: list[Person] = []
    if communities and (open_craving is None or danger or not open_craving.pinged):
        pinged = await _choose(turn, current, home, communities, turn.me, urgent=danger)
        await _escalate_later(turn, current.id, turn.me, settings)
    current = await _get(turn, current.id)
    claimer = None
    if current.claimed_by and not pinged:
        claimer = await turn.tx.people.get(current.claimed_by)
    asked_earlier = (
        0 if pinged or open_craving is None else len(await turn.tx.cravings.pinged(current.id))
    )
    nobody = bool(communities) and not pinged and claimer is None and not asked_earlier
    here, across = await bridge.split(turn, pinged, home)

    # In a group the answer itself mentions the supporters: one message, not two. A craving
    # shared privately stays private: its supporters are told in their own private chats.
    # The crisis block goes in the answer itself when the member cannot be written to
    # privately, or when nobody can come.
    show_crisis = (danger and not reachable) or nobody or not communities
    context = _reply_context(
        current,
        turn.me,
        settings,
        danger=danger,
        pinged=len(pinged),
        supporters=[p.ref for p in here] if not private else [],
        across=len(across),
        asked_earlier=asked_earlier,
        claimed_by=claimer.ref if claimer else None,
        nobody=nobody,
        no_group=not communities,
        crisis=await _crisis_here(turn, current, show=show_crisis, in_group=not private),
        next_meeting=await _next_meeting(turn, community),
        check_in=(current.created_at + timedelta(minutes=settings.followup_after))
        .astimezone(await turn.zone_of(turn.me))
        .strftime("%H:%M"),
    )
    message = await turn.say(
        T.REPLY,
        context,
        public=True,
        buttons=_reply_buttons(current.id, for_peers=not private, danger=danger),
        mentions=[Mention(p.platform_id, p.name) for p in here] if not private else (),
        priority=Priority.URGENT,
    )
    await turn.tx.cravings.set_message(current.id, message)  # a claim edits the latest answer
    # The answer mentions those in the group; the rest are asked privately.
    await _send_pings(turn, current, turn.me, pinged if private else across, urgent=danger)
    if nobody and not private and open_craving is None:
        await _invite_supporters(turn, communities[0])


async def _open(
    turn: Turn, community: Community | None, settings: CommunitySettings, *, reachable: bool
) -> Craving:
    """Start a new craving and its follow-up; a crisis block the member got privately in the
    last day counts for it too."""
    assert turn.origin is not None
    given = await turn.tx.cravings.latest_private_crisis(turn.me.key, turn.now - EPISODE)
    created = await turn.tx.cravings.create(
        community.key if community else None,
        turn.me.key,
        turn.origin.chat,
        turn.origin.private,
        turn.now,
    )
    await turn.tx.timers.schedule(
        CravingFollowUp(created),
        turn.now + timedelta(minutes=settings.followup_after),
        key=f"{FOLLOW_UP}:{created}",
        about=turn.me.key,
    )
    if given is not None and reachable:
        await turn.tx.cravings.mark_crisis_sent(created, given, in_group=False)
    return await _get(turn, created)


async def _crisis_here(
    turn: Turn, craving: Craving, *, show: bool, in_group: bool
) -> ctx.CrisisShown | None:
    """How an answer speaks of the crisis lines: ``full`` (the block, here), ``sent`` (just
    sent privately), ``earlier`` (given before in this episode: one line and the emergency
    number), or None."""
    if _crisis_given(craving, turn.now):
        just_now = craving.crisis_sent_at == turn.now and not craving.crisis_in_group
        return "sent" if just_now else "earlier"
    if not show:
        return None
    await turn.tx.cravings.mark_crisis_sent(craving.id, turn.now, in_group=in_group)
    return "full"


async def _invite_supporters(turn: Turn, community: Community) -> None:
    """At a group's first craving with nobody to ping, tell its admins how to invite peers."""
    if await turn.tx.cravings.count_in(community.key) > 1:
        return
    settings = community.settings
    if await turn.tx.supporters.opted_in(
        community.key, "cravings", supporter_role=settings.supporter_role
    ):
        return  # there are supporters: they were only resting or in their quiet hours
    for admin in await turn.tx.memberships.admins(community.key):
        if admin.key != turn.me.key:
            await turn.tell(admin, T.INVITE_SUPPORTERS, priority=Priority.BACKGROUND)


async def in_danger(turn: Turn, payload: str) -> None:
    """The member tapped **I'm in danger**: the same path as danger words in a note."""
    craving = await own_craving(turn, payload)
    if craving is None:
        return
    community = await turn.tx.communities.get(craving.community) if craving.community else None
    settings = community.settings if community else CommunitySettings()
    await turn.tx.cravings.mark_urgent(craving.id)
    # Where they cannot read a private message, the block goes where they pressed.
    await _send_crisis(turn, craving, settings, where_pressed=not await turn.reaches_me_privately())
    home, communities = await _chats(turn, craving)
    pinged = await _choose(turn, craving, home, communities, turn.me, urgent=True)
    if communities:
        await _escalate_later(turn, craving.id, turn.me, settings)
    craving = await _get(turn, craving.id)
    if craving.message is not None:
        asked = len(await turn.tx.cravings.pinged(craving.id))
        await turn.edit(
            craving.message,
            T.REPLY,
            await _edited_context(
                turn,
                turn.me,
                craving,
                nobody=bool(communities) and not asked and not craving.claimed_by,
                no_group=not communities,
            ),
            buttons=_reply_buttons(craving.id, for_peers=not craving.private, danger=True),
            about=turn.me.key,
            priority=Priority.URGENT,
        )
    await _send_pings(turn, craving, turn.me, pinged, urgent=True)


async def _chats(turn: Turn, craving: Craving) -> tuple[list[Community], list[Community]]:
    """Where a craving's supporters come from: its home (the group it was shared in, or for
    one shared privately every group of the member's, the first group first), and every chat
    of the home and linked with it, the home first."""
    if not craving.private:
        shared_in = await turn.tx.communities.get(craving.community) if craving.community else None
        home = [shared_in] if shared_in is not None else []
    else:
        home = []
        for membership in await turn.tx.memberships.of(craving.person):
            community = await turn.tx.communities.get(membership.community)
            if community is not None and community.active:
                home.append(community)
    return home, await bridge.with_linked(turn, home)


async def _send_crisis(
    turn: Turn, craving: Craving, settings: CommunitySettings, *, where_pressed: bool = False
) -> None:
    """Give the asking member the crisis lines, privately or ``where_pressed`` (in the open):
    the whole block once an episode, after that one line pointing back to it, with the
    emergency number."""
    again = _crisis_given(craving, turn.now)
    if not again:
        await turn.tx.cravings.mark_crisis_sent(craving.id, turn.now, in_group=where_pressed)
    context = ctx.Lines(who=turn.who, **settings.crisis(), again=again)
    if where_pressed:
        await turn.say(T.CRISIS, context, public=True, priority=Priority.URGENT)
    else:
        await turn.tell_me(T.CRISIS, context, priority=Priority.URGENT)


async def _escalate_later(
    turn: Turn, craving_id: int, member: Person, settings: CommunitySettings
) -> None:
    """Arm this craving's escalation (one per craving: arming again keeps the earlier time)."""
    await turn.tx.timers.schedule(
        CravingEscalation(craving_id),
        turn.now + timedelta(minutes=settings.escalate_after),
        key=f"{ESCALATE}:{craving_id}",
        about=member.key,
    )


async def _choose(
    turn: Turn,
    craving: Craving,
    home: list[Community],
    communities: list[Community],
    member: Person,
    *,
    urgent: bool = False,
) -> list[Person]:
    """Choose the next supporters for this craving (never one already pinged in it).

    An urgent round is not bounded by ``max_pings``; it also tells the supporters pinged
    before the craving turned urgent that it is urgent now.
    """
    if not communities:
        return []
    already = await turn.tx.cravings.pinged(craving.id)
    settings = communities[0].settings
    count = settings.ping_count
    if not urgent:
        count = min(count, settings.max_pings - len(already))
    chosen = await pick_among(
        turn,
        communities,
        "cravings",
        count=count,
        exclude={member.key, *already},
        home={c.key for c in home},
        urgent=urgent,
    )
    if urgent:
        told = await turn.tx.cravings.pinged(craving.id, urgently=True)
        for key in sorted(already - told):
            earlier = await turn.tx.people.get(key)
            if earlier is not None:
                chosen.insert(0, earlier)
    if chosen:
        await turn.tx.cravings.record_pings(
            craving.id, [p.key for p in chosen], turn.now, urgent=urgent
        )
    return chosen


async def _send_pings(
    turn: Turn,
    craving: Craving,
    member: Person,
    chosen: list[Person],
    *,
    urgent: bool,
) -> None:
    """Mention the chosen in the chat where the craving was shared, or tell them privately;
    those of a linked chat only are asked privately there, across the bridge.

    A private ping names the member only: never their note, never which group.
    """
    if not chosen:
        return
    community = await turn.tx.communities.get(craving.community) if craving.community else None
    settings = community.settings if community else CommunitySettings()
    home, linked = await _chats(turn, craving)
    here, across = await bridge.split(turn, chosen, home)
    if across and community is not None:
        await bridge.ask_for_craving(
            turn, member, community, across, linked, craving=craving.id, urgent=urgent
        )
    log.info("craving %d: pinged %d supporters", craving.id, len(chosen))
    if not here:
        return
    context = ctx.Ping(
        member=member.ref,
        note="",
        supporters=[p.ref for p in here],
        private=craving.private,
        urgent=urgent,
        **settings.crisis(),
    )
    buttons = [Button(T.LABEL_IM_HERE, "craving.claim", str(craving.id))]
    if craving.private or community is None:
        for supporter in here:
            await turn.tell(supporter, T.PING, context, buttons=buttons, priority=Priority.URGENT)
    else:
        await turn.post(
            community,
            T.PING,
            context,
            chat=craving.chat,
            buttons=buttons,
            mentions=[Mention(p.platform_id, p.name) for p in here],
            about=member.key,
            priority=Priority.URGENT,
        )


async def claim(turn: Turn, payload: str) -> None:
    """First **I'm here** wins; the member learns who is coming."""
    craving = await _craving(turn, payload)
    if craving is None:
        return
    if craving.person == turn.me.key:
        await turn.tell_me(T.NOT_YOURS, ctx.NotYours(for_member=True))
        return
    # Payloads can be forged: only someone pinged for this craving, or a member of its group
    # pressing in that group, may claim it.
    in_its_group = (
        not craving.private
        and turn.community is not None
        and turn.community.key == craving.community
    )
    if not in_its_group and turn.me.key not in await turn.tx.cravings.pinged(craving.id):
        await turn.tell_me(Template.BUTTON_UNKNOWN)
        return
    if not await turn.tx.cravings.claim(craving.id, turn.me.key, turn.now):
        claimer = await turn.tx.people.get(craving.claimed_by) if craving.claimed_by else None
        # From the other side: a first name only.
        name = None if claimer is None else bridge.as_seen_from(claimer, turn.me.platform)["name"]
        await turn.tell_me(T.COVERED, ctx.Covered(claimer=name, passed=craving.outcome == "passed"))
        return
    member = await turn.tx.people.get(craving.person)
    assert member is not None
    # Edited and told on the member's side, in their chat's language, whichever side pressed.
    origin = await turn.tx.communities.get(craving.community) if craving.community else None
    at_member = turn.scoped(community=origin) if origin is not None else turn
    if craving.message is not None:
        await at_member.edit(
            craving.message,
            T.REPLY,
            await _edited_context(
                turn, member, craving, claimed_by=bridge.as_seen_from(turn.me, member.platform)
            ),
            buttons=_reply_buttons(
                craving.id, for_peers=not craving.private, danger=craving.urgent
            ),
            about=member.key,
            priority=Priority.URGENT,
        )
    if turn.me.platform != member.platform:
        await bridge.hand_over(at_member, turn, member, "craving")
        return
    await at_member.tell(
        member,
        T.CLAIMED,
        ctx.Claimed(supporter=turn.who),
        mentions=[Mention(turn.me.platform_id, turn.me.name)],
        priority=Priority.URGENT,
    )


async def passed(turn: Turn, payload: str) -> None:
    """The member says the craving passed: mark it, and let the group message say so."""
    craving = await own_craving(turn, payload)
    if craving is None:
        return
    first_time = craving.outcome != "passed"
    await turn.tx.cravings.set_outcome(craving.id, "passed")
    if craving.message is not None and first_time:
        await turn.edit(
            craving.message,
            T.REPLY,
            await _edited_context(turn, turn.me, craving, passed=True),
            about=turn.me.key,
        )
    if turn.message != craving.message:
        await answer_follow_up(turn, craving, "passed")


async def struggling(turn: Turn, payload: str) -> None:
    """Still struggling: bring in more peers and offer a call."""
    craving = await own_craving(turn, payload)
    if craving is None:
        return
    await turn.tx.cravings.set_outcome(craving.id, "struggling")
    more = 0
    home, communities = await _chats(turn, craving)
    if communities:
        chosen = await _choose(turn, craving, home, communities, turn.me, urgent=craving.urgent)
        await _send_pings(turn, craving, turn.me, chosen, urgent=craving.urgent)
        more = len(chosen)
        if more:
            await _escalate_later(turn, craving.id, turn.me, communities[0].settings)
    await answer_follow_up(
        turn,
        craving,
        "struggling",
        more=more,
        buttons=[Button(T.LABEL_CALL_ME, "craving.call", payload)],
    )


async def escalate(turn: Turn, timer: CravingEscalation) -> None:
    """Nobody claimed yet: ping the next supporters, or tell the member nobody is free."""
    craving = await turn.tx.cravings.get(timer.craving)
    if craving is None or craving.claimed_by or craving.outcome == "passed":
        return
    community = await turn.tx.communities.get(craving.community) if craving.community else None
    member = await turn.tx.people.get(craving.person)
    if community is None or member is None:
        return
    home, communities = await _chats(turn, craving)
    chosen = await _choose(turn, craving, home, communities, member, urgent=craving.urgent)
    if chosen:
        await _send_pings(turn, craving, member, chosen, urgent=craving.urgent)
        await _escalate_later(turn, craving.id, member, community.settings)
        return
    settings = community.settings
    again = _crisis_given(craving, turn.now)
    context = ctx.Nobody(
        who=member.ref,
        **settings.crisis(),
        again=again,
        meetings=[m.as_context() for m in settings.meetings],
    )
    # Said where the member can read it: privately if they can be written to there, else in
    # the group where they shared the craving (never for a craving shared privately).
    in_group = not craving.private and not await turn.tx.people.private_chat_open(member.key)
    if in_group:
        await turn.post(
            community,
            T.NOBODY,
            context,
            chat=craving.chat,
            about=member.key,
            priority=Priority.URGENT,
        )
    else:
        await turn.tell(
            member,
            T.NOBODY,
            context,
            chat=None if craving.private else craving.chat,
            priority=Priority.URGENT,
        )
    if not again:
        await turn.tx.cravings.mark_crisis_sent(craving.id, turn.now, in_group=in_group)


async def follow_up(turn: Turn, timer: CravingFollowUp) -> None:
    """Ask the member privately how it went, unless they already said it passed."""
    craving = await turn.tx.cravings.get(timer.craving)
    if craving is None or craving.outcome is not None:
        return
    member = await turn.tx.people.get(craving.person)
    if member is None:
        return
    ref = str(craving.id)
    await turn.tell(
        member,
        T.FOLLOW_UP,
        ctx.FollowUp(who=member.ref),
        chat=None if craving.private else craving.chat,
        buttons=[
            Button(T.LABEL_PASSED, "craving.passed", ref),
            Button(T.LABEL_STRUGGLING, "craving.struggling", ref),
            Button(T.LABEL_USED, "craving.used", ref),
        ],
    )


async def record(turn: Turn, args: str) -> None:
    """Show the member, privately, how many of their cravings passed."""
    logged, rode_out = await turn.tx.cravings.tally(turn.me.key)
    await turn.say(T.RECORD, ctx.Record(logged=logged, passed=rode_out), private=True)


async def answer_follow_up(
    turn: Turn,
    craving: Craving,
    answer: Literal["passed", "struggling", "used"],
    *,
    more: int = 0,
    buttons: list[Button] | None = None,
) -> None:
    logged, rode_out = await turn.tx.cravings.tally(turn.me.key)
    community = await turn.tx.communities.get(craving.community) if craving.community else None
    settings = community.settings if community else CommunitySettings()
    crisis: Literal["full", "again"] | None = None
    if answer == "struggling":
        crisis = "again" if _crisis_given(craving, turn.now) else "full"
        if crisis == "full":
            await turn.tx.cravings.mark_crisis_sent(craving.id, turn.now, in_group=False)
    await turn.tell_me(
        T.FOLLOW_UP_ANSWER,
        ctx.FollowUpAnswer(
            answer=answer,
            more=more,
            logged=logged,
            passed=rode_out,
            crisis=crisis,
            **settings.crisis(),
        ),
        buttons=buttons or [],
        priority=Priority.URGENT if crisis else Priority.ANSWER,
    )


async def _get(turn: Turn, craving_id: int) -> Craving:
    craving = await turn.tx.cravings.get(craving_id)
    assert craving is not None
    return craving


async def _craving(turn: Turn, payload: str) -> Craving | None:
    """The craving a button names, or a polite answer when the payload is unknown."""
    craving_id = parse_id(payload)
    craving = None if craving_id is None else await turn.tx.cravings.get(craving_id)
    if craving is None:
        await turn.tell_me(Template.BUTTON_UNKNOWN)
    return craving


async def own_craving(turn: Turn, payload: str) -> Craving | None:
    """The craving a member's own button names; a peer pressing it gets a kind word."""
    craving = await _craving(turn, payload)
    if craving is not None and craving.person != turn.me.key:
        await turn.tell_me(T.NOT_YOURS, ctx.NotYours(for_member=False))
        return None
    return craving


async def _next_meeting(turn: Turn, community: Community | None) -> ctx.NextMeeting | None:
    """The community's next meeting, as a member waiting alone would want to know it."""
    if community is None or not community.settings.meetings:
        return None
    zone = await turn.zone_of(turn.me)
    today = turn.now.astimezone(zone).date()
    upcoming = [
        o
        for o in occurrences(community.settings.meetings, zone, today, today + timedelta(days=7))
        if o.starts_at > turn.now
    ]
    if not upcoming:
        return None
    first = upcoming[0]
    starts = first.starts_at.astimezone(zone)
    return ctx.NextMeeting(
        weekday=starts.weekday(),
        time=starts.strftime("%H:%M"),
        title=first.meeting.title,
        link=first.meeting.link,
        today=starts.date() == today,
    )


def _crisis_given(craving: Craving, now: datetime) -> bool:
    """Whether the member got the full crisis block in this craving's episode."""
    sent = craving.crisis_sent_at
    return sent is not None and now - sent < EPISODE


def _actions(craving_id: int) -> list[str]:
    """Three suggestions, a different three for each craving."""
    start = (craving_id * 3) % len(ACTIONS)
    return [ACTIONS[(start + n) % len(ACTIONS)] for n in range(3)]


def _reply_context(
    craving: Craving,
    member: Person,
    settings: CommunitySettings,
    *,
    danger: bool,
    pinged: int = 0,
    supporters: list[Ref] | None = None,
    asked_earlier: int = 0,
    nobody: bool = False,
    no_group: bool = False,
    crisis: ctx.CrisisShown | None = None,
    next_meeting: ctx.NextMeeting | None = None,
    check_in: str | None = None,
    claimed_by: Ref | None = None,
    passed: bool = False,
    across: int = 0,
) -> ctx.Reply:
    """A craving's answer, first or edited; an edit leaves out what only the first says
    (who was pinged just now, the next meeting, the check-in time)."""
    return ctx.Reply(
        who=member.ref,
        danger=danger or craving.urgent,
        **settings.crisis(),
        actions=[] if danger or craving.urgent else _actions(craving.id),
        pinged=pinged,
        supporters=supporters or [],
        asked_earlier=asked_earlier,
        nobody=nobody,
        no_group=no_group,
        crisis=crisis,
        next_meeting=next_meeting,
        check_in=check_in,
        private=craving.private,
        claimed_by=claimed_by,
        passed=passed,
        across=across,
    )


async def _edited_context(
    turn: Turn,
    member: Person,
    craving: Craving,
    *,
    claimed_by: Ref | None = None,
    passed: bool = False,
    nobody: bool = False,
    no_group: bool = False,
) -> ctx.Reply:
    community = await turn.tx.communities.get(craving.community) if craving.community else None
    settings = community.settings if community else CommunitySettings()
    return _reply_context(
        craving,
        member,
        settings,
        danger=craving.urgent,
        # An edit keeps the block where the group answer was the only place it was given.
        crisis=(
            ("full" if craving.crisis_in_group else "sent")
            if _crisis_given(craving, turn.now)
            else None
        ),
        claimed_by=claimed_by or await _claimer_ref(turn, craving),
        passed=passed,
        nobody=nobody,
        no_group=no_group,
    )


async def _claimer_ref(turn: Turn, craving: Craving) -> Ref | None:
    claimer = await turn.tx.people.get(craving.claimed_by) if craving.claimed_by else None
    member = await turn.tx.people.get(craving.person)
    if claimer is None or member is None:
        return None
    return bridge.as_seen_from(claimer, member.platform)  # as the member's chat sees them


def _reply_buttons(craving_id: int, *, for_peers: bool, danger: bool = False) -> list[Button]:
    """The member's buttons; **I'm here** too where peers see the message (later taps on it
    are told the craving is covered). **I'm in danger** goes once danger is known."""
    ref = str(craving_id)
    buttons = [Button(T.LABEL_IM_HERE, "craving.claim", ref)] if for_peers else []
    buttons += [
        Button(T.LABEL_PASSED, "craving.passed", ref),
        Button(T.LABEL_CALL_ME, "craving.call", ref),
    ]
    if not danger:
        buttons.append(Button(T.LABEL_DANGER, "craving.danger", ref))
    return buttons


def figures_of_event(kind: str, name: str) -> str | None:
    """Which recovery figure a handled event adds to: a craving shared, a claim."""
    if kind == "command" and name == "craving":
        return "cravings"
    if kind == "button" and name == "craving.claim":
        return "claims"
    return None


def pings_in(template: str, mentions: int) -> int:
    """How many supporters a sent row brought in: in a group the answer, or a later ping,
    mentions them; in private each supporter gets a ping of their own."""
    if template in (T.REPLY, T.PING) and mentions:
        return mentions
    return 1 if template in (T.PING, bridge.T.CRAVING_PING) else 0


flows = Flows(
    commands={"craving": craving, "cravings": record},
    buttons={
        "craving.claim": claim,
        "craving.passed": passed,
        "craving.danger": in_danger,
        "craving.struggling": struggling,
    },
    timers=on_timer(CravingEscalation, escalate) | on_timer(CravingFollowUp, follow_up),
    templates=(T,),
)
