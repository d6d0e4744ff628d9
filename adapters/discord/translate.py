"""Translate Discord interactions and gateway events into the core's inbounds; decide nothing.

Every interaction carries who used it, where, the member's permissions in that channel and the
roles they hold, so nothing here asks Discord anything.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from adapters.discord.commands import words
from bot.domain.inbound import (
    ButtonPressed,
    CommandIssued,
    MembershipChanged,
    Origin,
    RolesChanged,
)

PLATFORM = "discord"
BUTTON_PREFIX = "hg"
SEPARATOR = "|"
CUSTOM_ID = re.compile(
    rf"{BUTTON_PREFIX}\{SEPARATOR}(?P<action>[A-Za-z0-9_.]{{1,40}})\{SEPARATOR}(?P<payload>[^|]{{0,50}})"
)
"""A button's ``custom_id``: ``hg|action|payload`` (Discord allows 100 characters)."""
MAX_CUSTOM_ID = 100


def dedupe_key(interaction_id: int) -> str:
    return f"{PLATFORM}:interaction:{interaction_id}"


def custom_id(action: str, payload: str) -> str:
    """Encode a button; a payload the pattern would not read back is a bug in the core."""
    made = f"{BUTTON_PREFIX}{SEPARATOR}{action}{SEPARATOR}{payload}"
    if CUSTOM_ID.fullmatch(made) is None or len(made) > MAX_CUSTOM_ID:
        raise ValueError(f"button {action!r} cannot be encoded as a custom_id")
    return made


def display_name(user: discord.abc.User) -> str:
    """The name the member shows in the server (nickname, else display name)."""
    return user.display_name or user.name


def origin_of(interaction: discord.Interaction[Any]) -> Origin:
    """Who used the interaction, where; admins are those with Manage Server there."""
    user = interaction.user
    in_guild = interaction.guild_id is not None
    channel = interaction.channel_id or 0
    permissions = interaction.permissions
    return Origin(
        platform=PLATFORM,
        chat=str(channel),
        person=str(user.id),
        person_name=display_name(user),
        community=str(interaction.guild_id) if in_guild else None,
        private=not in_guild,
        is_admin=in_guild and (permissions.manage_guild or permissions.administrator),
        interaction=interaction.token,
        roles=roles_of(user) if in_guild else None,
        # Discord lets the bot write to a member of a shared server; a member who closed their
        # DMs is asked in the channel to open them, and the message waits (see sender.py).
        private_chat_open=True,
    )


def roles_of(user: discord.abc.User) -> tuple[str, ...] | None:
    """The roles a server member holds (not @everyone); None when Discord did not say."""
    if not isinstance(user, discord.Member):
        return None
    return tuple(str(role.id) for role in user.roles if not role.is_default())


def roles_changed(member: discord.Member) -> RolesChanged:
    """A member's roles now, from a member update (the Server Members intent)."""
    return RolesChanged(
        f"{PLATFORM}:roles:{member.guild.id}:{member.id}:{_now_id()}",
        PLATFORM,
        str(member.guild.id),
        str(member.id),
        roles_of(member) or (),
    )


def _now_id() -> int:
    """Gateway events have no id of their own; these inbounds are idempotent anyway."""
    return discord.utils.time_snowflake(discord.utils.utcnow())


def command_inbound(interaction: discord.Interaction[Any]) -> CommandIssued | None:
    """A slash command; None for anything else (autocomplete is answered by the adapter)."""
    data: dict[str, Any] = dict(interaction.data or {})
    name = str(data.get("name") or "")
    if interaction.type is not discord.InteractionType.application_command or not name:
        return None
    options = data.get("options") or []
    return CommandIssued(
        dedupe_key(interaction.id),
        origin_of(interaction),
        name,
        words(name, options if isinstance(options, list) else []),
    )


def button_inbound(
    interaction: discord.Interaction[Any], action: str, payload: str, *, message_id: int | None
) -> ButtonPressed:
    return ButtonPressed(
        dedupe_key(interaction.id), origin_of(interaction), action, payload, message_id
    )


def message_ref(channel_id: int, message_id: int) -> str:
    """How a sent message is known in the outbox, for edits and for finding pressed buttons."""
    return f"{channel_id}:{message_id}"


def bot_left(guild_id: int) -> MembershipChanged:
    """The bot was removed from a server (or the server went away)."""
    return MembershipChanged(
        f"{PLATFORM}:left:{guild_id}:{_now_id()}",
        PLATFORM,
        str(guild_id),
        None,
        present=False,
    )


def bot_joined(guild_id: int, channel_id: int | None) -> MembershipChanged:
    """The bot was added to a server; ``channel_id`` is where it may greet (the system channel)."""
    return MembershipChanged(
        f"{PLATFORM}:joined:{guild_id}:{_now_id()}",
        PLATFORM,
        str(guild_id),
        None,
        present=True,
        chat=None if channel_id is None else str(channel_id),
    )


def member_left(guild_id: int, user_id: int) -> MembershipChanged:
    return MembershipChanged(
        f"{PLATFORM}:left:{guild_id}:{user_id}:{_now_id()}",
        PLATFORM,
        str(guild_id),
        str(user_id),
        present=False,
    )
