"""Meeting reminders."""

from __future__ import annotations

from bot.storage.queries.base import Queries


class MeetingQueries(Queries):
    """Meeting reminders."""
