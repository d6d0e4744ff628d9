"""Every command Homegroup knows, declared once: what each platform's menu, ``/help`` and the
flows are derived from, and what a test checks them against.

A command's words (its descriptions, its help) stay in ``messages/``; the table holds only what
code needs: names, options and who may use a command where. Each platform's descriptions
template has one ``KEY - text`` line a description key (``Command.description_key``,
``Option.description_key``), so a deployment's override of it keeps working as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Final

from bot.domain.settings_keys import KEYS, ROLE_KEYS


class OptionKind(Enum):
    """What an option's value is, for platforms that type their command options."""

    TEXT = "text"
    ROLE = "role"


@dataclass(frozen=True, slots=True)
class Option:
    """One named, typed option of a command, for platforms that ask for them one by one.

    The core reads a command's words, not options: ``prefix`` is the word written before the
    value in them (``/supporter hours 09:00-22:00``), empty when the value stands alone.
    """

    name: str
    kind: OptionKind = OptionKind.TEXT
    required: bool = False
    choices: tuple[str, ...] = ()
    suggested: bool = False
    """Values are suggested while the member types (time zones)."""
    prefix: str = ""
    max_length: int | None = None
    unkept: bool = False
    """Never kept when typed where a group reads it, even for a moment (a contact, a private
    note): ``words_to_store`` keeps its ``prefix`` alone."""


@dataclass(frozen=True, slots=True)
class Command:
    """One command: its name, the other names members may type, and who may use it where."""

    name: str
    options: tuple[Option, ...] = ()
    aliases: tuple[str, ...] = ()
    """Other names that reach the same flow; menus show only ``name``."""
    private: bool = False
    """About a member's own recovery or data: always answered privately, and, typed in a
    group, taken off it where the platform lets the bot (``Origin.message``,
    ``Turn.withdraw_command``); never offered in a group's menu."""
    group_only: bool = False
    """Works only in a group (in a private chat it says so); not offered in a private menu."""
    admin: bool = False
    """For a group's admins; the flow checks again whenever one runs."""
    one_of: bool = False
    """The options are alternatives: only the first one given counts."""
    in_menus: bool = True
    """Offered in the platforms' menus and named in ``/help``."""

    @property
    def description_key(self) -> str:
        """The line that describes it in each platform's descriptions template."""
        return self.name

    def option_key(self, option: Option) -> str:
        """The line that describes one of its options."""
        return f"{self.name} {option.name}"


_ON_OFF: Final = ("on", "off")
_NOTE: Final = Option("note", max_length=500)

COMMANDS: Final = (
    Command("craving", (_NOTE,)),
    Command("cravings"),
    Command("call", (_NOTE,)),
    Command("practice", (_NOTE,)),
    Command("calls"),
    Command("days", (Option("counter", max_length=40),), aliases=("cleantime",)),
    Command("cleandate", (Option("date", required=True, max_length=80),)),
    Command("milestones"),
    Command("together", group_only=True),
    Command("timezone", (Option("zone", suggested=True, max_length=64),)),
    Command("language", (Option("language", max_length=20),)),
    Command("share", (Option("sharing", required=True, choices=_ON_OFF),), group_only=True),
    Command(
        "relapse",
        (
            Option("date", max_length=80),
            Option("note", prefix="note", max_length=500, unkept=True),
        ),
        aliases=("restart", "reset"),
        private=True,
        one_of=True,
    ),
    Command("history"),
    Command("resources"),
    Command("meetings", (Option("reminders", choices=_ON_OFF, prefix="remind"),)),
    Command(
        "supporter",
        (
            Option("hours", prefix="hours", max_length=40),
            Option("pings", choices=_ON_OFF),
            Option("urgent", choices=_ON_OFF, prefix="urgent"),
            Option("linked", choices=_ON_OFF, prefix="linked"),
        ),
        one_of=True,
    ),
    Command("phonelist", (Option("list", choices=("on", "off", "practice on", "practice off")),)),
    Command("contact", (Option("details", max_length=200, unkept=True),), private=True),
    Command("consent", (Option("setting", choices=_ON_OFF),)),
    Command("linkme", (Option("code", max_length=20, unkept=True),), private=True),
    Command("unlinkme", private=True),
    Command("mydata"),
    Command("forgetme", private=True),
    Command("help"),
    Command("settings", admin=True, group_only=True),
    Command(
        "set",
        (
            Option("key", required=True, choices=(*KEYS, *ROLE_KEYS)),
            Option("value", max_length=1000),
            Option("role", kind=OptionKind.ROLE),
        ),
        admin=True,
        group_only=True,
    ),
    Command("link", (Option("code", max_length=40),), admin=True, group_only=True),
    Command("unlink", admin=True, group_only=True),
    Command("start", in_menus=False),
)
"""In menu order. ``start`` is sent by a platform's own Start button, so no menu needs it."""

BY_NAME: Final[Mapping[str, Command]] = {
    name: command for command in COMMANDS for name in (command.name, *command.aliases)
}
"""Each command by its name and by each of its aliases."""

ALIASES: Final[Mapping[str, str]] = {
    alias: command.name for command in COMMANDS for alias in command.aliases
}
"""Other names members may type for a command, and the command each stands for."""

PRIVATE_COMMANDS: Final = frozenset(name for name, command in BY_NAME.items() if command.private)
"""The private commands by every name a member may type them."""


def find_command(name: str) -> Command | None:
    """The command a member typed, by its name or an alias; None when there is none."""
    return BY_NAME.get(name)


def words_to_store(name: str, args: str) -> str:
    """What of a command typed in a group may be kept, even for a moment: none of an unkept
    option's value (the rest, such as a restart's date, the command needs)."""
    command = find_command(name)
    for option in command.options if command is not None else ():
        if option.unkept and not option.prefix:
            return ""
        if option.unkept and args.lower().startswith(option.prefix):
            return option.prefix
    return args


def in_menus() -> tuple[Command, ...]:
    """The commands menus offer and ``/help`` names, in menu order."""
    return tuple(command for command in COMMANDS if command.in_menus)


def command_lists() -> dict[str, list[str]]:
    """The commands a template lists by what they are, given to every template rather than to
    one reply's context: a reply stored by an earlier version renders with them too."""
    return {
        "private_commands": [command.name for command in in_menus() if command.private],
        "admin_commands": [command.name for command in in_menus() if command.admin],
    }
