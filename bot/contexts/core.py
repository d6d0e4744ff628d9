"""Contexts of the core's own templates: help, the answers any flow may give (an unknown
command or button, a group-only command, an answer sent privately), and the apology for a
message that could not be read."""

from __future__ import annotations

from typing import TypedDict

from bot.contexts import Empty, Ref


class Command(TypedDict):
    command: str
    """The command as typed, without its slash (cut short when unknown)."""


class Who(TypedDict):
    who: Ref
    """The member the answer is for, named or mentioned."""


CONTEXTS: dict[str, type] = {
    "help": Empty,
    "start": Empty,
    "unknown_command": Command,
    "group_only": Command,
    "button_unknown": Empty,
    "sent_privately": Who,
    "update_unreadable": Who,
}
