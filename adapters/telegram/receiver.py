"""Receive Telegram updates without losing one: store first, confirm after, handle from the store.

Long polling is our own loop over ``getUpdates`` (PTB's ``Updater`` confirms an update before it
is handled): every update is stored in the inbox before the next ``getUpdates`` call confirms
it, then handled through PTB's ``Application.process_update`` and the core, which removes it from
the inbox in the same transaction as its effect. In webhook mode the update is stored before
Telegram gets its 200. Handling runs in its own task (``work``), so receiving never waits on it;
an update whose handling fails is tried again and then set aside, in the inbox, without holding
up the next ones (``adapters.inbox``).

Several processes may share one database. With a webhook, each serves it behind the one URL
and the inbox's dedupe key gives each update one effect, whichever process took it. Polling,
only one process may ask getUpdates at a time (Telegram refuses a second): the leader
(``bot.storage.leader``, a PostgreSQL advisory lock), while the others follow, healthy, and try
for the lead every ``FOLLOW_EVERY`` seconds. A new leader asks from the first update Telegram
still holds: what the old one stored but had not confirmed comes again and is kept once.

A contact or a private note typed in a group is never stored: the inbox keeps the update without
those words (``storable``). This process hands the core the words as typed, from memory, so that
danger in a note is still heard; an update handled after a restart has only what was stored.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import warnings
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiohttp import web
from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application
from telegram.warnings import PTBUserWarning

from adapters.inbox import MAX_TRIES, Inbox
from adapters.telegram.sender import retry_seconds
from adapters.telegram.translate import (
    PLATFORM,
    author_of,
    conversations_of,
    dedupe_key,
    storable,
)
from bot.clock import Clock
from bot.storage import Store
from bot.storage.leader import Leader, SoleLeader

log = logging.getLogger(__name__)

POLL_TIMEOUT = 25
"""Seconds one getUpdates call may wait for news."""
FOLLOW_EVERY = 3.0
"""Seconds between a follower's tries at the lead of polling, once the leader is gone."""
ALLOWED_UPDATES = ["message", "callback_query", "chat_member", "my_chat_member"]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret
__all__ = ["MAX_TRIES", "PollingStopped", "Receiver", "Refused", "patiently", "webhook_app"]
T = TypeVar("T")

# ``poll`` asks for getUpdates through ``do_api_request`` to read its raw JSON, on purpose.
warnings.filterwarnings("ignore", "Please use 'Bot.getUpdates'", PTBUserWarning)


class Refused(Exception):
    """Telegram refuses this process, and no retry will change that: it stops with the
    exception's message, which tells the operator what to do."""


class PollingStopped(Refused):
    """Telegram refused to let this process poll: another instance polls the same token."""


