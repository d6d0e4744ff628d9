"""Discord's global rate limit, kept request by request: interaction answers are not bound by it.

Discord counts a bot's REST requests against one global limit of 50 a second, except the
interaction endpoints (the callback, and the original response and follow-ups reached through
the interaction's token), which it documents as not bound to that limit. The outbox worker
schedules rows, not requests, and cannot tell one kind from the other; so the sender takes a
slot here for each request that counts (a channel post or DM, opening a DM channel, an edit of
a channel message, granting a role), and an answer to an interaction never waits here, however
busy the channels are.

A slot is held from when its request starts until a second after Discord answered it, as the
worker's ``Pace`` counts, so Discord never sees more than the limit in any second however the
requests travel. When the budget is short the most urgent request goes first (the lowest
priority, then the oldest row), as the worker orders its rows.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from adapters.discord.translate import PLATFORM
from bot.budget import SharedBudget
from bot.storage import Store

WINDOW = 1.0
"""Seconds a request keeps counting against the limit after Discord answered it."""


class GlobalBudget:
    """At most ``per_second`` requests started in any window, in flight or just answered."""

    def __init__(self, per_second: int, *, across: Store | None = None) -> None:
        """``across``: the database of every process sending for the bot, which keeps their
        requests together within the limit too (``bot/budget.py``)."""
        if per_second < 1:
            raise ValueError("the budget needs at least one request a second")
        self.per_second = per_second
        self._store = across
        self._shared = SharedBudget(PLATFORM, per_second)
        self._in_flight = 0
        self._recent: deque[float] = deque()
        """When each answered request stops counting, oldest first."""
        self._waiting: list[tuple[int, int, int, asyncio.Future[None]]] = []
        """(priority, row, arrival, future) of the requests waiting for a slot: a heap."""
        self._arrivals = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    @asynccontextmanager
    async def slot(self, priority: int, row: int) -> AsyncIterator[None]:
        """Hold a slot for one request of outbox row ``row`` while the block runs."""
        await self._take(priority, row)
        try:
            if self._store is not None:
                await self._shared.wait(self._store)
            yield
        finally:
            self._in_flight -= 1
            self._recent.append(asyncio.get_running_loop().time() + WINDOW)
            self._grant()

    def _free(self, now: float) -> int:
        while self._recent and self._recent[0] <= now:
            self._recent.popleft()
        return self.per_second - self._in_flight - len(self._recent)

    async def _take(self, priority: int, row: int) -> None:
        loop = asyncio.get_running_loop()
        if not self._waiting and self._free(loop.time()) > 0:
            self._in_flight += 1
            return
        granted: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._waiting, (priority, row, next(self._arrivals), granted))
        self._grant()
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self._in_flight -= 1  # granted, then stopped before it could start
                self._grant()
            raise

    def _grant(self) -> None:
        """Give the free slots to the most urgent waiting; look again when a slot frees up."""
        loop = asyncio.get_running_loop()
        free = self._free(loop.time())
        while self._waiting and free > 0:
            granted = heapq.heappop(self._waiting)[-1]
            if granted.done():
                continue  # it stopped waiting
            granted.set_result(None)
            self._in_flight += 1
            free -= 1
        if self._waiting and self._recent and self._timer is None:
            self._timer = loop.call_at(self._recent[0], self._tick)

    def _tick(self) -> None:
        self._timer = None
        self._grant()
