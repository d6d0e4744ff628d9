"""``/craving``: an immediate answer, fair peer pings, a claim, escalation and a follow-up.

1. The member gets a warm answer at once, with a few concrete things to do and three buttons:
   **I'm here** (for peers), **It passed** and **Call me** (for the member).
2. Up to ``ping_count`` supporters are pinged, chosen fairly (``pick_supporters``).
3. The first **I'm here** claims it; the message is edited to say who is on it, and the member
   is told privately who is coming.
4. Unclaimed after ``escalate_after``: the next supporters are pinged, up to ``max_pings``; then
   the member gets the crisis lines and meetings privately.
5. After ``followup_after`` the member is asked privately how it went.
6. A member's repeated cravings within ``craving_cooldown`` join the open one: every one gets
   the supportive answer, but pings go out once.
7. Words of immediate danger put the crisis lines first, privately, and ping supporters whatever
   the cooldown.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import StrEnum
from typing import Any

from bot.domain.community import CommunitySettings
from bot.domain.model import Community, Person
from bot.domain.replies import Button, Mention, Template, parse_id
from bot.flows import Flows
from bot.flows.calls import request_call
from bot.flows.relapse import offer_restart
from bot.flows.supporters import pick_supporters
from bot.storage.queries.craving import Craving
from bot.turn import Turn

log = logging.getLogger(__name__)

MAX_NOTE = 500
ACTIONS = ("tell", "call", "walk", "sweet", "meeting", "read", "tape")
"""The concrete things a craving answer suggests, three at a time, rotating."""
ESCALATE = "craving.escalate"
FOLLOW_UP = "craving.followup"


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
    LABEL_IM_HERE = "label_craving_im_here"
    LABEL_PASSED = "label_craving_passed"
    LABEL_CALL_ME = "label_craving_call_me"
    LABEL_STRUGGLING = "label_craving_struggling"
    LABEL_USED = "label_craving_used"


async def craving(turn: Turn, args: str) -> None:
    """Answer at once, then bring in peers."""
    note = " ".join(args.split())[:MAX_NOTE]
    danger = turn.danger.spoken_in(note)
    community = await turn.home_community()
    settings = community.settings if community else CommunitySettings()
    zone = await turn.zone_of(turn.me)
    if danger:
        await turn.tell_me(T.CRISIS, {"resources": settings.resources})

    # A craving while the member's last one is still open joins it: every one gets the answer,
    # supporters are pinged once. One that passed is closed; a new one starts afresh.
    open_craving = None
    if community is not None:
        since = turn.now - timedelta(minutes=settings.craving_cooldown)
        recent = await turn.tx.latest_pinged_craving(turn.me.key, community.key, since)
        if recent is not None and recent.outcome != "passed":
            open_craving = recent
    if open_craving is not None:
        craving_id, started = open_craving.id, open_craving.created_at
    else:
        assert turn.origin is not None
        craving_id, started = (
            await turn.tx.create_craving(
                community.key if community else None,
                turn.me.key,
                turn.origin.chat,
                turn.origin.private,
                turn.now,
            ),
            turn.now,
        )
        await turn.tx.schedule(
            FOLLOW_UP,
            turn.now + timedelta(minutes=settings.followup_after),
            {"craving": craving_id},
            key=f"{FOLLOW_UP}:{craving_id}",
            about=turn.me.key,
        )

    pinged: list[Person] = []
    if community is not None and (open_craving is None or danger):
        pinged = await _choose(turn, craving_id, community, turn.me, rested=not danger)
        await _escalate_later(turn, craving_id, turn.me, settings)

    # In a group the answer itself mentions the supporters: one message, not two. A craving
    # shared privately stays private: its supporters are told in their own private chats.
    in_group = turn.community is not None
    check_in = started + timedelta(minutes=settings.followup_after)
    context = {
        "actions": _actions(craving_id),
        "pinged": len(pinged),
        "supporters": [p.ref for p in pinged] if in_group else [],
        "waiting": open_craving is not None and not pinged,
        "check_in": check_in.astimezone(zone).strftime("%H:%M"),
        "private": not in_group,
        "claimed_by": None,
        "passed": False,
    }
    message = await turn.say(
        T.REPLY,
        context,
        public=True,
        buttons=_reply_buttons(craving_id, for_peers=in_group),
        mentions=[Mention(p.platform_id, p.name) for p in pinged] if in_group else (),
    )
    await turn.tx.set_craving_message(craving_id, message)
    if pinged and not in_group:
        assert community is not None
        await _send_pings(turn, craving_id, community, turn.me, pinged, note)


async def _escalate_later(
    turn: Turn, craving_id: int, member: Person, settings: CommunitySettings
) -> None:
    """Arm this craving's escalation (one per craving: arming again keeps the earlier time)."""
    await turn.tx.schedule(
        ESCALATE,
        turn.now + timedelta(minutes=settings.escalate_after),
        {"craving": craving_id},
        key=f"{ESCALATE}:{craving_id}",
        about=member.key,
    )


