"""Contexts of the console's own lines (``messages/<locale>/console/``): not bot messages, the
frame around them."""

from __future__ import annotations

from typing import TypedDict

from bot.contexts import Empty


class Member(TypedDict):
    name: str
    """The member now typing."""


class Header(TypedDict):
    """The line above each bot message: where it went."""

    private: bool
    name: str
    """Who a private message went to; empty for the group."""
    edited: bool


class Buttons(TypedDict):
    count: int
    """How many buttons the last message has; 0 when none is shown."""


class Waited(TypedDict):
    delta: str
    """The time moved forward, as typed (``2h``)."""


CONTEXTS: dict[str, type] = {
    "console/banner": Member,
    "console/now_typing": Member,
    "console/header": Header,
    "console/tap_usage": Buttons,
    "console/waited": Waited,
    "console/as_usage": Empty,
    "console/wait_usage": Empty,
}
