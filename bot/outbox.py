"""Delivering the outbox: each platform's sender takes rows only after their transaction committed.

A row is marked sent only after the platform accepted it, so a crash resends at most the row in
flight. The sender owns the platform's rate limits; it tells this worker to retry later or that a
row can never be delivered, and the worker records that without ever spinning on one row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Protocol

from bot.clock import Clock
from bot.render import RenderError
from bot.storage import OutboxMessage, Store

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BATCH = 50
SETTLE = 5.0
"""Seconds a stopping worker waits for the row in flight to be sent and marked."""
POLL = 5.0
"""Seconds between looks at the outbox when nothing woke the worker (other processes write too)."""


class RetryLater(Exception):
    """The platform could not take the message now; try again after ``seconds``."""

    def __init__(self, seconds: float, reason: str = "") -> None:
        super().__init__(reason)
        self.seconds = seconds
        self.reason = reason


class Undeliverable(Exception):
    """The platform will never take this message (blocked, gone, forbidden)."""


class Sender(Protocol):
    """What an adapter implements to deliver outbox rows of its platform."""

    platform: str

    async def deliver(self, message: OutboxMessage) -> str | None:
        """Send one message; return the platform's id for it, for later edits."""
        ...


def backoff(attempts: int) -> float:
    """Seconds to wait before attempt ``attempts + 1``: 2, 4, 8 … up to 5 minutes."""
    return float(min(300, 2 ** (attempts + 1)))


class OutboxWorker:
    """Deliver one platform's outbox rows in order, woken at once after each commit."""

    def __init__(self, store: Store, sender: Sender, clock: Clock) -> None:
        self._store = store
        self._sender = sender
        self._clock = clock
        self.wake = asyncio.Event()

    @property
    def platform(self) -> str:
        return self._sender.platform

    async def drain(self) -> int:
        """Deliver every row that is due now; return how many were delivered."""
        delivered = 0
        while True:
            async with self._store.transaction() as tx:
                batch = await tx.pending_outbox(self.platform, self._clock.now(), BATCH)
            if not batch:
                return delivered
            held: set[str] = set()
            progressed = False
            for message in batch:
                chat = _conversation(message)
                if chat in held:
                    continue  # keep a conversation in order behind a row that must wait
                outcome = await self._settled(message)
                if outcome:
                    delivered += 1
                    progressed = True
                elif outcome is None:
                    progressed = True
                else:
                    held.add(chat)
            if not progressed or len(batch) < BATCH:
                return delivered

    async def _settled(self, message: OutboxMessage) -> bool | None:
        """Deliver one row and record how it went, even when the worker is stopped meanwhile.

        A message the platform took but we never marked sent would go out again after the
        restart; so a stop waits (up to ``SETTLE`` seconds) for the row in flight to settle.
        """
        delivery = asyncio.ensure_future(self._deliver(message))
        try:
            return await asyncio.shield(delivery)
        except asyncio.CancelledError:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + SETTLE
            while not delivery.done() and loop.time() < deadline:
                with contextlib.suppress(asyncio.CancelledError):  # asked again: still settling
                    await asyncio.wait([delivery], timeout=deadline - loop.time())
            if delivery.done() and not delivery.cancelled():
                delivery.exception()  # retrieved: a store error was logged by the loop before
            raise

    async def _deliver(self, message: OutboxMessage) -> bool | None:
        """True when sent, None when given up on, False when it must wait."""
        try:
            ref = await self._sender.deliver(message)
        except RetryLater as later:
            attempts = message.attempts + 1
            if attempts >= MAX_ATTEMPTS:
                await self._fail(message, f"gave up after {attempts} attempts: {later.reason}")
                return None
            wait = max(later.seconds, 0.0)
            async with self._store.transaction() as tx:
                await tx.mark_retry(message.id, self._clock.now() + timedelta(seconds=wait))
            return False
        except Undeliverable as never:
            await self._fail(message, str(never))
            return None
        except RenderError:
            log.exception("outbox row %d cannot be rendered", message.id)
            await self._fail(message, "template failed to render")
            return None
        except Exception:
            log.exception("sender failed on outbox row %d", message.id)
            if message.attempts + 1 >= MAX_ATTEMPTS:
                await self._fail(message, f"gave up after {MAX_ATTEMPTS} failed attempts")
                return None
            async with self._store.transaction() as tx:
                await tx.mark_retry(
                    message.id, self._clock.now() + timedelta(seconds=backoff(message.attempts))
                )
            return False
        async with self._store.transaction() as tx:
            await tx.mark_sent(message.id, ref, self._clock.now())
        return True

    async def _fail(self, message: OutboxMessage, reason: str) -> None:
        log.warning("outbox row %d undeliverable: %s", message.id, reason)
        async with self._store.transaction() as tx:
            await tx.mark_failed(message.id, reason[:200], self._clock.now())

    async def run(self) -> None:
        """Deliver forever: at once when woken, else at the next retry or every few seconds.

        A failure of the store itself (a locked or full disk) is logged and retried after a
        pause; the loop never dies, since a member may be waiting for the next message.
        """
        while True:
            self.wake.clear()
            timeout = POLL
            try:
                await self.drain()
                async with self._store.transaction() as tx:
                    next_at = await tx.next_outbox_attempt(self.platform)
                if next_at is not None:
                    timeout = min(POLL, max(0.0, (next_at - self._clock.now()).total_seconds()))
            except Exception:
                log.exception("%s outbox worker failed; trying again shortly", self.platform)
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
            # arrives as the event is set, and the process would not stop on SIGTERM.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self.wake.wait()


def _conversation(message: OutboxMessage) -> str:
    target = message.target
    return f"person:{target.person}" if target.person is not None else (target.chat or "")