async def _ping_round(
    turn: Turn, craving_id: int, community: Community, member: Person
) -> list[Person]:
    """Ping the next fair few supporters of this craving, if any are free."""
    chosen = await _choose(turn, craving_id, community, member)
    await _send_pings(turn, craving_id, community, member, chosen, "")
    return chosen


async def _choose(
    turn: Turn, craving_id: int, community: Community, member: Person, *, rested: bool = True
) -> list[Person]:
    """Choose the next supporters for this craving (never one already pinged in it)."""
    already = await turn.tx.craving_pinged(craving_id)
    room = community.settings.max_pings - len(already)
    chosen = await pick_supporters(
        turn,
        community,
        "cravings",
        count=min(community.settings.ping_count, room),
        exclude={member.key, *already},
        rested=rested,
    )
    if chosen:
        await turn.tx.record_craving_pings(craving_id, [p.key for p in chosen], turn.now)
    return chosen


async def _send_pings(
    turn: Turn,
    craving_id: int,
    community: Community,
    member: Person,
    chosen: list[Person],
    note: str,
) -> None:
    """Mention the chosen in the chat where the craving was shared, or tell them privately."""
    if not chosen:
        return
    craving = await turn.tx.get_craving(craving_id)
    assert craving is not None
    context = {
        "member": member.ref,
        "note": note,
        "supporters": [p.ref for p in chosen],
        "private": craving.private,
    }
    buttons = [Button(T.LABEL_IM_HERE, "craving.claim", str(craving_id))]
    if craving.private:  # the member asked privately: their supporters hear privately too
        for supporter in chosen:
            await turn.tell(supporter, T.PING, context, buttons=buttons)
    else:
        await turn.post(
            community,
            T.PING,
            context,
            chat=craving.chat,
            buttons=buttons,
            mentions=[Mention(p.platform_id, p.name) for p in chosen],
            about=member.key,
        )
    log.info("craving %d: pinged %d supporters", craving_id, len(chosen))


async def claim(turn: Turn, payload: str) -> None:
    """First **I'm here** wins; the member learns who is coming."""
    craving = await _craving(turn, payload)
    if craving is None:
        return
    if craving.person == turn.me.key:
        await turn.tell_me(T.NOT_YOURS, {"for_member": True})
        return
    # Payloads can be forged: only someone pinged for this craving, or a member of its group
    # pressing in that group, may claim it.
    in_its_group = (
        not craving.private
        and turn.community is not None
        and turn.community.key == craving.community
    )
    if not in_its_group and turn.me.key not in await turn.tx.craving_pinged(craving.id):
        await turn.tell_me(Template.BUTTON_UNKNOWN)
        return
    if not await turn.tx.claim_craving(craving.id, turn.me.key, turn.now):
        claimer = await turn.tx.get_person(craving.claimed_by) if craving.claimed_by else None
        await turn.tell_me(
            T.COVERED,
            {"claimer": claimer.name if claimer else None, "passed": craving.outcome == "passed"},
        )
        return
    member = await turn.tx.get_person(craving.person)
    assert member is not None
    if craving.message is not None:
        await turn.edit(
            craving.message,
            T.REPLY,
            _edited_context(member, craving, claimed_by=turn.me.ref),
            buttons=_reply_buttons(craving.id, for_peers=not craving.private),
            about=member.key,
        )
    await turn.tell(member, T.CLAIMED, {"supporter": turn.me.ref})


async def passed(turn: Turn, payload: str) -> None:
    """The member says the craving passed: mark it, and let the group message say so."""
    craving = await _own_craving(turn, payload)
    if craving is None:
        return
    first_time = craving.outcome != "passed"
    await turn.tx.set_craving_outcome(craving.id, "passed")
    if craving.message is not None and first_time:
        await turn.edit(
            craving.message,
            T.REPLY,
            _edited_context(turn.me, craving, passed=True),
            about=turn.me.key,
        )
    if turn.message != craving.message:
        await _answer_follow_up(turn, "passed")


async def call_me(turn: Turn, payload: str) -> None:
    """Turn the craving into a call request."""
    craving = await _own_craving(turn, payload)
    if craving is None:
        return
    if turn.community is None and craving.community is not None:
        turn.community = await turn.tx.get_community(craving.community)
    await request_call(turn, practice=False, note="", private=craving.private)


async def struggling(turn: Turn, payload: str) -> None:
    """Still struggling: bring in more peers and offer a call."""
    craving = await _own_craving(turn, payload)
    if craving is None:
        return
    await turn.tx.set_craving_outcome(craving.id, "struggling")
    more = 0
    community = await turn.tx.get_community(craving.community) if craving.community else None
    if community is not None:
        more = len(await _ping_round(turn, craving.id, community, turn.me))
        if more:
            await _escalate_later(turn, craving.id, turn.me, community.settings)
    await _answer_follow_up(
        turn,
        "struggling",
        more=more,
        buttons=[Button(T.LABEL_CALL_ME, "craving.call", payload)],
        resources=community.settings.resources if community else None,
    )


