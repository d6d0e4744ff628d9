"""Delivering the outbox: each platform's rows are scheduled, not queued.

A row is marked sent only after the platform accepted it, so a crash resends at most the rows
in flight. Each platform's worker keeps a lane per conversation (a group chat, or a person's
private chat) and sends from every lane that may send now, several at once, up to the
platform's overall limit: a chat waiting out its pause never holds another chat's message.

Within a lane, rows leave most urgent first (``Priority``), then oldest first; an edit waits
until the message it edits was sent, and a row that follows another (the group's "I've sent you
the answer privately") until that one was tried. When the overall budget is short, the most
urgent row of all the lanes that may send goes first, and announcements leave headroom in a
group's budget for anything urgent.

The pacing (``Pace``) lives here, where the worker knows when each lane may send next; a sender
only delivers one row and says when the platform asked it to wait (``RetryLater``), that a row
can never be delivered (``Undeliverable``), or that a long message has parts left
(``Unfinished``). ``drain`` is the simple path: every due row in order, one at a time, for the
console, whose transcript must read the same every time.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import heapq
import logging
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Protocol

from bot.budget import SharedBudget
from bot.clock import Clock
from bot.domain.records import DueRow, LaneLease, OutboxMessage
from bot.domain.replies import Priority, Reply
from bot.observe import Observer, Unobserved
from bot.render import RenderError
from bot.storage import Store, Transaction

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BATCH = 50
SETTLE = 5.0
"""Seconds a stopping worker waits for the rows in flight to be sent and marked."""
POLL = 5.0
"""Seconds between looks at the outbox when nothing woke the worker (other processes write too)."""
RELOAD = 60.0
"""Seconds between full reads of what is due (between them, only what is new is read)."""
SLACK = timedelta(seconds=2)
"""How far back a look reads rows that fell due, for a transaction that took its time to commit."""
LONGEST_SEND = 30.0
"""Seconds the worker lets one send take: a send still going then is abandoned (cancelled) and
retried. The adapters' HTTP clients mostly give up sooner, but their timeouts bound each step
(to connect, to write, each read), not the whole, and a loaded machine stretches them all."""
SEND_MARGIN = 10.0
"""Seconds of lease a send leaves unused after its longest: the processes' clocks may disagree
a little, and a platform may still act on a request it got just before it was abandoned."""
LEASE = 60.0
"""Seconds a worker holds a lane (one conversation's rows) without renewing it; another process
takes the lane over only after that, so a process that dies holding a lane delays that
conversation by at most this. A message on its way cannot be called back, so a worker starts a
send only with ``LONGEST_SEND`` and ``SEND_MARGIN`` of its lease left: even if it could renew
nothing from then on, the send is over before another process may send from the lane. Hence
the lease is longer than both, and two live processes never send the same row (but for a send
that timed out after the platform took it: retried, it shows twice, which beats never)."""
RENEW = 15.0
"""Seconds between renewals of the lanes a worker holds, sending or not: well inside ``LEASE``,
so a database slow to answer a few times loses no lane."""
CLAIM_AGAIN = 1.0
"""Seconds before a worker asks again for a lane that another process holds."""
DEFER = 3.0
"""Seconds a worker leaves a row to another process that is better placed to send it (the
sender says so: it answers an interaction that process received), before sending it itself."""


class RetryLater(Exception):
    """The platform could not take the message now; try again after ``seconds``.

    ``chat_waits``: the platform asked the whole conversation to wait (a 429), so no other row
    of that lane is tried before then. ``unsure``: the platform may have taken the message all
    the same (a timeout, a dropped connection, once the request was on its way); the retry may
    show it twice, which beats never for a message such as a craving's. ``meanwhile``: a reply
    to queue now, in the same transaction, about the person ``about`` (such as a line in the
    group pointing the member to a private chat the bot cannot write in yet). ``closed_to``:
    the person whose private chat refused the bot; the store stops counting it open.
    """

    def __init__(
        self,
        seconds: float,
        reason: str = "",
        *,
        chat_waits: bool = False,
        unsure: bool = False,
        meanwhile: Reply | None = None,
        about: str | None = None,
        closed_to: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.seconds = seconds
        self.closed_to = closed_to
        self.reason = reason
        self.chat_waits = chat_waits
        self.unsure = unsure
        self.meanwhile = meanwhile
        self.about = about


class Undeliverable(Exception):
    """The platform will never take this message (blocked, gone, forbidden); ``closed_to``
    as for ``RetryLater``."""

    def __init__(self, reason: str = "", *, closed_to: str | None = None) -> None:
        super().__init__(reason)
        self.closed_to = closed_to


class Unfinished(Exception):
    """The platform took a part of a long message; send the next when the chat may take it."""


class Sender(Protocol):
    """What an adapter implements to deliver outbox rows of its platform.

    A sender may also declare ``pace``: the platform's limits, which the worker keeps to; and
    ``elsewhere(message)``: whether another process may be better placed to send the row (it
    received the interaction the row answers), which then gets the row's lane first.
    """

    platform: str

    async def deliver(self, message: OutboxMessage) -> str | None:
        """Send one message; return the platform's id for it, for later edits."""
        ...


@dataclass(frozen=True, slots=True)
class Pace:
    """A platform's limits, as the worker keeps to them, in real seconds.

    Each request holds its share of a limit from when it starts until its window has passed
    after the platform answered: however the requests travel, the platform never counts more
    than the limit in any window.
    """

    overall: int = 30
    """Requests in any second, all chats together (also the most in flight at once)."""
    per_chat: float = 0.0
    """Seconds from the answer to one request to the next request in the same chat."""
    group_per_minute: int | None = None
    """Requests one group chat takes in any minute."""
    announcements_per_minute: int | None = None
    """Of a group's minute, what announcements may use: the rest waits for urgent rows."""
    shared: bool = False
    """Whether ``overall`` is the platform's limit for every process on the database together
    (``bot/budget.py``), not for this process alone."""


def backoff(attempts: int) -> float:
    """Seconds to wait before attempt ``attempts + 1``: 2, 4, 8 … up to 5 minutes."""
    return float(min(300, 2 ** (attempts + 1)))


class _Outcome(Enum):
    SENT = "sent"
    GIVEN_UP = "given up"
    RETRY = "retry"
    PART = "part"


@dataclass(frozen=True, slots=True)
class _Result:
    outcome: _Outcome
    pause: float = 0.0
    """Seconds the whole conversation must wait before its next request."""


@dataclass(eq=False, slots=True)
class _Lane:
    """One conversation's rows, most urgent then oldest first, and when it may send next."""

    key: str
    group: bool
    order: list[tuple[int, int]] = field(default_factory=list)
    """(priority, id) of each row waiting here, sorted."""
    busy: bool = False
    free_at: float = 0.0
    minute: deque[float] = field(default_factory=deque)
    """When each request of the last minute stops counting against a group's minute."""
    lease: LaneLease | None = None
    """This worker's lease on the conversation: it sends the lane's rows only while it has one."""
    held_until: float = 0.0
    """When the lease runs out, by this process's clock (counted from before it was asked)."""
    claim_after: float = 0.0
    """When to ask again for the lane, while another process holds it."""


class _Signal:
    """A flag that also sets an event it shares with other flags."""

    def __init__(self, shared: asyncio.Event) -> None:
        self._shared = shared
        self._set = False

    def set(self) -> None:
        self._set = True
        self._shared.set()

    def is_set(self) -> bool:
        return self._set

    def clear(self) -> None:
        self._set = False


class OutboxWorker:
    """Deliver one platform's outbox rows, woken at once after each commit."""

    def __init__(
        self,
        store: Store,
        sender: Sender,
        clock: Clock,
        pace: Pace | None = None,
        observer: Observer | None = None,
    ) -> None:
        self._store = store
        self._holder = uuid.uuid4().hex
        """Who this worker is to the other processes' workers, for the lanes it holds."""
        self._observer = observer or Unobserved()
        self._sender = sender
        self._clock = clock
        declared = getattr(sender, "pace", None)
        self.pace = pace or (declared if isinstance(declared, Pace) else Pace())
        self._shared = SharedBudget(self.platform, self.pace.overall) if self.pace.shared else None
        self._short = False
        """Whether the shared budget's slot ran short of what the last dispatch wanted."""
        self._stirred = asyncio.Event()
        """Set by either signal below: the worker waits on one event, not a task for each."""
        self.wake = _Signal(self._stirred)
        """New rows were committed: look at the store."""
        self._progress = _Signal(self._stirred)
        """A row landed: its lane may send again."""
        self._rows: dict[int, DueRow] = {}
        """Every row the scheduler knows is due: waiting in a lane or in flight."""
        self._seen: dict[int, float] = {}
        """When this worker first saw each row of ``_rows``."""
        self._lanes: dict[str, _Lane] = {}
        self._held: dict[int, int] = {}
        """Rows that must wait, and the row each waits for."""
        self._waiters: dict[int, set[int]] = {}
        self._settled_ids: dict[int, bool] = {}
        """Rows settled since the last full read: True when they left (sent or given up),
        False when they were tried and wait for a retry."""
        self._flights: dict[int, asyncio.Task[None]] = {}
        self._unmarked: list[
            tuple[int, str | None, datetime, LaneLease | None, asyncio.Future[None]]
        ] = []
        """Rows sent and not yet marked so, with what waits for their marking."""
        self._marking: asyncio.Future[None] | None = None
        self._recent: deque[float] = deque()
        """When each request of the last second stops counting against the overall limit."""
        self._retries: list[datetime] = []
        self._newest = 0
        self._looked_at: datetime | None = None
        self._reloaded = float("-inf")
        self._last_look = float("-inf")

    @property
    def platform(self) -> str:
        return self._sender.platform

    # -- the simple path ------------------------------------------------------------------------

    async def drain(self) -> int:
        """Deliver every row that is due now, one at a time; return how many were delivered."""
        delivered = 0
        while True:
            async with self._store.transaction() as tx:
                batch = await tx.outbox.pending(self.platform, self._clock.now(), BATCH)
            if not batch:
                return delivered
            held: set[str] = set()
            progressed = False
            for message in batch:
                chat = message.target.conversation
                if chat in held:
                    continue  # keep a conversation in order behind a row that must wait
                result = await self._settled(message)
                while result.outcome is _Outcome.PART:
                    result = await self._settled(message)
                if result.outcome is _Outcome.SENT:
                    delivered += 1
                if result.outcome is _Outcome.RETRY:
                    held.add(chat)
                else:
                    progressed = True
            if not progressed or len(batch) < BATCH:
                return delivered

    async def _settled(self, message: OutboxMessage) -> _Result:
        """Deliver one row and record how it went, even when the worker is stopped meanwhile.

        A message the platform took but we never marked sent would go out again after the
        restart; so a stop waits (up to ``SETTLE`` seconds) for the row in flight to settle.
        """
        delivery = asyncio.ensure_future(self._deliver(message))
        try:
            return await asyncio.shield(delivery)
        except asyncio.CancelledError:
            await _land([delivery])
            raise

    # -- one row --------------------------------------------------------------------------------

    async def _deliver(self, message: OutboxMessage, lease: LaneLease | None = None) -> _Result:
        """Send one row, record the outcome in the store (while ``lease`` is still the lane's)
        and tell the observer."""
        result = await self._attempt(message, lease)
        if result.outcome is not _Outcome.PART:
            outcome = result.outcome.name.lower()
            mentions = len(message.mentions)
            self._observer.sent(self.platform, message.template, outcome, mentions)
        return result

    async def _attempt(self, message: OutboxMessage, lease: LaneLease | None) -> _Result:
        try:
            ref = await self._sent_in_time(message)
        except Unfinished:
            return _Result(_Outcome.PART)
        except RetryLater as later:
            attempts = message.attempts + 1
            if attempts >= MAX_ATTEMPTS:
                reason = f"gave up after {attempts} attempts: {later.reason}"
                await self._fail(message, reason, lease=lease)
                return _Result(_Outcome.GIVEN_UP)
            if later.unsure:
                log.warning("%s outbox row %d failed but may have come", self.platform, message.id)
                self._observer.maybe_twice(self.platform, "unsure")
            wait = max(later.seconds, 0.0)
            log.info("outbox row %d waits %.0f s (%s)", message.id, wait, later.reason)
            at = self._clock.now() + timedelta(seconds=wait)
            async with self._store.transaction() as tx:
                if not await tx.outbox.mark_retry(message.id, at, lease=lease):
                    return _Result(_Outcome.RETRY)  # another worker has its lane now
                if later.closed_to is not None:
                    await tx.people.set_private_chat(later.closed_to, False)
                if later.meanwhile is not None:
                    await tx.outbox.enqueue(
                        later.meanwhile, message.locale, self._clock.now(), about=later.about
                    )
            self._retry_at(at)
            if later.meanwhile is not None:
                self.wake.set()
            return _Result(_Outcome.RETRY, wait if later.chat_waits else 0.0)
        except Undeliverable as never:
            await self._fail(message, str(never), closed_to=never.closed_to, lease=lease)
            return _Result(_Outcome.GIVEN_UP)
        except RenderError:
            log.exception("outbox row %d cannot be rendered", message.id)
            await self._fail(message, "template failed to render", lease=lease)
            return _Result(_Outcome.GIVEN_UP)
        except Exception:
            log.exception("sender failed on outbox row %d", message.id)
            if message.attempts + 1 >= MAX_ATTEMPTS:
                reason = f"gave up after {MAX_ATTEMPTS} failed attempts"
                await self._fail(message, reason, lease=lease)
                return _Result(_Outcome.GIVEN_UP)
            at = self._clock.now() + timedelta(seconds=backoff(message.attempts))
            async with self._store.transaction() as tx:
                await tx.outbox.mark_retry(message.id, at, lease=lease)
            self._retry_at(at)
            return _Result(_Outcome.RETRY)
        await self._record_sent(message.id, ref, lease)
        return _Result(_Outcome.SENT)

    async def _sent_in_time(self, message: OutboxMessage) -> str | None:
        """Deliver, abandoning a send still going after ``LONGEST_SEND``: a send must be over
        before the lane's lease may run out, or another process would send the row too."""
        deadline = asyncio.timeout(LONGEST_SEND)
        try:
            async with deadline:
                return await self._sender.deliver(message)
        except TimeoutError:
            if not deadline.expired():
                raise  # the sender's own
            raise RetryLater(backoff(message.attempts), "timed out", unsure=True) from None

    async def _record_sent(self, row_id: int, ref: str | None, lease: LaneLease | None) -> None:
        """Mark a row sent, in one transaction with the rows that landed while the last
        marking was being written: sends that land together cost one trip to the database."""
        marked = asyncio.get_running_loop().create_future()
        self._unmarked.append((row_id, ref, self._clock.now(), lease, marked))
        if self._marking is None or self._marking.done():
            self._marking = asyncio.ensure_future(self._mark())
        await asyncio.shield(marked)

    async def _mark(self) -> None:
        while self._unmarked:
            marks, self._unmarked = self._unmarked, []
            lost = []
            try:
                async with self._store.transaction() as tx:
                    for row_id, ref, at, lease, _ in marks:
                        if await tx.outbox.mark_sent(row_id, ref, at, lease=lease):
                            continue
                        if lease is not None and await tx.outbox.target(row_id) is not None:
                            lost.append(row_id)  # not erased: its lane's new holder sends it
            except Exception as error:
                for *_, marked in marks:
                    marked.set_exception(error)
                    marked.exception()  # retrieved: its delivery logs it
            except BaseException:
                for *_, marked in marks:
                    marked.cancel()
                raise
            else:
                for row_id in lost:
                    log.warning(
                        "%s outbox row %d sent after its lane went to another process",
                        self.platform,
                        row_id,
                    )
                    self._observer.maybe_twice(self.platform, "lost_lane")
                for *_, marked in marks:
                    marked.set_result(None)

    async def _fail(
        self,
        message: OutboxMessage,
        reason: str,
        *,
        closed_to: str | None = None,
        lease: LaneLease | None = None,
    ) -> None:
        log.warning("outbox row %d undeliverable: %s", message.id, reason)
        async with self._store.transaction() as tx:
            failed = await tx.outbox.mark_failed(
                message.id, reason[:200], self._clock.now(), lease=lease
            )
            if failed and closed_to is not None:
                await tx.people.set_private_chat(closed_to, False)

    def _retry_at(self, at: datetime) -> None:
        heapq.heappush(self._retries, at)

    # -- the scheduler --------------------------------------------------------------------------

    async def run(self) -> None:
        """Deliver forever: send from every lane that may send, look again when woken, when a
        row lands, when a lane may send next, or every few seconds.

        A failure of the store itself (a locked or full disk) is logged and retried after a
        pause; the loop never dies, since a member may be waiting for the next message. A stop
        waits (up to ``SETTLE`` seconds) for the rows in flight to be marked.
        """
        loop = asyncio.get_running_loop()

        try:
            while True:
                now = loop.time()
                look = self.wake.is_set() or self._retry_due() or now >= self._last_look + POLL
                self.wake.clear()
                self._progress.clear()
                timeout = POLL
                try:
                    if look or now >= self._reloaded + RELOAD:
                        await self._look()
                    await self._renew(loop.time())
                    await self._dispatch(loop.time())
                    timeout = self._next_turn(loop.time())
                except Exception:
                    log.exception("%s outbox worker failed; trying again shortly", self.platform)
                await self._pause(timeout)
        finally:
            await _land(list(self._flights.values()))
            held = [lane for lane in self._lanes.values() if lane.lease is not None]
            if held:  # let go, however often asked to stop, so another process goes on at once
                await _land([asyncio.ensure_future(self._let_go(held, loop.time()))])

    async def _let_go(self, lanes: list[_Lane], now: float) -> None:
        """Release lanes with nothing to send whose pause is over, leaving a group's minute to
        whoever sends there next (if the store cannot be reached, the leases run out)."""
        try:
            await self._release_lanes(lanes, now)
        except Exception:
            log.exception("%s outbox worker could not let go of its lanes", self.platform)

    async def _pause(self, seconds: float) -> None:
        """Wait until woken, until a row lands, or ``seconds``."""
        self._stirred.clear()
        if self.wake.is_set() or self._progress.is_set():
            return
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(seconds, 0.0)):
                await self._stirred.wait()

    def _retry_due(self) -> bool:
        now = self._clock.now()
        due = False
        while self._retries and self._retries[0] <= now:
            heapq.heappop(self._retries)
            due = True
        return due

    async def _look(self) -> None:
        """Read what fell due: everything now and then, else only the new and the retried."""
        loop = asyncio.get_running_loop()
        now = self._clock.now()
        full = loop.time() >= self._reloaded + RELOAD
        if not full and loop.time() >= self._reloaded + POLL:
            # A row waits for one this worker does not have (sent, say, by another process,
            # or waiting for its retry): only a full read tells when that one left.
            full = any(blocker not in self._rows for blocker in self._held.values())
        if full:
            self._settled_ids.clear()
        since = None if full or self._looked_at is None else self._looked_at - SLACK
        async with self._store.transaction() as tx:
            due = await tx.outbox.due(
                self.platform, now, newer_than=0 if since is None else self._newest, due_since=since
            )
            later = await tx.outbox.next_attempt(self.platform) if full else None
        self._last_look = loop.time()
        if full:
            self._reloaded = self._last_look
            self._forget_missing({row.id for row in due})
            if later is not None and later > now:
                self._retry_at(later)
        self._looked_at = now
        for row in due:
            self._newest = max(self._newest, row.id)
            self._add(row)

    def _forget_missing(self, present: set[int]) -> None:
        """After a full read: drop waiting rows that are gone (erased, or sent by another)."""
        for row_id in [i for i in self._rows if i not in present and i not in self._flights]:
            self._remove(row_id)
            self._release(row_id, left=True)

    def _add(self, row: DueRow) -> None:
        if row.id in self._rows:
            if row.edits is None and row.follows is None and row.id in self._held:
                # What it waited for is gone (an erasure, say): nothing holds it any more.
                self._waiters.get(self._held.pop(row.id), set()).discard(row.id)
            return
        self._rows[row.id] = row
        self._seen[row.id] = asyncio.get_running_loop().time()
        lane = self._lanes.get(row.lane)
        if lane is None:
            group = self.pace.group_per_minute is not None and not row.lane.startswith("person:")
            lane = self._lanes[row.lane] = _Lane(row.lane, group)
        bisect.insort(lane.order, (row.priority, row.id))
        blocker = row.edits if row.edits is not None else row.follows
        if blocker is None:
            return
        settled = self._settled_ids.get(blocker)
        if settled or (settled is not None and row.edits is None):
            return  # it settled while this row was being read
        self._held[row.id] = blocker
        self._waiters.setdefault(blocker, set()).add(row.id)

    def _remove(self, row_id: int) -> None:
        self._seen.pop(row_id, None)
        row = self._rows.pop(row_id, None)
        if row is None:
            return
        lane = self._lanes.get(row.lane)
        if lane is not None:
            index = bisect.bisect_left(lane.order, (row.priority, row.id))
            if index < len(lane.order) and lane.order[index] == (row.priority, row.id):
                del lane.order[index]
        blocker = self._held.pop(row_id, None)
        if blocker is not None:
            self._waiters.get(blocker, set()).discard(row_id)

    def _release(self, row_id: int, *, left: bool) -> None:
        """A row settled: let go what waited for it (an edit only once its message left)."""
        self._settled_ids[row_id] = left
        for waiting in list(self._waiters.get(row_id, ())):
            row = self._rows.get(waiting)
            if row is None or left or row.edits != row_id:
                self._held.pop(waiting, None)
                self._waiters[row_id].discard(waiting)
        if not self._waiters.get(row_id):
            self._waiters.pop(row_id, None)

    def _head(self, lane: _Lane) -> DueRow | None:
        """The row a lane sends next: its most urgent one that may go, or what that one
        waits for, if it waits in this very lane."""
        for _, row_id in lane.order:
            blocker = self._held.get(row_id)
            if blocker is None:
                return self._rows[row_id]
            first = self._rows.get(blocker)
            if first is not None and first.lane == lane.key and first.id not in self._held:
                return first
        return None

    def _free(self, now: float) -> int:
        """How many requests may start now within the overall limit."""
        while self._recent and self._recent[0] <= now:
            self._recent.popleft()
        return self.pace.overall - len(self._flights) - len(self._recent)

    def _budget_opens(self, now: float) -> float:
        """When the overall limit lets the next request start (infinity: when one lands)."""
        if self._free(now) > 0:
            return now
        if len(self._flights) >= self.pace.overall or not self._recent:
            return float("inf")
        return self._recent[0]

    def _minute_limit(self, priority: int) -> int | None:
        pace = self.pace
        if priority >= Priority.BACKGROUND and pace.announcements_per_minute is not None:
            return pace.announcements_per_minute
        return pace.group_per_minute

    def _opens_at(self, lane: _Lane, row: DueRow, now: float) -> float:
        """When the lane may send ``row``: after its pause, and within the group's minute."""
        at = lane.free_at
        limit = self._minute_limit(row.priority) if lane.group else None
        if limit is not None:
            _forget_before(lane.minute, now)
            if len(lane.minute) >= limit:
                at = max(at, lane.minute[len(lane.minute) - limit])
        return at

    async def _dispatch(self, now: float) -> None:
        """Start the most urgent rows of the lanes that may send, as far as the budget goes,
        from the lanes this worker holds or can take; let go of those with nothing to send."""
        ready: list[DueRow] = []
        idle: list[_Lane] = []
        for key, lane in list(self._lanes.items()):
            if lane.busy:
                continue
            head = self._head(lane)
            if head is None:
                if lane.lease is not None:
                    if lane.free_at <= now:  # its pause (a 429's, say) is kept by its holder
                        idle.append(lane)
                    continue
                _forget_before(lane.minute, now)
                if not lane.order and lane.free_at <= now and not lane.minute:
                    del self._lanes[key]
                continue
            if lane.lease is None and lane.claim_after > now:
                continue
            if self._opens_at(lane, head, now) <= now:
                ready.append(head)
        if idle:
            await self._let_go(idle, now)
        free = self._free(now)
        if not ready or free <= 0:
            return
        ready.sort(key=lambda row: (row.priority, row.id))
        chosen = ready[:free]
        for row in chosen:
            self._lanes[row.lane].busy = True
        try:
            messages, read = await self._take(chosen, now)
        finally:
            for row in chosen:
                self._lanes[row.lane].busy = False
        started = asyncio.get_running_loop().time()
        for row in chosen:
            lane = self._lanes[row.lane]
            message = messages.get(row.id)
            if lane.lease is None or self._opens_at(lane, row, now) > now:
                self._progress.set()  # another process has the lane, or had it until just now
                continue
            if not _long_enough(lane, started):
                self._progress.set()  # taking it took long: renew the lease first
                continue
            if row.id not in read:
                continue  # the platform's budget for all processes is spent until its next slot
            if message is None:  # erased, or sent by another process, meanwhile
                self._remove(row.id)
                self._release(row.id, left=True)
                continue
            lane.busy = True
            self._flights[row.id] = asyncio.create_task(self._fly(row, message, lane.lease))

    async def _take(
        self, rows: list[DueRow], now: float
    ) -> tuple[dict[int, OutboxMessage], set[int]]:
        """Hold the lanes of ``rows`` (asking for those not held, or held too briefly to start a
        send), take the shared budget for the rows of the lanes held, and read those the budget
        lets go now, in one transaction; return them, and the ids asked for."""
        lanes = {row.lane: self._lanes[row.lane] for row in rows}
        wanted = [
            key for key, lane in lanes.items() if lane.lease is None or not _long_enough(lane, now)
        ]
        asked = self._clock.now()
        async with self._store.transaction() as tx:
            left = await self._left_to_others(tx, [r for r in rows if r.lane in wanted], now)
            wanted = [key for key in wanted if key not in left]
            leases = {
                lease.lane: lease
                for lease in await tx.outbox.claim_lanes(
                    self.platform, wanted, self._holder, asked, asked + timedelta(seconds=LEASE)
                )
            }
            held = [
                r.id
                for r in rows
                if r.lane not in left and (r.lane in leases or r.lane not in wanted)
            ]
            if self._shared is not None:
                granted = await self._shared.take(tx.outbox, len(held))
                self._short = granted < len(held)
                held = held[:granted]
            messages = {m.id: m for m in await tx.outbox.messages(held)}
        for key in wanted:
            self._hold(lanes[key], leases.get(key), now)
        for key, until in left.items():
            lanes[key].claim_after = until
        return messages, set(held)

    async def _left_to_others(
        self, tx: Transaction, rows: list[DueRow], now: float
    ) -> dict[str, float]:
        """The lanes of ``rows`` whose row another process is better placed to send (as the
        sender says), fresh enough that it likely will: each with when to ask for it after all."""
        elsewhere = getattr(self._sender, "elsewhere", None)
        if elsewhere is None or not rows:
            return {}
        lanes = {row.id: row.lane for row in rows}
        left: dict[str, float] = {}
        for message in await tx.outbox.messages(list(lanes)):
            until = self._seen.get(message.id, now) + DEFER
            if until > now and elsewhere(message):
                left[lanes[message.id]] = until
        return left

    async def _renew(self, now: float) -> None:
        """Renew every lease this worker holds, once the first is ``RENEW`` seconds old."""
        held = [lane for lane in self._lanes.values() if lane.lease is not None]
        if not held or min(lane.held_until for lane in held) - now > LEASE - RENEW:
            return
        asked = self._clock.now()
        async with self._store.transaction() as tx:
            leases = await tx.outbox.claim_lanes(
                self.platform,
                [lane.key for lane in held],
                self._holder,
                asked,
                asked + timedelta(seconds=LEASE),
            )
        renewed = {lease.lane: lease for lease in leases}
        for lane in held:
            self._hold(lane, renewed.get(lane.key), now)

    def _hold(self, lane: _Lane, lease: LaneLease | None, asked: float) -> None:
        """Keep what the store answered about a lane asked for at ``asked``: a lease taken
        over from another holder brings the pace that holder left."""
        if lease is None:
            if lane.lease is not None:
                log.info("%s outbox lost a lane to another process", self.platform)
            lane.lease = None
            lane.held_until = 0.0
            lane.claim_after = asked + CLAIM_AGAIN
            return
        fresh = lane.lease is None or lane.lease.token != lease.token
        lane.lease = lease
        lane.held_until = asked + LEASE
        if fresh:
            now = self._clock.now()
            counted = (asked + (at - now).total_seconds() for at in lease.minute)
            lane.minute = deque(sorted(at for at in counted if at > asked))

    async def _release_lanes(self, lanes: list[_Lane], now: float) -> None:
        wall = self._clock.now()
        leases = []
        for lane in lanes:
            assert lane.lease is not None
            _forget_before(lane.minute, now)
            minute = tuple(wall + timedelta(seconds=at - now) for at in lane.minute)
            leases.append(replace(lane.lease, minute=minute))
            lane.lease, lane.held_until = None, 0.0
        async with self._store.transaction() as tx:
            await tx.outbox.release_lanes(leases)

    async def _fly(self, row: DueRow, message: OutboxMessage, lease: LaneLease) -> None:
        result = _Result(_Outcome.RETRY)
        try:
            result = await self._deliver(message, lease)
        except Exception:
            log.exception("%s outbox worker could not record row %d", self.platform, row.id)
        finally:
            self._landed(row, result)

    def _landed(self, row: DueRow, result: _Result) -> None:
        """Count the request against the limits, and settle the row in its lane."""
        self._flights.pop(row.id, None)
        now = asyncio.get_running_loop().time()
        self._recent.append(now + 1.0)
        lane = self._lanes.get(row.lane)
        if lane is not None:
            lane.busy = False
            lane.free_at = max(lane.free_at, now + self.pace.per_chat, now + result.pause)
            if lane.group:
                lane.minute.append(now + 60.0)
        if result.outcome is not _Outcome.PART:
            self._remove(row.id)
            self._release(row.id, left=result.outcome is not _Outcome.RETRY)
        self._progress.set()

    def _next_turn(self, now: float) -> float:
        """Seconds until something may be sent that cannot be now (at most ``POLL``)."""
        at = now + POLL
        if self._retries:
            at = min(at, now + (self._retries[0] - self._clock.now()).total_seconds())
        budget = self._budget_opens(now)
        if self._short and self._shared is not None:
            budget = max(budget, now + self._shared.opens())
        for lane in self._lanes.values():
            if lane.lease is not None:
                at = min(at, lane.held_until - LEASE + RENEW)
            if lane.busy:
                continue
            head = self._head(lane)
            if head is None and lane.lease is not None:
                at = min(at, lane.free_at)  # then it lets go of the lane
            if head is not None:
                opens = max(budget, self._opens_at(lane, head, now))
                at = min(at, opens if lane.lease is not None else max(opens, lane.claim_after))
        return at - now


def _long_enough(lane: _Lane, now: float) -> bool:
    """Whether the lane's lease outlasts a send started now, with its margin."""
    return lane.held_until - now >= LONGEST_SEND + SEND_MARGIN


def _forget_before(times: deque[float], now: float) -> None:
    while times and times[0] <= now:
        times.popleft()


async def _land(deliveries: Sequence[asyncio.Future[Any]]) -> None:
    """Wait (up to ``SETTLE`` seconds, however often asked to stop) for deliveries to settle."""
    if not deliveries:
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE
    while not all(d.done() for d in deliveries) and loop.time() < deadline:
        with contextlib.suppress(asyncio.CancelledError):  # asked again: still settling
            await asyncio.wait(deliveries, timeout=deadline - loop.time())
    for delivery in deliveries:
        if not delivery.done():
            delivery.cancel()
        elif not delivery.cancelled():
            delivery.exception()  # retrieved: a store error was logged by the loop before
