"""Every platform Homegroup has an adapter for, as each adapter declares what it can do."""

from __future__ import annotations

from adapters.console import platform as console
from adapters.discord import platform as discord
from adapters.telegram import platform as telegram
from bot.domain.platforms import Platforms


def every_platform() -> Platforms:
    """The platforms the core is told about at start, whichever of them this process serves:
    a community's rows outlive the token that let it in."""
    return Platforms((console.CAPABILITIES, telegram.CAPABILITIES, discord.CAPABILITIES))
