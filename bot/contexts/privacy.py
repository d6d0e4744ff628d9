"""Contexts of the ``/mydata`` and ``/forgetme`` templates (``bot.flows.privacy``)."""

from __future__ import annotations

from typing import NotRequired, TypedDict

from bot.contexts import Empty, Ref


class MyData(TypedDict):
    who: Ref
    filename: str
    """The name of the attached file."""
    records: int
    """How many rows the file holds, over every table."""


class ForgetMeConfirm(TypedDict):
    typed_in_group: str | None
    """What the group keeps of the command: ``removed``, ``visible``, or None (never saw it)."""
    linked: NotRequired[bool]
    """The member linked another platform's identity to this one (``/linkme``): it goes too."""


CONTEXTS: dict[str, type] = {
    "mydata": MyData,
    "forgetme_confirm": ForgetMeConfirm,
    "forgetme_done": Empty,
    "forgetme_cancelled": Empty,
    "label_forget_yes": Empty,
    "label_forget_cancel": Empty,
}
