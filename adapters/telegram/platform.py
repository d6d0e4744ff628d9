"""What Telegram can do that the core must know: a group has no roles the bot can read."""

from __future__ import annotations

from bot.domain.platforms import Capabilities

CAPABILITIES = Capabilities("telegram")
