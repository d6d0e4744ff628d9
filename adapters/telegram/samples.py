"""Sample contexts for the Telegram adapter's own templates (the core's are in
``bot/samples``): rendered by the tests and against a deployment's overrides at start."""

from __future__ import annotations

from typing import Any

SAMPLES: dict[str, list[dict[str, Any]]] = {
    "telegram_open_private": [{}],
    "label_telegram_open_private": [{}],
    "telegram_commands": [{}],
}
