"""Contexts of the Telegram adapter's own templates, checked when rendered as the core's are."""

from __future__ import annotations

from bot.contexts import Empty
from bot.contexts.core import Who

CONTEXTS: dict[str, type] = {
    "telegram_open_private": Who,
    "label_telegram_open_private": Empty,
    "telegram_commands": Empty,
}
