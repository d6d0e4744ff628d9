"""Homegroup's slash commands as data: what Discord shows in its command menu, and how a used
command's options become the words the core reads after the command's name.

The commands and their options come from the core's command table (``bot.domain.commands``),
sent as plain JSON with one bulk request rather than one decorated function per command in a
``CommandTree``: every command does the same thing (hand its words to the core), and as data
the set can be hashed, so start-up syncs only when it changed. Descriptions come from
``messages/<locale>/discord_commands.j2`` like every other sentence: the English ones are the
default, and each other language's go in ``description_localizations`` under every Discord
locale of that language (Spanish: ``es-ES`` and ``es-419``). Names stay English, so a command
is typed the same in every group.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import discord

from bot.domain.commands import Command, Option, OptionKind, in_menus

OPTION_TYPES: Final = {OptionKind.TEXT: 3, OptionKind.ROLE: 8}
"""Discord's application command option types (string, role) for the table's kinds."""
MANAGE_GUILD: Final = 1 << 5
"""The Manage Server permission: who may use the admin commands."""
GUILD, BOT_DM = 0, 1
"""Interaction contexts: in a server, in a DM with the bot."""
MAX_DESCRIPTION = 100
MAX_CHOICES = 25

COMMANDS: Final = in_menus()
"""The slash commands: every command of the table a menu offers, in its order."""
BY_NAME: Final = {command.name: command for command in COMMANDS}


def descriptions(text: str) -> dict[str, str]:
    """Read the descriptions template: ``name - text`` and ``name option - text`` lines."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        key, _, description = line.partition(" - ")
        if key.strip() and description.strip():
            found[" ".join(key.split())] = description.strip()[:MAX_DESCRIPTION]
    return found


Localized = Mapping[str, Mapping[str, str]]
"""Descriptions by Discord locale (``es-ES``), each read from its language's template."""


def discord_locales(locale: str) -> list[str]:
    """The Discord locales a bot locale is shown in: ``es`` is ``es-419`` and ``es-ES``."""
    return sorted(d.value for d in discord.Locale if d.value.split("-")[0] == locale)


def definitions(
    described: Mapping[str, str], localized: Localized | None = None
) -> list[dict[str, Any]]:
    """The JSON Discord takes for the whole set; a missing description is an error here, in
    English or in any language given."""
    return [_command(command, described, localized or {}) for command in COMMANDS]


def _command(
    command: Command, described: Mapping[str, str], localized: Localized
) -> dict[str, Any]:
    key = command.description_key
    body: dict[str, Any] = {
        "type": 1,
        "name": command.name,
        "description": _description(described, key),
        "description_localizations": _localizations(localized, key),
        "options": [_option(command, option, described, localized) for option in command.options],
        "contexts": [GUILD] if command.group_only else [GUILD, BOT_DM],
        "integration_types": [0],
        "nsfw": False,
    }
    if command.admin:
        # A hint for the menu; the core checks Manage Server again whenever one runs.
        body["default_member_permissions"] = str(MANAGE_GUILD)
    return body


def _option(
    command: Command, option: Option, described: Mapping[str, str], localized: Localized
) -> dict[str, Any]:
    key = command.option_key(option)
    body: dict[str, Any] = {
        "type": OPTION_TYPES[option.kind],
        "name": option.name,
        "description": _description(described, key),
        "description_localizations": _localizations(localized, key),
        "required": option.required,
    }
    if option.choices:
        body["choices"] = [{"name": c, "value": c} for c in option.choices[:MAX_CHOICES]]
    if option.suggested:
        body["autocomplete"] = True
    if option.max_length is not None:
        body["max_length"] = option.max_length
    return body


def _description(described: Mapping[str, str], key: str) -> str:
    try:
        return described[key]
    except KeyError:
        raise KeyError(f"discord_commands.j2 has no description for {key!r}") from None


def _localizations(localized: Localized, key: str) -> dict[str, str]:
    return {where: _description(described, key) for where, described in sorted(localized.items())}


def fingerprint(
    payload: Sequence[Mapping[str, Any]], application_id: int, places: Iterable[int | None]
) -> str:
    """A hash of what a sync would send, for which bot and where: start-up syncs only when it
    changes (a new bot on the same database syncs too)."""
    where = sorted(-1 if place is None else place for place in places)
    text = json.dumps(
        {"commands": payload, "application": application_id, "places": where}, sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()


def words(name: str, options: Iterable[Mapping[str, Any]]) -> str:
    """The core's words for a used command: its options' values in their declared order.

    Options Discord did not send (or that the menu does not declare) are left out, so a
    crafted request cannot smuggle words past the command's own shape.
    """
    command = BY_NAME.get(name)
    if command is None:
        return ""
    given = {str(o.get("name")): o.get("value") for o in options if isinstance(o, Mapping)}
    parts: list[str] = []
    for option in command.options:
        value = given.get(option.name)
        if value is None or isinstance(value, bool | dict | list):
            continue
        text = " ".join(str(value).split())
        if text:
            parts.append(f"{option.prefix} {text}" if option.prefix else text)
            if command.one_of:
                break
    return " ".join(parts)
