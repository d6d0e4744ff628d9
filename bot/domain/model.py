"""The records the core reads and writes, as the store returns them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bot.contexts import Ref
from bot.domain.community import CommunitySettings

PRIMARY = ""
"""The name of a member's primary counter; only it is announced."""


@dataclass(frozen=True, slots=True)
class Person:
    """A member as one platform knows them; ``key`` is unique across platforms."""

    key: str
    platform: str
    platform_id: str
    name: str
    timezone: str | None = None
    locale: str | None = None
    """The language the member chose for their private answers (``/language``), if any."""

    @property
    def ref(self) -> Ref:
        """The person as a template prints or mentions them: ``{"id", "name"}``."""
        return {"id": self.platform_id, "name": self.name}


@dataclass(frozen=True, slots=True)
class Community:
    """A group, or a server of many channels, that the bot serves."""

    key: str
    platform: str
    platform_id: str
    chat: str
    settings: CommunitySettings = field(default_factory=CommunitySettings)
    active: bool = True
    """False while the bot is removed from the community."""
    fellowship: str | None = None
    """What every chat linked with this one holds too (``/link``); None while not linked."""

    @property
    def announce_chat(self) -> str:
        return self.settings.announce_chat or self.chat


@dataclass(frozen=True, slots=True)
class Counter:
    """A clean-time count: the primary one (``name == PRIMARY``) or a named extra one."""

    person: str
    name: str
    clean_since: date


@dataclass(frozen=True, slots=True)
class Membership:
    """A person in a community, and whether their milestones are celebrated there."""

    community: str
    person: str
    share: bool
    chosen: bool = True
    """Whether the member chose to share or not here; nothing is shared until they do."""


@dataclass(frozen=True, slots=True)
class DueAnnouncement:
    """A milestone whose announcement time has come, with what the run needs to judge it."""

    community: Community
    person: Person
    milestone: str
    day: date
    due_at: datetime
    clean_since: date | None
    """The primary counter's date now; None when the member no longer has one."""
    share: bool
    principal: str
    """The person's key whose data counts: the principal's where ``person`` is a linked
    identity (whose zone and clean date ``person`` and ``clean_since`` then carry)."""


@dataclass(frozen=True, slots=True)
class LinkCode:
    """A one-time linking code as the store keeps it: only its digest, never the code."""

    digest: str
    kind: str
    """``"chat"`` (``/link``: ``origin`` is a community key) or ``"person"`` (``/linkme``:
    ``origin`` is a person key)."""
    origin: str
    issued_by: str
    expires_at: datetime


def person_key(platform: str, platform_id: str) -> str:
    """Make a person's key unique across platforms."""
    return f"{platform}:{platform_id}"


def community_key(platform: str, platform_id: str) -> str:
    """Make a community's key unique across platforms."""
    return f"{platform}:{platform_id}"
