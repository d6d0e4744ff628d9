"""The timer loop: due timer rows are fired through ``Core.handle``, the one path for events."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from bot.clock import Clock
from bot.core import Core
from bot.domain.inbound import TimerFired
from bot.outbox import backoff
from bot.storage import Store

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BATCH = 100
POLL = 5.0


class TimerLoop:
    """Fire due timers in order; a failing one is pushed back, never left to stall the rest."""

    def __init__(self, store: Store, core: Core, clock: Clock) -> None:
        self._store = store
        self._core = core
        self._clock = clock
        self.wake = asyncio.Event()

    async def fire_due(self) -> int:
        """Fire every timer due now, earliest first; return how many fired."""
        fired = 0
        while True:
            async with self._store.transaction() as tx:
                due = await tx.due_timers(self._clock.now(), BATCH)
            if not due:
                return fired
            for timer in due:
                try:
                    if await self._core.handle(TimerFired(timer.id, timer.kind, timer.payload)):
                        fired += 1
                except Exception:
                    log.exception("timer %d (%s) failed", timer.id, timer.kind)
                    async with self._store.transaction() as tx:
                        if timer.attempts + 1 >= MAX_ATTEMPTS:
                            log.error("timer %d (%s) dropped", timer.id, timer.kind)
                            await tx.drop_timer(timer.id)
                        else:
                            later = self._clock.now() + timedelta(seconds=backoff(timer.attempts))
                            await tx.postpone_timer(timer.id, later)

    async def next_due(self) -> float | None:
        """Seconds until the next timer, if any."""
        async with self._store.transaction() as tx:
            at = await tx.next_timer_due()
        return None if at is None else (at - self._clock.now()).total_seconds()

    async def run(self) -> None:
        """Fire timers forever, waking for the next one or when the core adds one."""
        while True:
            self.wake.clear()
            await self.fire_due()
            wait = await self.next_due()
            timeout = POLL if wait is None else min(POLL, max(0.0, wait))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout)
