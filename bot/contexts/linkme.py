"""Contexts of the ``/linkme`` and ``/unlinkme`` templates (``bot.flows.linkme``)."""

from __future__ import annotations

from typing import TypedDict

from bot.contexts import Empty


class Code(TypedDict):
    code: str
    """The one-time code as people read it, ``XXXX-XXXX``."""
    minutes: int
    """How long it stays good (0: as long as it was, when it was typed where it was given)."""
    here: str
    """The platform it was given on: the member types it on the other one."""


class InTheOpen(TypedDict):
    typed_in_group: str | None
    """What the group keeps of the command: ``removed``, ``visible``, or None."""


class Locked(TypedDict):
    minutes: int


class Linked(TypedDict):
    platforms: list[str]
    """The platforms now linked, the principal's first."""


class Already(TypedDict):
    platforms: list[str]


class Choose(TypedDict):
    counter: str
    """The count's name ("" for the clean date)."""
    first: str
    first_platform: str
    second: str
    second_platform: str


class Chosen(TypedDict):
    counter: str
    since: str


class Unlinked(TypedDict):
    platforms: list[str]


CONTEXTS: dict[str, type] = {
    "linkme_code": Code,
    "linkme_bad_code": Empty,
    "linkme_locked": Locked,
    "linkme_in_the_open": InTheOpen,
    "linkme_own_code": Code,
    "linkme_linked": Linked,
    "linkme_already": Already,
    "linkme_choose": Choose,
    "linkme_chosen": Chosen,
    "unlinkme_done": Unlinked,
    "unlinkme_not_linked": Empty,
    "label_linkme_keep_first": Empty,
    "label_linkme_keep_second": Empty,
}
