"""Buttons that keep working after a restart: one ``DynamicItem`` reads every ``hg|…`` id.

Registered once in ``setup_hook``, it matches a pressed button's ``custom_id`` whatever message
it is on and whenever that message was sent, so no view has to be remembered per message.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Protocol

import discord

from adapters.discord.translate import CUSTOM_ID, custom_id

if TYPE_CHECKING:
    from collections.abc import Sequence


class ButtonHandler(Protocol):
    async def on_button(
        self, interaction: discord.Interaction[Any], action: str, payload: str
    ) -> None: ...


class HasButtonHandler(Protocol):
    button_handler: ButtonHandler


class HomegroupButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=CUSTOM_ID.pattern
):
    """A button of ours: its ``custom_id`` carries the core's action and payload."""

    def __init__(
        self, action: str, payload: str, label: str = "", *, primary: bool = False
    ) -> None:
        style = discord.ButtonStyle.primary if primary else discord.ButtonStyle.secondary
        super().__init__(
            discord.ui.Button(
                label=label or action, custom_id=custom_id(action, payload), style=style
            )
        )
        self.action = action
        self.payload = payload

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> HomegroupButton:
        return cls(match["action"], match["payload"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        client: HasButtonHandler = interaction.client
        await client.button_handler.on_button(interaction, self.action, self.payload)


def view_of(buttons: Sequence[tuple[str, str, str]]) -> discord.ui.View:
    """A view of (action, payload, label) buttons in one row, the first one primary."""
    view = discord.ui.View(timeout=None)
    for number, (action, payload, label) in enumerate(buttons):
        view.add_item(HomegroupButton(action, payload, label, primary=number == 0))
    return view
