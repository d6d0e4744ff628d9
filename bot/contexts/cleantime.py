"""Contexts of clean time's templates (``bot.flows.cleantime``)."""

from __future__ import annotations

from typing import NotRequired, TypedDict

from bot.contexts import Empty, Ref, Span


class Reached(TypedDict):
    milestone: str
    """The milestone's key (``30d``, ``1y``)."""
    day: str
    """ISO date it falls on, in the member's zone."""


class Upcoming(Reached):
    in_days: int


class Counter(TypedDict):
    """One count as ``_macros.j2``'s ``count`` prints it."""

    name: str
    """Empty for the member's main count."""
    since: str
    days: int
    span: Span
    today: str | None
    """The milestone reached today, if one is."""
    next: Upcoming | None


class Days(TypedDict):
    who: Ref
    counters: list[Counter]


class CleandateSet(TypedDict):
    who: Ref
    counter: Counter
    shared: bool
    """Whether the group the date was set in celebrates the member's milestones."""
    in_group: bool
    ask_share: NotRequired[bool]
    """Whether the group may celebrate is asked now; absent from rows queued before it was."""


class CleandateInvalid(TypedDict):
    reason: str
    """A ``CleanDateError`` reason, or ``too_many_counters``."""
    today: NotRequired[str]
    earliest: NotRequired[str]
    limit: NotRequired[int]
    """For ``too_many_counters``: the most counts a member may keep."""


class DaysUnknown(TypedDict):
    name: str | None
    """The name asked for; None when too long to repeat."""
    names: list[str]
    """The member's named counts."""
    main: bool
    """Whether the member has a main count."""


class Together(TypedDict):
    members: int
    """Members who share their clean time here (in any chat linked with this one)."""
    total_days: int
    years: int
    months: int
    linked: NotRequired[bool]
    """The chat is linked with another (``/link``): the sum is the whole community's."""


class TimezoneSet(TypedDict):
    zone: str
    local_today: str


class TimezoneShow(TypedDict):
    zone: str
    own: bool
    """The member set it, rather than inheriting the group's."""


class TimezoneUnknown(TypedDict):
    suggestions: list[str]


class Milestones(TypedDict):
    since: str
    reached_count: int
    reached: list[Reached]
    """The latest reached, oldest first."""
    upcoming: list[Upcoming]


class ShareSet(TypedDict):
    shared: bool
    has_date: bool


class ShareUsage(TypedDict):
    shared: bool


CONTEXTS: dict[str, type] = {
    "cleandate_set": CleandateSet,
    "cleandate_invalid": CleandateInvalid,
    "days": Days,
    "days_none": Empty,
    "days_unknown": DaysUnknown,
    "together": Together,
    "timezone_set": TimezoneSet,
    "timezone_show": TimezoneShow,
    "timezone_unknown": TimezoneUnknown,
    "milestones": Milestones,
    "share_set": ShareSet,
    "share_usage": ShareUsage,
    "label_share_celebrate": Empty,
    "label_share_private": Empty,
}