class Receiver:
    """Store updates as they arrive and handle them from the store, in order."""

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        store: Store,
        clock: Clock,
        wake: Callable[[set[str]], None] | None = None,
        leader: Leader | None = None,
    ) -> None:
        """``wake`` tells the outbox sender that a line for a member is waiting; ``leader``
        says whether this process polls (it always does, alone on its database)."""
        self._application = application
        self._leader = leader or SoleLeader()
        self._store = store
        self._clock = clock
        self._errors: dict[int, BaseException] = {}
        """What went wrong handling an update, by update id, as PTB reported it."""
        self._typed: dict[str, dict[str, object]] = {}
        """Updates as typed, by key, where the inbox holds them without some words."""
        self.inbox = Inbox(
            store, clock, PLATFORM, self._handle, author_of, wake, lanes_of=conversations_of
        )
        application.add_error_handler(self._on_error)
        self.connected = False
        """Whether the last word from Telegram was good: getUpdates answered, or the webhook
        was set; or another process polls and this one follows (``/healthz`` reads it)."""
        self.following = False
        """Whether another process polls and this one waits to take over."""

    async def _on_error(self, update: object, context: object) -> None:
        error = getattr(context, "error", None)
        if isinstance(update, Update):
            self._errors[update.update_id] = error or RuntimeError("handling failed")
        else:
            log.error("a Telegram handler failed outside an update", exc_info=error)

    async def store(self, updates: list[dict[str, object]]) -> None:
        """Keep updates, as Telegram's JSON, in the inbox; one delivered twice is kept once.

        The JSON is ASCII (``json.dumps`` escapes every other character), so a lone surrogate
        in what Telegram sent is kept as its escape, and the row is always storable.
        """
        rows: list[tuple[str, str]] = []
        typed: list[dict[str, object] | None] = []
        for data in updates:
            kept = storable(data)
            rows.append(
                (dedupe_key(int(str(data["update_id"]))), json.dumps(kept, ensure_ascii=True))
            )
            typed.append(None if kept is data else data)
        async with self._store.transaction() as tx:
            stored = await tx.inbox.store_all(rows, PLATFORM, self._clock.now())
        for (key, _), as_typed, new in zip(rows, typed, stored, strict=True):
            if new and as_typed is not None:
                self._typed[key] = as_typed
        self.inbox.wake()

    async def handle_stored(self) -> int:
        """Handle every stored update that is due, oldest first; return how many were handled."""
        return await self.inbox.handle_due()

    async def _handle(self, key: str, payload: str) -> None:
        """Handle one stored update through PTB and the core; raise if that failed."""
        data = self._typed.get(key) or json.loads(payload)
        update = Update.de_json(data, self._application.bot)
        self._errors.pop(update.update_id, None)
        await self._application.process_update(update)
        error = self._errors.pop(update.update_id, None)
        if error is not None:
            raise error
        self._typed.pop(key, None)

    async def poll(self) -> None:
        """Long-poll while this process leads the polling; follow while another does."""
        try:
            while True:
                if await self._leader.lead():
                    await self._poll_while_leading()
                    continue
                if not self.following:
                    log.info("another process polls Telegram; this one follows")
                    self.following = True
                self.connected = True
                await asyncio.sleep(FOLLOW_EVERY)
        finally:
            await self._leader.close()

    async def _poll_while_leading(self) -> None:
        """Poll until the lead is lost: store, then confirm by asking for the next updates;
        ``work`` handles what was stored.

        The updates are read as Telegram's JSON, not through ``Bot.get_updates``: that one
        reads every update of a batch into PTB's objects first, and one it cannot read stops
        the batch (polling would ask for the same one forever) and is logged whole, member's
        text included. Here each is stored as it came; one that cannot be read is set aside
        when it is handled, and the ones after it go on. A getUpdates that fails is asked
        again after a pause; only another poller (409) or a wrong token stop polling.
        """
        if self.following:
            log.info("this process polls Telegram now")
            self.following = False
        bot = self._application.bot
        await patiently("stop the webhook", lambda: bot.delete_webhook(drop_pending_updates=False))
        offset: int | None = None
        failures = 0
        while await self._leader.lead():
            try:
                found = await bot.do_api_request(
                    "getUpdates",
                    api_kwargs={
                        "offset": offset,
                        "timeout": POLL_TIMEOUT,
                        "allowed_updates": ALLOWED_UPDATES,
                    },
                    read_timeout=POLL_TIMEOUT + 10,
                )
            except Conflict as conflict:
                if not await self._leader.lead():
                    return  # the lead passed on meanwhile: the new leader polls
                raise PollingStopped(
                    "Telegram says another process is polling this bot token (409 Conflict);"
                    " stop the other instance, or run one instance with a webhook"
                ) from conflict
            except InvalidToken:
                raise
            except TelegramError as error:
                # A network failure, a 429, an answer that is not JSON: none is the last one.
                # Named by its type alone: what came back is never logged.
                failures += 1
                self.connected = False
                wait = _backoff(failures, error)
                log.warning(
                    "getUpdates failed (%s); trying again in %.0f s", type(error).__name__, wait
                )
                await asyncio.sleep(wait)
                continue
            self.connected = True
            updates = _numbered(found)
            if updates:
                await self.store(updates)
                offset = max(int(str(u["update_id"])) for u in updates) + 1
            if updates or not found:
                failures = 0
            else:  # only updates no offset can confirm: asking again at once would spin
                failures += 1
                await asyncio.sleep(_backoff(failures))

    async def work(self) -> None:
        """Handle stored updates whenever new ones arrive or a retry falls due."""
        await self.inbox.work()


def webhook_app(receiver: Receiver, secret: str, path: str) -> web.Application:
    """An aiohttp app that answers 200 only once an update is stored."""

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=403)
        try:
            data = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.Response(status=400)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return web.Response(status=400)
        await receiver.store([data])
        return web.Response(status=200)

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post(path, receive)
    return app


async def patiently(what: str, call: Callable[[], Awaitable[T]]) -> T:
    """``call()`` until Telegram answers it: a network failure (Telegram unreachable, a 5xx) or
    a 429 is tried again after 1, 2, 4 ... 60 s. The first failure is one line at WARNING,
    named by its type; the tries after it are quiet, and success after them is one line. A
    token Telegram does not know stops the process (``Refused``)."""
    failures = 0
    while True:
        try:
            result = await call()
        except InvalidToken:
            raise Refused(
                "Telegram does not know this bot token (401 Unauthorized); check"
                " TELEGRAM_TOKEN against the one @BotFather gave"
            ) from None
        except (NetworkError, RetryAfter) as error:
            failures += 1
            wait = _backoff(failures, error)
            if failures == 1:
                log.warning(
                    "Telegram cannot be reached to %s (%s); trying again, less and less often",
                    what,
                    type(error).__name__,
                )
            else:
                log.debug("still cannot reach Telegram to %s; next try in %.0f s", what, wait)
            await asyncio.sleep(wait)
            continue
        if failures:
            log.info("Telegram answered to %s after %d tries", what, failures + 1)
        return result


def _numbered(found: object) -> list[dict[str, object]]:
    """The updates of a getUpdates answer that carry an update id; the rest cannot be stored
    or confirmed, and are skipped with a warning that says nothing of what they held."""
    if not isinstance(found, list):
        log.warning("getUpdates answered with something other than a list; ignored")
        return []
    updates = [u for u in found if isinstance(u, dict) and type(u.get("update_id")) is int]
    if len(updates) < len(found):
        log.warning("skipped %d updates without an update id", len(found) - len(updates))
    return updates


def _backoff(failures: int, error: TelegramError | None = None) -> float:
    """Seconds to wait after ``failures`` failed getUpdates in a row: 1, 2, 4 ... 60, or as
    long as Telegram asked."""
    wait = float(min(60, 2 ** (failures - 1)))
    if isinstance(error, RetryAfter):
        wait = max(wait, retry_seconds(error.retry_after))
    return wait
