"""Send outbox rows to Telegram: HTML, inline keyboards, edits, files, deletions, and limits.

The outbox worker calls ``deliver`` for one row (one part of a long one) at a time per chat, and
paces the chats by ``PACE``: Telegram's limits of about 30 messages a second overall, one a
second in a chat and 20 a minute in a group, with announcements kept to 15 of a group's 20.
A 429 comes back here as ``RetryAfter`` and the row, and its chat, wait exactly as long as
Telegram asked, without being lost.

A private message to a member who never opened a private chat with the bot is refused (403);
the group then gets one line pointing them to it (``T.OPEN_PRIVATE``), queued as an outbox row
like any other, so it is paced and retried as they are, and shown at most once in a while.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum

import httpx
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from adapters.sending import Parts
from adapters.telegram.admins import DeleteRights
from adapters.telegram.dialect import split_html
from adapters.telegram.translate import PLATFORM, button_data
from adapters.throttle import Prompt, about
from bot.contexts import Ref
from bot.contexts.core import Who
from bot.domain.model import person_key
from bot.domain.records import OutboxMessage
from bot.domain.replies import Priority, Reply, Target, Template
from bot.outbox import Pace, RetryLater, Undeliverable, backoff
from bot.render import Renderer

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
PROMPT_EVERY = timedelta(minutes=10)
"""How often one member may be shown the 'open a private chat' line in a group."""
PER_CHAT = 1.0
"""Seconds between two messages to one chat."""
PACE = Pace(
    overall=30, per_chat=PER_CHAT, group_per_minute=20, announcements_per_minute=15, shared=True
)
"""Telegram's limits, as the outbox worker keeps to them: the overall one for every process
sending for the bot together."""
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""What PTB's ``NetworkError`` may come from when the request never left: no connection."""
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
        pace: Pace = PACE,
        rights: DeleteRights | None = None,
    ) -> None:
        """``pace``: the limits the outbox worker keeps to; ``rights`` is told when a group
        refuses a deletion."""
        self._bot = bot
        self._rights = rights
        self.pace = pace
        self._renderer = renderer
        self._username = bot_username
        self._prompt = Prompt(PROMPT_EVERY, now)
        """The open-my-private-chat line, by member: the slot is taken once it is sent, and a
        burst of refusals queues one."""
        self._parts = Parts()
        """Parts of a long message Telegram already took: a retry goes on from the next."""

    async def deliver(self, message: OutboxMessage) -> str | None:
        target = message.target
        chat_id = target.person if target.person is not None else target.chat
        if chat_id is None:
            raise Undeliverable("no chat to send to")
        if message.template == Template.SENT_PRIVATELY and self._just_prompted(message):
            return None  # the group was just shown the open-my-private-chat line instead
        if message.template == T.OPEN_PRIVATE and self._prompt.shown_lately(about(message)):
            return None  # shown a moment ago (queued twice, or by the process before)
        try:
            if target.withdraw is not None:
                await self._withdraw(target.withdraw)
                return None
            text = await self._renderer.render_async(
                message.template, message.context, locale=message.locale, mentions=message.mentions
            )
            markup = await self._keyboard(message)
            if message.edit_ref is not None:
                return await self._edit(message.edit_ref, text, markup)
            if message.attachment is not None:
                return await self._send_file(chat_id, text, message)
            ref = await self._send(message.id, chat_id, text, markup)
        except RetryAfter as flood:
            seconds = retry_seconds(flood.retry_after)
            raise RetryLater(seconds, "429", chat_waits=True) from None
        except Forbidden as forbidden:
            closed = None if target.person is None else person_key(PLATFORM, target.person)
            if target.person is not None and target.chat is not None:
                raise RetryLater(
                    WAIT_FOR_START,
                    "member has not opened a private chat",
                    meanwhile=self._point_to_private_chat(target.chat, target.person, message),
                    about=closed,
                    closed_to=closed,
                ) from None
            raise Undeliverable("forbidden", closed_to=closed) from forbidden
        except BadRequest as bad:
            raise Undeliverable(f"bad request: {bad.message[:80]}") from bad
        except NetworkError as network:  # timeouts, 5xx and dropped connections
            # A new message Telegram may have taken shows twice if retried: still retried.
            posted = message.edit_ref is None and target.withdraw is None
            unsure = posted and not isinstance(network.__cause__, NEVER_SENT)
            raise RetryLater(backoff(message.attempts), "network", unsure=unsure) from network
        if message.template == T.OPEN_PRIVATE:
            self._prompt.was_shown(about(message))
        return ref

    async def _send(
        self, outbox_id: int, chat_id: str, text: str, markup: InlineKeyboardMarkup | None
    ) -> str:
        """Send the next part of the message; the buttons go with the last."""

        async def send(part: str, number: int, last: bool) -> str:
            sent: Message = await self._bot.send_message(
                chat_id,
                part,
                parse_mode=ParseMode.HTML,
                reply_markup=markup if last else None,
                link_preview_options=NO_PREVIEW,
            )
            return f"{sent.chat_id}:{sent.message_id}"

        return await self._parts.send(outbox_id, split_html(text), send, paced=True)

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

    async def _keyboard(self, message: OutboxMessage) -> InlineKeyboardMarkup | None:
        if message.template == T.OPEN_PRIVATE:
            label = await self._renderer.render_async(
                T.LABEL_OPEN_PRIVATE, {}, locale=message.locale
            )
            url = f"https://t.me/{self._username}?start=hello"
            return InlineKeyboardMarkup([[InlineKeyboardButton(label, url=url)]])
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
        """Whether the member was just shown (or is about to be shown) the open-my-private-chat
        line in the group, which says all that "I've sent you the answer privately" would, and
        more truly."""
        return self._prompt.lately(about(message))

    def _point_to_private_chat(
        self, group: str, person: str, message: OutboxMessage
    ) -> Reply | None:
        """The line telling the group, neutrally, that a private message waits for a member:
        at most one queued and one shown once in a while, as urgent as the message."""
        if not self._prompt.queue(person):
            return None
        unnamed: Ref = {"id": person, "name": ""}
        who: Ref = message.context.get("who") or unnamed
        return Reply(
            T.OPEN_PRIVATE,
            Target(PLATFORM, chat=group),
            dict(Who(who=who)),
            priority=Priority(message.priority),
        )


def retry_seconds(retry_after: float | timedelta) -> float:
    """A 429's wait in seconds, whichever form PTB gives it in."""
    if isinstance(retry_after, timedelta):
        return retry_after.total_seconds()
    return float(retry_after)
