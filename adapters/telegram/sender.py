"""Send outbox rows to Telegram: HTML, inline keyboards, edits, files, deletions, and limits.

The outbox worker calls ``deliver`` for one row at a time. Rate limits are python-telegram-bot's
``AIORateLimiter`` (per group and overall) with its own retries off, so a 429 comes back here as
``RetryAfter`` and the row waits exactly as long as Telegram asked, without being lost.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from adapters.reminders import OncePer
from adapters.telegram.admins import DeleteRights
from adapters.telegram.dialect import split_html
from adapters.telegram.translate import PLATFORM, button_data
from bot.domain.replies import Template
from bot.outbox import RetryLater, Undeliverable, backoff
from bot.render import Renderer
from bot.storage import OutboxMessage

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
PROMPT_EVERY = timedelta(minutes=10)
"""How often one member may be shown the 'open a private chat' line in a group."""
PER_CHAT = 1.0
"""Seconds between two messages to one chat."""
WAIT_FOR_START = 3600.0
"""Seconds a private message waits for a member who has not opened their private chat yet;
``/start`` there delivers it at once."""


class T(StrEnum):
    """The Telegram adapter's own templates (the core's replies have theirs)."""

    OPEN_PRIVATE = "telegram_open_private"
    LABEL_OPEN_PRIVATE = "label_telegram_open_private"
    COMMANDS = "telegram_commands"


class TelegramSender:
    """Deliver outbox rows through the Bot API."""

    platform = PLATFORM

    def __init__(
        self,
        bot: Bot,
        renderer: Renderer,
        bot_username: str,
        now: Callable[[], datetime],
        *,
        per_chat: float = PER_CHAT,
        rights: DeleteRights | None = None,
    ) -> None:
        """``rights`` is told when a group refuses a deletion."""
        self._bot = bot
        self._rights = rights
        self._per_chat = per_chat
        self._last_to: dict[str, float] = {}
        self._renderer = renderer
        self._username = bot_username
        self._prompted = OncePer(PROMPT_EVERY, now)
        self._parts_sent: dict[int, int] = {}
        """Parts of a long message Telegram already took, by outbox id: a retry goes on from
        the next part instead of sending the first ones again."""

    async def deliver(self, message: OutboxMessage) -> str | None:
        target = message.target
        chat_id = target.person if target.person is not None else target.chat
        if chat_id is None:
            raise Undeliverable("no chat to send to")
        if message.template == Template.SENT_PRIVATELY and self._just_prompted(message):
            return None  # the group was just shown the open-my-private-chat line instead
        try:
            if target.withdraw is not None:
                await self._withdraw(target.withdraw)
                return None
            text = await self._renderer.render_async(
                message.template, message.context, locale=message.locale, mentions=message.mentions
            )
            markup = self._keyboard(message)
            if message.edit_ref is not None:
                return await self._edit(message.edit_ref, text, markup)
            if message.attachment is not None:
                return await self._send_file(chat_id, text, message)
            return await self._send(message.id, chat_id, text, markup)
        except RetryAfter as flood:
            raise RetryLater(_seconds(flood.retry_after), "429") from flood
        except Forbidden as forbidden:
            if target.person is not None and target.chat is not None:
                await self._point_to_private_chat(target.chat, target.person, message)
                raise RetryLater(WAIT_FOR_START, "member has not opened a private chat") from None
            raise Undeliverable("forbidden") from forbidden
        except BadRequest as bad:
            raise Undeliverable(f"bad request: {bad.message[:80]}") from bad
        except NetworkError as network:  # timeouts, 5xx and dropped connections
            raise RetryLater(backoff(message.attempts), "network") from network

    async def _send(
        self, outbox_id: int, chat_id: str, text: str, markup: InlineKeyboardMarkup | None
    ) -> str:
        parts = split_html(text)
        sent: Message | None = None
        done = self._parts_sent.get(outbox_id, 0)
        for number, part in enumerate(parts, start=1):
            if number <= done:
                continue
            await self._space_out(chat_id)
            sent = await self._bot.send_message(
                chat_id,
                part,
                parse_mode=ParseMode.HTML,
                reply_markup=markup if number == len(parts) else None,
                link_preview_options=NO_PREVIEW,
            )
            self._parts_sent[outbox_id] = number
        self._parts_sent.pop(outbox_id, None)
        assert sent is not None
        return f"{sent.chat_id}:{sent.message_id}"

    async def _withdraw(self, ref: str) -> None:
        """Delete a member's message from a group; one that is gone already is done too."""
        chat_id, _, message_id = ref.partition(":")
        try:
            await self._bot.delete_message(chat_id, int(message_id))
        except BadRequest as bad:
            if "not found" in bad.message.lower():
                return  # the member (or an admin) deleted it first
            # The right to delete was taken away, or the message is too old: never retried.
            if self._rights is not None:
                self._rights.forget(int(chat_id))
            raise

    async def _space_out(self, chat_id: str) -> None:
        """Keep to about one message a second in one chat (the group and overall limits are
        the rate limiter's); measured in real time, since Telegram counts in real time."""
        loop = asyncio.get_running_loop()
        wait = self._last_to.get(chat_id, -self._per_chat) + self._per_chat - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last_to[chat_id] = loop.time()

    async def _edit(self, ref: str, text: str, markup: InlineKeyboardMarkup | None) -> str:
        chat_id, _, message_id = ref.partition(":")
        try:
            await self._bot.edit_message_text(
                split_html(text)[0],
                chat_id=chat_id,
                message_id=int(message_id),
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
            )
        except BadRequest as bad:
            if "not modified" not in bad.message.lower():
                raise
        return ref

    async def _send_file(self, chat_id: str, text: str, message: OutboxMessage) -> str:
        attachment = message.attachment
        assert attachment is not None
        body = json.dumps(attachment.data, ensure_ascii=False, indent=2).encode()
        sent = await self._bot.send_document(
            chat_id,
            InputFile(body, filename=attachment.filename),
            caption=split_html(text, 1024)[0],
            parse_mode=ParseMode.HTML,
        )
        return f"{sent.chat_id}:{sent.message_id}"

    def _keyboard(self, message: OutboxMessage) -> InlineKeyboardMarkup | None:
        if not message.buttons:
            return None if message.edit_ref is None else InlineKeyboardMarkup(())
        row = [
            InlineKeyboardButton(
                self._renderer.render(button.label, {}, locale=message.locale),
                callback_data=button_data(button.action, button.payload),
            )
            for button in message.buttons
        ]
        return InlineKeyboardMarkup([row])

    def _just_prompted(self, message: OutboxMessage) -> bool:
        """Whether the member was just shown the open-my-private-chat line in the group, which
        says all that "I've sent you the answer privately" would, and more truly."""
        who = message.context.get("who")
        return isinstance(who, dict) and self._prompted.recently(str(who.get("id", "")))

    async def _point_to_private_chat(self, group: str, person: str, message: OutboxMessage) -> None:
        """Tell the group, neutrally, that a private message waits: once in a while per member."""
        if not self._prompted.claim(person):
            return
        who = message.context.get("who") or {"id": person, "name": ""}
        text = await self._renderer.render_async(
            T.OPEN_PRIVATE, {"who": who}, locale=message.locale
        )
        label = await self._renderer.render_async(T.LABEL_OPEN_PRIVATE, {}, locale=message.locale)
        button = InlineKeyboardButton(label, url=f"https://t.me/{self._username}?start=hello")
        try:
            await self._bot.send_message(
                group,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=InlineKeyboardMarkup([[button]]),
            )
        except TelegramError:
            log.warning("could not point a member to their private chat")


def _seconds(retry_after: float | timedelta) -> float:
    if isinstance(retry_after, timedelta):
        return retry_after.total_seconds()
    return float(retry_after)
