"""What Telegram can do that the core must know: a group has no roles the bot can read."""

from __future__ import annotations

from bot.domain.platforms import Capabilities

PLATFORM = "telegram"
"""The name the core knows Telegram by, in every key and target."""

CAPABILITIES = Capabilities(PLATFORM)
