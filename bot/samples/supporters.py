"""Sample contexts for the supporter templates."""

from __future__ import annotations

from typing import Any

from bot.flows.supporters import T

SAMPLES: dict[str, list[dict[str, Any]]] = {
    T.SUPPORTER_SET: [
        {"on": True, "hours": "09:00-22:00", "holds_role": False},
        {"on": False, "hours": None, "holds_role": False},
        {"on": False, "hours": None, "holds_role": True},
    ],
    T.SUPPORTER_HOURS_SET: [
        {"hours": "22:00-06:00", "zone": "Europe/London"},
        {"hours": None, "zone": "UTC"},
    ],
    T.SUPPORTER_URGENT_SET: [
        {"on": True, "hours": "09:00-22:00"},
        {"on": True, "hours": None},
        {"on": False, "hours": "22:00-06:00"},
    ],
    T.SUPPORTER_LINKED_SET: [{"on": True}, {"on": False}],
    T.SUPPORTER_USAGE: [
        {"in_group": True, "hours": None, "linked": False},
        {"in_group": False, "hours": "09:00-17:00", "bad_hours": True},
    ],
}
