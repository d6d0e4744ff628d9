"""Who administers a Telegram group: ``getChatAdministrators``, cached for a minute per group.

One call per group a minute, not one per member and command: the rate limiter counts every
request that names a chat against that group's 20 a minute.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from telegram import Bot
from telegram.error import TelegramError

log = logging.getLogger(__name__)

FRESH = timedelta(seconds=60)


class Admins:
    """Know each group's administrators (the creator included), refreshed at most once a minute."""

    def __init__(self, bot: Bot, now: Callable[[], datetime]) -> None:
        self._bot = bot
        self._now = now
        self._known: dict[int, tuple[frozenset[int], datetime]] = {}

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        now = self._now()
        known = self._known.get(chat_id)
        if known is None or now - known[1] >= FRESH:
            try:
                admins = await self._bot.get_chat_administrators(chat_id)
            except TelegramError:
                log.warning("could not ask Telegram who administers a chat")
                return False if known is None else user_id in known[0]
            known = (frozenset(a.user.id for a in admins), now)
            self._known[chat_id] = known
        return user_id in known[0]
