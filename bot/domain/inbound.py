"""What adapters hand the core: typed, frozen facts about one platform event.

Adapters translate and decide nothing; every rule lives in the core. Each inbound carries a
``dedupe_key`` so that an event delivered twice has its effect once.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an event happened and who caused it, in the platform's own ids."""

    platform: str
    chat: str
    person: str
    person_name: str
    community: str | None = None
    private: bool = False
    is_admin: bool = False
    interaction: str | None = None
    """An opaque token the adapter can answer on (an interaction, answered unseen), if any."""
    roles: tuple[str, ...] | None = None
    """The role ids the member holds in the community, when the platform reports them; None
    means unknown (the stored roles stay as they are)."""
    private_chat_open: bool = False
    """The platform can always write to this person privately (the console). Elsewhere the
    core remembers it: on some platforms a member must first open a private chat with the bot."""
    message: str | None = None
    """The platform's reference to the message that carried the command, where the group can
    read it (such as ``chat:message``), so that the core can take it off again."""
    can_delete: bool = False
    """The bot may delete ``message`` (it is an admin of the group with that right).
    Adapters find out only for ``PRIVATE_COMMANDS``; for others it stays False."""
    language: str | None = None
    """The language the member's app is set to (an IETF tag such as ``es-419``), where the
    platform sends one with the event: read for this event only, never kept with the member."""


@dataclass(frozen=True, slots=True)
class FromMember:
    """Something a member did: the core claims it in the same trip as it meets them there."""

    dedupe_key: str
    origin: Origin


@dataclass(frozen=True, slots=True)
class CommandIssued(FromMember):
    """A member typed a command, e.g. ``/cleandate 2026-03-01``."""

    name: str
    args: str = ""


@dataclass(frozen=True, slots=True)
class ButtonPressed(FromMember):
    """A member pressed a button the core attached to an earlier reply."""

    action: str
    payload: str = ""
    message: int | None = None
    """The outbox id of the message whose button was pressed, when the adapter knows it."""


@dataclass(frozen=True, slots=True)
class TimerFired:
    """A durable timer fell due; ``timer_id`` is its row, which the firing deletes.

    ``payload`` is the row's JSON as stored: the flow's table reads it as the kind's payload type,
    and a row that does not read is dropped there. ``fence`` is the token the timer loop's claim
    was given: a firing whose claim another process has since taken over has no effect."""

    timer_id: int
    kind: str
    payload: str = "{}"
    fence: int = field(kw_only=True)

    @property
    def dedupe_key(self) -> str:
        return f"timer:{self.timer_id}"


@dataclass(frozen=True, slots=True)
class Reported:
    """A change the platform reported on its own, not a member's command or button: the
    adapter stored it on receipt, and it leaves that inbox with its effect."""

    dedupe_key: str
    platform: str


@dataclass(frozen=True, slots=True)
class MembershipChanged(Reported):
    """Someone joined or left a community, or the bot itself was added or removed."""

    community: str
    person: str | None
    """The member's platform id; None when the change is the bot's own."""
    present: bool
    chat: str | None = None
    """Where to greet the group when the bot itself was added (its chat or first channel)."""


@dataclass(frozen=True, slots=True)
class RolesChanged(Reported):
    """A member's roles in a community changed; ``roles`` are all the role ids they hold now."""

    community: str
    person: str
    roles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PrivateChatChanged(Reported):
    """A member blocked the bot in their private chat with it, or opened that chat again."""

    person: str
    open: bool


Inbound = (
    CommandIssued
    | ButtonPressed
    | TimerFired
    | MembershipChanged
    | RolesChanged
    | PrivateChatChanged
)
