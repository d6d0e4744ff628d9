"""Every command the core knows can be reached: in a Telegram menu and as a Discord slash command.

On Telegram any command can be typed, but a member finds only what the menu shows; on Discord
only the slash commands exist at all. Aliases (``bot.domain.commands.ALIASES``) reach the same
flow as the command they stand for, so menus show the command alone.
"""

from __future__ import annotations

from adapters.discord.commands import COMMANDS, definitions, descriptions
from adapters.discord.dialect import DiscordDialect
from adapters.discord.sender import T as DiscordTemplates
from adapters.telegram.dialect import TelegramDialect
from adapters.telegram.menus import menus
from adapters.telegram.sender import T as TelegramTemplates
from bot.domain.commands import ALIASES, PRIVATE_COMMANDS
from bot.flows import all_flows
from bot.render import Renderer

NOT_IN_MENUS = {
    "start": "Telegram's Start button sends it in a private chat; Discord has no such chat",
}
"""Core commands no menu needs to show, and why."""


def core_commands() -> set[str]:
    return set(all_flows().commands)


def telegram_menus() -> dict[str, set[str]]:
    """The commands of each Telegram menu, by scope type, as the adapter sets them."""
    text = Renderer(TelegramDialect()).render(TelegramTemplates.COMMANDS, {})
    return {str(scope.type): {c.command for c in commands} for scope, commands in menus(text)}


def on_telegram() -> set[str]:
    return set().union(*telegram_menus().values())


def on_discord() -> set[str]:
    return {command.name for command in COMMANDS}


def test_no_core_command_is_out_of_reach_on_both_platforms() -> None:
    reachable = on_telegram() | on_discord()
    unreachable = {
        name
        for name in core_commands() - NOT_IN_MENUS.keys()
        if ALIASES.get(name, name) not in reachable
    }
    assert unreachable == set()


def test_every_core_command_is_in_a_telegram_menu() -> None:
    missing = core_commands() - ALIASES.keys() - NOT_IN_MENUS.keys() - on_telegram()
    assert missing == set(), "add them to messages/en/telegram_commands.j2"


def test_every_core_command_is_a_discord_slash_command() -> None:
    missing = core_commands() - ALIASES.keys() - NOT_IN_MENUS.keys() - on_discord()
    assert missing == set(), "add them to COMMANDS in adapters/discord/commands.py"


def test_menus_offer_only_commands_the_core_handles() -> None:
    assert on_telegram() - core_commands() == set()
    assert on_discord() - core_commands() == set()


def test_an_alias_reaches_the_same_flow_as_its_command() -> None:
    commands = all_flows().commands
    for alias, command in ALIASES.items():
        assert commands[alias] is commands[command], alias


def test_private_commands_are_offered_only_in_the_private_chat_on_telegram() -> None:
    shown = telegram_menus()
    assert PRIVATE_COMMANDS - ALIASES.keys() <= shown["all_private_chats"]
    assert not PRIVATE_COMMANDS & shown["all_group_chats"]
    assert not PRIVATE_COMMANDS & shown["all_chat_administrators"]


def test_every_discord_command_and_option_is_described() -> None:
    text = Renderer(DiscordDialect()).render(DiscordTemplates.COMMANDS, {})
    assert [body["name"] for body in definitions(descriptions(text))] == [c.name for c in COMMANDS]
