"""Sample contexts for the role templates."""

from __future__ import annotations

from typing import Any

from bot.flows.milestones import T

SAMPLES: dict[str, list[dict[str, Any]]] = {
    T.MILESTONE_ROLE_FAILED: [
        {"who": {"id": "7", "name": "Sam"}, "milestone": "30d", "role": "1100000000000000001"},
        {"who": {"id": "8", "name": "*Ana*"}, "milestone": "1y", "role": "1100000000000000002"},
    ],
}
