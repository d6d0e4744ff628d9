"""A community's settings: what its admins may change, with the defaults a new group gets."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Self

from bot.domain.cleantime import DEFAULT_SCHEDULE, MilestoneSchedule


@dataclass(frozen=True, slots=True)
class Meeting:
    """A regular meeting of the community: weekly on ``weekday`` (0 = Monday) at ``time``."""

    weekday: int
    time: str
    """Local wall-clock time "HH:MM" in the community's zone."""
    title: str
    link: str = ""

    def as_context(self) -> dict[str, Any]:
        """Give the meeting as templates read it: weekday (0 = Monday), time, title, link."""
        return {"weekday": self.weekday, "time": self.time, "title": self.title, "link": self.link}


@dataclass(frozen=True, slots=True)
class CommunitySettings:
    """What a group's admins may change; durations are whole minutes."""

    timezone: str = "UTC"
    announcement_hour: int = 9
    announce_chat: str | None = None
    """The chat that gets milestone digests; None means the group chat itself."""
    milestones: MilestoneSchedule = DEFAULT_SCHEDULE
    locale: str = "en"
    ping_count: int = 3
    max_pings: int = 9
    escalate_after: int = 10
    followup_after: int = 20
    craving_cooldown: int = 15
    call_expiry: int = 30
    supporter_rest: int = 60
    """Minutes a supporter rests after a ping before being pinged again."""
    resources: str | None = None
    """The community's own crisis lines and meeting links; None means the bundled defaults."""
    meetings: tuple[Meeting, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["milestones"] = self.milestones.text()
        data["meetings"] = [asdict(m) for m in self.meetings]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """Read stored settings; a key missing from older rows keeps its default."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "milestones" in values:
            values["milestones"] = MilestoneSchedule.parse(values["milestones"])
        if "meetings" in values:
            values["meetings"] = tuple(Meeting(**m) for m in values["meetings"])
        return replace(cls(), **values)
