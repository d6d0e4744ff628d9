"""Builders of the JSON objects Discord sends, and the rules it applies to what a bot sends.

Every builder returns the object as the API writes it: snowflakes as strings, absent values as
``null``, permissions as a decimal string. The fake serves them; a test may build them too, to
declare guilds, members and channels or to read what the fake answers.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000
"""Milliseconds from the Unix epoch to 2015-01-01, where Discord's snowflakes count from."""

MAX_CONTENT = 2000
"""Discord's limit on a message's content, in characters."""

EPHEMERAL = 1 << 6
LOADING = 1 << 7
"""Message flags: seen only by the invoking user; a deferred response still "thinking"."""

# Permission bits used by the fake and by tests (Discord's "Permissions" table).
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
EVERYONE_DEFAULT = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_APPLICATION_COMMANDS
)
"""What the @everyone role of a new guild may do, as far as the fake cares."""

ALL_PERMISSIONS = (1 << 53) - 1

# Gateway intents the fake looks at.
GUILD_MEMBERS_INTENT = 1 << 1
GUILD_PRESENCES_INTENT = 1 << 8
MESSAGE_CONTENT_INTENT = 1 << 15
PRIVILEGED_INTENTS = GUILD_MEMBERS_INTENT | GUILD_PRESENCES_INTENT | MESSAGE_CONTENT_INTENT

_counter = itertools.count()


def snowflake(at: float | None = None) -> int:
    """A fresh id shaped as Discord makes them, so ``created_at`` reads as now (or ``at``)."""
    millis = int((time.time() if at is None else at) * 1000) - DISCORD_EPOCH_MS
    return (millis << 22) | (next(_counter) & 0x3FFFFF)


def timestamp() -> str:
    """Now, as an ISO 8601 string with a UTC offset, as Discord writes times."""
    return datetime.now(UTC).isoformat()


def user(user_id: int, username: str, global_name: str | None = None) -> dict[str, Any]:
    """A person (not a bot) with Discord's new-style name: discriminator "0"."""
    return {
        "id": str(user_id),
        "username": username,
        "discriminator": "0",
        "global_name": global_name,
        "avatar": None,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
        "primary_guild": None,
    }


def bot_user(user_id: int, username: str = "Homegroup") -> dict[str, Any]:
    """The bot's own user, as ``GET /users/@me`` and READY describe it."""
    return {
        **user(user_id, username),
        "bot": True,
        "verified": True,
        "mfa_enabled": False,
        "locale": "en-US",
        "email": None,
    }


def role(
    role_id: int,
    name: str,
    *,
    permissions: int = 0,
    position: int = 1,
    mentionable: bool = False,
) -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": name,
        "description": None,
        "permissions": str(permissions),
        "position": position,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "managed": False,
        "mentionable": mentionable,
        "icon": None,
        "unicode_emoji": None,
        "flags": 0,
    }


def text_channel(
    channel_id: int, name: str, *, position: int = 0, topic: str | None = None
) -> dict[str, Any]:
    """A guild text channel (type 0), without ``guild_id``, as GUILD_CREATE lists it."""
    return {
        "id": str(channel_id),
        "type": 0,
        "name": name,
        "position": position,
        "parent_id": None,
        "topic": topic,
        "nsfw": False,
        "rate_limit_per_user": 0,
        "last_message_id": None,
        "permission_overwrites": [],
        "flags": 0,
    }


def dm_channel(channel_id: int, recipient: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": str(channel_id),
        "type": 1,
        "last_message_id": None,
        "flags": 0,
        "recipients": [dict(recipient)],
    }


def member(
    person: Mapping[str, Any],
    *,
    roles: Iterable[int] = (),
    nick: str | None = None,
    joined_at: str | None = None,
) -> dict[str, Any]:
    """A guild member wrapping ``person``, as GUILD_CREATE and member routes send it."""
    return {
        "user": dict(person),
        "nick": nick,
        "avatar": None,
        "banner": None,
        "roles": [str(r) for r in roles],
        "joined_at": joined_at or timestamp(),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }


@dataclass
class Guild:
    """A guild the fake knows: what GUILD_CREATE sends for it, and the bot's place in it."""

    id: int
    name: str
    channels: dict[int, dict[str, Any]]
    members: dict[int, dict[str, Any]]
    roles: dict[int, dict[str, Any]]
    owner_id: int
    joined_at: str

    def permissions_of(self, user_id: int, roles: Iterable[int] | None = None) -> int:
        """Guild-wide permissions: @everyone, then each role (the member's unless ``roles``).

        The owner and holders of Administrator have them all. Channel overwrites are not
        modelled: guild channels here have none.
        """
        if roles is None:
            found = self.members.get(user_id)
            roles = [int(r) for r in found["roles"]] if found else []
        value = 0
        for role_id in [self.id, *roles]:
            if role_id in self.roles:
                value |= int(self.roles[role_id]["permissions"])
        if value & ADMINISTRATOR or user_id == self.owner_id:
            return ALL_PERMISSIONS
        return value

    def top_position(self, user_id: int) -> int:
        found = self.members.get(user_id)
        if not found:
            return 0
        return max((self.roles[int(r)]["position"] for r in found["roles"]), default=0)

    def create_payload(self, bot_id: int, *, with_members: bool) -> dict[str, Any]:
        """GUILD_CREATE. Discord lists members other than the bot (``bot_id``) only to a
        session with the presences intent; without it, a bot learns of members from
        interactions, REST, or member chunks (members intent)."""
        shown = [m for m in self.members.values() if with_members or int(m["user"]["id"]) == bot_id]
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "application_id": None,
            "max_members": 500000,
            "features": [],
            "emojis": [],
            "stickers": [],
            "roles": list(self.roles.values()),
            "joined_at": self.joined_at,
            "large": False,
            "unavailable": False,
            "member_count": len(self.members),
            "members": shown,
            "channels": list(self.channels.values()),
            "threads": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }


