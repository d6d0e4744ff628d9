"""The flows: one module each, gathered into the table the core dispatches on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.turn import Turn

CommandHandler = Callable[[Turn, str], Awaitable[None]]
ButtonHandler = Callable[[Turn, str], Awaitable[None]]
TimerHandler = Callable[[Turn, dict[str, Any]], Awaitable[None]]


@dataclass
class Flows:
    """What the core can do: commands by name, buttons by action, timers by kind."""

    commands: dict[str, CommandHandler] = field(default_factory=dict)
    buttons: dict[str, ButtonHandler] = field(default_factory=dict)
    timers: dict[str, TimerHandler] = field(default_factory=dict)
    templates: tuple[type[StrEnum], ...] = ()
    """The flow's own template-key enums, so a test can check each key has a template."""

    def add(self, other: Flows) -> None:
        """Take in another flow's table; a name defined twice is a bug, so it fails loudly."""
        clash = (
            (self.commands.keys() & other.commands.keys())
            | (self.buttons.keys() & other.buttons.keys())
            | (self.timers.keys() & other.timers.keys())
        )
        if clash:
            raise ValueError(f"flows define {sorted(clash)} twice")
        self.commands.update(other.commands)
        self.buttons.update(other.buttons)
        self.timers.update(other.timers)
        self.templates += other.templates


def all_flows() -> Flows:
    """Every flow Homegroup has."""
    from bot.flows import (
        admin,
        calls,
        cleantime,
        consent,
        craving,
        help,
        housekeeping,
        membership,
        milestones,
        privacy,
        relapse,
        resources,
        supporters,
    )

    table = Flows()
    modules = (help, cleantime, milestones, supporters, craving, calls, relapse, admin, resources)
    for module in (*modules, consent, membership, privacy, housekeeping):
        table.add(module.flows)
    return table
