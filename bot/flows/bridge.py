"""The bridge: a craving or a call in one chat of a fellowship (chats linked across platforms)
reaches the supporters of every chat of it.

Supporters where the member is are asked as in one chat. Those of a linked chat are asked
privately there, in their own language, with the member's first name only: never the note,
which stays in the chat it was written in, and no line in their chat. When one of them steps
in, the member is told privately who is coming and how to reach them (the supporter's
``/contact`` if they saved one, else to find them on the other platform). Only a call's taker
is given the member's contact, as in one chat; whoever steps in for a craving never is (a
member saves a contact for the volunteer who takes their call). The bot relays no conversation.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Unpack

from bot.contexts import Ref
from bot.contexts import bridge as ctx
from bot.dispatch import Flows
from bot.domain.model import Community, Person
from bot.domain.replies import Button, Priority
from bot.turn import Extras, Turn

MAX_FIRST_NAME = 32
IM_HERE = "label_craving_im_here"
I_WILL_CALL = "label_call_take"
"""The buttons' labels: the craving's and the call's own templates."""


class T(StrEnum):
    CRAVING_PING = "bridge_craving_ping"
    CALL_ASK = "bridge_call_ask"
    COMING = "bridge_coming"
    CLAIMED = "bridge_claimed"
    RESTARTED = "bridge_restarted"


def first_name(name: str) -> str:
    """The first word of a display name: all of a member that crosses to the other side."""
    words = name.split()
    return (words[0] if words else name)[:MAX_FIRST_NAME]


def as_seen_from(person: Person, platform: str) -> Ref:
    """``person`` as readers on ``platform`` see them: as they are on their own platform, by
    first name only from the other (a name to read, never a handle to mention)."""
    if person.platform == platform:
        return person.ref
    return {"id": person.platform_id, "name": first_name(person.name)}


async def fellowship(turn: Turn, community: Community) -> list[Community]:
    """A chat and the active chats linked with it, this one first."""
    chats = await turn.tx.communities.fellowship(community.key)
    return [c for c in chats if c.key == community.key or c.active]


async def with_linked(turn: Turn, communities: list[Community]) -> list[Community]:
    """These chats and every chat linked with any of them, each once, in order."""
    found: dict[str, Community] = {}
    for community in communities:
        for chat in await fellowship(turn, community):
            found.setdefault(chat.key, chat)
    return list(found.values())


async def chat_of(turn: Turn, person: Person, communities: list[Community]) -> Community | None:
    """The first of ``communities`` where ``person`` (this identity) is a member."""
    theirs = {m.community for m in await turn.tx.memberships.of(person.key)}
    return next((c for c in communities if c.key in theirs), None)


async def split(
    turn: Turn, chosen: list[Person], home: list[Community]
) -> tuple[list[Person], list[Person]]:
    """The chosen who share a chat of ``home`` with the member, and those of a linked chat
    only (asked across the bridge)."""
    here: list[Person] = []
    across: list[Person] = []
    for person in chosen:
        (here if await chat_of(turn, person, home) is not None else across).append(person)
    return here, across


async def contact_of(turn: Turn, person: Person) -> str | None:
    """A person's saved contact, kept under their principal identity."""
    return await turn.tx.contacts.of(await turn.data_key(person))


async def in_their_chat(turn: Turn, person: Person, linked: list[Community]) -> Turn:
    """The turn for telling ``person`` privately: in their chat's language (unless they chose
    their own), with no group of the member's to point them to."""
    theirs = await chat_of(turn, person, linked)
    return turn.scoped(community=theirs) if theirs is not None else turn


async def _tell_each(
    turn: Turn,
    people: list[Person],
    linked: list[Community],
    template: str,
    context: Mapping[str, Any],
    *,
    about: Person,
    **extras: Unpack[Extras],
) -> None:
    """Tell each of ``people`` privately, in their own chat's turn, about ``about``: traceless,
    so no channel of their chat learns of it, not even a pointer to their private chat."""
    for person in people:
        there = await in_their_chat(turn, person, linked)
        await there.tell(person, template, context, traceless=True, about=about.key, **extras)


async def ask_for_craving(
    turn: Turn,
    member: Person,
    origin: Community,
    supporters: list[Person],
    linked: list[Community],
    *,
    craving: int,
    urgent: bool,
) -> None:
    """Ping each supporter of a linked chat privately: first name only, an **I'm here**."""
    context = ctx.CravingPing(
        member=first_name(member.name),
        side=member.platform,
        urgent=urgent,
        preset=origin.settings.resources_preset,
        emergency=origin.settings.crisis().get("emergency"),
    )
    await _tell_each(
        turn,
        supporters,
        linked,
        T.CRAVING_PING,
        context,
        about=member,
        buttons=[Button(IM_HERE, "craving.claim", str(craving))],
        priority=Priority.URGENT,
    )


async def ask_for_call(
    turn: Turn,
    member: Person,
    volunteers: list[Person],
    linked: list[Community],
    *,
    request: int,
    practice: bool,
    take: str,
) -> None:
    """Ask each volunteer of a linked chat privately: first name only, no note."""
    context = ctx.CallAsk(
        member=first_name(member.name),
        side=member.platform,
        practice=practice,
        taken=False,
    )
    await _tell_each(
        turn,
        volunteers,
        linked,
        T.CALL_ASK,
        context,
        about=member,
        buttons=[Button(I_WILL_CALL, take, str(request))],
    )


async def tell_of_restart(
    turn: Turn, member: Person, supporters: list[Person], linked: list[Community]
) -> None:
    """Tell each supporter of a linked chat privately that the member restarted their count
    and could use a message: their first name only, as the member's own chat is told their
    name; no date, no note."""
    context = ctx.Restarted(member=first_name(member.name), side=member.platform)
    await _tell_each(turn, supporters, linked, T.RESTARTED, context, about=member)


async def hand_over(at_member: Turn, supporter_turn: Turn, member: Person, kind: ctx.Kind) -> bool:
    """After a claim across the bridge: tell the member privately who is coming and how to
    reach them, and the supporter how it goes on (for a call, how to reach the member).
    ``at_member`` is the turn scoped to the member's chat. Returns whether the member's contact
    was given."""
    supporter = supporter_turn.me
    theirs = await contact_of(at_member, supporter)
    mine = await member_contact(at_member, member, kind)
    await at_member.tell(
        member,
        T.COMING,
        ctx.Coming(
            supporter=first_name(supporter.name),
            side=supporter.platform,
            kind=kind,
            contact=theirs,
            has_contact=mine is not None,
        ),
        priority=Priority.URGENT,
    )
    await tell_supporter(supporter_turn, member, kind, shared=theirs is not None)
    return mine is not None


async def member_contact(turn: Turn, member: Person, kind: ctx.Kind) -> str | None:
    """The member's contact as it may go to whoever stepped in: only to a call's taker, who
    the member saved it for; never to a craving's."""
    return None if kind == "craving" else await contact_of(turn, member)


async def tell_supporter(turn: Turn, member: Person, kind: ctx.Kind, *, shared: bool) -> None:
    """Tell the supporter who stepped in across the bridge, privately, how it goes on: for a
    call, how to reach the member (their saved contact, for this taker alone)."""
    await turn.tell_me(
        T.CLAIMED,
        ctx.Claimed(
            member=first_name(member.name),
            side=member.platform,
            kind=kind,
            contact=await member_contact(turn, member, kind),
            shared=shared,
        ),
        priority=Priority.URGENT,
    )


flows = Flows(templates=(T,))
