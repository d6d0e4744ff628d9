"""A community's settings: what its admins may change, with the defaults a new group gets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Self

from bot import contexts
from bot.domain.cleantime import DEFAULT_SCHEDULE, Milestone, MilestoneSchedule
from bot.domain.presets import DEFAULT_PRESET, preset_emergency


@dataclass(frozen=True, slots=True)
class Meeting:
    """A regular meeting of the community: weekly on ``weekday`` (0 = Monday) at ``time``."""

    weekday: int
    time: str
    """Local wall-clock time "HH:MM" in the community's zone."""
    title: str
    link: str = ""

    def as_context(self) -> contexts.Meeting:
        """Give the meeting as templates read it: weekday (0 = Monday), time, title, link."""
        return contexts.Meeting(
            weekday=self.weekday, time=self.time, title=self.title, link=self.link
        )


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
    """The admins' own crisis lines and meeting links, shown below the preset's; None: none."""
    resources_preset: str | None = DEFAULT_PRESET
    """The code of the bundled crisis lines shown (``bot/domain/presets.py``); None shows the
    admins' own lines alone. A row stored without this key is a community created since
    presets exist (migration 0008 gave every older one its own), so it reads as the default."""
    emergency_number: str | None = None
    """The emergency number of the community's place (911, 112, 999, 000 …), which every
    message about danger names first; None means the preset's own (for a preset that names
    none, or none at all: "your local emergency number", or "911 or …" as before presets)."""
    meetings: tuple[Meeting, ...] = field(default=())
    supporter_role: str | None = None
    """A role (the platform's id) whose holders count as craving supporters; only where the
    platform has roles."""
    milestone_roles: tuple[tuple[str, str], ...] = field(default=())
    """(milestone key, role id) pairs, shortest milestone first: the role a member is given on
    reaching that milestone; only where the platform has roles. Stored as a JSON object."""

    def crisis(self) -> contexts.Crisis:
        """What a template needs to print this community's crisis lines (``_resources.j2``)
        and its emergency number (``_emergency.j2``): the admins' own lines, the preset's
        code, and the number to call, the admins' own before the preset's."""
        return contexts.Crisis(
            resources=self.resources,
            preset=self.resources_preset,
            emergency=self.emergency_number or preset_emergency(self.resources_preset),
        )

    def milestone_role(self, milestone: str) -> str | None:
        """The role given for ``milestone`` (a key such as ``1y``; ``12m`` is the same day)."""
        length = milestone_length(milestone)
        if length is None:
            return None
        for key, role in self.milestone_roles:
            if milestone_length(key) == length:
                return role
        return None

    def as_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["milestones"] = self.milestones.text()
        data["meetings"] = [asdict(m) for m in self.meetings]
        data["milestone_roles"] = dict(self.milestone_roles)
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
        if "milestone_roles" in values:
            values["milestone_roles"] = sort_milestone_roles(values["milestone_roles"].items())
        if "resources_preset" not in values and values.get("resources"):
            # Settings written before presets, where the admins' text replaced the bundled
            # lines: keep showing it alone (migration 0008 writes this; a copied row may not).
            values["resources_preset"] = None
        return replace(cls(), **values)


def milestone_length(key: str) -> tuple[str, int] | None:
    """How long a milestone is, so that ``12m`` and ``1y`` compare equal; None if unreadable."""
    try:
        milestone = Milestone.from_key(key)
    except ValueError:
        return None
    months = milestone.in_months
    return ("d", milestone.amount) if months is None else ("m", months)


def sort_milestone_roles(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """Milestone roles in the order /settings lists them: the shortest milestone first."""

    def days(pair: tuple[str, str]) -> float:
        length = milestone_length(pair[0])
        if length is None:
            return float("inf")
        unit, amount = length
        return amount if unit == "d" else amount * 30.436875

    return tuple(sorted(((str(k), str(v)) for k, v in pairs), key=days))
