"""Handle what a platform sent from the inbox, where it was stored before it was acknowledged.

An update whose handling fails is tried again after a growing pause (2, 4, 8, 16 s) and, after
``MAX_TRIES``, set aside: in the database (its tries, when, and the error's type, never its
text), so the next updates go on at once and a restart does not forget it. The member who sent
it, where the raw update names one (it may be the very thing that does not parse), gets one line
saying it could not be read; the operator gets a WARNING with the count each time one is set
aside, and at start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock
from bot.contexts import Ref
from bot.contexts.core import Who
from bot.domain.model import community_key, person_key
from bot.domain.replies import Mention, Reply, Target, Template
from bot.storage import Store, Transaction

log = logging.getLogger(__name__)

MAX_TRIES = 5
"""Tries at one stored update before it is set aside."""
BATCH = 100
POLL = 30.0
"""Seconds to wait before looking again after the store itself failed."""


def retry_after(tries: int) -> timedelta:
    """How long an update that failed ``tries`` times waits for its next try: 2, 4, 8, 16 s."""
    return timedelta(seconds=2 ** min(tries, 8))


@dataclass(frozen=True, slots=True)
class Author:
    """Who sent an update that asked something of the bot, and where they can be told."""

    target: Target
    person: str
    """Their id on the platform."""
    name: str
    community: str | None = None
    """The group or server it came from, whose language the line is said in."""


Lanes = Callable[[str], "frozenset[str] | None"]
"""The conversations a stored update belongs to (its chat, its sender), read from its payload
alone: updates that share one are handled in the order they came, the others side by side.
None when it cannot tell: that update waits for every earlier one, and every later one for it."""
AT_ONCE = 16
"""Updates handled at once. More would only queue in the store, and the outbox's reads and
writes would wait behind them: answers leave sooner when the core takes few at a time."""


def one_lane(payload: str) -> frozenset[str] | None:
    """Every update in one line, each after the one before (no concurrency)."""
    return None


Handle = Callable[[str, str], Awaitable[None]]
"""Handle one stored update, given its key and payload; raise when its handling failed."""
AuthorOf = Callable[[str], "Author | None"]
"""Who sent a stored update, from its payload alone; None when nobody is to be told."""


class Inbox:
    """One platform's stored updates: handled in order, retried, set aside without blocking."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        platform: str,
        handle: Handle,
        author_of: AuthorOf,
        wake: Callable[[set[str]], None] | None = None,
        lanes_of: Lanes = one_lane,
    ) -> None:
        """``wake`` tells the platform's outbox sender that a line for a member is waiting;
        ``lanes_of`` says which updates may be handled side by side."""
        self.platform = platform
        self._lanes_of = lanes_of
        self._admit = asyncio.Semaphore(AT_ONCE)
        self._store = store
        self._clock = clock
        self._handle = handle
        self._author_of = author_of
        self._wake_outbox = wake
        self._due = asyncio.Event()
        self._turn = asyncio.Lock()
        """One pass over the inbox at a time: two would handle the same update at once."""

    def wake(self) -> None:
        """Something new was stored, or fell due: look at the inbox now."""
        self._due.set()

    async def handle_due(self) -> int:
        """Handle every stored update that is due, oldest first; return how many succeeded.

        Updates of one conversation (``lanes_of``) are handled in order, up to ``AT_ONCE`` at a
        time across conversations. A failing one waits for its next try while the others go on.
        """
        handled = 0
        async with self._turn:
            while True:
                async with self._store.transaction() as tx:
                    batch = await tx.inbox.waiting(self.platform, BATCH, self._clock.now())
                if not batch:
                    return handled
                tasks: list[asyncio.Future[bool]] = []
                last: dict[str, asyncio.Future[bool]] = {}  # each conversation's latest
                barrier: set[asyncio.Future[bool]] = set()  # the latest that named none
                since: list[asyncio.Future[bool]] = []  # every one after it
                for key, payload, tries in batch:
                    lanes = self._lanes_of(payload)
                    before = set(barrier)
                    before |= set(since) if lanes is None else {last[x] for x in lanes if x in last}
                    task = asyncio.ensure_future(self._one(key, payload, tries, before))
                    tasks.append(task)
                    if lanes is None:
                        barrier, since, last = {task}, [], {}
                    else:
                        since.append(task)
                        last.update(dict.fromkeys(lanes, task))
                outcomes = await asyncio.gather(*tasks, return_exceptions=True)
                done = [key for (key, _, _), ok in zip(batch, outcomes, strict=True) if ok is True]
                handled += len(done)
                # Most updates left with their effect; one that caused nothing leaves here.
                if done:
                    async with self._store.transaction() as tx:
                        await tx.inbox.drop(*done)
                for outcome in outcomes:
                    if isinstance(outcome, BaseException):
                        raise outcome

    async def _one(
        self, key: str, payload: str, tries: int, before: set[asyncio.Future[bool]]
    ) -> bool:
        """Handle one update once those of its conversations before it are done; False when
        it failed (and was recorded so)."""
        if before:
            await asyncio.wait(before)
        async with self._admit:
            try:
                await self._handle(key, payload)
            except Exception as error:
                await self.failed(key, payload, error, tries=tries)
                return False
        return True

    async def failed(self, key: str, payload: str, error: BaseException, *, tries: int = 0) -> None:
        """Record a failed try at a stored update (``tries`` before this one): try again
        later, or set it aside and tell its member."""
        reason = type(error).__name__
        now = self._clock.now()
        told = False
        async with self._store.transaction() as tx:
            tries, aside = await tx.inbox.failed(
                key, reason, now, retry_at=now + retry_after(tries + 1), max_tries=MAX_TRIES
            )
            if aside:
                told = await self._tell_author(tx, payload)
                count = await tx.inbox.set_aside_count(self.platform)
        if tries == 0:
            return  # gone meanwhile: handled by another path, or erased
        if not aside:
            wait = retry_after(tries).total_seconds()
            if tries == 1:  # one traceback per update, not one per try
                log.error(
                    "a %s update (%s) failed (%s); trying again in %.0f s",
                    self.platform,
                    key,
                    reason,
                    wait,
                    exc_info=error,
                )
            else:
                log.info(
                    "a %s update (%s) failed again (%s, try %d)", self.platform, key, reason, tries
                )
            return
        log.warning(
            "a %s update (%s) was set aside after %d tries (%s)%s; %d %s updates set aside",
            self.platform,
            key,
            tries,
            reason,
            "; its member was told" if told else "",
            count,
            self.platform,
        )
        if told and self._wake_outbox is not None:
            self._wake_outbox({self.platform})

    async def _tell_author(self, tx: Transaction, payload: str) -> bool:
        """Queue one line for the member who sent it, where one can be named."""
        try:
            author = self._author_of(payload)
        except Exception:  # the payload is what could not be read: nobody to name
            log.info("a set-aside %s update names nobody who can be told", self.platform)
            return False
        if author is None:
            return False
        locale = "en"
        if author.community is not None:
            community = await tx.communities.get(community_key(self.platform, author.community))
            locale = community.settings.locale if community is not None else locale
        key = person_key(self.platform, author.person)
        known = await tx.people.get(key) is not None
        who: Ref = {"id": author.person, "name": author.name or author.person}
        reply = Reply(
            Template.UPDATE_UNREADABLE,
            author.target,
            dict(Who(who=who)),
            mentions=(Mention(who["id"], who["name"]),),
        )
        await tx.outbox.enqueue(reply, locale, self._clock.now(), about=key if known else None)
        return True

    async def report(self) -> int:
        """Say at start how many updates are set aside, if any; return how many."""
        async with self._store.transaction() as tx:
            count = await tx.inbox.set_aside_count(self.platform)
        if count:
            log.warning(
                "%d %s updates are set aside after failing (the inbox table has each one's"
                " tries and reason)",
                count,
                self.platform,
            )
        return count

    async def work(self) -> None:
        """Handle stored updates forever: at once when woken, else when the next retry is due.

        A failure of the store itself is logged and tried again after a pause: the loop never
        dies, since members wait on what it handles.
        """
        with contextlib.suppress(Exception):
            await self.report()
        while True:
            self._due.clear()
            timeout: float | None = None
            try:
                await self.handle_due()
                async with self._store.transaction() as tx:
                    next_at = await tx.inbox.next_attempt(self.platform)
                if next_at is not None:
                    timeout = max(0.0, (next_at - self._clock.now()).total_seconds())
            except Exception:
                log.exception("handling stored %s updates failed; trying again", self.platform)
                timeout = POLL
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._due.wait()
