"""Timer payloads: one frozen type per kind of timer.

What a flow schedules is what its handler is handed, read back and checked here once instead of
by each handler its own way. A payload is stored as a JSON object of its fields (datetimes as ISO
text): the shape the flows wrote before these types existed, so rows already waiting still read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, ClassVar, Self, get_type_hints


class UnreadableTimer(ValueError):
    """A stored payload that does not fit its kind: an old or corrupt row."""


@dataclass(frozen=True, slots=True)
class TimerPayload:
    """What a timer carries to its handler; ``kind`` names the handler."""

    kind: ClassVar[str]

    def dump(self) -> str:
        """The JSON text stored with the timer."""
        values: dict[str, Any] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            values[field.name] = value.isoformat() if isinstance(value, datetime) else value
        return json.dumps(values)

    @classmethod
    def load(cls, stored: str) -> Self:
        """Read a stored payload back, every field checked against its type.

        Raises:
            UnreadableTimer: the text is not this kind's payload. The message names no value,
                so it can be logged: a payload may name a member.
        """
        try:
            values = json.loads(stored)
        except ValueError:
            raise UnreadableTimer(f"{cls.kind}: not JSON") from None
        if not isinstance(values, dict):
            raise UnreadableTimer(f"{cls.kind}: not an object")
        hints = get_type_hints(cls)
        return cls(**{f.name: _read(cls.kind, f.name, hints[f.name], values) for f in fields(cls)})


def _read(kind: str, name: str, wanted: object, values: dict[str, object]) -> object:
    """One field of a stored payload, or UnreadableTimer naming the field (never its value)."""
    if wanted not in (int, str, datetime):
        raise TypeError(f"{kind}.{name}: a timer payload holds int, str or datetime")
    value = values.get(name)
    if wanted is int and type(value) is int:  # bool is an int to isinstance, not here
        return value
    if wanted is str and isinstance(value, str):
        return value
    if wanted is datetime and isinstance(value, str):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if when.tzinfo is not None:
                return when
    raise UnreadableTimer(f"{kind}: {name} missing or not {getattr(wanted, '__name__', wanted)}")


@dataclass(frozen=True, slots=True)
class CravingEscalation(TimerPayload):
    """Nobody has claimed the craving yet: ping the next supporters."""

    kind: ClassVar[str] = "craving.escalate"
    craving: int


@dataclass(frozen=True, slots=True)
class CravingFollowUp(TimerPayload):
    """Ask the member how the craving went."""

    kind: ClassVar[str] = "craving.followup"
    craving: int


@dataclass(frozen=True, slots=True)
class CallExpiry(TimerPayload):
    """Close a call request nobody took."""

    kind: ClassVar[str] = "call.expire"
    request: int


@dataclass(frozen=True, slots=True)
class FarewellSweep(TimerPayload):
    """Delete an erased member's farewell once it has left, or once trying is over at ``until``.

    It names the outbox row, never the member (they are erased)."""

    kind: ClassVar[str] = "privacy.sweep"
    outbox: int
    until: datetime


@dataclass(frozen=True, slots=True)
class MeetingReminder(TimerPayload):
    """Remind a community's members of meetings starting from ``since`` on."""

    kind: ClassVar[str] = "meetings.remind"
    community: str
    since: datetime


@dataclass(frozen=True, slots=True)
class ConsentNotice(TimerPayload):
    """Tell the next batch of members whose consent is implied what is kept."""

    kind: ClassVar[str] = "consent.notice"


@dataclass(frozen=True, slots=True)
class MilestoneRun(TimerPayload):
    """Announce every milestone that has fallen due."""

    kind: ClassVar[str] = "milestones"


@dataclass(frozen=True, slots=True)
class Housekeeping(TimerPayload):
    """Forget old sent messages, dedupe keys and set-aside updates."""

    kind: ClassVar[str] = "housekeeping"
