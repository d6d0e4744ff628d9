"""Contexts of the milestone run's templates (``bot.flows.milestones``)."""

from __future__ import annotations

from typing import TypedDict

from bot.contexts import Ref


class Celebrated(TypedDict):
    """One member in a group's digest."""

    person: Ref
    milestone: str
    """The milestone's key (``30d``, ``1y``)."""
    day: str
    """ISO date the milestone was reached, in the member's zone."""
    late: bool
    """Reached before today: the digest says so, and sorry."""


class Digest(TypedDict):
    entries: list[Celebrated]


class RoleFailed(TypedDict):
    who: Ref
    """The member the role was for."""
    milestone: str
    role: str
    """The platform's id of the role."""


CONTEXTS: dict[str, type] = {
    "milestone_digest": Digest,
    "milestone_role_failed": RoleFailed,
}
