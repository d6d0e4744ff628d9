"""Replies are data, not text: a template key, its JSON-safe context and where it goes.

The core never formats text; each adapter renders a reply in its own dialect. A reply may notify
exactly the people in ``mentions`` and nobody else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any


class Template(StrEnum):
    """Keys of the core's and clean time's templates: ``messages/<locale>/<key>.j2``.

    Other flows declare their own enum in ``Flows.templates``; a test checks every key of every
    enum has a template, and every template a key.
    """

    HELP = "help"
    START = "start"
    UNKNOWN_COMMAND = "unknown_command"
    CLEANDATE_SET = "cleandate_set"
    CLEANDATE_INVALID = "cleandate_invalid"
    DAYS = "days"
    DAYS_NONE = "days_none"
    DAYS_UNKNOWN = "days_unknown"
    SENT_PRIVATELY = "sent_privately"
    TOGETHER = "together"
    TIMEZONE_SET = "timezone_set"
    TIMEZONE_SHOW = "timezone_show"
    TIMEZONE_UNKNOWN = "timezone_unknown"
    MILESTONES = "milestones"
    SHARE_SET = "share_set"
    SHARE_USAGE = "share_usage"
    GROUP_ONLY = "group_only"
    MILESTONE_DIGEST = "milestone_digest"
    BUTTON_UNKNOWN = "button_unknown"
    UPDATE_UNREADABLE = "update_unreadable"
    """Said by an adapter to the member whose message it set aside after failing to handle it."""
    LABEL_SHARE_CELEBRATE = "label_share_celebrate"
    LABEL_SHARE_PRIVATE = "label_share_private"


class Priority(IntEnum):
    """Who goes first when a platform cannot take everything at once: the lowest number.

    A member in danger must never wait behind a digest: when the platform's budget is short,
    urgent rows go before answers, and answers before announcements.
    """

    URGENT = 0
    """Crisis lines, danger and craving pings, claims and call hand-offs."""
    ANSWER = 1
    """A direct answer to what a member just did."""
    BACKGROUND = 2
    """Announcements, digests, reminders and housekeeping: nobody is waiting on them."""


@dataclass(frozen=True, slots=True)
class Button:
    """A button: its label's template key (``label_…``), and the action and payload it sends."""

    label: str
    action: str
    payload: str = ""


@dataclass(frozen=True, slots=True)
class Mention:
    """A person a reply may notify, in the platform's own id."""

    person: str
    name: str


@dataclass(frozen=True, slots=True)
class RoleGrant:
    """A role to give a member, in the platform's own ids: community (server), person, role."""

    community: str
    person: str
    role: str

    def as_json(self) -> dict[str, str]:
        return {"community": self.community, "person": self.person, "role": self.role}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RoleGrant:
        return cls(community=data["community"], person=data["person"], role=data["role"])


@dataclass(frozen=True, slots=True)
class Target:
    """Where a reply goes: a group chat, a person's private chat, an interaction, or an edit;
    or a member's message to take off a group chat."""

    platform: str
    chat: str | None = None
    """The group chat; for a private message, the group it relates to (where the adapter can
    point the member to their private chat if it cannot reach them there)."""
    person: str | None = None
    interaction: str | None = None
    edit_of: int | None = None
    """The outbox id of an earlier message to edit in place."""
    grant: RoleGrant | None = None
    """A role for the adapter to give; the reply itself is posted in ``chat`` only if it cannot
    (it says why, so the admins can fix it)."""
    withdraw: str | None = None
    """The platform's reference to a member's message to delete from ``chat`` (a private
    command typed in a group); such a row sends nothing."""

    @property
    def private(self) -> bool:
        return self.person is not None

    @property
    def conversation(self) -> str:
        """The chat a reply is ordered in: a person's private chat, else the group chat."""
        return f"person:{self.person}" if self.person is not None else (self.chat or "")

    @property
    def lane(self) -> str:
        """Where the outbox keeps a reply in order: its conversation, but an answer only its
        member sees on an interaction in a lane of its own, bound to that interaction alone, so
        that it never waits behind another process that held the member's chat and died."""
        if self.person is not None and self.interaction is not None:
            return f"interaction:{self.interaction}"
        return self.conversation

    def as_json(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "chat": self.chat,
            "person": self.person,
            "interaction": self.interaction,
            "edit_of": self.edit_of,
            "grant": None if self.grant is None else self.grant.as_json(),
            "withdraw": self.withdraw,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Target:
        return cls(
            platform=data["platform"],
            chat=data.get("chat"),
            person=data.get("person"),
            interaction=data.get("interaction"),
            edit_of=data.get("edit_of"),
            grant=None if data.get("grant") is None else RoleGrant.from_json(data["grant"]),
            withdraw=data.get("withdraw"),
        )


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a reply, e.g. a member's own data as JSON."""

    filename: str
    data: Any
    """JSON-safe content; adapters send it as a UTF-8 JSON file."""


@dataclass(frozen=True, slots=True)
class Reply:
    """One message the core wants a member or a group to read."""

    template: str
    """A template key: a member of ``Template`` or of a flow's own template enum."""
    target: Target
    context: dict[str, Any] = field(default_factory=dict)
    buttons: tuple[Button, ...] = ()
    mentions: tuple[Mention, ...] = ()
    attachment: Attachment | None = None
    priority: Priority = Priority.ANSWER


BUTTON_DATA_LIMIT = 64
"""Bytes a button may carry as ``action|payload`` on every platform (the smallest limit)."""
BUTTON_PAYLOAD_LIMIT = 50
"""Characters of a button's payload that every platform carries."""


def fits_in_button(action: str, payload: str) -> bool:
    """Whether every platform can carry this payload on a button and give it back intact."""
    return (
        "|" not in payload
        and len(payload) <= BUTTON_PAYLOAD_LIMIT
        and len(f"{action}|{payload}".encode()) <= BUTTON_DATA_LIMIT
    )


MAX_ID = 2**62
"""Ids in button payloads are row ids; anything larger was never one of ours."""


def parse_id(payload: str) -> int | None:
    """Read a row id from a button payload, which may be forged: None unless plain digits."""
    if not (payload.isascii() and payload.isdigit()) or len(payload) > 18:
        return None
    value = int(payload)
    return value if 0 < value < MAX_ID else None
