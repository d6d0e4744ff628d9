"""Every platform Homegroup has an adapter for, as each adapter declares itself: what it can do,
its settings section, and sample contexts for its own templates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.console import contexts as console_contexts
from adapters.console import platform as console
from adapters.console import samples as console_samples
from adapters.discord import contexts as discord_contexts
from adapters.discord import platform as discord
from adapters.discord import samples as discord_samples
from adapters.discord.settings import DiscordSettings
from adapters.telegram import contexts as telegram_contexts
from adapters.telegram import platform as telegram
from adapters.telegram import samples as telegram_samples
from adapters.telegram.settings import TelegramSettings
from bot.contexts import registry
from bot.domain.platforms import Platforms
from bot.samples import all_samples
from bot.settings import Settings

SECTIONS = (TelegramSettings, DiscordSettings)
"""Each platform's settings, in the order their problems are listed."""


def every_platform() -> Platforms:
    """The platforms the core is told about at start, whichever of them this process serves:
    a community's rows outlive the token that let it in."""
    return Platforms((console.CAPABILITIES, telegram.CAPABILITIES, discord.CAPABILITIES))


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The process's settings: the core's and every platform's section."""
    return Settings.load(environ, SECTIONS)


def every_sample() -> dict[str, list[dict[str, Any]]]:
    """Sample contexts for every template: the core's, and each adapter's own."""
    return all_samples(telegram_samples.SAMPLES, discord_samples.SAMPLES, console_samples.SAMPLES)


def every_context() -> dict[str, type]:
    """The context type of every typed template: the core's, and each adapter's own."""
    return {
        **registry(),
        **telegram_contexts.CONTEXTS,
        **discord_contexts.CONTEXTS,
        **console_contexts.CONTEXTS,
    }
