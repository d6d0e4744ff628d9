"""What each platform can do, as its adapter declares it: the core asks here, never by name.

A platform the core was not told about can do nothing special: it has no roles.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Roles:
    """How a platform's roles are named, so the core can check what admins type and what the
    platform reports without knowing the platform."""

    typed: re.Pattern[str]
    """A role as an admin types it in ``/set`` (a mention, or a bare id); the first group
    that matched is the role's id."""
    reported: re.Pattern[str]
    """A role id as the platform reports it on a member."""
    most: int
    """The most roles kept for one member in one community."""

    def read(self, text: str) -> str | None:
        """The role id an admin typed; None when it is not one."""
        match = self.typed.fullmatch(text)
        if match is None:
            return None
        return next((group for group in match.groups() if group), None)

    def held(self, roles: Iterable[str]) -> set[str]:
        """The role ids worth keeping from a platform's report: ids only, a bounded number."""
        kept = {role for role in roles if self.reported.fullmatch(role)}
        return set(sorted(kept)[: self.most])


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What one platform can do that changes what the core does."""

    platform: str
    roles: Roles | None = None
    """The roles its communities have, which the bot can read and give; None: it has none."""

    def held_roles(self, reported: Iterable[str]) -> set[str]:
        """The roles worth keeping of those reported on a member: none where there are none."""
        return set() if self.roles is None else self.roles.held(reported)


class Platforms:
    """The platforms this process knows, each as its adapter declared it at start."""

    def __init__(self, declared: Iterable[Capabilities] = ()) -> None:
        self._by_name = {capabilities.platform: capabilities for capabilities in declared}

    def of(self, platform: str) -> Capabilities:
        """What ``platform`` can do; nothing special when it was never declared."""
        return self._by_name.get(platform) or Capabilities(platform)
