"""``/call`` and ``/practice``: phone-list volunteers, a claim, the contact handed privately.

A member's contact is shown to one person only: the volunteer who took their request, in a
private message, after the claim. It is never posted in a group and never logged.

A request asked in a group is posted there with an **I'll call** button. A request asked
privately (typed in a private chat, or a **Call me** on a craving shared privately) is never
posted: the chosen volunteers of the member's group are each asked in a private message, and
only they can take it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import StrEnum

from bot.contexts import bridge as bridged
from bot.contexts import calls as ctx
from bot.contexts.consent import Had
from bot.dispatch import Flows, on_timer
from bot.domain.model import Community, Person
from bot.domain.records import CallRequest, Role
from bot.domain.replies import Button, Mention, Priority, parse_id
from bot.domain.timers import CallExpiry
from bot.flows import bridge, consent
from bot.flows.craving import danger_in_note, own_craving
from bot.flows.supporters import pick_among
from bot.turn import Turn

log = logging.getLogger(__name__)

TAKE = "call.take"
KEEP_CONTACT = "contact.keep"
MAX_NOTE = 300
"""A note is shown as typed, cut to this many characters."""
MAX_CONTACT = 100
HANDOFF_WINDOW = timedelta(hours=2)
"""A contact saved this soon after someone took the member's call is passed on to them."""


class T(StrEnum):
    CALL_REQUEST = "call_request"
    CALL_ASK = "call_ask"
    CALL_ASKED = "call_asked"
    CALL_CLAIMED = "call_claimed"
    CALL_CLOSED = "call_closed"
    CALL_HANDOFF = "call_handoff"
    CALL_CONTACT_FORWARD = "call_contact_forward"
    CALL_COMING = "call_coming"
    CALL_NO_CONTACT = "call_no_contact"
    CALL_EXPIRED = "call_expired"
    CALL_COVERED = "call_covered"
    CALL_OWN = "call_own"
    CALL_GONE = "call_gone"
    CALL_UNKNOWN = "call_unknown"
    CALL_NOT_VOLUNTEER = "call_not_volunteer"
    CALL_GROUP_ONLY = "call_group_only"
    CALL_OPEN = "call_open"
    CONTACT_GROUP = "contact_group"
    CONTACT_SAVED = "contact_saved"
    CONTACT_SHOW = "contact_show"
    CONTACT_CLEARED = "contact_cleared"
    CONTACT_TOO_LONG = "contact_too_long"
    PHONELIST_SET = "phonelist_set"
    PHONELIST_USAGE = "phonelist_usage"
    CALLS_SUMMARY = "calls_summary"
    LABEL_CALL_TAKE = "label_call_take"


# -- asking for a call ---------------------------------------------------------------------------


async def call(turn: Turn, args: str) -> None:
    """Ask the group's phone list for a call; a note that speaks of danger comes first."""
    await _danger_first(turn, args)
    await request_call(turn, practice=False, note=args)


async def practice(turn: Turn, args: str) -> None:
    """Ask for a practice call: a few easy minutes on the phone while nothing is wrong."""
    await _danger_first(turn, args)
    await request_call(turn, practice=True, note=args)


async def _danger_first(turn: Turn, note: str) -> None:
    """Take the danger path first when a call's note speaks of immediate danger."""
    await danger_in_note(turn, note)


