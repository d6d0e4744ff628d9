"""Sample contexts for the admin templates: every key, every reason, every branch."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot.domain.community import CommunitySettings, Meeting
from bot.domain.model import Community
from bot.domain.presets import LEGACY, PRESETS
from bot.domain.settings_keys import (
    KEYS,
    MAX_MILESTONE_ROLES,
    MAX_RESOURCES,
    ROLE_KEYS,
    apply,
    keys_for,
    limits,
)
from bot.flows.admin import T, settings_context

LIMITS = limits(CommunitySettings())
BASE: dict[str, Any] = {
    "details": {},
    "limits": LIMITS,
    "locales": ["en"],
    "keys": list(KEYS),
}


def invalid(key: str, reason: str, **details: Any) -> dict[str, Any]:
    return {**BASE, "key": key, "reason": reason, "details": details}


def resources_done(settings: CommunitySettings, value: str) -> dict[str, Any]:
    """What ``set_done`` gets for ``/set resources VALUE`` on ``settings``."""
    change = apply(settings, "resources", value, chat="group", locales=["en"])
    return {"key": "resources", "change": change.details}


OWN = "Call Ana: 555-0100"
PRESET_CODES = list(PRESETS)


CUSTOM = Community(
    "console:group",
    "console",
    "group",
    "group",
    CommunitySettings(
        announce_chat="123",
        escalate_after=90,
        craving_cooldown=0,
        supporter_rest=120,
        resources="Call Ana: 555-0100",
        emergency_number="112",
        meetings=(Meeting(0, "19:00", "Online NA"),),
    ),
)

ROLE = "1100000000000000001"
WITH_ROLES = Community(
    "console:9",
    "console",
    "9",
    "90",
    CommunitySettings(
        supporter_role=ROLE,
        milestone_roles=(("30d", ROLE), ("1y", "1100000000000000002")),
    ),
)

SAMPLES: dict[str, list[Mapping[str, Any]]] = {
    T.SETTINGS_SHOW: [
        settings_context(Community("console:group", "console", "group", "group")),
        settings_context(CUSTOM),
        settings_context(
            replace(CUSTOM, settings=replace(CUSTOM.settings, resources="x" * (MAX_RESOURCES + 1)))
        ),
        settings_context(WITH_ROLES, roles=True),
        settings_context(replace(WITH_ROLES, settings=CommunitySettings()), roles=True),
        *(
            settings_context(replace(CUSTOM, settings=replace(CUSTOM.settings, **changes)))
            for changes in (
                {"resources_preset": "uk"},
                {"resources_preset": "uk", "emergency_number": None},
                {"resources_preset": "international", "emergency_number": None},
                {"resources_preset": LEGACY, "resources": None, "emergency_number": None},
                {"resources_preset": None},
                {"resources_preset": None, "emergency_number": None},
                {"resources_preset": "ie", "resources": "x" * (MAX_RESOURCES + 1)},
            )
        ),
        # A row queued before presets: none of their keys.
        {
            key: value
            for key, value in settings_context(CUSTOM).items()
            if key not in ("resources_preset", "resources_preset_name", "resources_over")
            and key != "preset_emergency"
        },
    ],
    T.SETTINGS_ADMINS_ONLY: [{"command": "set"}, {"command": "settings"}],
    T.SET_USAGE: [{"keys": list(KEYS)}, {"keys": list(keys_for(roles=True))}],
    T.SET_DONE: [
        {"key": "announcement_channel", "change": {"where": "here"}},
        {"key": "announcement_channel", "change": {"where": "default"}},
        {"key": "timezone", "change": {"zone": "Europe/London"}},
        {"key": "timezone", "change": {"zone": "Europe/London"}, "linked": ["elsewhere"]},
        {"key": "announcement_hour", "change": {"hour": 9}},
        {"key": "ping_count", "change": {"count": 4, "max_raised": False, "max_pings": 9}},
        {"key": "ping_count", "change": {"count": 10, "max_raised": True, "max_pings": 10}},
        {"key": "max_pings", "change": {"max_pings": 12}},
        {"key": "escalate_after", "change": {"minutes": 90}},
        {"key": "followup_after", "change": {"minutes": 60}},
        {"key": "craving_cooldown", "change": {"minutes": 15}},
        {"key": "craving_cooldown", "change": {"minutes": 0}},
        {"key": "call_expiry", "change": {"minutes": 45}},
        {"key": "supporter_rest", "change": {"minutes": 120}},
        {"key": "supporter_rest", "change": {"minutes": 0}},
        {"key": "milestones", "change": {"steps": ["1d", "30d"], "yearly": True, "default": False}},
        {"key": "milestones", "change": {"steps": ["1d", "6m"], "yearly": False, "default": False}},
        {"key": "milestones", "change": {"steps": [], "yearly": True, "default": False}},
        {"key": "milestones", "change": {"steps": ["1d"], "yearly": True, "default": True}},
        {"key": "locale", "change": {"locale": "en"}},
        # Rows queued before presets.
        {"key": "resources", "change": {"default": False}},
        {"key": "resources", "change": {"default": True}},
        resources_done(CommunitySettings(), "preset uk"),
        resources_done(CommunitySettings(resources=OWN), "preset uk"),
        resources_done(CommunitySettings(emergency_number="112"), "preset uk"),
        resources_done(CommunitySettings(resources_preset="uk"), "preset international"),
        resources_done(CommunitySettings(resources=OWN), "preset none"),
        resources_done(CommunitySettings(), OWN),
        resources_done(CommunitySettings(resources_preset=None, resources=OWN), OWN),
        resources_done(CommunitySettings(resources_preset=LEGACY), OWN),
        resources_done(CommunitySettings(resources=OWN), "default"),
        resources_done(CommunitySettings(resources_preset=None, resources=OWN), "default"),
        resources_done(CommunitySettings(resources_preset=LEGACY, resources=OWN), "default"),
        {"key": "emergency_number", "change": {"number": "112"}},
        {"key": "emergency_number", "change": {"number": None}},
        {"key": "meetings", "change": {"count": 2}},
        {"key": "meetings", "change": {"count": 0}},
        {"key": "supporter_role", "change": {"role": ROLE}},
        {"key": "supporter_role", "change": {"role": None}},
        *(
            {
                "key": "milestone_role",
                "change": {"milestone": "1y", "role": role, "had": had, "celebrated": celebrated},
            }
            for role in (ROLE, None)
            for had in (True, False)
            for celebrated in (True, False)
        ),
    ],
    T.SET_INVALID: [
        invalid("pingcount", "unknown_key", suggestions=["ping_count"]),
        invalid("frobnicate", "unknown_key", suggestions=[]),
        *(invalid(key, "missing") for key in KEYS),
        invalid("announcement_channel", "bad_channel"),
        invalid("ping_count", "not_a_number"),
        invalid("max_pings", "out_of_range"),
        invalid("escalate_after", "bad_duration"),
        invalid("followup_after", "out_of_range"),
        invalid("announcement_hour", "bad_hour"),
        invalid("announcement_hour", "whole_hour"),
        invalid("timezone", "unknown_zone", suggestions=["Europe/London"]),
        invalid("timezone", "unknown_zone", suggestions=[]),
        invalid("locale", "unknown_locale", locales=["en"]),
        invalid("resources", "too_long", limit=MAX_RESOURCES),
        invalid("resources", "too_long", limit=MAX_RESOURCES, presets=PRESET_CODES),
        invalid("resources", "missing", presets=PRESET_CODES),
        invalid("resources", "unknown_preset", code="", suggestions=[], presets=PRESET_CODES),
        invalid(
            "resources", "unknown_preset", code="uk!", suggestions=["uk"], presets=PRESET_CODES
        ),
        invalid("resources", "unknown_preset", code="zz", suggestions=[], presets=PRESET_CODES),
        invalid(
            "resources", "unknown_preset", code="a", suggestions=["au", "ca"], presets=PRESET_CODES
        ),
        invalid("resources", "no_own_lines", presets=PRESET_CODES),
        invalid("emergency_number", "bad_number", limit=16),
        *(
            invalid("milestones", "schedule", problem=p, position=2, max_steps=40, max_amount=1200)
            for p in (
                "empty",
                "bad_token",
                "out_of_range",
                "duplicate",
                "too_many",
                "yearly_not_last",
                "other",
            )
        ),
        *(
            invalid("meetings", "meeting", problem=p, position=1, limit=80)
            for p in (
                "bad_weekday",
                "bad_time",
                "no_title",
                "title_too_long",
                "bad_link",
                "two_links",
                "too_many",
                "other",
            )
        ),
        invalid("timezone", "something_new"),
        *(invalid(key, "missing") for key in ROLE_KEYS),
        *(invalid(key, "roles_unavailable") for key in ROLE_KEYS),
        *(invalid(key, "bad_role") for key in ROLE_KEYS),
        invalid("milestone_role", "bad_milestone", max_amount=1200),
        invalid("milestone_role", "too_many_roles", limit=MAX_MILESTONE_ROLES),
    ],
}
