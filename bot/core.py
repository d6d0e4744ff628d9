"""The core: every event, from any platform or timer, takes this one path.

``Core.handle`` opens one transaction, records the event's dedupe key, runs the flow, and commits
the state it changed together with the outbox rows and timers it caused. Nothing the flow did
exists until that commit, and an event seen before has no second effect.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from bot.clock import Clock
from bot.contexts.core import Command
from bot.dispatch import Flows
from bot.domain.commands import find_command
from bot.domain.danger import DangerWords
from bot.domain.inbound import (
    ButtonPressed,
    CommandIssued,
    FromMember,
    Inbound,
    Origin,
    Reported,
    TimerFired,
)
from bot.domain.model import Community, Person, community_key, person_key
from bot.domain.platforms import Platforms
from bot.domain.replies import Template
from bot.flows import all_flows
from bot.language import available_locales
from bot.observe import Observer, Unobserved
from bot.storage import Store, Transaction
from bot.turn import Turn

log = logging.getLogger(__name__)

_SNAKE = re.compile(r"(?<=[a-z])(?=[A-Z])")
MAX_NAME = 64
"""Display names are cut to this many characters before they are stored."""

E = TypeVar("E")
OnOutbox = Callable[[set[str], bool], None]
"""Called after a commit with the platforms that got new outbox rows, and whether timers were
added."""


@dataclass(frozen=True, slots=True)
class Route(Generic[E]):
    """How the core takes one type of event: how it is claimed (so that it has its effect
    once), and what then handles it."""

    claim: Callable[[Transaction, E, datetime], Awaitable[Turn | None]]
    """Claim the event in the open transaction and give the turn to handle it in; None when
    it was handled before (or its timer is gone)."""
    handle: Callable[[Turn, E], Awaitable[None]]


class Core:
    """Handle inbound events through the flows, one transaction each."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        platforms: Platforms,
        on_outbox: OnOutbox | None = None,
        flows: Flows | None = None,
        danger_words: Callable[[str], DangerWords] | None = None,
        observer: Observer | None = None,
    ) -> None:
        self._store = store
        self.observer = observer or Unobserved()
        self._clock = clock
        self._platforms = platforms
        self._on_outbox = on_outbox
        self._flows = flows or all_flows()
        in_one = danger_words or (lambda locale: DangerWords(()))
        self._danger_words = functools.cache(
            lambda: sum((in_one(locale) for locale in available_locales()), DangerWords(()))
        )
        self._routes: dict[type[Any], Route[Any]] = {
            CommandIssued: Route(self._open_turn, self._command),
            ButtonPressed: Route(self._open_turn, self._button),
            TimerFired: Route(self._take_timer, self._timer),
        }
        for kind, handler in self._flows.events.items():
            self._routes[kind] = Route(self._claim, handler)

    @property
    def commands(self) -> frozenset[str]:
        return frozenset(self._flows.commands)

    async def handle(self, inbound: Inbound) -> bool:
        """Apply one event; False when it had been handled before (or its timer was gone)."""
        now = self._clock.now()
        started = time.perf_counter()
        route = self._routes.get(type(inbound))
        if route is None:
            log.error("no flow for %s; dropped", type(inbound).__name__)
            return False
        async with self._store.transaction() as tx:
            turn = await route.claim(tx, inbound, now)
            if turn is None:
                return False
            await route.handle(turn, inbound)
        if (turn.platforms or tx.timers.scheduled) and self._on_outbox is not None:
            self._on_outbox(turn.platforms, tx.timers.scheduled)
        self.observer.handled(*self._described(inbound), time.perf_counter() - started)
        return True

    def _described(self, inbound: Inbound) -> tuple[str, str, str]:
        """The event's platform, kind and the command, button or timer of the code it reached:
        names the code fixes, never what a member typed (an unknown command is "")."""
        if isinstance(inbound, CommandIssued):
            command = find_command(inbound.name.lower().lstrip("/"))
            return inbound.origin.platform, "command", command.name if command else ""
        if isinstance(inbound, ButtonPressed):
            known = inbound.action in self._flows.buttons
            return inbound.origin.platform, "button", inbound.action if known else ""
        if isinstance(inbound, TimerFired):
            return "timers", "timer", inbound.kind if inbound.kind in self._flows.timers else ""
        kind = _SNAKE.sub("_", type(inbound).__name__).lower()
        return getattr(inbound, "platform", ""), kind, ""

    def _turn(
        self,
        tx: Transaction,
        now: datetime,
        origin: Origin | None = None,
        person: Person | None = None,
        community: Community | None = None,
        message: int | None = None,
    ) -> Turn:
        return Turn(
            tx,
            now,
            origin,
            person,
            community,
            message,
            danger_words=self._danger_words,
            capabilities=self._platforms.of,
        )

    async def _take_timer(self, tx: Transaction, timer: TimerFired, now: datetime) -> Turn | None:
        """A timer is claimed by taking its row: a second firing finds it gone, and a firing
        whose lease another process took over finds another fence on it."""
        taken = await tx.timers.take(timer.timer_id, timer.fence)
        return self._turn(tx, now) if taken else None

    async def _claim(self, tx: Transaction, event: Reported, now: datetime) -> Turn | None:
        """An update the adapter stored on receipt leaves the inbox with its effect."""
        if not await tx.inbox.claim(event.dedupe_key, now):
            log.debug("duplicate inbound ignored")
            return None
        return self._turn(tx, now)

    async def _timer(self, turn: Turn, timer: TimerFired) -> None:
        handler = self._flows.timers.get(timer.kind)
        if handler is None:
            log.error("no flow for timer kind %s; dropped", timer.kind)
            return
        await handler(turn, timer.payload)

    async def _open_turn(self, tx: Transaction, inbound: FromMember, now: datetime) -> Turn | None:
        """Claim the inbound in the same trip as its member is met, where; None when it was
        handled before."""
        origin = inbound.origin
        name = " ".join(origin.person_name.split())[:MAX_NAME] or origin.person
        here = None
        if origin.community is not None and not origin.private:
            key = community_key(origin.platform, origin.community)
            here = Community(key, origin.platform, origin.community, origin.chat)
        met = await tx.people.arrive(
            Person(
                person_key(origin.platform, origin.person), origin.platform, origin.person, name
            ),
            here,
            now,
            admin=origin.is_admin,
            # Known open: they can be written to there.
            private_chat=origin.private or origin.private_chat_open,
            claim=inbound.dedupe_key,
        )
        if met is None:
            log.debug("duplicate inbound ignored")
            return None
        person, community = met
        if community is not None and origin.roles is not None:
            roles = self._platforms.of(origin.platform).held_roles(origin.roles)
            await tx.roles.replace(community.key, person.key, roles)
        pressed = inbound.message if isinstance(inbound, ButtonPressed) else None
        return self._turn(tx, now, origin, person, community, pressed)

    async def _command(self, turn: Turn, command: CommandIssued) -> None:
        name = command.name.lower().lstrip("/")
        handler = self._flows.commands.get(name)
        if handler is None:
            await turn.say(Template.UNKNOWN_COMMAND, Command(command=name[:32]))
            return
        log.debug("command %s", name)
        await handler(turn, command.args.strip())

    async def _button(self, turn: Turn, press: ButtonPressed) -> None:
        handler = self._flows.buttons.get(press.action)
        if handler is None:
            await turn.tell_me(Template.BUTTON_UNKNOWN)
            return
        await handler(turn, press.payload)
