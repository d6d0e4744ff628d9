"""Sample contexts for the bridge templates."""

from __future__ import annotations

from typing import Any

from bot.flows.bridge import T

PING = {"member": "Sam", "side": "console", "urgent": False, "preset": None, "emergency": None}
ASK = {"member": "Sam", "side": "console", "practice": False, "taken": False}
COMING = {
    "supporter": "Alex",
    "side": "console",
    "kind": "craving",
    "contact": None,
    "has_contact": False,
}
CLAIMED = {
    "member": "Sam",
    "side": "console",
    "kind": "craving",
    "contact": None,
    "shared": False,
}

SAMPLES: dict[str, list[dict[str, Any]]] = {
    T.CRAVING_PING: [
        PING,
        {**PING, "urgent": True, "emergency": "999", "preset": "uk"},
        {**PING, "urgent": True, "preset": "international", "emergency": None},
    ],
    T.CALL_ASK: [ASK, {**ASK, "practice": True}, {**ASK, "taken": True, "practice": True}],
    T.COMING: [
        COMING,
        {**COMING, "contact": "alex on Signal: +44 7700 900123"},
        {**COMING, "kind": "call", "contact": "+1 555 0101", "has_contact": True},
        {**COMING, "kind": "call"},
        {**COMING, "kind": "practice", "contact": "+1 555 0100", "has_contact": True},
    ],
    T.RESTARTED: [{"member": "Sam", "side": "console"}],
    T.CLAIMED: [
        CLAIMED,
        {**CLAIMED, "shared": True},
        {**CLAIMED, "kind": "call", "contact": "+34 600 000 000"},
        {**CLAIMED, "kind": "call"},
        {**CLAIMED, "kind": "practice", "contact": "sam#0001", "shared": True},
    ],
}
