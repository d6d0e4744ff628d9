"""Sample contexts for the Telegram adapter's own templates."""

from __future__ import annotations

from typing import Any

from adapters.telegram.sender import T

SAMPLES: dict[str, list[dict[str, Any]]] = {
    T.OPEN_PRIVATE: [{}],
    T.LABEL_OPEN_PRIVATE: [{}],
    T.COMMANDS: [{}],
}