async def request_call(turn: Turn, *, practice: bool, note: str, private: bool = False) -> None:
    """Ask the phone list of the member's group for a call (or a practice call).

    In a group the request is posted there and the chosen volunteers are mentioned. With
    ``private`` (and always when asked in a private chat) nothing is posted: the chosen
    volunteers of the member's home group are asked privately, and the member is told how many.
    A member who is in no group yet is told, kindly, to ask in their group.
    """
    member = turn.me
    assert turn.origin is not None
    private = private or turn.origin.private
    community = await turn.home_community()
    if community is None:
        has_contact = await turn.tx.contacts.of(await turn.data_key(member)) is not None
        await turn.say(
            T.CALL_GROUP_ONLY,
            ctx.GroupOnly(command="practice" if practice else "call", has_contact=has_contact),
        )
        return
    settings = community.settings
    open_request = await turn.tx.calls.open_request(community.key, member.key, practice)
    if open_request is not None:
        closes_at = open_request.created_at + timedelta(minutes=settings.call_expiry)
        minutes_left = max(1, int((closes_at - turn.now).total_seconds() // 60))
        await turn.say(
            T.CALL_OPEN, ctx.Open(practice=practice, minutes_left=minutes_left), private=True
        )
        return
    linked = await bridge.fellowship(turn, community)
    pinged = await pick_among(
        turn,
        linked,
        "practice" if practice else "calls",
        count=settings.ping_count,
        exclude={member.key},
        home={community.key},
    )
    here, across = await bridge.split(turn, pinged, [community])
    has_contact = await turn.tx.contacts.of(await turn.data_key(member)) is not None
    asked = ctx.Asked(
        practice=practice,
        pinged=len(pinged),
        has_contact=has_contact,
        minutes=settings.call_expiry,
        **settings.crisis(),
    )
    if private and not pinged:
        # Nobody else could ever see a private request: keep none open, and say so now.
        await turn.tell_me(T.CALL_ASKED, asked)
        log.info("private call request: no volunteer free")
        return
    request = await turn.tx.calls.add(community.key, member.key, community.chat, practice, turn.now)
    await turn.tx.calls.add_pings(request, [p.key for p in pinged], turn.now)
    note = note.strip()[:MAX_NOTE].rstrip()
    take_button = (Button(T.LABEL_CALL_TAKE, TAKE, str(request)),)
    if private:
        in_group = turn.scoped(community=community)  # volunteers read the group's language
        for volunteer in here:
            # About the member (their name and note), so their erasure removes it too; and
            # traceless: no group may learn of a private request, not even from a line that
            # points a volunteer to their private chat.
            await in_group.tell(
                volunteer,
                T.CALL_ASK,
                ctx.Ask(member=member.ref, note=note, practice=practice, taken=False),
                buttons=take_button,
                traceless=True,
                about=member.key,
            )
        await turn.tell_me(T.CALL_ASKED, asked)
    else:
        message = await turn.post(
            community,
            T.CALL_REQUEST,
            ctx.Request(
                member=member.ref, note=note, practice=practice, pinged=[p.ref for p in here]
            ),
            buttons=take_button,
            mentions=tuple(Mention(p.platform_id, p.name) for p in here),
            about=member.key,
        )
        await turn.tx.calls.set_message(request, message)
        if not has_contact:
            await turn.tell_me(T.CALL_NO_CONTACT, ctx.Kind(practice=practice))
    # Volunteers of a linked chat on the other side: privately, first name only, no note.
    await bridge.ask_for_call(
        turn, member, across, linked, request=request, practice=practice, take=TAKE
    )
    await turn.tx.timers.schedule(
        CallExpiry(request),
        turn.now + timedelta(minutes=settings.call_expiry),
        about=member.key,
    )
    log.info(
        "call request %d %s, %d volunteers pinged",
        request,
        "asked privately" if private else "posted",
        len(pinged),
    )


# -- taking a call -------------------------------------------------------------------------------


async def take(turn: Turn, payload: str) -> None:
    """The first phone-list volunteer to tap takes the call; everyone else is thanked."""
    request = await _pressed_request(turn, payload)
    if request is None:
        await turn.say(T.CALL_UNKNOWN, private=True)
        return
    member = await turn.tx.people.get(request.person)
    if member is None:
        await turn.say(T.CALL_UNKNOWN, private=True)
        return
    # A presser on the other side reads the member's first name only.
    context = ctx.Call(
        member=bridge.as_seen_from(member, turn.me.platform), practice=request.practice
    )
    if request.person == turn.me.key:
        await _own(turn, request, context)
        return
    if request.claimed_by == turn.me.key:
        await _hand_over(turn, request, member)
        return
    if not request.open:
        await _not_open(turn, request, context)
        return
    origin = await turn.tx.communities.get(request.community)
    linked = [] if origin is None else await bridge.fellowship(turn, origin)
    theirs = await bridge.chat_of(turn, turn.me, linked) or origin
    if turn.community is None and theirs is not None:  # pressed privately: their chat's language
        turn = turn.scoped(community=theirs)
    at_member = turn if origin is None else turn.scoped(community=origin)
    across = turn.me.platform != member.platform
    roles = await turn.tx.supporters.roles(
        theirs.key if theirs is not None else request.community, turn.me.key
    )
    allowed = {"calls", "practice"} if request.practice else {"calls"}
    if not roles & allowed:
        await turn.say(T.CALL_NOT_VOLUNTEER, context, private=True)
        return
    if not await turn.tx.calls.claim(request.id, turn.me.key, turn.now):
        current = await turn.tx.calls.get(request.id)
        assert current is not None
        await _not_open(turn, current, context)
        return
    log.info("call request %d taken", request.id)
    if request.message is not None:
        claimer = bridge.as_seen_from(turn.me, member.platform)  # a first name from across
        await at_member.edit(
            request.message,
            T.CALL_CLAIMED,
            ctx.Claimed(member=member.ref, practice=request.practice, claimer=claimer),
            about=member.key,
            priority=Priority.URGENT,
        )
    if across:  # the taker's own ask, sent privately across the bridge, is settled
        await turn.edit_pressed(
            bridge.T.CALL_ASK,
            bridged.CallAsk(
                member=bridge.first_name(member.name),
                side=member.platform,
                practice=request.practice,
                taken=True,
            ),
            priority=Priority.URGENT,
        )
        kind: bridged.Kind = "practice" if request.practice else "call"
        await bridge.hand_over(at_member, turn, member, kind)
        return
    if request.message is None:  # asked privately: only the taker's own ask to settle
        await turn.edit_pressed(
            T.CALL_ASK, ctx.Ask(**context, note="", taken=True), priority=Priority.URGENT
        )
    has_contact = await _hand_over(turn, request, member)
    await at_member.tell(
        member,
        T.CALL_COMING,
        ctx.Coming(claimer=turn.who, practice=request.practice, has_contact=has_contact),
        priority=Priority.URGENT,
    )


async def _pressed_request(turn: Turn, payload: str) -> CallRequest | None:
    """The request a button names, if the presser may see it where they pressed.

    A payload may be forged. In a group, the request must be that group's and posted there; in
    a private chat, it must be the presser's own or one they were asked to take.
    """
    assert turn.origin is not None
    request_id = parse_id(payload)
    request = None if request_id is None else await turn.tx.calls.get(request_id)
    if request is None:
        return None
    if turn.origin.private:
        if request.person == turn.me.key:
            return request
        return request if await turn.tx.calls.was_pinged(request.id, turn.me.key) else None
    if request.private or turn.community is None or request.community != turn.community.key:
        return None
    return request


async def _own(turn: Turn, request: CallRequest, context: ctx.Call) -> None:
    """Answer the member who tapped their own request: they cannot take it, but can know."""
    claimer = None if request.claimed_by is None else await turn.tx.people.get(request.claimed_by)
    state: ctx.State = "open" if request.open else ("taken" if claimer is not None else "closed")
    await turn.say(
        T.CALL_OWN,
        ctx.Own(**context, state=state, claimer=None if claimer is None else claimer.ref),
        private=True,
    )


async def _not_open(turn: Turn, request: CallRequest, context: ctx.Call) -> None:
    """Answer a tap on a request someone else took, or one that has closed."""
    claimer = None if request.claimed_by is None else await turn.tx.people.get(request.claimed_by)
    if claimer is not None:
        await turn.say(T.CALL_COVERED, ctx.Claimed(**context, claimer=claimer.ref), private=True)
    else:
        await turn.say(T.CALL_GONE, context, private=True)


async def _hand_over(turn: Turn, request: CallRequest, member: Person) -> bool:
    """Send the claimer, privately, how to reach the member; True when a contact was saved."""
    if turn.me.platform != member.platform:  # taken across the bridge
        kind: bridged.Kind = "practice" if request.practice else "call"
        await bridge.tell_supporter(turn, member, kind, shared=False)
        return await bridge.contact_of(turn, member) is not None
    contact = await turn.tx.contacts.of(await turn.data_key(member))
    await turn.tell(
        turn.me,
        T.CALL_HANDOFF,
        ctx.Handoff(
            member=member.ref, contact=contact, practice=request.practice, private=request.private
        ),
        mentions=(Mention(member.platform_id, member.name),),
        priority=Priority.URGENT,
    )
    return contact is not None


# -- expiry --------------------------------------------------------------------------------------


async def expire(turn: Turn, timer: CallExpiry) -> None:
    """Close a request nobody took, kindly; a taken request is left as it is."""
    request = await turn.tx.calls.get(timer.request)
    if request is None or not request.open:
        return
    community = await turn.tx.communities.get(request.community)
    member = await turn.tx.people.get(request.person)
    if community is None or member is None:
        return
    if not await turn.tx.calls.expire(request.id, turn.now):
        return
    turn = turn.scoped(community=community)
    log.info("call request %d closed untaken", request.id)
    if request.message is not None:
        await turn.edit(
            request.message,
            T.CALL_CLOSED,
            ctx.Call(member=member.ref, practice=request.practice),
            about=member.key,
        )
    await turn.tell(member, T.CALL_EXPIRED, _expired_context(community, request))


def _expired_context(community: Community, request: CallRequest) -> ctx.Expired:
    return ctx.Expired(
        practice=request.practice,
        minutes=community.settings.call_expiry,
        **community.settings.crisis(),
        meetings=[m.as_context() for m in community.settings.meetings],
    )


# -- contact -------------------------------------------------------------------------------------


async def contact(turn: Turn, args: str) -> None:
    """Save, show or clear how a volunteer can reach the member; only in a private chat."""
    if turn.in_the_open:
        # Nothing typed in a group is stored or repeated: the group may already have seen it.
        in_group = await turn.withdraw_command()
        await turn.say(
            T.CONTACT_GROUP,
            ctx.ContactGroup(typed=bool(args), typed_in_group=in_group),
            private=True,
        )
        return
    text = " ".join(args.split())
    if not text:
        await turn.say(
            T.CONTACT_SHOW,
            ctx.ContactShow(contact=await turn.tx.contacts.of(await turn.data_key())),
        )
        return
    if text.lower() == "clear":
        await turn.say(
            T.CONTACT_CLEARED, Had(had=await turn.tx.contacts.clear(await turn.data_key()))
        )
        return
    if len(text) > MAX_CONTACT:
        await turn.say(T.CONTACT_TOO_LONG, ctx.TooLong(limit=MAX_CONTACT))
        return
    if not await consent.given(turn):
        await consent.ask(turn, "contact", KEEP_CONTACT, text)
        return
    await _save_contact(turn, text)


async def keep_contact(turn: Turn, payload: str) -> None:
    """**Yes, keep it** on the question about a contact: keep what the button carries."""
    text = " ".join(payload.split())
    if not text or len(text) > MAX_CONTACT or not text.isprintable():
        await consent.say_yes(turn, "contact", resend=True)
        return
    await consent.say_yes(turn, "contact", resend=False)
    await _save_contact(turn, text)


async def _save_contact(turn: Turn, text: str) -> None:
    await turn.tx.contacts.set(await turn.data_key(), text, turn.now)
    claimers = await turn.tx.calls.recent_claimers(turn.me.key, turn.now - HANDOFF_WINDOW)
    for claimer in claimers:
        same_side = claimer.platform == turn.me.platform  # else a first name, no mention
        await turn.tell(
            claimer,
            T.CALL_CONTACT_FORWARD,
            ctx.ContactForward(member=bridge.as_seen_from(turn.me, claimer.platform), contact=text),
            mentions=(Mention(turn.me.platform_id, turn.me.name),) if same_side else (),
        )
    await turn.say(
        T.CONTACT_SAVED,
        ctx.ContactSaved(
            contact=text,
            forwarded=[bridge.as_seen_from(c, turn.me.platform) for c in claimers],
        ),
    )


# -- phone list and counts -----------------------------------------------------------------------


async def phonelist(turn: Turn, args: str) -> None:
    """Join or leave this group's phone list, for calls or for practice calls."""
    words = args.lower().split()
    role: Role = "calls"
    if words[:1] == ["practice"]:
        role, words = "practice", words[1:]
    if turn.community is None or words not in (["on"], ["off"]):
        roles = (
            set()
            if turn.community is None
            else await turn.tx.supporters.roles(turn.community.key, turn.me.key)
        )
        await turn.say(
            T.PHONELIST_USAGE,
            ctx.PhonelistUsage(
                in_group=turn.community is not None,
                calls="calls" in roles,
                practice="practice" in roles,
            ),
        )
        return
    on = words == ["on"]
    await turn.tx.supporters.set_role(turn.community.key, turn.me.key, role, on)
    await turn.say(
        T.PHONELIST_SET,
        ctx.PhonelistSet(
            practice=role == "practice",
            on=on,
            hours=await turn.tx.supporters.hours(turn.me.key),
        ),
    )


async def calls(turn: Turn, args: str) -> None:
    """Show the member, privately, the calls they asked for and the calls they took."""
    counts = await turn.tx.calls.counts(turn.me.key)
    await turn.say(
        T.CALLS_SUMMARY,
        ctx.Summary(
            calls=counts.calls,
            calls_answered=counts.calls_answered,
            practice=counts.practice,
            practice_answered=counts.practice_answered,
            taken=counts.taken,
        ),
        private=True,
    )


async def call_me_for_craving(turn: Turn, payload: str) -> None:
    """A craving's "call me" button: the craving becomes a call request."""
    craving = await own_craving(turn, payload)
    if craving is None:
        return
    if turn.community is None and craving.community is not None:
        turn = turn.scoped(community=await turn.tx.communities.get(craving.community))
    await request_call(turn, practice=False, note="", private=craving.private)


flows = Flows(
    commands={
        "call": call,
        "practice": practice,
        "contact": contact,
        "phonelist": phonelist,
        "calls": calls,
    },
    buttons={TAKE: take, KEEP_CONTACT: keep_contact, "craving.call": call_me_for_craving},
    timers=on_timer(CallExpiry, expire),
    templates=(T,),
)
