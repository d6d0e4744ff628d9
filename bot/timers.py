"""The timer loop: due timer rows are fired through ``Core.handle``, the one path for events."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from datetime import timedelta

from bot.clock import Clock
from bot.core import Core
from bot.domain.inbound import TimerFired
from bot.domain.records import DueTimer
from bot.outbox import backoff
from bot.storage import Store

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
KEYED_RETRY = timedelta(hours=1)
BATCH = 20
"""Timers claimed at a time: a few, so that several processes share a long run of due ones."""
POLL = 5.0
LEASE = timedelta(seconds=60)
"""How long a claimed timer is this process's alone. Far longer than firing a batch takes (each
handler is one transaction, milliseconds; sending is the outbox's, not the handler's), so a live
process never loses a timer it claimed; when its process dies, another fires the timer after
this. A process that outlives its lease all the same is fenced: its firing changes nothing."""


def holder_name() -> str:
    """Who holds a lease: the host and process, and a few random bytes for a reused pid."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class TimerLoop:
    """Fire due timers in order; a failing one is pushed back, never left to stall the rest.

    Any number of processes may run one on a database: each fires the timers it claimed."""

    def __init__(self, store: Store, core: Core, clock: Clock) -> None:
        self._store = store
        self._core = core
        self._clock = clock
        self.holder = holder_name()
        self.wake = asyncio.Event()

    async def fire_due(self) -> int:
        """Fire every timer due now, earliest first; return how many fired."""
        fired = 0
        while True:
            now = self._clock.now()
            async with self._store.transaction() as tx:
                due = await tx.timers.claim(now, BATCH, holder=self.holder, until=now + LEASE)
            if not due:
                return fired
            try:
                while due:
                    fired += await self._fire(due[0])
                    del due[0]
            except asyncio.CancelledError:
                await self._release(due)  # the one it was firing too: taken, it is left alone
                raise

    async def _fire(self, timer: DueTimer) -> int:
        """Fire one claimed timer; 1 when it had its effect here."""
        try:
            event = TimerFired(timer.id, timer.kind, timer.payload, fence=timer.fence)
            if not await self._core.handle(event):
                return 0
        except Exception:
            log.exception("timer %d (%s) failed", timer.id, timer.kind)
            await self._after_failure(timer)
            return 0
        late = (self._clock.now() - timer.due_at).total_seconds()
        self._core.observer.fired(max(late, 0.0))
        return 1

    async def _release(self, timers: list[DueTimer]) -> None:
        """Give back the claimed timers a stopping process did not fire, so that the process
        started after it fires them at once rather than once their leases run out."""
        async with self._store.transaction() as tx:
            for timer in timers:
                await tx.timers.release(timer.id, timer.fence)

    async def _after_failure(self, timer: DueTimer) -> None:
        """Push a failed timer back; drop a one-off after its last attempt.

        A keyed timer (the milestone run, meeting reminders, housekeeping) is never dropped:
        losing it would silently stop every announcement, so it waits an hour and tries again.
        """
        async with self._store.transaction() as tx:
            if timer.attempts + 1 < MAX_ATTEMPTS:
                later = self._clock.now() + timedelta(seconds=backoff(timer.attempts))
                await tx.timers.postpone(timer.id, timer.fence, later)
            elif timer.key is not None:
                await tx.timers.postpone(timer.id, timer.fence, self._clock.now() + KEYED_RETRY)
            else:
                log.error(
                    "timer %d (%s) dropped after %d attempts", timer.id, timer.kind, MAX_ATTEMPTS
                )
                await tx.timers.drop(timer.id, timer.fence)

    async def next_due(self) -> float | None:
        """Seconds until the next timer, if any."""
        async with self._store.transaction() as tx:
            at = await tx.timers.next_due()
        return None if at is None else (at - self._clock.now()).total_seconds()

    async def run(self) -> None:
        """Fire timers forever, waking for the next one or when the core adds one."""
        while True:
            self.wake.clear()
            timeout = POLL
            try:
                await self.fire_due()
                wait = await self.next_due()
                if wait is not None:
                    timeout = min(POLL, max(0.0, wait))
            except Exception:
                log.exception("timer loop failed; trying again shortly")
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
            # arrives as the event is set, and the process would not stop on SIGTERM.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self.wake.wait()
