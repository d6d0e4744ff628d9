"""The chat an admin command is about, for every flow with admin commands (``/set``,
``/settings``, ``/link``, ``/unlink``): one check of the platform's own admin facts."""

from __future__ import annotations

from bot.contexts.admin import AdminsOnly
from bot.contexts.core import Command
from bot.domain.model import Community
from bot.domain.replies import Template
from bot.turn import Turn


async def admin_community(turn: Turn, command: str, refusal: str) -> Community | None:
    """The group this admin command is about; None (after saying why, with ``refusal`` to a
    member who is no admin there) when it cannot run."""
    assert turn.origin is not None
    if turn.community is None:
        await turn.say(Template.GROUP_ONLY, Command(command=command))
        return None
    if not turn.origin.is_admin:
        await turn.say(refusal, AdminsOnly(command=command))
        return None
    return turn.community
