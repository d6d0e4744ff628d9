"""At most once in a while per member, so a group does not read the same line every time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta


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
