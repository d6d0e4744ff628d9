"""Sample contexts for the Discord adapter's own templates (the core's are in
``bot/samples``): rendered by the tests and against a deployment's overrides at start."""

from __future__ import annotations

from typing import Any

SAMPLES: dict[str, list[dict[str, Any]]] = {
    "discord_dms_closed": [{"who": {"id": "400000000000000001", "name": ""}}],
    "discord_commands": [{}],
    "discord_posted": [{}],
    "discord_sorry": [{}],
    "discord_role_reason": [{}],
}
