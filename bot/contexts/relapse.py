"""Contexts of the relapse and history templates (``bot.flows.relapse``)."""

from __future__ import annotations

from typing import NotRequired, TypedDict

from bot.contexts import Crisis, Empty, Ref, Span


class NoCount(TypedDict):
    offered: NotRequired[bool]
    """Present (True) when the restart was offered after a member said they used."""


class DateInvalid(TypedDict):
    reason: str
    """Why the date cannot be used: a ``CleanDateError`` reason, or ``before_current``."""
    today: str
    since: str | None
    """The current clean date, for ``before_current``."""


class Confirm(TypedDict):
    new: str
    """ISO date the new count would start."""
    today: bool
    """Whether that is today."""
    since: str
    """ISO date of the count that would end."""
    offered: bool
    typed_in_group: str | None
    """What the group keeps of the command: ``removed``, ``visible``, or None."""


class Confirmed(TypedDict):
    new: str
    today: bool
    paused: bool
    """Whether milestones were made private in any group."""


class Stale(TypedDict):
    done: bool
    """The restart asked about was made already (else the count changed since)."""
    new: str


class Done(Crisis):
    who: Ref


class Told(TypedDict):
    count: int
    """Supporters told."""
    before: bool
    """They were told when the member first asked."""
    listed: NotRequired[bool]
    """Whether anyone is on a supporter list in the member's groups; absent when asked again."""


class Supporter(TypedDict):
    who: Ref
    """The supporter told."""
    member: Ref
    """The member who restarted."""


class NoteHow(TypedDict):
    limit: int
    """The longest note, in characters."""


class NoteSaved(TypedDict):
    restarted_on: str
    replaced: bool


class NoteInvalid(TypedDict):
    reason: str
    """``group``, ``empty``, ``too_long`` or ``no_restart``."""
    limit: int
    typed_in_group: NotRequired[str | None]
    """For ``group``: what the group keeps of the command."""


class Restart(TypedDict):
    since: str
    until: str
    days: int
    span: Span
    note: str | None


class Current(TypedDict):
    since: str
    days: int


class History(TypedDict):
    restarts: list[Restart]
    """The latest first."""
    earlier: int
    """Restarts before those listed."""
    current: Current | None


CONTEXTS: dict[str, type] = {
    "relapse_none": NoCount,
    "relapse_date_invalid": DateInvalid,
    "relapse_confirm": Confirm,
    "relapse_confirmed": Confirmed,
    "relapse_cancelled": Empty,
    "relapse_stale": Stale,
    "relapse_done": Done,
    "relapse_told": Told,
    "relapse_supporter": Supporter,
    "relapse_note_how": NoteHow,
    "relapse_note_saved": NoteSaved,
    "relapse_note_invalid": NoteInvalid,
    "history": History,
    "label_relapse_yes": Empty,
    "label_relapse_cancel": Empty,
    "label_relapse_tell": Empty,
    "label_relapse_note": Empty,
}
