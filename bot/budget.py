"""A platform's overall rate limit, kept by every process on one database together.

A platform takes so many requests a second from a bot (30 messages, or 50 requests), however
many processes send for it. Each process keeps its own requests within the limit as before (the
outbox worker's ``Pace``, or the adapter's own budget); this keeps their sum within it too.

Time is cut into slots of a tenth of a second (``SLOTS`` a second), and each slot has its part
of the limit for all processes together, ``SLOTS + 2`` slots in a row sharing exactly the limit:
the database counts what the processes took of the current slot, in one atomic statement. A
request starts in the slot it was granted in (what a process took and did not use is dropped
when the slot ends), a moment later at most; so any second holds the requests of at most
``SLOTS + 2`` slots in a row, and never more than the limit, however the requests fall. The
price: the processes together stay a sixth below the limit, each process's own limit aside.

A process asks for a few requests more than it needs now, so that its next sends in the same
slot cost no trip to the database. Slots are counted by the wall clock, which the machines
sharing a database keep in step (NTP keeps them within milliseconds of each other).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable

from bot.storage.port import OutboxRepository, Store

SLOTS = 10
"""Slots a second."""
AHEAD = 2
"""Requests asked for beyond those wanted now, for the next sends of the same slot."""


class SharedBudget:
    """A platform's requests a second for all processes together, taken slot by slot."""

    def __init__(
        self, platform: str, per_second: int, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.platform = platform
        self.per_second = per_second
        self._clock = clock
        self._slot = -1
        self._in_hand = 0
        """Requests taken of slot ``_slot`` and not used yet."""

    def slot(self) -> int:
        """The slot the clock is in now."""
        return math.floor(self._clock() * SLOTS)

    def allowance(self, slot: int) -> int:
        """The slot's part of the limit: ``SLOTS + 2`` slots in a row have the limit between
        them, as evenly as whole requests allow."""
        shares = SLOTS + 2
        return (slot + 1) * self.per_second // shares - slot * self.per_second // shares

    def opens(self) -> float:
        """Seconds until the next slot begins."""
        return (self.slot() + 1) / SLOTS - self._clock()

    async def take(self, outbox: OutboxRepository, wanted: int) -> int:
        """Use up to ``wanted`` requests of the current slot, from those in hand, then from the
        database (in the caller's transaction); how many may start now."""
        slot = self._now_in()
        if self._in_hand < wanted:
            asked = wanted - self._in_hand + AHEAD
            got = await outbox.take_budget(self.platform, slot, asked, self.allowance(slot))
            if self._now_in() == slot:  # else the answer came too late to start in its slot
                self._in_hand += got
        granted = min(wanted, self._in_hand)
        self._in_hand -= granted
        return granted

    async def wait(self, store: Store) -> None:
        """Wait until one request may start: at once with one in hand, else when the database
        grants one."""
        while True:
            self._now_in()
            if self._in_hand:
                self._in_hand -= 1
                return
            async with store.transaction() as tx:
                if await self.take(tx.outbox, 1):
                    return
            await asyncio.sleep(self.opens())

    def _now_in(self) -> int:
        """The current slot, dropping what is in hand of one gone by."""
        slot = self.slot()
        if slot != self._slot:
            self._slot, self._in_hand = slot, 0
        return slot
