"""Sample contexts for the craving templates."""

from __future__ import annotations

from typing import Any

from bot.flows.craving import ACTIONS, T

ANA = {"id": "9", "name": "Ana"}
REPLY = {
    "actions": list(ACTIONS),
    "pinged": 3,
    "supporters": [],
    "waiting": False,
    "check_in": "21:40",
    "private": False,
    "claimed_by": None,
    "passed": False,
}
MEETING = {"weekday": 0, "time": "19:00", "title": "Online NA", "link": "https://example.org"}

SAMPLES: dict[str, list[dict[str, Any]]] = {
    T.REPLY: [
        REPLY,
        {**REPLY, "pinged": 0, "waiting": True},
        {**REPLY, "private": True, "claimed_by": ANA, "check_in": None},
        {**REPLY, "supporters": [ANA, {"id": "10", "name": "Ben"}]},
        {**REPLY, "pinged": 0},
        {**REPLY, "claimed_by": ANA},
        {**REPLY, "passed": True},
    ],
    T.PING: [
        {"member": ANA, "note": "rough night", "supporters": [ANA], "private": False},
        {"member": ANA, "note": "", "supporters": [ANA], "private": True},
    ],
    T.CRISIS: [{"resources": None}, {"resources": "Call Jo: 555-0100"}],
    T.NOBODY: [
        {"resources": None, "meetings": []},
        {"resources": None, "meetings": [MEETING]},
        {"resources": "Call Jo: 555-0100", "meetings": [{**MEETING, "link": ""}]},
        {"resources": None, "meetings": [MEETING] * 4},
    ],
    T.CLAIMED: [{"supporter": ANA}],
    T.COVERED: [
        {"claimer": "Ana", "passed": False},
        {"claimer": None, "passed": False},
        {"claimer": None, "passed": True},
    ],
    T.NOT_YOURS: [{"for_member": True}, {"for_member": False}],
    T.FOLLOW_UP: [{}],
    T.FOLLOW_UP_ANSWER: [
        {"answer": "passed", "more": 0, "logged": 15, "passed": 14, "resources": None},
        {"answer": "struggling", "more": 3, "logged": 2, "passed": 1, "resources": None},
        {"answer": "struggling", "more": 0, "logged": 2, "passed": 1, "resources": "x"},
        {"answer": "used", "more": 0, "logged": 2, "passed": 1, "resources": None},
    ],
    T.RECORD: [
        {"logged": 0, "passed": 0},
        {"logged": 15, "passed": 14},
        {"logged": 1, "passed": 0},
    ],
    T.LABEL_IM_HERE: [{}],
    T.LABEL_PASSED: [{}],
    T.LABEL_CALL_ME: [{}],
    T.LABEL_STRUGGLING: [{}],
    T.LABEL_USED: [{}],
}
