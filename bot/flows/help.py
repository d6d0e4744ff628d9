"""``/help`` and ``/start``: what Homegroup can do, short."""

from __future__ import annotations

from bot.dispatch import Flows
from bot.domain.replies import Template
from bot.turn import Turn


async def show_help(turn: Turn, args: str) -> None:
    """List the commands."""
    await turn.say(Template.HELP)


async def start(turn: Turn, args: str) -> None:
    """A member opened their private chat with the bot: deliver what waited for that, and say
    what is kept about them and how to see or erase it."""
    if turn.origin is not None and turn.origin.private:
        await turn.tx.outbox.deliver_waiting_now(turn.me.key, turn.now)
        await turn.say(Template.START)
        return
    await turn.say(Template.HELP)


flows = Flows(commands={"help": show_help, "start": start})
