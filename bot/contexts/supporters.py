"""Contexts of the supporter templates (``bot.flows.supporters``)."""

from __future__ import annotations

from typing import NotRequired, TypedDict


class Hours(TypedDict):
    hours: str | None
    """The hours the member can be pinged (``09:00-22:00``), None for any hour."""


class Set(Hours):
    on: bool
    holds_role: bool
    """Off the list, yet holding the group's supporter role (which counts as on)."""


class HoursSet(Hours):
    zone: str
    """The zone the hours are read in."""


class UrgentSet(Hours):
    on: bool


class LinkedSet(TypedDict):
    on: bool


class Usage(Hours):
    in_group: bool
    linked: NotRequired[bool]
    """Whether pings from a linked chat on another platform reach them (absent: rows queued
    before the bridge)."""
    bad_hours: NotRequired[bool]
    """Present when the hours the member sent could not be read."""


CONTEXTS: dict[str, type] = {
    "supporter_set": Set,
    "supporter_hours_set": HoursSet,
    "supporter_urgent_set": UrgentSet,
    "supporter_linked_set": LinkedSet,
    "supporter_usage": Usage,
}
