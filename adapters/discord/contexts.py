"""Contexts of the Discord adapter's own templates, checked when rendered as the core's are."""

from __future__ import annotations

from bot.contexts import Empty
from bot.contexts.core import Who

CONTEXTS: dict[str, type] = {
    "discord_dms_closed": Who,
    "discord_posted": Empty,
    "discord_sorry": Empty,
    "discord_role_reason": Empty,
    "discord_commands": Empty,
}
