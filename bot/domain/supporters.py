"""Choosing whom to ping: few, fair pings, never in someone's quiet hours.

A supporter is eligible when they opted in, are not the member asking, were not already pinged
in this chain, are inside their own available hours (in their own zone), and have rested since
their last ping. When someone may be in danger, rest does not count, and neither do the quiet
hours of supporters who said they accept urgent pings then. Among the eligible, the least
recently pinged go first, so the same few people are not pinged every time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-\u2013]\s*(\d{1,2}):(\d{2})\s*$")


class HoursError(ValueError):
    """Supporter hours that are not of the form HH:MM-HH:MM."""


@dataclass(frozen=True, slots=True)
class Hours:
    """A daily window in the supporter's own zone; it may run past midnight (22:00-06:00)."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> Hours:
        match = _HOURS.match(text[:32])
        if match is None:
            raise HoursError(text[:32])
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2 != 0):
            raise HoursError(text[:32])
        end = time(0, 0) if h2 == 24 else time(h2, m2)
        if time(h1, m1) == end:
            raise HoursError(text[:32])
        return cls(time(h1, m1), end)

    def text(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def contains(self, moment: time) -> bool:
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


@dataclass(frozen=True, slots=True)
class Candidate:
    """A supporter who opted in, with what fairness needs to know about them."""

    key: str
    zone: ZoneInfo
    hours: Hours | None
    last_pinged_at: datetime | None
    urgent_ok: bool = False
    """They accept urgent pings in their quiet hours (``/supporter urgent on``)."""


def choose(
    candidates: Iterable[Candidate],
    *,
    now: datetime,
    count: int,
    exclude: Iterable[str],
    rest: timedelta,
    urgent: bool = False,
) -> list[Candidate]:
    """Pick up to ``count`` supporters to ping now, least recently pinged first.

    ``urgent`` (someone may be in danger) skips the rest between pings, and the quiet hours
    of those who accept urgent pings in them.
    """
    excluded = set(exclude)
    eligible = [
        c
        for c in candidates
        if c.key not in excluded
        and (
            c.hours is None
            or (urgent and c.urgent_ok)
            or c.hours.contains(now.astimezone(c.zone).time())
        )
        and (urgent or c.last_pinged_at is None or now - c.last_pinged_at >= rest)
    ]
    never = datetime.min.replace(tzinfo=now.tzinfo)
    eligible.sort(key=lambda c: (c.last_pinged_at or never, c.key))
    return eligible[: max(0, count)]
