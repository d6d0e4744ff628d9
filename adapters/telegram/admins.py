"""What Telegram lets people do in a group: who administers it (``getChatAdministrators``,
cached for a minute per group), and whether the bot itself may delete members' messages there.

One call per group a minute, not one per member and command: the rate limiter counts every
request that names a chat against that group's 20 a minute.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from telegram import Bot, ChatMember, ChatMemberAdministrator, ChatMemberOwner
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


class DeleteRights:
    """Know whether the bot may delete members' messages in each group.

    Asked once per group (``getChatMember`` of the bot itself), then kept until Telegram reports
    a change to the bot's own membership there (a ``my_chat_member`` update, sent whenever its
    rights change) or a deletion there is refused.
    """

    def __init__(self, bot: Bot) -> None:
        self._bot = bot
        self._known: dict[int, bool] = {}

    async def may_delete(self, chat_id: int) -> bool:
        known = self._known.get(chat_id)
        if known is not None:
            return known
        try:
            member = await self._bot.get_chat_member(chat_id, self._bot.id)
        except TelegramError:
            log.warning("could not ask Telegram what the bot may do in a group")
            return False  # not kept: asked again next time
        return self.learn(chat_id, member)

    def learn(self, chat_id: int, member: ChatMember) -> bool:
        """Keep what the bot's membership says it may do in the group; return it."""
        may = isinstance(member, ChatMemberOwner) or (
            isinstance(member, ChatMemberAdministrator) and member.can_delete_messages
        )
        self._known[chat_id] = may
        return may

    def forget(self, chat_id: int) -> None:
        """A deletion there was refused: ask again before promising the next one."""
        self._known.pop(chat_id, None)
