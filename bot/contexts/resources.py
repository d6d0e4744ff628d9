"""Contexts of the ``/resources`` and ``/meetings`` templates (``bot.flows.resources``)."""

from __future__ import annotations

from typing import TypedDict

from bot.contexts import Crisis, Meeting


class Reminder(TypedDict):
    meetings: list[Meeting]
    zone: str
    """The zone the meetings' times are in, as members know it."""


class Meetings(Reminder):
    reminding: bool
    """Whether the member gets a reminder before each meeting."""


class RemindSet(TypedDict):
    on: bool
    count: int
    """How many meetings the group lists."""


class Usage(TypedDict):
    reminding: bool


CONTEXTS: dict[str, type] = {
    "resources": Crisis,
    "meetings": Meetings,
    "meeting_reminder": Reminder,
    "meetings_remind_set": RemindSet,
    "meetings_usage": Usage,
}
