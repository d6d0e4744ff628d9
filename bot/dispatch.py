"""The table the core dispatches on: every flow registers its handlers here, by what they answer.

A flow imports this module, never the package of flows, so that gathering every flow
(``bot.flows.all_flows``) does not lead back to itself.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

from bot.domain.timers import TimerPayload, UnreadableTimer
from bot.turn import Turn

log = logging.getLogger(__name__)

CommandHandler = Callable[[Turn, str], Awaitable[None]]
ButtonHandler = Callable[[Turn, str], Awaitable[None]]
EventHandler = Callable[[Turn, Any], Awaitable[None]]
"""Takes the event itself: one of the inbound types a platform reports on its own (a member
joined, their roles changed), not a command or a button."""
P = TypeVar("P", bound=TimerPayload)


@dataclass(frozen=True, slots=True)
class TimerRoute(Generic[P]):
    """A timer kind's payload type and its handler, which mypy checks take the same type."""

    payload: type[P]
    handler: Callable[[Turn, P], Awaitable[None]]

    async def __call__(self, turn: Turn, stored: str) -> None:
        """Hand the handler the stored payload, read; a row that does not read is dropped,
        logged by kind alone (a payload may name a member)."""
        try:
            payload = self.payload.load(stored)
        except UnreadableTimer as unreadable:
            log.error("unreadable timer dropped (%s)", unreadable)
            return
        await self.handler(turn, payload)


def on_timer(
    payload: type[P], handler: Callable[[Turn, P], Awaitable[None]]
) -> dict[str, TimerRoute[Any]]:
    """One entry of a flow's timer table (join them with ``|``).

    A function rather than the route itself, so mypy checks the handler against the payload
    type here: in the table, typed ``Any``, it would not."""
    return {payload.kind: TimerRoute(payload, handler)}


@dataclass
class Flows:
    """What the core can do: commands by name, buttons by action, timers by kind, and the
    platform's own events by their type."""

    commands: dict[str, CommandHandler] = field(default_factory=dict)
    buttons: dict[str, ButtonHandler] = field(default_factory=dict)
    timers: dict[str, TimerRoute[Any]] = field(default_factory=dict)
    events: dict[type[Any], EventHandler] = field(default_factory=dict)
    templates: tuple[type[StrEnum], ...] = ()
    """The flow's own template-key enums, so a test can check each key has a template."""

    def add(self, other: Flows) -> None:
        """Take in another flow's table; a name defined twice is a bug, so it fails loudly."""
        clash = (
            (self.commands.keys() & other.commands.keys())
            | (self.buttons.keys() & other.buttons.keys())
            | (self.timers.keys() & other.timers.keys())
            | {kind.__name__ for kind in self.events.keys() & other.events.keys()}
        )
        if clash:
            raise ValueError(f"flows define {sorted(clash)} twice")
        self.commands.update(other.commands)
        self.buttons.update(other.buttons)
        self.timers.update(other.timers)
        self.events.update(other.events)
        self.templates += other.templates
