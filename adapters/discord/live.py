"""Interactions this process received and may still answer in place.

Discord wants every interaction acknowledged within 3 s. The first reply the core queues for an
interaction becomes its response when it comes in time; if the core is slower, the adapter
defers (ephemerally, so a private answer can never show) and replies follow up. The state of
each, shared by the adapter and the sender, lives here; the lock makes "respond or defer" one
decision.

Nothing is acknowledged that could still be lost: an answer goes out only after the core
committed it, and a defer only after the core committed the interaction's effect (``settled``)
or the interaction was kept in the inbox (``kept``), from which a restart handles it.

A command kept by a process that stopped is handled again by the next one (``Replayed``): it
holds no interaction object then, only the token, which reaches the "thinking…" the stopped
process may have left for as long as the token lasts.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import discord

from bot.domain.inbound import ButtonPressed, CommandIssued

TOKEN_LIFETIME = 15 * 60.0
"""Seconds an interaction token can be used for follow-ups and edits."""
USABLE_FOR = TOKEN_LIFETIME - 60.0
"""Seconds this process still answers on an interaction: a minute short of its expiry."""


@dataclass
class Live:
    interaction: discord.Interaction[Any]
    received: float
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    thinking: bool = False
    """Deferred with a "thinking…" message that no reply has replaced yet."""
    inbound: CommandIssued | ButtonPressed | None = None
    """What the core is handling for it, to keep in the inbox before a defer."""
    kept: bool = False
    """Stored in the inbox: a restart handles it if this process cannot."""
    settled: bool = False
    """The core is done with it: its effect is committed, or it failed and the member hears so."""
    timer: asyncio.TimerHandle | None = None
    """Fires when its time to be answered directly is up."""

    @property
    def pressed(self) -> bool:
        """A button press: acknowledged by leaving the message as it is, not by "thinking…"."""
        return self.interaction.type is discord.InteractionType.component

    @property
    def in_guild(self) -> bool:
        return self.interaction.guild_id is not None

    def belongs_to(self, person: str | None) -> bool:
        """Whether a private row for ``person`` may be shown on this interaction."""
        return person is not None and str(self.interaction.user.id) == person


@dataclass
class Replayed:
    """A command another process received, kept, and (perhaps) deferred, but never answered;
    handled here from the inbox. Its answer clears the "thinking…" that process left."""

    token: str
    until: float
    """The loop time after which its token is not used any more."""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    thinking: bool = True
    """Its deferred "thinking…" may still be showing: no answer replaced or removed it."""


class LiveInteractions:
    """Interactions by token, forgotten once their token has (nearly) expired."""

    def __init__(self) -> None:
        self._by_token: dict[str, Live] = {}
        """In the order they came, so the oldest are always first."""
        self._replayed: dict[str, Replayed] = {}
        """Commands from before a restart handled here, whose tokens are still usable."""

    def add(
        self,
        interaction: discord.Interaction[Any],
        inbound: CommandIssued | ButtonPressed | None = None,
    ) -> Live:
        now = asyncio.get_running_loop().time()
        self._forget_older_than(now - USABLE_FOR)
        live = Live(interaction, now, inbound=inbound)
        self._by_token[interaction.token] = live
        return live

    def get(self, token: str) -> Live | None:
        live = self._by_token.get(token)
        if live is None or asyncio.get_running_loop().time() - live.received > USABLE_FOR:
            return None
        return live

    def replay(self, token: str, age: float) -> None:
        """Remember a command from before a restart, Discord created ``age`` seconds ago, while
        its token lasts; one whose token has (nearly) expired is not remembered."""
        now = asyncio.get_running_loop().time()
        for old in [t for t, r in self._replayed.items() if r.until < now]:
            del self._replayed[old]
        if age < USABLE_FOR and token not in self._replayed:
            self._replayed[token] = Replayed(token, now + USABLE_FOR - age)

    def replayed(self, token: str) -> Replayed | None:
        found = self._replayed.get(token)
        if found is None or asyncio.get_running_loop().time() > found.until:
            return None
        return found

    def _forget_older_than(self, moment: float) -> None:
        while self._by_token:
            token, oldest = next(iter(self._by_token.items()))
            if oldest.received >= moment:
                return
            del self._by_token[token]
