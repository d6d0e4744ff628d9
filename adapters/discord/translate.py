"""Translate Discord interactions and gateway events into the core's inbounds; decide nothing.

Every interaction carries who used it, where, the member's permissions in that channel and the
roles they hold, so nothing here asks Discord anything. An interaction kept in the inbox before
it is acknowledged is kept as its inbound (``stored``, read back by ``restored``): Discord will
not send it again, and the inbound is all the core needs.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import datetime
from typing import Any

import discord

from adapters.discord.commands import words
from adapters.discord.platform import PLATFORM as PLATFORM
from adapters.inbox import Author
from adapters.legible import legible
from bot.domain.commands import words_to_store
from bot.domain.inbound import (
    ButtonPressed,
    CommandIssued,
    MembershipChanged,
    Origin,
    RolesChanged,
)
from bot.domain.replies import Target

BUTTON_PREFIX = "hg"
SEPARATOR = "|"
CUSTOM_ID = re.compile(
    rf"{BUTTON_PREFIX}\{SEPARATOR}(?P<action>[A-Za-z0-9_.]{{1,40}})\{SEPARATOR}(?P<payload>[^|]{{0,50}})"
)
"""A button's ``custom_id``: ``hg|action|payload`` (Discord allows 100 characters)."""
MAX_CUSTOM_ID = 100
MAX_NAME = 64
"""Characters of a name a line to its member may print (the core keeps as many)."""


def dedupe_key(interaction_id: int) -> str:
    return f"{PLATFORM}:interaction:{interaction_id}"


def created_at(key: str) -> datetime | None:
    """When Discord created the interaction ``dedupe_key`` named (an id is a snowflake, which
    carries its moment); None for a key that names no interaction."""
    prefix = dedupe_key(0).removesuffix("0")
    number = key.removeprefix(prefix)
    if number == key or not number.isdigit():
        return None
    return discord.utils.snowflake_time(int(number))


def custom_id(action: str, payload: str) -> str:
    """Encode a button; a payload the pattern would not read back is a bug in the core."""
    made = f"{BUTTON_PREFIX}{SEPARATOR}{action}{SEPARATOR}{payload}"
    if CUSTOM_ID.fullmatch(made) is None or len(made) > MAX_CUSTOM_ID:
        raise ValueError(f"button {action!r} cannot be encoded as a custom_id")
    return made


def display_name(user: discord.abc.User) -> str:
    """The name the member shows in the server (nickname, else display name)."""
    return legible(user.display_name or user.name)


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
        language=interaction.locale.value,
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
        legible(name),
        legible(words(name, options if isinstance(options, list) else [])),
    )


def button_inbound(
    interaction: discord.Interaction[Any], action: str, payload: str, *, message_id: int | None
) -> ButtonPressed:
    return ButtonPressed(
        dedupe_key(interaction.id),
        origin_of(interaction),
        legible(action),
        legible(payload),
        message_id,
    )


def stored(inbound: CommandIssued | ButtonPressed) -> str:
    """The interaction as the inbox keeps it: a command used in a server keeps only the words
    the core allows (``words_to_store``: never a contact, never a private note). The member
    appears as ``user.id``, where an erasure looks for them in a stored update."""
    origin = asdict(inbound.origin)
    person = origin.pop("person")
    data: dict[str, Any] = {"user": {"id": person}, "origin": origin}
    if isinstance(inbound, CommandIssued):
        args = inbound.args
        if inbound.origin.community is not None:
            args = words_to_store(inbound.name, args)
        data["command"] = {"name": inbound.name, "args": args}
    else:
        data["button"] = {
            "action": inbound.action,
            "payload": inbound.payload,
            "message": inbound.message,
        }
    return json.dumps({"key": inbound.dedupe_key, **data})


def restored(payload: str) -> CommandIssued | ButtonPressed:
    """An interaction read back from the inbox; raises ValueError (or a KeyError or
    TypeError) when the row is not one ``stored`` wrote."""
    data = json.loads(payload)
    fields = dict(data["origin"])
    if fields.get("roles") is not None:
        fields["roles"] = tuple(fields["roles"])
    origin = Origin(person=str(data["user"]["id"]), **fields)
    key = str(data["key"])
    if "command" in data:
        command = data["command"]
        return CommandIssued(key, origin, str(command["name"]), str(command["args"]))
    button = data["button"]
    message = button["message"]
    return ButtonPressed(
        key,
        origin,
        str(button["action"]),
        str(button["payload"]),
        None if message is None else int(message),
    )


def author_of(payload: str) -> Author:
    """Who used a kept interaction, and where they are told (privately, on the interaction
    while its token lasts, else by DM); read from the JSON alone, as it may not restore."""
    data = json.loads(payload)
    origin = data["origin"]
    person = str(data["user"]["id"])
    chat, interaction, community = (origin.get(k) for k in ("chat", "interaction", "community"))
    target = Target(
        PLATFORM,
        chat=None if chat is None else str(chat),
        person=person,
        interaction=None if interaction is None else str(interaction),
    )
    name = legible(str(origin.get("person_name") or ""))[:MAX_NAME]
    return Author(target, person, name, None if community is None else str(community))


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
