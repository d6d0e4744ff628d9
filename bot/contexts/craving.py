"""Contexts of the craving templates (``bot.flows.craving``).

A key a template reads with a default (``|default(none)``) is ``NotRequired`` here: rows queued
before the key existed still wait in outboxes, and must still render.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

from bot.contexts import Crisis, Empty, Meeting, Ref

CrisisShown = Literal["full", "sent", "earlier"]
"""How an answer speaks of the crisis lines: the block here, just sent privately, or given
earlier in this episode (one line and the emergency number)."""


class NextMeeting(Meeting):
    today: bool
    """The meeting is today in the member's zone (``weekday`` and ``time`` are in it too)."""


class Reply(Crisis):
    """The answer to a craving, and each later edit of it (a claim, It passed, danger)."""

    who: Ref
    """The member who shared the craving."""
    danger: NotRequired[bool]
    actions: list[str]
    """Keys of the things to do, three of ``ACTIONS``; none in danger."""
    private: bool
    """Shared in a private chat: no peer sees the answer."""
    pinged: int
    supporters: list[Ref]
    """Those mentioned in the answer itself (in a group); empty when pinged privately."""
    asked_earlier: NotRequired[int]
    """How many were pinged for the open craving this one joined."""
    nobody: NotRequired[bool]
    """Nobody could be asked, though the member has a group."""
    no_group: NotRequired[bool]
    crisis: NotRequired[CrisisShown | None]
    next_meeting: NotRequired[NextMeeting | None]
    check_in: str | None
    """``HH:MM`` of the follow-up in the member's zone; None in an edit."""
    claimed_by: Ref | None
    passed: bool
    across: NotRequired[int]
    """How many of those pinged were asked privately in a linked chat on another platform."""


class Ping(Crisis):
    """Supporters asked to reach out; a private ping names the member only."""

    member: Ref
    note: str
    """The member's note, only where the craving was shared in the group."""
    supporters: list[Ref]
    private: bool
    urgent: NotRequired[bool]


class Lines(TypedDict):
    """The crisis lines for the member; each key of ``Crisis`` optional here, as rows queued
    before them read as they did (the bundled lines and the generic emergency words)."""

    who: Ref
    resources: NotRequired[str | None]
    preset: NotRequired[str | None]
    emergency: NotRequired[str | None]
    again: NotRequired[bool]
    """Given the whole block earlier in this episode: one line and the emergency number."""


class Nobody(Lines):
    meetings: list[Meeting]


class Claimed(TypedDict):
    supporter: Ref


class Covered(TypedDict):
    claimer: str | None
    """The name of who took it; None when unknown."""
    passed: bool


class NotYours(TypedDict):
    for_member: bool
    """The member pressed their peers' button, rather than a peer the member's."""


class FollowUp(TypedDict):
    who: Ref


class Record(TypedDict):
    logged: int
    passed: int
    """How many of the logged cravings passed."""


class FollowUpAnswer(Crisis, Record):
    answer: Literal["passed", "struggling", "used"]
    more: int
    """How many more peers were asked (struggling)."""
    crisis: NotRequired[Literal["full", "again"] | None]


CONTEXTS: dict[str, type] = {
    "craving_reply": Reply,
    "craving_ping": Ping,
    "craving_crisis": Lines,
    "craving_nobody": Nobody,
    "craving_claimed": Claimed,
    "craving_covered": Covered,
    "craving_not_yours": NotYours,
    "craving_followup": FollowUp,
    "craving_followup_answer": FollowUpAnswer,
    "cravings_record": Record,
    "craving_invite_supporters": Empty,
    "label_craving_im_here": Empty,
    "label_craving_passed": Empty,
    "label_craving_call_me": Empty,
    "label_craving_danger": Empty,
    "label_craving_struggling": Empty,
    "label_craving_used": Empty,
}
