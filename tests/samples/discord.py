"""Sample contexts for the Discord adapter's own templates."""

from __future__ import annotations

from typing import Any

from adapters.discord.sender import T

WHO = {"id": "400000000000000001", "name": "Sam"}

SAMPLES: dict[str, list[dict[str, Any]]] = {
    T.DMS_CLOSED: [
        {"who": WHO, "about": about}
        for about in (
            "craving_followup",
            "call_coming",
            "relapse_supporter",
            "meeting_reminder",
            "x",
        )
    ],
    T.COMMANDS: [{}],
}
