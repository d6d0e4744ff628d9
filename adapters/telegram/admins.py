"""Who is an admin of a Telegram group: ``getChatMember``, cached for a minute."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from telegram import Bot, ChatMember
from telegram.error import TelegramError

log = logging.getLogger(__name__)

FRESH = timedelta(seconds=60)


class Admins:
    """Ask Telegram whether a member administers a chat, at most once a minute per pair."""

    def __init__(self, bot: Bot, now: Callable[[], datetime]) -> None:
        self._bot = bot
        self._now = now
        self._known: dict[tuple[int, int], tuple[bool, datetime]] = {}

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        now = self._now()
        known = self._known.get((chat_id, user_id))
        if known is not None and now - known[1] < FRESH:
            return known[0]
        try:
            member = await self._bot.get_chat_member(chat_id, user_id)
        except TelegramError:
            log.warning("could not ask Telegram who administers a chat")
            return False
        admin = member.status in (ChatMember.OWNER, ChatMember.ADMINISTRATOR)
        self._known[(chat_id, user_id)] = (admin, now)
        return admin
