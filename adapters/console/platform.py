"""What the console can do that the core must know: its one group has no roles."""

from __future__ import annotations

from bot.domain.platforms import Capabilities

PLATFORM = "console"
"""The name the core knows the console by, in every key and target."""

CAPABILITIES = Capabilities(PLATFORM)
