"""Contexts of the consent templates (``bot.flows.consent``)."""

from __future__ import annotations

from typing import TypedDict

from bot.contexts import Empty


class Kept(TypedDict):
    """A question about keeping something: ``what`` is ``clean_date``, ``contact`` or None
    (anything about the member's recovery); ``_kept_what.j2`` says it in words."""

    what: str | None


class Declined(Kept):
    again: bool
    """A question asked again within the week after a "No thanks", rather than the no itself."""


class Given(Kept):
    resend: bool
    """The value did not fit on the button: the member is asked to send it again."""


class Status(TypedDict):
    given_on: str | None
    """ISO date the member said yes, in their zone."""
    implied: bool
    declined: bool


class Had(TypedDict):
    had: bool
    """Whether there was anything to erase."""


class Notice(TypedDict):
    sharing: bool
    """Whether any of the member's groups celebrates their milestones."""


CONTEXTS: dict[str, type] = {
    "consent_ask": Kept,
    "consent_declined": Declined,
    "consent_given": Given,
    "consent_status": Status,
    "consent_off_confirm": Empty,
    "consent_off_done": Had,
    "consent_off_kept": Empty,
    "consent_notice": Notice,
    "label_consent_yes": Empty,
    "label_consent_no": Empty,
    "label_consent_erase": Empty,
    "label_consent_keep": Empty,
}
