"""Sample contexts for the resources and meetings templates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain.community import CommunitySettings
from bot.domain.presets import LEGACY, PRESETS
from bot.flows.resources import T

ONLINE = {"weekday": 0, "time": "19:00", "title": "Online NA", "link": "https://example.org/join"}
BASEMENT = {"weekday": 3, "time": "20:00", "title": "Basement group", "link": ""}

SAMPLES: dict[str, list[Mapping[str, Any]]] = {
    T.RESOURCES: [
        # Rows queued before presets: no `preset` key.
        {"resources": None},
        {"resources": ""},
        {"resources": "Ana's line: 555-0100\nMeetings: St Mary's hall, Mondays"},
        # Every preset, so a deployment's override of any resources/CODE.j2 is rendered at start.
        *(CommunitySettings(resources_preset=code).crisis() for code in (*PRESETS, LEGACY)),
        CommunitySettings(resources_preset="uk", resources="Ana's line: 555-0100").crisis(),
        CommunitySettings(resources_preset="uk", emergency_number="112").crisis(),
        CommunitySettings(resources_preset=None, resources="Ana's line: 555-0100").crisis(),
        {"resources": None, "preset": None, "emergency": None},
        {"resources": None, "preset": "no-such-preset", "emergency": None},
    ],
    T.MEETINGS: [
        {"meetings": [ONLINE, BASEMENT], "zone": "Europe/London", "reminding": False},
        {"meetings": [BASEMENT], "zone": "UTC", "reminding": True},
        {"meetings": [], "zone": "UTC", "reminding": False},
    ],
    T.MEETINGS_REMIND_SET: [
        {"on": True, "count": 2},
        {"on": True, "count": 0},
        {"on": False, "count": 2},
    ],
    T.MEETINGS_USAGE: [{"reminding": True}, {"reminding": False}],
    T.MEETING_REMINDER: [
        {"meetings": [ONLINE], "zone": "Europe/London"},
        {"meetings": [ONLINE, BASEMENT], "zone": "UTC"},
    ],
}
