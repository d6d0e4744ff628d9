"""Contexts of the ``/language`` templates (``bot.flows.language``)."""

from __future__ import annotations

from typing import TypedDict


class LanguageShow(TypedDict):
    locale: str
    """The language the member's private answers are written in now."""
    chosen: bool
    """The member chose it (else it is their group's, or their app's)."""
    locales: list[str]
    """Every language the bot has."""


class LanguageSet(TypedDict):
    locale: str
    chosen: bool
    """False when the member went back to their group's language."""


class LanguageUnknown(TypedDict):
    locales: list[str]


CONTEXTS: dict[str, type] = {
    "language_show": LanguageShow,
    "language_set": LanguageSet,
    "language_unknown": LanguageUnknown,
}
