"""``/help`` and ``/start``: what Homegroup can do, short."""

from __future__ import annotations

from bot.domain.replies import Template
from bot.flows import Flows
from bot.turn import Turn


async def show_help(turn: Turn, args: str) -> None:
    """List the commands."""
    await turn.say(Template.HELP)


flows = Flows(commands={"help": show_help, "start": show_help})
