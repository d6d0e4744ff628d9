"""The records the core reads and writes, as the store returns them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Self

from bot.domain.cleantime import DEFAULT_SCHEDULE, MilestoneSchedule

PRIMARY = ""
"""The name of a member's primary counter; only it is announced."""


@dataclass(frozen=True, slots=True)
class CommunitySettings:
    """What a group's admins may change; defaults are what a new group gets."""

    timezone: str = "UTC"
    announcement_hour: int = 9
    announce_chat: str | None = None
    """The chat that gets milestone digests; None means the group chat itself."""
    milestones: MilestoneSchedule = DEFAULT_SCHEDULE
    locale: str = "en"

    def as_json(self) -> dict[str, Any]:
        return {
            "timezone": self.timezone,
            "announcement_hour": self.announcement_hour,
            "announce_chat": self.announce_chat,
            "milestones": self.milestones.text(),
            "locale": self.locale,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """Read stored settings; a key missing from older rows keeps its default."""
        settings = cls()
        if "timezone" in data:
            settings = replace(settings, timezone=str(data["timezone"]))
        if "announcement_hour" in data:
            settings = replace(settings, announcement_hour=int(data["announcement_hour"]))
        if "announce_chat" in data:
            chat = data["announce_chat"]
            settings = replace(settings, announce_chat=None if chat is None else str(chat))
        if "milestones" in data:
            settings = replace(settings, milestones=MilestoneSchedule.parse(data["milestones"]))
        if "locale" in data:
            settings = replace(settings, locale=str(data["locale"]))
        return settings


@dataclass(frozen=True, slots=True)
class Person:
    """A member as one platform knows them; ``key`` is unique across platforms."""

    key: str
    platform: str
    platform_id: str
    name: str
    timezone: str | None = None


@dataclass(frozen=True, slots=True)
class Community:
    """A group (Telegram) or server (Discord) that the bot serves."""

    key: str
    platform: str
    platform_id: str
    chat: str
    settings: CommunitySettings = field(default_factory=CommunitySettings)

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


def person_key(platform: str, platform_id: str) -> str:
    """Make a person's key unique across platforms."""
    return f"{platform}:{platform_id}"


def community_key(platform: str, platform_id: str) -> str:
    """Make a community's key unique across platforms."""
    return f"{platform}:{platform_id}"
