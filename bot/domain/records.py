"""The records the flows, the outbox and the timers read back from the store, whatever the
backend: plain frozen data, so that a flow never depends on how a backend keeps it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from bot.domain.model import Person
from bot.domain.replies import Attachment, Button, Mention, Priority, Target

Role = Literal["cravings", "calls", "practice"]
"""What a supporter opted in to: craving pings, calls, practice calls."""
ROLES: tuple[Role, ...] = ("cravings", "calls", "practice")


@dataclass(frozen=True, slots=True)
class SupporterRow:
    """A supporter as the fair choice needs them."""

    person: Person
    hours: str | None
    last_pinged_at: datetime | None
    urgent: bool = False
    """Whether they accept urgent pings in their quiet hours (``/supporter urgent on``)."""


@dataclass(frozen=True, slots=True)
class Craving:
    """One craving a member shared."""

    id: int
    community: str | None
    person: str
    chat: str
    private: bool
    message: int | None
    pinged: bool
    claimed_by: str | None
    outcome: str | None
    created_at: datetime
    urgent: bool = False
    """Someone may be in immediate danger: pings go out whatever the cooldown, rest and
    max_pings."""
    crisis_sent_at: datetime | None = None
    """When the member got the full crisis block in this episode (it is sent once)."""
    crisis_in_group: bool = False
    """The block was shown in the group answer rather than sent privately."""


@dataclass(frozen=True, slots=True)
class CallRequest:
    """One request for a phone call (or a practice call) posted in a group."""

    id: int
    community: str
    person: str
    chat: str
    practice: bool
    message: int | None
    """The outbox id of the group post with the **I'll call** button; None when asked privately."""
    claimed_by: str | None
    claimed_at: datetime | None
    expired_at: datetime | None
    created_at: datetime

    @property
    def open(self) -> bool:
        return self.claimed_by is None and self.expired_at is None

    @property
    def private(self) -> bool:
        """Asked privately: only the volunteers it pinged were told, each in a private chat."""
        return self.message is None


@dataclass(frozen=True, slots=True)
class CallCounts:
    """What a member asked for and what they gave: requests, answered ones, calls taken."""

    calls: int = 0
    calls_answered: int = 0
    practice: int = 0
    practice_answered: int = 0
    taken: int = 0


@dataclass(frozen=True, slots=True)
class Restart:
    """A count that ended and the day the next one started; private to its member."""

    id: int
    person: str
    counter: str
    clean_since: date
    """The first day of the count that ended."""
    restarted_on: date
    """The first day of the count that followed it."""
    note: str | None
    created_at: datetime
    supporters_told_at: datetime | None


@dataclass(frozen=True, slots=True)
class Consent:
    """A member's answer about keeping their recovery data."""

    given_at: datetime | None
    declined_at: datetime | None
    implied: bool
    """Given before Homegroup asked: the member had data already."""


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A reply waiting in the outbox for its platform to accept it."""

    id: int
    template: str
    locale: str
    target: Target
    context: dict[str, Any]
    buttons: tuple[Button, ...]
    mentions: tuple[Mention, ...]
    attempts: int
    edit_ref: str | None = None
    """The platform's id of the message to edit, when ``target.edit_of`` names one already sent."""
    attachment: Attachment | None = None
    priority: int = Priority.ANSWER


@dataclass(frozen=True, slots=True)
class Backlog:
    """How many rows of one platform and priority wait to leave, and since when the oldest
    has waited: what operators watch, with nothing of whom or what they say."""

    platform: str
    priority: int
    count: int
    oldest: datetime


@dataclass(frozen=True, slots=True)
class DueRow:
    """What the scheduler keeps of a row due to leave: enough to order it, not its words."""

    id: int
    lane: str
    """The conversation it is ordered in (``Target.conversation``)."""
    priority: int
    edits: int | None = None
    """The message this row edits, while that one is not sent yet: the edit waits for it."""
    follows: int | None = None
    """The row this one follows, while that one was never tried: this one waits for it."""


@dataclass(frozen=True, slots=True)
class LaneLease:
    """A conversation's outbox rows leased to one worker: its marks on them count while
    ``token`` is the lane's, and a worker that takes the lane over gets a new one."""

    platform: str
    lane: str
    token: str
    minute: tuple[datetime, ...] = ()
    """When each send of the group's last minute stops counting, as its last holder left it."""


@dataclass(frozen=True, slots=True)
class DueTimer:
    """A timer row that has fallen due; ``payload`` is its stored JSON, read by the core
    against the kind's payload type, so one unreadable row cannot stop the loop."""

    id: int
    kind: str
    due_at: datetime
    payload: str
    attempts: int
    key: str | None = None
    fence: int = 0
    """The token of the row's latest claim: only its holder may take, postpone or drop it."""