async def used(turn: Turn, payload: str) -> None:
    """I used: thank them for saying so, keep them safe, and offer a gentle restart."""
    craving = await _own_craving(turn, payload)
    if craving is None:
        return
    await turn.tx.set_craving_outcome(craving.id, "used")
    await _answer_follow_up(turn, "used")
    await offer_restart(turn)


async def escalate(turn: Turn, payload: dict[str, Any]) -> None:
    """Nobody claimed yet: ping the next supporters, or give the member the crisis lines."""
    craving = await turn.tx.get_craving(int(payload["craving"]))
    if craving is None or craving.claimed_by or craving.outcome == "passed":
        return
    community = await turn.tx.get_community(craving.community) if craving.community else None
    member = await turn.tx.get_person(craving.person)
    if community is None or member is None:
        return
    if await _ping_round(turn, craving.id, community, member):
        await _escalate_later(turn, craving.id, member, community.settings)
        return
    await turn.tell(
        member,
        T.NOBODY,
        {
            "resources": community.settings.resources,
            "meetings": [m.as_context() for m in community.settings.meetings],
        },
    )


async def follow_up(turn: Turn, payload: dict[str, Any]) -> None:
    """Ask the member privately how it went, unless they already said it passed."""
    craving = await turn.tx.get_craving(int(payload["craving"]))
    if craving is None or craving.outcome is not None:
        return
    member = await turn.tx.get_person(craving.person)
    if member is None:
        return
    ref = str(craving.id)
    await turn.tell(
        member,
        T.FOLLOW_UP,
        {},
        buttons=[
            Button(T.LABEL_PASSED, "craving.passed", ref),
            Button(T.LABEL_STRUGGLING, "craving.struggling", ref),
            Button(T.LABEL_USED, "craving.used", ref),
        ],
    )


async def record(turn: Turn, args: str) -> None:
    """Show the member, privately, how many of their cravings passed."""
    logged, rode_out = await turn.tx.craving_record(turn.me.key)
    await turn.say(T.RECORD, {"logged": logged, "passed": rode_out}, private=True)


async def _answer_follow_up(
    turn: Turn,
    answer: str,
    *,
    more: int = 0,
    buttons: list[Button] | None = None,
    resources: str | None = None,
) -> None:
    logged, rode_out = await turn.tx.craving_record(turn.me.key)
    await turn.tell_me(
        T.FOLLOW_UP_ANSWER,
        {
            "answer": answer,
            "more": more,
            "logged": logged,
            "passed": rode_out,
            "resources": resources,
        },
        buttons=buttons or [],
    )


async def _craving(turn: Turn, payload: str) -> Craving | None:
    """The craving a button names, or a polite answer when the payload is unknown."""
    craving_id = parse_id(payload)
    craving = None if craving_id is None else await turn.tx.get_craving(craving_id)
    if craving is None:
        await turn.tell_me(Template.BUTTON_UNKNOWN)
    return craving


async def _own_craving(turn: Turn, payload: str) -> Craving | None:
    """The craving a member's own button names; a peer pressing it gets a kind word."""
    craving = await _craving(turn, payload)
    if craving is not None and craving.person != turn.me.key:
        await turn.tell_me(T.NOT_YOURS, {"for_member": False})
        return None
    return craving


def _actions(craving_id: int) -> list[str]:
    """Three suggestions, a different three for each craving."""
    start = (craving_id * 3) % len(ACTIONS)
    return [ACTIONS[(start + n) % len(ACTIONS)] for n in range(3)]


def _edited_context(
    member: Person,
    craving: Craving,
    *,
    claimed_by: dict[str, str] | None = None,
    passed: bool = False,
) -> dict[str, Any]:
    return {
        "who": member.ref,
        "actions": _actions(craving.id),
        "pinged": 0,
        "supporters": [],
        "waiting": False,
        "check_in": None,
        "private": craving.private,
        "claimed_by": claimed_by,
        "passed": passed,
    }


def _reply_buttons(craving_id: int, *, for_peers: bool) -> list[Button]:
    """The member's buttons; **I'm here** too where peers see the message (later taps on it
    are told the craving is covered)."""
    ref = str(craving_id)
    buttons = [Button(T.LABEL_IM_HERE, "craving.claim", ref)] if for_peers else []
    return [
        *buttons,
        Button(T.LABEL_PASSED, "craving.passed", ref),
        Button(T.LABEL_CALL_ME, "craving.call", ref),
    ]


flows = Flows(
    commands={"craving": craving, "cravings": record},
    buttons={
        "craving.claim": claim,
        "craving.passed": passed,
        "craving.call": call_me,
        "craving.struggling": struggling,
        "craving.used": used,
    },
    timers={ESCALATE: escalate, FOLLOW_UP: follow_up},
    templates=(T,),
)
