"""Discord's settings section: the bot token, the API and gateway addresses, where to sync the
slash commands first, whether to ask for the members intent, and which shards this process
holds."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Self

from adapters.discord.platform import PLATFORM
from bot.settings import NO, YES, TokenSection, check_urls, read_token

_SNOWFLAKE = re.compile(r"^[0-9]{15,20}$")
_SHARD_PART = re.compile(r"^([0-9]{1,5})(?:-([0-9]{1,5}))?$")
MOST_SHARDS = 10_000
"""More shards than any bot needs (Discord wants one per 2,500 servers at most)."""


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
        "DISCORD_SHARDS",
        "DISCORD_SHARD_COUNT",
    )

    api_url: str = "https://discord.com/api/v10"
    gateway_url: str = "wss://gateway.discord.gg"
    guild_ids: tuple[int, ...] = ()
    """Servers to sync the slash commands to at once (for trying changes); empty: globally."""
    members_intent: bool = False
    """Ask for the privileged Server Members intent: member leaves and role changes arrive as
    they happen (it must also be switched on in the developer portal)."""
    shard_count: int | None = None
    """How many shards the bot runs with, across every process; None: unsharded."""
    shard_ids: tuple[int, ...] = ()
    """The shards this process holds; empty: all ``shard_count`` of them."""

    @property
    def shards(self) -> tuple[int, ...]:
        """The shards this process holds; unsharded, the one connection counts as shard 0."""
        return self.shard_ids or tuple(range(self.shard_count or 1))

    @property
    def shares_the_bot(self) -> bool:
        """Other processes hold the bot's other shards (and receive their interactions)."""
        return self.shard_count is not None and len(self.shards) < self.shard_count

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
        shard_count, shard_ids = _read_shards(values, problems)
        return cls(
            token=token,
            api_url=values.get("DISCORD_API_URL", defaults.api_url).rstrip("/"),
            gateway_url=values.get("DISCORD_GATEWAY_URL", defaults.gateway_url),
            guild_ids=tuple(dict.fromkeys(guild_ids)),
            members_intent=members_intent in YES,
            shard_count=shard_count,
            shard_ids=shard_ids,
        )


def _read_shards(
    values: Mapping[str, str], problems: list[str]
) -> tuple[int | None, tuple[int, ...]]:
    """``DISCORD_SHARD_COUNT`` and ``DISCORD_SHARDS`` (``0-3``, ``0,2,4``): the shards of
    the bot's count this process holds, so several processes can share one bot."""
    count_text = values.get("DISCORD_SHARD_COUNT", "").strip()
    shards_text = values.get("DISCORD_SHARDS", "").strip()
    count: int | None = None
    if count_text:
        if count_text.isdigit() and 1 <= int(count_text) <= MOST_SHARDS:
            count = int(count_text)
        else:
            problems.append(
                f"DISCORD_SHARD_COUNT: give how many shards the bot runs with,"
                f" a whole number from 1 to {MOST_SHARDS}"
            )
            return None, ()
    if not shards_text:
        return count, ()
    if count is None:
        problems.append(
            "DISCORD_SHARDS: set DISCORD_SHARD_COUNT too (the shards of every process together)"
        )
        return None, ()
    held: list[int] = []
    for part in shards_text.replace(",", " ").split():
        match = _SHARD_PART.match(part)
        first = int(match.group(1)) if match else 0
        last = int(match.group(2) or first) if match else -1
        if match is None or first > last or last >= count:
            problems.append(
                f"DISCORD_SHARDS: give shard ids from 0 to {count - 1} (DISCORD_SHARD_COUNT"
                " less one), as ranges and numbers such as 0-3 or 0,2,4"
            )
            return None, ()
        held.extend(range(first, last + 1))
    return count, tuple(sorted(set(held)))
