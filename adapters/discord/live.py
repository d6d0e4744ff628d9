"""Interactions this process received and may still answer in place.

Discord wants every interaction acknowledged within 3 s. The first reply the core queues for an
interaction becomes its response when it comes in time; if the core is slower, the adapter
defers (ephemerally, so a private answer can never show) and replies follow up. The state of
each, shared by the adapter and the sender, lives here; the lock makes "respond or defer" one
decision.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import discord

TOKEN_LIFETIME = 15 * 60.0
"""Seconds an interaction token can be used for follow-ups and edits."""


@dataclass
class Live:
    interaction: discord.Interaction[Any]
    received: float
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    thinking: bool = False
    """Deferred with a "thinking…" message that the next private reply will replace."""

    @property
    def in_guild(self) -> bool:
        return self.interaction.guild_id is not None


class LiveInteractions:
    """Interactions by token, forgotten once their token has expired."""

    def __init__(self) -> None:
        self._by_token: dict[str, Live] = {}

    def add(self, interaction: discord.Interaction[Any]) -> Live:
        now = asyncio.get_running_loop().time()
        self._forget_older_than(now - TOKEN_LIFETIME)
        live = Live(interaction, now)
        self._by_token[interaction.token] = live
        return live

    def get(self, token: str) -> Live | None:
        return self._by_token.get(token)

    def __len__(self) -> int:
        return len(self._by_token)

    def _forget_older_than(self, moment: float) -> None:
        for token in [t for t, live in self._by_token.items() if live.received < moment]:
            del self._by_token[token]
