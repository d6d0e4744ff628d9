"""The command menus Telegram shows: one in private chats, one in groups, one for group admins.

The commands, their order and where each is offered come from the core's command table
(``bot.domain.commands``); only their descriptions come from
``messages/<locale>/telegram_commands.j2``, one ``name - text`` line a command.

Telegram shows the most specific list that applies, not a merge of them: an admin in a group
sees the admins' list alone, so it repeats the group's. Private commands are offered only in the
private chat, so that the group menu never invites a member to restart their count where
everyone reads it.
"""

from __future__ import annotations

from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
)

from bot.domain.commands import Command, in_menus


def described(text: str) -> dict[str, str]:
    """Read the descriptions template: ``name - text`` lines."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        name, _, description = line.partition(" - ")
        if name.strip() and description.strip():
            found[name.strip()] = description.strip()
    return found


def menus(text: str) -> list[tuple[BotCommandScope, list[BotCommand]]]:
    """Each scope with its commands, from the rendered descriptions template.

    A command the template does not describe is left out of the menus (Telegram refuses a
    command without a description); a test checks the bundled template describes them all.
    """
    descriptions = described(text)
    offered = [command for command in in_menus() if command.description_key in descriptions]

    def menu(commands: list[Command]) -> list[BotCommand]:
        return [BotCommand(c.name, descriptions[c.description_key]) for c in commands]

    return [
        (BotCommandScopeAllPrivateChats(), menu([c for c in offered if not c.group_only])),
        (BotCommandScopeAllGroupChats(), menu([c for c in offered if not (c.private or c.admin)])),
        (BotCommandScopeAllChatAdministrators(), menu([c for c in offered if not c.private])),
    ]
