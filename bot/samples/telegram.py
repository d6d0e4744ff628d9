"""Sample contexts for the Telegram adapter's own templates (named, not imported: the core
never imports an adapter)."""

from __future__ import annotations

from typing import Any

SAMPLES: dict[str, list[dict[str, Any]]] = {
    "telegram_open_private": [{}],
    "label_telegram_open_private": [{}],
    "telegram_commands": [{}],
}