def message(
    message_id: int,
    channel_id: int,
    author: Mapping[str, Any],
    body: Mapping[str, Any],
    *,
    guild_id: int | None = None,
    message_type: int = 0,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The message Discord answers with after a bot sent ``body`` (a create-message JSON)."""
    made: dict[str, Any] = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "type": message_type,
        "author": dict(author),
        "content": body.get("content") or "",
        "timestamp": timestamp(),
        "edited_timestamp": None,
        "tts": bool(body.get("tts", False)),
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": list(body.get("embeds") or []),
        "components": list(body.get("components") or []),
        "pinned": False,
        "flags": int(body.get("flags") or 0),
    }
    if guild_id is not None:
        made["guild_id"] = str(guild_id)
    made.update(extra or {})
    return made


# -- who a message notifies -----------------------------------------------------------------------

_USER_MENTION = re.compile(r"<@!?([0-9]{1,20})>")
_ROLE_MENTION = re.compile(r"<@&([0-9]{1,20})>")
_EVERYONE = re.compile(r"@(?:everyone|here)")


@dataclass(frozen=True, slots=True)
class Ping:
    """Who one new message notified, after ``allowed_mentions`` filtered its mentions."""

    channel_id: int
    message_id: int
    users: frozenset[int]
    roles: frozenset[int]
    everyone: bool


class ApiError(Exception):
    """An error answer: the HTTP status and the JSON body Discord would send."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"message": message, "code": code}


class InvalidBody(Exception):
    """A JSON body Discord refuses with 400 and error code 50035 (Invalid Form Body)."""

    def __init__(self, field: str, code: str, text: str) -> None:
        super().__init__(f"{field}: {text}")
        self.errors = {field: {"_errors": [{"code": code, "message": text}]}}


def mentioned(content: str) -> tuple[set[int], set[int], bool]:
    """User ids, role ids and whether @everyone/@here appear as Discord parses them."""
    users = {int(m) for m in _USER_MENTION.findall(content)}
    roles = {int(m) for m in _ROLE_MENTION.findall(content)}
    return users, roles, _EVERYONE.search(content) is not None


def notified(content: str, allowed: Mapping[str, Any] | None) -> tuple[set[int], set[int], bool]:
    """Who a new message with ``content`` pings under ``allowed`` (absent: parse everything).

    Discord's rules: ``parse`` lists the kinds parsed from the content; ``users`` and
    ``roles`` whitelist ids, and naming a kind in both ``parse`` and its list is an error.
    (Real Discord also needs a role to be mentionable, and @everyone the permission; the fake
    treats both as granted, so a test sees the widest possible reach.)
    """
    users, roles, everyone = mentioned(content)
    if allowed is None:
        return users, roles, everyone
    parse = list(allowed.get("parse") or [])
    for kind in parse:
        if kind not in ("users", "roles", "everyone"):
            raise InvalidBody("allowed_mentions.parse", "BASE_TYPE_CHOICES", f"bad kind {kind!r}")
    for kind in ("users", "roles"):
        if kind in parse and allowed.get(kind):
            raise InvalidBody(
                "allowed_mentions",
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'Allowed mentions parse "{kind}" is mutually exclusive with the {kind} list.',
            )
    listed_users = {int(u) for u in allowed.get("users") or []}
    listed_roles = {int(r) for r in allowed.get("roles") or []}
    return (
        users if "users" in parse else users & listed_users,
        roles if "roles" in parse else roles & listed_roles,
        everyone and "everyone" in parse,
    )


def check_message_body(body: Mapping[str, Any]) -> None:
    """Refuse what Discord refuses in a create-message body; raise :class:`InvalidBody`."""
    content = body.get("content")
    if content is not None and not isinstance(content, str):
        raise InvalidBody("content", "BASE_TYPE_STRING", "Must be a string.")
    if isinstance(content, str) and len(content) > MAX_CONTENT:
        raise InvalidBody(
            "content", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_CONTENT} or fewer in length."
        )
    allowed = body.get("allowed_mentions")
    if allowed is not None and not isinstance(allowed, Mapping):
        raise InvalidBody("allowed_mentions", "DICT_TYPE_CONVERT", "Only dictionaries allowed.")
    notified(content or "", allowed)


def is_empty(body: Mapping[str, Any], *, files: int = 0) -> bool:
    """A message with nothing to show, which Discord refuses (50006)."""
    has = [body.get("content"), body.get("embeds"), body.get("components"), body.get("poll")]
    return files == 0 and not any(has) and not body.get("sticker_ids")


def option(name: str, value: object, option_type: int | None = None) -> dict[str, Any]:
    """An option of a slash-command interaction; the type is guessed from ``value``."""
    if option_type is None:
        option_type = 5 if isinstance(value, bool) else 4 if isinstance(value, int) else 3
        option_type = 10 if isinstance(value, float) else option_type
    return {"name": name, "type": option_type, "value": value}


def focused(name: str, value: str) -> dict[str, Any]:
    """The option being typed in an autocomplete interaction."""
    return {"name": name, "type": 3, "value": value, "focused": True}
