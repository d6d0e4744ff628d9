"""What the console can do that the core must know: its one group has no roles."""

from __future__ import annotations

from bot.domain.platforms import Capabilities

CAPABILITIES = Capabilities("console")
