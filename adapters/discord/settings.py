"""Discord's settings section: the bot token, the API and gateway addresses, where to sync the
slash commands first, and whether to ask for the members intent."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Self

from adapters.discord.platform import PLATFORM
from bot.settings import NO, YES, TokenSection, check_urls, read_token

_SNOWFLAKE = re.compile(r"^[0-9]{15,20}$")


@dataclass(frozen=True, slots=True)
class DiscordSettings(TokenSection):
    """How this deployment reaches Discord; served only when a token is set."""

    platform: ClassVar[str] = PLATFORM
    keys: ClassVar[tuple[str, ...]] = (
        "DISCORD_TOKEN",
        "DISCORD_TOKEN_FILE",
        "DISCORD_API_URL",
        "DISCORD_GATEWAY_URL",
        "DISCORD_GUILD_IDS",
        "DISCORD_MEMBERS_INTENT",
    )

    api_url: str = "https://discord.com/api/v10"
    gateway_url: str = "wss://gateway.discord.gg"
    guild_ids: tuple[int, ...] = ()
    """Servers to sync the slash commands to at once (for trying changes); empty: globally."""
    members_intent: bool = False
    """Ask for the privileged Server Members intent: member leaves and role changes arrive as
    they happen (it must also be switched on in the developer portal)."""

    @classmethod
    def read(cls, values: Mapping[str, str], problems: list[str]) -> Self:
        """Read Discord's variables; a bad one adds a line to ``problems`` naming it."""
        defaults = cls()
        token = read_token(values, "DISCORD_TOKEN", problems)
        if token and (len(token) < 50 or any(c.isspace() for c in token)):
            problems.append(
                "DISCORD_TOKEN: this does not look like a bot token from the Discord"
                " developer portal"
            )
        urls = {"DISCORD_API_URL": ("http", "https"), "DISCORD_GATEWAY_URL": ("ws", "wss")}
        check_urls(values, urls, problems)
        guild_ids: list[int] = []
        for part in values.get("DISCORD_GUILD_IDS", "").replace(",", " ").split():
            if _SNOWFLAKE.match(part):
                guild_ids.append(int(part))
            else:
                problems.append(
                    "DISCORD_GUILD_IDS: give server ids (15-20 digits), separated by commas"
                )
                break
        members_intent = values.get("DISCORD_MEMBERS_INTENT", "false").strip().lower()
        if members_intent not in (*YES, *NO):
            problems.append("DISCORD_MEMBERS_INTENT: use true or false")
        return cls(
            token=token,
            api_url=values.get("DISCORD_API_URL", defaults.api_url).rstrip("/"),
            gateway_url=values.get("DISCORD_GATEWAY_URL", defaults.gateway_url),
            guild_ids=tuple(dict.fromkeys(guild_ids)),
            members_intent=members_intent in YES,
        )
