"""At most once in a while per member, so a group does not read the same line every time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.domain.records import OutboxMessage


class OncePer:
    """When each member was last shown a line, so the group does not read it every time.

    The senders ask this before showing a group the line that points a member to their
    private chat (Telegram) or DMs (Discord).
    """

    def __init__(self, period: timedelta, now: Callable[[], datetime]) -> None:
        self._period = period
        self._now = now
        self._last: dict[str, datetime] = {}

    def recently(self, person: str) -> bool:
        last = self._last.get(person)
        return last is not None and self._now() - last < self._period

    def claim(self, person: str) -> bool:
        """True (and remembered) when the member may be asked now; False if asked recently."""
        if self.recently(person):
            return False
        self._last[person] = self._now()
        return True


class Prompt:
    """A neutral line a group is shown about a member (open your private chat, open your DMs):
    queued at most once and shown at most once in a while, however many refusals ask for it."""

    def __init__(self, period: timedelta, now: Callable[[], datetime]) -> None:
        self._shown = OncePer(period, now)
        self._queued = OncePer(period, now)

    def shown_lately(self, person: str) -> bool:
        return self._shown.recently(person)

    def lately(self, person: str) -> bool:
        """Whether the line was shown or queued a moment ago: it is read, or on its way."""
        return self._shown.recently(person) or self._queued.recently(person)

    def queue(self, person: str) -> bool:
        """True (and remembered) when the line may be queued now: not shown, nor queued, lately."""
        return not self._shown.recently(person) and self._queued.claim(person)

    def was_shown(self, person: str) -> None:
        self._shown.claim(person)


def about(message: OutboxMessage) -> str:
    """The member a prompt is about, by their id on the platform (its context's ``who``)."""
    who = message.context.get("who")
    return str(who.get("id", "")) if isinstance(who, dict) else ""
