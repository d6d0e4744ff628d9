"""The command menus Telegram shows: one in private chats, one in groups, one for group admins.

Telegram shows the most specific list that applies, not a merge of them: an admin in a group
sees the admins' list alone, so it repeats the group's. Private commands (the core's
``PRIVATE_COMMANDS``) are offered only in the private chat, so that the group menu never invites
a member to restart their count where everyone reads it. Descriptions, in menu order, come from
``messages/<locale>/telegram_commands.j2``: one ``name - text`` line a command.
"""

from __future__ import annotations

from typing import Final

from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
)

from bot.domain.inbound import PRIVATE_COMMANDS

GROUP_ONLY: Final = frozenset({"together", "share"})
"""Commands that work only in a group (in a private chat they say so)."""
ADMIN_ONLY: Final = frozenset({"settings", "set"})
"""Commands for a group's admins."""


def described(text: str) -> dict[str, str]:
    """Read the descriptions template, in its order: ``name - text`` lines."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        name, _, description = line.partition(" - ")
        if name.strip() and description.strip():
            found[name.strip()] = description.strip()
    return found


def menus(text: str) -> list[tuple[BotCommandScope, list[BotCommand]]]:
    """Each scope with its commands, from the rendered descriptions template."""
    commands = [BotCommand(name, description) for name, description in described(text).items()]
    private = [c for c in commands if c.command not in GROUP_ONLY | ADMIN_ONLY]
    group = [c for c in commands if c.command not in PRIVATE_COMMANDS | ADMIN_ONLY]
    admins = [c for c in commands if c.command not in PRIVATE_COMMANDS]
    return [
        (BotCommandScopeAllPrivateChats(), private),
        (BotCommandScopeAllGroupChats(), group),
        (BotCommandScopeAllChatAdministrators(), admins),
    ]
