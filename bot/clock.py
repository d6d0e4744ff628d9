"""The clock port: the core asks it for the time, so tests and the console can move time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, aware, in UTC."""
        ...


class MovableClock(Clock, Protocol):
    """A clock that can be moved forward: the console's, and the tests'."""

    def advance_to(self, instant: datetime) -> None: ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ShiftedClock:
    """The real time moved by an offset that only grows: the console's ``/wait``."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance_to(self, instant: datetime) -> None:
        """Move the clock forward to ``instant``; never backwards."""
        self.offset = max(self.offset, instant - datetime.now(UTC))


class ManualClock:
    """A clock that moves only when told; for tests."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the clock needs an aware start")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def advance_to(self, instant: datetime) -> None:
        self._now = max(self._now, instant.astimezone(UTC))
