"""The command table (``bot.domain.commands``) and everything derived from it agree.

The Telegram menus, the Discord slash commands, ``/help`` and the flows' handlers each name the
commands again; these tests fail as soon as one of them drifts from the table, in every locale
the bundle has.
"""

from __future__ import annotations

import re

import pytest

from adapters.discord.commands import MANAGE_GUILD, OPTION_TYPES, definitions, descriptions
from adapters.discord.dialect import DiscordDialect
from adapters.discord.sender import T as DiscordTemplates
from adapters.telegram.dialect import TelegramDialect
from adapters.telegram.menus import described, menus
from adapters.telegram.sender import T as TelegramTemplates
from bot.dialect import Dialect, PlainDialect
from bot.domain.commands import (
    ALIASES,
    BY_NAME,
    COMMANDS,
    PRIVATE_COMMANDS,
    find_command,
    in_menus,
)
from bot.domain.replies import Template
from bot.flows import all_flows
from bot.language import available_locales
from bot.render import Renderer, bundled_file

LOCALES = available_locales()
"""The bundled languages, as /set language offers them (never a cache folder beside them)."""
DIALECTS: list[Dialect] = [PlainDialect(), TelegramDialect(), DiscordDialect()]
MENU = [command.name for command in in_menus()]


def telegram_menus(locale: str) -> dict[str, list[str]]:
    text = Renderer(TelegramDialect()).render(TelegramTemplates.COMMANDS, {}, locale=locale)
    return {str(scope.type): [c.command for c in commands] for scope, commands in menus(text)}


def discord_commands(locale: str) -> list[dict[str, object]]:
    text = Renderer(DiscordDialect()).render(DiscordTemplates.COMMANDS, {}, locale=locale)
    return definitions(descriptions(text))


def test_names_are_unique_across_commands_and_aliases() -> None:
    names = [name for command in COMMANDS for name in (command.name, *command.aliases)]
    assert len(names) == len(set(names))
    assert all(name == name.lower() and name.isalnum() for name in names)


@pytest.mark.parametrize("locale", LOCALES)
def test_the_telegram_menus_are_the_table_by_scope(locale: str) -> None:
    shown = telegram_menus(locale)
    assert shown["all_private_chats"] == [c.name for c in in_menus() if not c.group_only]
    assert shown["all_group_chats"] == [c.name for c in in_menus() if not (c.private or c.admin)]
    assert shown["all_chat_administrators"] == [c.name for c in in_menus() if not c.private]


@pytest.mark.parametrize("locale", LOCALES)
def test_the_telegram_template_describes_exactly_the_menu_commands(locale: str) -> None:
    text = Renderer(TelegramDialect()).render(TelegramTemplates.COMMANDS, {}, locale=locale)
    assert list(described(text)) == [command.description_key for command in in_menus()]


@pytest.mark.parametrize("locale", LOCALES)
def test_the_discord_slash_commands_are_the_table(locale: str) -> None:
    bodies = discord_commands(locale)
    assert [body["name"] for body in bodies] == MENU
    for command, body in zip(in_menus(), bodies, strict=True):
        assert (body["contexts"] == [0]) is command.group_only, command.name
        admin_only = body.get("default_member_permissions") == str(MANAGE_GUILD)
        assert admin_only is command.admin, command.name
        options = body["options"]
        assert isinstance(options, list)
        assert [(o["name"], o["type"], o["required"]) for o in options] == [
            (o.name, OPTION_TYPES[o.kind], o.required) for o in command.options
        ], command.name


@pytest.mark.parametrize("locale", LOCALES)
def test_the_discord_template_describes_exactly_the_commands_and_options(locale: str) -> None:
    text = Renderer(DiscordDialect()).render(DiscordTemplates.COMMANDS, {}, locale=locale)
    keys = [
        key
        for command in in_menus()
        for key in (command.description_key, *map(command.option_key, command.options))
    ]
    assert list(descriptions(text)) == keys


def test_a_command_is_found_by_its_name_and_by_each_alias() -> None:
    for command in COMMANDS:
        for name in (command.name, *command.aliases):
            assert find_command(name) is command, name
    assert find_command("frobnicate") is None


def test_only_private_commands_carry_words_never_kept() -> None:
    """A group reads what the unkept words' command is typed with, so the command must be one
    that is taken off the group and answered privately."""
    carrying = {c.name for c in COMMANDS if any(o.unkept for o in c.options)}
    assert carrying
    assert carrying <= {c.name for c in COMMANDS if c.private}


def test_private_commands_are_the_table_s_by_every_name() -> None:
    private = {c.name for c in COMMANDS if c.private}
    assert private <= PRIVATE_COMMANDS
    assert PRIVATE_COMMANDS - private == {a for a in ALIASES if ALIASES[a] in private}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda dialect: dialect.name)
def test_help_names_each_menu_command_and_no_other(locale: str, dialect: Dialect) -> None:
    text = Renderer(dialect).render(Template.HELP, {}, locale=locale)
    named = set(re.findall(r"(?<![\w/])/([a-z]+)\b", text))
    assert named == set(MENU) - {"help"}, "it need not name itself"


def test_help_lists_the_private_and_admin_commands_from_the_table() -> None:
    """Given to every template, so a help row stored before a command was added renders."""
    text = Renderer(TelegramDialect()).render(Template.HELP, {})
    private = ", ".join(f"/{c.name}" for c in in_menus() if c.private)
    *first, last = [f"/{c.name}" for c in in_menus() if c.admin]
    admins = f"{', '.join(first)} and {last}"
    assert f"({private})" in text
    assert f"Admins: {admins}" in text


def test_every_command_has_a_handler_and_every_handler_a_command() -> None:
    handled = set(all_flows().commands)
    assert handled == set(BY_NAME)


def test_an_alias_is_handled_by_its_command_s_flow() -> None:
    handlers = all_flows().commands
    for command in COMMANDS:
        for alias in command.aliases:
            assert handlers[alias] is handlers[command.name], alias


@pytest.mark.parametrize("locale", LOCALES)
def test_every_description_and_help_template_exists_in_every_locale(locale: str) -> None:
    for key in (TelegramTemplates.COMMANDS, DiscordTemplates.COMMANDS, Template.HELP):
        assert bundled_file(locale, f"{key}.j2") is not None, (locale, key)
