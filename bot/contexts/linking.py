"""Contexts of the ``/link`` and ``/unlink`` templates (``bot.flows.linking``)."""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from bot.contexts import Empty


class Code(TypedDict):
    code: str
    """The one-time code as people read it, ``XXXX-XXXX``."""
    minutes: int
    """How long it works."""
    here: str
    """The platform of the chat it links from: it is typed on the other one."""


class AdminsOnly(TypedDict):
    command: str


class Refused(TypedDict):
    minutes: int
    """How long a code works, for the answer to say why one may not."""


class Locked(TypedDict):
    minutes: int
    """How long linking stays locked after too many wrong codes."""


class Already(TypedDict):
    where: Literal["here", "there"]
    """Which chat is linked already: this one, or the one that issued the code."""


class Linked(TypedDict):
    other: str
    """The platform of the chat this one is now linked with."""
    copied: bool
    """This chat took the other's shared settings (it entered the code)."""


class Parted(TypedDict):
    other: str
    """The platform of the chat this one is no longer linked with."""


class Mirrored(TypedDict):
    side: str
    """The platform of the chat where the setting was changed."""
    key: str
    change: dict[str, Any]
    """As ``set_done`` gets it."""


CONTEXTS: dict[str, type] = {
    "link_code": Code,
    "link_admins_only": AdminsOnly,
    "link_refused": Refused,
    "link_locked": Locked,
    "link_same_platform": Empty,
    "link_already": Already,
    "link_done": Linked,
    "unlink_done": Parted,
    "unlink_not_linked": Empty,
    "link_settings_mirrored": Mirrored,
    "link_anonymous": Empty,
    "link_code_spent": Empty,
}
