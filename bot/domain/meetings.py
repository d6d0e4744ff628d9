"""When a community's weekly meetings start, and when members who asked are reminded of them.

A meeting is a weekday and a wall-clock time in the community's zone, so its instant moves with
daylight saving; ``bot.domain.cleantime.wall_instant`` says how a fold or a gap is read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from bot.domain.cleantime import wall_instant
from bot.domain.community import Meeting

REMIND_BEFORE: Final = timedelta(hours=1)
"""How long before a meeting starts its reminder goes out."""


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One meeting on one day, with the instant it starts (UTC)."""

    meeting: Meeting
    starts_at: datetime

    def remind_at(self, before: timedelta = REMIND_BEFORE) -> datetime:
        return self.starts_at - before


def meeting_time(meeting: Meeting) -> time:
    """Read a meeting's stored "HH:MM".

    Raises:
        ValueError: when the stored text is not a time.
    """
    hours, _, minutes = meeting.time.partition(":")
    return time(int(hours), int(minutes))


def occurrences(
    meetings: Iterable[Meeting], zone: ZoneInfo, first: date, last: date
) -> list[Occurrence]:
    """List every meeting held from local day ``first`` to ``last`` (inclusive), by start."""
    found = []
    for meeting in meetings:
        try:
            at = meeting_time(meeting)
        except ValueError:
            continue  # an unreadable stored meeting is skipped, never fatal to the others
        for day in _days(first, last):
            if day.weekday() == meeting.weekday:
                found.append(Occurrence(meeting, wall_instant(day, at, zone)))
    found.sort(key=lambda o: (o.starts_at, o.meeting.title))
    return found


def next_reminder(
    meetings: Iterable[Meeting],
    zone: ZoneInfo,
    after: datetime,
    before: timedelta = REMIND_BEFORE,
) -> datetime | None:
    """Find the first reminder instant strictly after ``after``; None when there are no meetings."""
    local = after.astimezone(zone).date()
    last = local + timedelta(days=before.days + 8)
    times = [
        o.remind_at(before)
        for o in occurrences(meetings, zone, local - timedelta(days=1), last)
        if o.remind_at(before) > after
    ]
    return min(times, default=None)


def due_reminders(
    meetings: Iterable[Meeting],
    zone: ZoneInfo,
    since: datetime,
    now: datetime,
    before: timedelta = REMIND_BEFORE,
) -> list[Occurrence]:
    """Meetings whose reminder time fell in ``[since, now]`` and that have not started yet."""
    local = now.astimezone(zone).date()
    window = occurrences(
        meetings, zone, local - timedelta(days=1), local + timedelta(days=before.days + 2)
    )
    return [o for o in window if since <= o.remind_at(before) <= now < o.starts_at]


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)
