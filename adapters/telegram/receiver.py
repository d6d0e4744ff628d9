"""Receive Telegram updates without losing one: store first, confirm after, handle from the store.

Long polling is our own loop over ``getUpdates`` (PTB's ``Updater`` confirms an update before it
is handled): every update is stored in the inbox before the next ``getUpdates`` call confirms
it, then handled through PTB's ``Application.process_update`` and the core, which removes it from
the inbox in the same transaction as its effect. In webhook mode the update is stored before
Telegram gets its 200.

A contact or a private note typed in a group is never stored: the inbox keeps the update without
those words (``storable``). This process hands the core the words as typed, from memory, so that
danger in a note is still heard; an update handled after a restart has only what was stored.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging

from aiohttp import web
from telegram import Update
from telegram.error import Conflict, NetworkError
from telegram.ext import Application

from adapters.telegram.translate import PLATFORM, dedupe_key, storable
from bot.clock import Clock
from bot.storage import Store

log = logging.getLogger(__name__)

POLL_TIMEOUT = 25
"""Seconds one getUpdates call may wait for news."""
ALLOWED_UPDATES = ["message", "callback_query", "chat_member", "my_chat_member"]
MAX_TRIES = 5
"""Attempts at one stored update whose handling fails before it is set aside (and logged)."""
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret


class PollingStopped(Exception):
    """Telegram refused to let this process poll: another instance polls the same token."""


class Receiver:
    """Store updates as they arrive and handle them from the store, in order."""

    def __init__(self, application: Application, store: Store, clock: Clock) -> None:  # type: ignore[type-arg]
        self._application = application
        self._store = store
        self._clock = clock
        self._failures: dict[str, int] = {}
        self._failed_now: set[int] = set()
        self._typed: dict[str, dict[str, object]] = {}
        """Updates as typed, by key, where the inbox holds them without some words."""
        self.stored = asyncio.Event()
        application.add_error_handler(self._on_error)

    async def _on_error(self, update: object, context: object) -> None:
        if isinstance(update, Update):
            self._failed_now.add(update.update_id)
        log.error("handling a Telegram update failed", exc_info=getattr(context, "error", None))

    async def store(self, updates: list[Update] | list[dict[str, object]]) -> None:
        """Keep updates in the inbox; one delivered twice is kept once."""
        typed: dict[str, dict[str, object]] = {}
        async with self._store.transaction() as tx:
            for update in updates:
                data = update.to_dict() if isinstance(update, Update) else update
                key = dedupe_key(int(str(data["update_id"])))
                kept = storable(data)
                stored = await tx.store_inbox(key, PLATFORM, json.dumps(kept), self._clock.now())
                if stored and kept is not data:
                    typed[key] = data
        self._typed.update(typed)
        self.stored.set()

    async def handle_stored(self) -> int:
        """Handle every stored update, oldest first; return how many were handled."""
        handled = 0
        while True:
            async with self._store.transaction() as tx:
                batch = await tx.inbox(PLATFORM, 100)
            batch = [(k, p) for k, p in batch if self._failures.get(k, 0) < MAX_TRIES]
            if not batch:
                return handled
            for key, payload in batch:
                data = self._typed.get(key) or json.loads(payload)
                update = Update.de_json(data, self._application.bot)
                self._failed_now.discard(update.update_id)
                await self._application.process_update(update)
                if update.update_id in self._failed_now:
                    tries = self._failures[key] = self._failures.get(key, 0) + 1
                    if tries >= MAX_TRIES:
                        log.error("update %s set aside after %d failed tries", key, tries)
                        self._typed.pop(key, None)
                    continue
                handled += 1
                self._typed.pop(key, None)
                # An update that caused nothing (a chat message, an unknown command) leaves here.
                async with self._store.transaction() as tx:
                    await tx.drop_inbox(key)

    async def poll(self) -> None:
        """Long-poll forever: store, then confirm by asking for the next updates."""
        bot = self._application.bot
        await bot.delete_webhook(drop_pending_updates=False)
        offset: int | None = None
        failures = 0
        while True:
            await self.handle_stored()
            try:
                updates = await bot.get_updates(
                    offset=offset, timeout=POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES
                )
            except Conflict as conflict:
                raise PollingStopped(
                    "Telegram says another process is polling this bot token (409 Conflict);"
                    " stop the other instance, or run one instance with a webhook"
                ) from conflict
            except NetworkError:
                failures += 1
                log.warning("getUpdates failed; trying again in %d s", min(60, 2**failures))
                await asyncio.sleep(min(60, 2**failures))
                continue
            failures = 0
            if updates:
                await self.store(list(updates))
                offset = updates[-1].update_id + 1

    async def work(self) -> None:
        """Handle stored updates whenever new ones arrive (webhook mode)."""
        while True:
            await self.stored.wait()
            self.stored.clear()
            try:
                await self.handle_stored()
            except Exception:
                log.exception("handling stored Telegram updates failed")


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
