"""Contexts of the bridge templates (``bot.flows.bridge``): what crosses to a linked chat on
another platform is a first name, the platform's name and, to one person privately, a contact;
never a note, never a handle of the other platform."""

from __future__ import annotations

from typing import Literal, TypedDict

Kind = Literal["craving", "call", "practice"]


class CravingPing(TypedDict):
    """A supporter asked privately for a craving shared in a linked chat."""

    member: str
    """The member's first name only."""
    side: str
    """The platform the member is on (its key: templates print its name)."""
    urgent: bool
    preset: str | None
    emergency: str | None
    """The number to call in danger, as the member's chat has it (``_emergency.j2``)."""


class CallAsk(TypedDict):
    """A phone-list volunteer asked privately for a call asked in a linked chat."""

    member: str
    side: str
    practice: bool
    taken: bool
    """Edited once they took it: how to reach the member follows."""


class Coming(TypedDict):
    """The member told privately who is coming from the other platform, and how to reach them."""

    supporter: str
    """The supporter's first name."""
    side: str
    """The platform the supporter is on."""
    kind: Kind
    contact: str | None
    """The supporter's own ``/contact``, for this member alone; None: none saved."""
    has_contact: bool
    """The member's saved contact went to the supporter."""


class Claimed(TypedDict):
    """The supporter who stepped in across the bridge, told privately how it goes on."""

    member: str
    side: str
    """The platform the member is on."""
    kind: Kind
    contact: str | None
    """The member's saved contact, for this supporter alone; None: none saved."""
    shared: bool
    """The supporter's own contact went to the member."""


class Restarted(TypedDict):
    """A supporter of a linked chat told privately that a member restarted their count."""

    member: str
    """The member's first name only."""
    side: str
    """The platform the member is on."""


CONTEXTS: dict[str, type] = {
    "bridge_craving_ping": CravingPing,
    "bridge_call_ask": CallAsk,
    "bridge_coming": Coming,
    "bridge_claimed": Claimed,
    "bridge_restarted": Restarted,
}
