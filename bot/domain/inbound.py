"""What adapters hand the core: typed, frozen facts about one platform event.

Adapters translate and decide nothing; every rule lives in the core. Each inbound carries a
``dedupe_key`` so that an event delivered twice has its effect once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
    """An opaque token the adapter can answer on (a Discord interaction), if any."""
    roles: tuple[str, ...] | None = None
    """The role ids the member holds in the community, when the platform reports them; None
    means unknown (the stored roles stay as they are)."""
    private_chat_open: bool = False
    """The platform can always write to this person privately (the console). Elsewhere the
    core remembers it: a Telegram member must first open a private chat with the bot."""


@dataclass(frozen=True, slots=True)
class CommandIssued:
    """A member typed a command, e.g. ``/cleandate 2026-03-01``."""

    dedupe_key: str
    origin: Origin
    name: str
    args: str = ""


@dataclass(frozen=True, slots=True)
class ButtonPressed:
    """A member pressed a button the core attached to an earlier reply."""

    dedupe_key: str
    origin: Origin
    action: str
    payload: str = ""
    message: int | None = None
    """The outbox id of the message whose button was pressed, when the adapter knows it."""


@dataclass(frozen=True, slots=True)
class TimerFired:
    """A durable timer fell due; ``timer_id`` is its row, which the firing deletes."""

    timer_id: int
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def dedupe_key(self) -> str:
        return f"timer:{self.timer_id}"


@dataclass(frozen=True, slots=True)
class MembershipChanged:
    """Someone joined or left a community, or the bot itself was added or removed."""

    dedupe_key: str
    platform: str
    community: str
    person: str | None
    """The member's platform id; None when the change is the bot's own."""
    present: bool


@dataclass(frozen=True, slots=True)
class RolesChanged:
    """A member's roles in a community changed; ``roles`` are all the role ids they hold now."""

    dedupe_key: str
    platform: str
    community: str
    person: str
    roles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PrivateChatChanged:
    """A member blocked the bot in their private chat with it, or opened that chat again."""

    dedupe_key: str
    platform: str
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
