"""Contexts of the membership templates (``bot.flows.membership``)."""

from __future__ import annotations

from bot.contexts import Empty

CONTEXTS: dict[str, type] = {"welcome": Empty}
