"""When a member's next milestone is celebrated: pure rules for the milestone run.

A milestone is announced at the community's announcement hour, in the member's own zone, on the
milestone's day. A run that comes late (the bot was down) still announces up to ``CATCH_UP``
after that time, with wording that says when; later than that the announcement is skipped, so
nobody is congratulated on a day long gone.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.cleantime import MilestoneSchedule, local_instant

CATCH_UP = timedelta(days=3)

Due = tuple[datetime, str, date]
"""When to announce, which milestone (its key), and the milestone's day."""


def next_announcement(
    clean_since: date,
    zone: ZoneInfo,
    hour: int,
    schedule: MilestoneSchedule,
    from_day: date,
) -> Due | None:
    """The first milestone on or after ``from_day``, and when to announce it."""
    found = schedule.next_on_or_after(clean_since, from_day)
    if found is None:
        return None
    milestone, day = found
    return local_instant(day, hour, zone), milestone.key, day


def too_late(due_at: datetime, now: datetime) -> bool:
    """Whether an announcement has waited past the catch-up window."""
    return now - due_at > CATCH_UP


def together(total_days: int) -> tuple[int, int]:
    """Express many members' days together as whole years and months (average lengths)."""
    years, rest = divmod(total_days, 365.2425)
    return int(years), int(rest // 30.436875)
