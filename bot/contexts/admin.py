"""Contexts of the ``/settings`` and ``/set`` templates (``bot.flows.admin``)."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class MilestoneRole(TypedDict):
    milestone: str
    role: str
    """The platform's id of the role."""


class Settings(TypedDict):
    """Each setting as ``/set`` takes it; durations in minutes."""

    announce_chat: str | None
    """None when milestones are announced in the group's own chat."""
    timezone: str
    announcement_hour: int
    ping_count: int
    max_pings: int
    escalate_after: int
    followup_after: int
    craving_cooldown: int
    call_expiry: int
    supporter_rest: int
    milestones: str
    locale: str
    resources_length: int | None
    """Characters of the admins' own lines; None when they have none."""
    resources_limit: int
    resources_preset: NotRequired[str | None]
    """The preset's code; this and the next three are absent from rows queued before presets."""
    resources_preset_name: NotRequired[str | None]
    resources_over: NotRequired[bool]
    """The admins' own lines are over the limit they may have below a preset."""
    preset_emergency: NotRequired[str | None]
    emergency_number: str | None
    meetings_count: int
    roles: bool
    """Whether to show the role settings at all."""
    supporter_role: str | None
    milestone_roles: list[MilestoneRole]


class AdminsOnly(TypedDict):
    command: str


class Usage(TypedDict):
    keys: list[str]
    """The keys this platform's groups can set."""


class Done(TypedDict):
    key: str
    change: dict[str, Any]
    """What changed, in the key's own terms (``bot.domain.settings_keys``)."""
    linked: NotRequired[list[str]]
    """The platforms of the linked chats the change was written to as well (``/link``)."""


class Invalid(TypedDict):
    key: str
    reason: str
    details: dict[str, Any]
    """What the reason needs said, in its own terms (``SettingError.details``)."""
    limits: dict[str, list[int]]
    """Each bounded key's accepted range."""
    locales: list[str]
    keys: list[str]


CONTEXTS: dict[str, type] = {
    "settings_show": Settings,
    "settings_admins_only": AdminsOnly,
    "set_usage": Usage,
    "set_done": Done,
    "set_invalid": Invalid,
}
