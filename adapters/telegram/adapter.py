"""Run Homegroup on Telegram: build python-telegram-bot, translate updates, send the outbox."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import replace
from urllib.parse import urlparse

from aiohttp import web
from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from adapters.telegram.admins import Admins, DeleteRights
from adapters.telegram.contexts import CONTEXTS
from adapters.telegram.dialect import TelegramDialect
from adapters.telegram.menus import menus
from adapters.telegram.receiver import (
    ALLOWED_UPDATES,
    POLL_TIMEOUT,
    Receiver,
    patiently,
    webhook_app,
)
from adapters.telegram.sender import PACE, PER_CHAT, T, TelegramSender
from adapters.telegram.settings import TelegramSettings
from adapters.telegram.translate import (
    GROUP_TYPES,
    PLATFORM,
    button_inbound,
    command_inbound,
    is_anonymous_admin,
    membership_inbound,
    parse_command,
)
from bot.app import App
from bot.domain.commands import PRIVATE_COMMANDS
from bot.language import DEFAULT_LOCALE, available_locales
from bot.outbox import Pace
from bot.settings import Settings
from bot.storage.leader import leader_of, shared_by_processes

log = logging.getLogger(__name__)

CONNECTIONS = 64
"""HTTP connections to the Bot API: the outbox sends to many chats at once (``PACE``)."""
WEBHOOK_SET = "telegram.webhook"
"""The meta key of a fingerprint of the webhook last set (its URL, secret and updates), so
processes that start behind the same URL set it once, and again only when it changed."""


class TelegramAdapter:
    """Telegram for one bot token: receive, translate, send."""

    def __init__(
        self,
        app: App,
        settings: Settings,
        *,
        request: Callable[..., BaseRequest] | None = None,
        per_chat: float = PER_CHAT,
        pace: Pace | None = None,
    ) -> None:
        """``request`` builds the HTTP request objects (tests pass loopback-only ones);
        ``pace`` replaces Telegram's limits (``PACE``, with ``per_chat``) for the outbox."""
        own = settings.section(TelegramSettings)
        assert own.token is not None
        # PTB logs each request's parameters and each update at DEBUG: members' text, and the
        # webhook secret in setWebhook. None of it may reach a log, whatever the log level.
        ptb_log = logging.getLogger("telegram")
        ptb_log.setLevel(max(ptb_log.level, logging.INFO))
        # And an answer that is not JSON is logged whole at ERROR (for getUpdates, every
        # update's text); the TelegramError raised with it is reported by its type alone.
        body_log = logging.getLogger("telegram.request.BaseRequest")
        body_log.setLevel(max(body_log.level, logging.CRITICAL))
        self._app = app
        self._settings = own
        paced = pace or replace(PACE, per_chat=per_chat)
        self._pace = replace(paced, shared=paced.shared and shared_by_processes(app.store))
        builder = (
            ApplicationBuilder()
            .token(own.token)
            .base_url(f"{own.api_url}/bot")
            .base_file_url(f"{own.api_url}/file/bot")
            .updater(None)
        )
        # No rate limiter: the outbox worker paces every chat itself (``PACE``), and a 429 it
        # handles must not also be logged as an error with a traceback, as PTB's limiter does.
        if request is not None:
            builder = builder.request(
                request(connection_pool_size=CONNECTIONS)
            ).get_updates_request(request(connection_pool_size=1, read_timeout=POLL_TIMEOUT + 10))
        else:
            builder = builder.get_updates_read_timeout(POLL_TIMEOUT + 10)
        self.application = builder.build()
        self.application.add_handler(MessageHandler(filters.COMMAND, self._on_command))
        self.application.add_handler(CallbackQueryHandler(self._on_button))
        self.application.add_handler(
            ChatMemberHandler(self._on_membership, ChatMemberHandler.ANY_CHAT_MEMBER)
        )
        self._admins = Admins(self.application.bot, app.clock.now)
        self._rights = DeleteRights(self.application.bot)
        bot_id = own.token.partition(":")[0]
        leader = leader_of(app.store, f"telegram polling {bot_id}")
        self.receiver = Receiver(self.application, app.store, app.clock, app.wake, leader)

    async def run(self) -> None:
        """Serve until cancelled (or until Telegram refuses this process its updates); wait,
        trying again less and less often, while Telegram cannot be reached."""
        await patiently("start", self.application.initialize)
        async with self.application:
            bot = self.application.bot
            renderer = self._app.renderer(TelegramDialect(), CONTEXTS)
            sender = TelegramSender(
                bot,
                renderer,
                bot.username,
                self._app.clock.now,
                pace=self._pace,
                rights=self._rights,
            )
            worker = self._app.add_sender(sender)
            await patiently("set the command menus", self._set_commands)
            tasks = [
                asyncio.create_task(worker.run(), name="telegram outbox"),
                asyncio.create_task(self.receiver.work(), name="telegram updates"),
            ]
            if self._settings.webhook_url:
                tasks.append(asyncio.create_task(self._serve_webhook(), name="telegram webhook"))
            else:
                tasks.append(asyncio.create_task(self.receiver.poll(), name="telegram polling"))
            try:
                await asyncio.gather(*tasks)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    def connected(self) -> bool:
        """Whether Telegram answers this process: for ``/healthz``."""
        return self.receiver.connected

    async def _set_commands(self) -> None:
        """Show members the command menus: in private chats, in groups, and to group admins;
        in English for everyone, and in each other language for members whose app is set
        to it (Telegram picks by the member's language)."""
        renderer = self._app.renderer(TelegramDialect(), CONTEXTS)
        for locale in available_locales():
            text = renderer.render(T.COMMANDS, {}, locale=locale)
            language = None if locale == DEFAULT_LOCALE else locale
            for scope, commands in menus(text):
                await self.application.bot.set_my_commands(
                    commands, scope=scope, language_code=language
                )

    async def _serve_webhook(self) -> None:
        url = self._settings.webhook_url
        secret = self._settings.webhook_secret
        assert url is not None
        assert secret is not None
        host, _, port = self._settings.webhook_listen.rpartition(":")
        runner = web.AppRunner(webhook_app(self.receiver, secret, urlparse(url).path or "/"))
        await runner.setup()
        site = web.TCPSite(runner, host, int(port))
        await site.start()
        try:
            await patiently("set the webhook", self._set_webhook)
            self.receiver.connected = True
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    async def _set_webhook(self) -> None:
        """Tell Telegram where to post updates, unless it was told so already: processes
        behind one URL start together and after every crash, and Telegram limits how often
        setWebhook may be called. The fingerprint is keyed by the token, so the database never
        holds anything the secret could be read back from."""
        url, secret = self._settings.webhook_url, self._settings.webhook_secret
        assert url is not None
        assert secret is not None
        assert self._settings.token is not None
        wanted = hmac.new(
            self._settings.token.encode(),
            "\n".join([url, secret, *ALLOWED_UPDATES]).encode(),
            hashlib.sha256,
        ).hexdigest()
        bot = self.application.bot
        async with self._app.store.transaction() as tx:
            known = await tx.meta.get(WEBHOOK_SET)
        if known == wanted and (await bot.get_webhook_info()).url == url:
            return
        await bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
        async with self._app.store.transaction() as tx:
            await tx.meta.set(WEBHOOK_SET, wanted)

    async def _is_admin(self, message: Message, user_id: int) -> bool:
        if message.chat.type not in GROUP_TYPES:
            return False
        if is_anonymous_admin(message):
            return True
        return await self._admins.is_admin(message.chat.id, user_id)

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is None or message.from_user is None:
            return
        command = parse_command(message, self.application.bot.username)
        if command is None:
            return
        is_admin = await self._is_admin(message, message.from_user.id)
        can_delete = False
        if command.name in PRIVATE_COMMANDS and message.chat.type in GROUP_TYPES:
            can_delete = await self._rights.may_delete(message.chat.id)
        inbound = command_inbound(
            update, message, command, is_admin=is_admin, can_delete=can_delete
        )
        await self._app.core.handle(inbound)

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        try:
            await query.answer()  # at once, before the work: the member's spinner stops
        except TelegramError:
            # Too old to answer (handled after a restart, say): the press still counts.
            log.info("could not answer a button press; handling it anyway")
        message = query.message
        if not isinstance(message, Message):
            return
        async with self._app.store.transaction() as tx:
            outbox_id = await tx.outbox.by_ref(PLATFORM, f"{message.chat.id}:{message.message_id}")
        is_admin = await self._is_admin(message, query.from_user.id)
        inbound = button_inbound(update, query, message_id=outbox_id, is_admin=is_admin)
        if inbound is not None:
            await self._app.core.handle(inbound)

    async def _on_membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.chat_member or update.my_chat_member
        if change is None:
            return
        if update.my_chat_member is not None and change.chat.type in GROUP_TYPES:
            self._rights.learn(change.chat.id, change.new_chat_member)
        inbound = membership_inbound(update, change)
        if inbound is not None:
            await self._app.core.handle(inbound)
