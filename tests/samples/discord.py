"""Sample contexts for the Discord adapter's own templates."""

from __future__ import annotations

from typing import Any

from adapters.discord.sender import T

SAMPLES: dict[str, list[dict[str, Any]]] = {
    T.DMS_CLOSED: [{"who": {"id": "400000000000000001", "name": ""}}],
    T.COMMANDS: [{}],
    T.POSTED: [{}],
    T.SORRY: [{}],
    T.ROLE_REASON: [{}],
}
