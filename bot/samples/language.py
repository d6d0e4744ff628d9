"""Sample contexts for the /language templates."""

from __future__ import annotations

from typing import Any

from bot.flows.language import T

SAMPLES: dict[str, list[dict[str, Any]]] = {
    T.SHOW: [
        {"locale": "en", "chosen": False, "locales": ["en", "es"]},
        {"locale": "es", "chosen": True, "locales": ["en", "es"]},
    ],
    T.SET: [{"locale": "es", "chosen": True}, {"locale": "en", "chosen": False}],
    T.UNKNOWN: [{"locales": ["en", "es"]}],
}
