"""Contexts of the call, contact, phone-list and ``/calls`` templates (``bot.flows.calls``)."""

from __future__ import annotations

from typing import Literal, TypedDict

from bot.contexts import Crisis, Empty, Meeting, Ref
from bot.contexts.consent import Had


class Kind(TypedDict):
    practice: bool
    """A practice call: a few easy minutes on the phone while nothing is wrong."""


class Call(Kind):
    """A request, named by the member who asked."""

    member: Ref


class Request(Call):
    note: str
    """The member's note, as typed, cut short."""
    pinged: list[Ref]
    """The volunteers mentioned under the post."""


class Ask(Call):
    """A private ask to one volunteer; ``taken`` once they took it (the note is then gone)."""

    note: str
    taken: bool


class Asked(Kind, Crisis):
    """What the member who asked privately is told: how many were asked, or the crisis lines."""

    pinged: int
    has_contact: bool
    minutes: int
    """How long the request stays open."""


class Claimed(Call):
    claimer: Ref


class Handoff(Call):
    contact: str | None
    """How to reach the member, for the taker alone; None when none is saved."""
    private: bool
    """Asked privately: there is no group post to reply under."""


class ContactForward(TypedDict):
    member: Ref
    contact: str


class Coming(Kind):
    claimer: Ref
    has_contact: bool


class Expired(Kind, Crisis):
    minutes: int
    meetings: list[Meeting]


State = Literal["open", "taken", "closed"]


class Own(Call):
    state: State
    claimer: Ref | None


class GroupOnly(TypedDict):
    command: str
    has_contact: bool


class Open(Kind):
    minutes_left: int


class ContactGroup(TypedDict):
    typed: bool
    """Whether the command carried a contact (then it may show in the group)."""
    typed_in_group: str | None
    """What the group keeps of the command: ``removed``, ``visible``, or None."""


class ContactSaved(TypedDict):
    contact: str
    forwarded: list[Ref]
    """Who took the member's call lately and was given the contact."""


class ContactShow(TypedDict):
    contact: str | None


class TooLong(TypedDict):
    limit: int


class PhonelistSet(Kind):
    on: bool
    hours: str | None
    """The hours the volunteer can be pinged (``09:00-22:00``), None for any hour."""


class PhonelistUsage(TypedDict):
    in_group: bool
    calls: bool
    practice: bool


class Summary(TypedDict):
    """Calls the member asked for (and how many were answered), and calls they took."""

    calls: int
    calls_answered: int
    practice: int
    practice_answered: int
    taken: int


CONTEXTS: dict[str, type] = {
    "call_request": Request,
    "call_ask": Ask,
    "call_asked": Asked,
    "call_claimed": Claimed,
    "call_closed": Call,
    "call_handoff": Handoff,
    "call_contact_forward": ContactForward,
    "call_coming": Coming,
    "call_no_contact": Kind,
    "call_expired": Expired,
    "call_covered": Claimed,
    "call_own": Own,
    "call_gone": Call,
    "call_unknown": Empty,
    "call_not_volunteer": Call,
    "call_group_only": GroupOnly,
    "call_open": Open,
    "contact_group": ContactGroup,
    "contact_saved": ContactSaved,
    "contact_show": ContactShow,
    "contact_cleared": Had,
    "contact_too_long": TooLong,
    "phonelist_set": PhonelistSet,
    "phonelist_usage": PhonelistUsage,
    "calls_summary": Summary,
    "label_call_take": Empty,
}
