"""Contexts of the ``/linkme`` and ``/unlinkme`` templates (``bot.flows.linkme``).

The templates name the platforms from the one they are rendered for (``platform``): the
member reads each message on one side, and the other side is the other platform.
"""

from __future__ import annotations

from typing import TypedDict

from bot.contexts import Empty


class Code(TypedDict):
    code: str
    """The one-time code as people read it, ``XXXX-XXXX``."""
    minutes: int
    """How long it stays good."""


class OwnCode(TypedDict):
    code: str


class InTheOpen(TypedDict):
    typed_in_group: str | None
    """What the group keeps of the command: ``removed``, ``visible``, or None."""


class Locked(TypedDict):
    minutes: int


class Linked(TypedDict):
    contact_kept: str | None
    """The contact kept where both identities had saved a different one (the principal's);
    None when there was nothing to choose between."""
    kept_here: bool
    """The kept contact was given on the side the member reads this on."""


class Choose(TypedDict):
    counter: str
    """The count's name ("" for the clean date)."""
    first: str
    second: str
    first_here: bool
    """The first date is the one kept on the side the member reads this on (else the second)."""


class Chosen(TypedDict):
    counter: str
    since: str


CONTEXTS: dict[str, type] = {
    "linkme_code": Code,
    "linkme_bad_code": Empty,
    "linkme_locked": Locked,
    "linkme_in_the_open": InTheOpen,
    "linkme_own_code": OwnCode,
    "linkme_anonymous": Empty,
    "linkme_linked": Linked,
    "linkme_already": Empty,
    "linkme_choose": Choose,
    "linkme_chosen": Chosen,
    "unlinkme_done": Empty,
    "unlinkme_not_linked": Empty,
    "label_linkme_keep_first": Empty,
    "label_linkme_keep_second": Empty,
}
