"""The console: one simulated group with several members, typed from stdin.

Each line is typed by the current member in the group. ``/dm LINE`` types in that member's private
chat with the bot, ``/as NAME`` switches member (the first member named is the group's admin),
``/tap N`` presses button N of the last message with buttons that the current member can see
(in the group or their own private chat), and ``/wait 2h`` moves the
console's clock forward, firing every timer that falls due, in order. The clock's offset is kept
in the database, so a console session can be picked up again.
"""

from __future__ import annotations

import asyncio
import re
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TextIO

from adapters.console import contexts as c
from adapters.console.platform import PLATFORM
from bot.app import App
from bot.clock import MovableClock
from bot.dialect import PlainDialect
from bot.domain.inbound import ButtonPressed, CommandIssued, Origin
from bot.domain.records import OutboxMessage
from bot.domain.replies import Button
from bot.render import Renderer

GROUP = "group"
CLOCK_SAVED = "console.clock"
MAX_WAIT = timedelta(days=3660)
_WAIT = re.compile(r"(\d{1,6})\s*([mhd])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


@dataclass
class _Shown:
    outbox_id: int
    chat: str
    buttons: tuple[Button, ...]
    order: int


class ConsoleSender:
    """Print each outbox row with a header saying where it went."""

    platform = PLATFORM

    def __init__(self, console: Console) -> None:
        self._console = console

    async def deliver(self, message: OutboxMessage) -> str | None:
        if message.target.withdraw is not None:
            return None  # a typed line cannot be taken back off the screen
        self._console.show(message)
        return str(message.id)


class Console:
    """One console session over an app whose clock is a ``ShiftedClock``."""

    def __init__(self, app: App, clock: MovableClock, out: TextIO, first_member: str = "Sam"):
        self._app = app
        self._clock = clock
        self._out = out
        self._color = out.isatty()
        self._renderer: Renderer = app.renderer(PlainDialect(), c.CONTEXTS)
        self._members: dict[str, str] = {}
        self._admin = self._member_id(first_member)
        self._current = self._admin
        self._buttons: dict[str, _Shown] = {}
        """The last message with buttons in each chat (the group, or a member's private chat)."""
        self._worker = app.add_sender(ConsoleSender(self))

    @property
    def current(self) -> str:
        return self._members[self._current]

    def _member_id(self, name: str) -> str:
        key = name.strip().lower()
        self._members.setdefault(key, name.strip())
        return key

    # -- output -------------------------------------------------------------------------------

    def _print(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()

    def _header(self, text: str) -> None:
        self._print(f"\x1b[2m{text}\x1b[0m" if self._color else text)

    def _note(self, key: str, context: Mapping[str, Any] | None = None) -> None:
        """Print one of the console's own lines (not a bot message)."""
        self._header(self._renderer.render(f"console/{key}", context or {}))

    def show(self, message: OutboxMessage) -> None:
        """Print a bot message with where it went, and its buttons numbered."""
        target = message.target
        edited = message.target.edit_of is not None
        if target.person is not None:
            name = self._members.get(target.person, target.person)
            header = c.Header(private=True, name=name, edited=edited)
        else:
            header = c.Header(private=False, name="", edited=edited)
        text = self._renderer.render(
            message.template, message.context, locale=message.locale, mentions=message.mentions
        )
        self._note("header", header)
        self._print(text)
        if message.buttons:
            labels = [
                f"[{n}] {self._renderer.render(b.label, {}, locale=message.locale)}"
                for n, b in enumerate(message.buttons, start=1)
            ]
            self._print("  ".join(labels))
            chat = f"dm:{target.person}" if target.person is not None else (target.chat or GROUP)
            # A button on an edited message belongs to the message first sent.
            original = target.edit_of or message.id
            self._buttons[chat] = _Shown(original, chat, message.buttons, order=message.id)
        self._print("")

    # -- input --------------------------------------------------------------------------------

    def _origin(self, chat: str) -> Origin:
        private = chat.startswith("dm:")
        return Origin(
            platform=PLATFORM,
            chat=chat,
            person=self._current,
            person_name=self.current,
            community=None if private else GROUP,
            private=private,
            is_admin=self._current == self._admin,
            private_chat_open=True,
        )

    async def start(self) -> None:
        """Restore the clock and greet; deliver anything left from an earlier run."""
        async with self._app.store.transaction() as tx:
            saved = await tx.meta.get(CLOCK_SAVED)
        if saved is not None:
            self._clock.advance_to(datetime.fromisoformat(saved))
        self._note("banner", c.Member(name=self.current))
        await self._settle()

    async def line(self, text: str) -> bool:
        """Handle one typed line; False when the member asked to quit."""
        text = text.strip()
        if not text:
            return True
        if text in ("/quit", "/exit"):
            return False
        word, _, rest = text.partition(" ")
        rest = rest.strip()
        if word == "/as":
            if not rest:
                self._note("as_usage")
            else:
                self._current = self._member_id(rest[:64])
                self._note("now_typing", c.Member(name=self.current))
        elif word == "/dm":
            await self._typed(rest, f"dm:{self._current}")
        elif word == "/tap":
            await self._tap(rest)
        elif word == "/wait":
            await self._wait(rest)
        else:
            await self._typed(text, GROUP)
        return True

    async def _typed(self, text: str, chat: str) -> None:
        if not text.startswith("/"):
            return  # ordinary chat: the bot listens only for commands
        name, _, args = text[1:].partition(" ")
        name = name.split("@", 1)[0]
        await self._app.core.handle(
            CommandIssued(f"console:{uuid.uuid4()}", self._origin(chat), name, args)
        )
        await self._settle()

    async def _tap(self, rest: str) -> None:
        visible = [self._buttons[c] for c in (GROUP, f"dm:{self._current}") if c in self._buttons]
        shown = max(visible, key=lambda s: s.order) if visible else None
        if shown is None or not rest.isdigit() or not 1 <= int(rest) <= len(shown.buttons):
            self._note("tap_usage", c.Buttons(count=0 if shown is None else len(shown.buttons)))
            return
        button = shown.buttons[int(rest) - 1]
        await self._app.core.handle(
            ButtonPressed(
                f"console:{uuid.uuid4()}",
                self._origin(shown.chat),
                button.action,
                button.payload,
                shown.outbox_id,
            )
        )
        await self._settle()

    async def _wait(self, rest: str) -> None:
        delta = parse_duration(rest)
        if delta is None:
            self._note("wait_usage")
            return
        target = self._clock.now() + delta
        while True:
            next_in = await self._app.timers.next_due()
            if next_in is None or self._clock.now() + timedelta(seconds=next_in) > target:
                break
            self._clock.advance_to(self._clock.now() + timedelta(seconds=max(0.0, next_in)))
            await self._settle()
        self._clock.advance_to(target)
        await self._settle()
        async with self._app.store.transaction() as tx:
            await tx.meta.set(CLOCK_SAVED, self._clock.now().isoformat())
        self._note("waited", c.Waited(delta=rest))

    async def _settle(self) -> None:
        """Deliver what is queued and fire what is due, until nothing is left to do now."""
        while await self._worker.drain() + await self._app.timers.fire_due():
            pass


def parse_duration(text: str) -> timedelta | None:
    """Read ``20m``, ``2h``, ``30d`` or ``1d12h``; None when it is anything else."""
    compact = text.replace(" ", "").lower()
    parts = _WAIT.findall(compact)
    if not parts or "".join(a + u for a, u in parts) != compact:
        return None
    delta = sum((timedelta(**{_UNITS[u]: int(a)}) for a, u in parts), timedelta())
    return delta if timedelta(0) < delta <= MAX_WAIT else None


async def run_console(app: App, clock: MovableClock, *, first_member: str = "Sam") -> None:
    """Run the console on stdin and stdout until end of input or ``/quit``."""
    console = Console(app, clock, sys.stdout, first_member)
    await console.start()
    interactive = sys.stdin.isatty()
    while True:
        if interactive:
            sys.stdout.write(f"{console.current}> ")
            sys.stdout.flush()
        text = await asyncio.to_thread(sys.stdin.readline)
        if not text:
            break
        if not await console.line(text):
            break
