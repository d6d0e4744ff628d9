"""Sample contexts for the craving templates."""

from __future__ import annotations

from typing import Any

from bot.flows.craving import ACTIONS, T

ANA = {"id": "9", "name": "Ana"}
REPLY = {
    "danger": False,
    "emergency": None,
    "actions": list(ACTIONS),
    "pinged": 3,
    "supporters": [],
    "asked_earlier": 0,
    "nobody": False,
    "no_group": False,
    "crisis": None,
    "resources": None,
    "next_meeting": None,
    "check_in": "21:40",
    "private": False,
    "claimed_by": None,
    "passed": False,
}
DANGER = {**REPLY, "danger": True, "actions": [], "emergency": "112", "crisis": "sent"}
MEETING = {"weekday": 0, "time": "19:00", "title": "Online NA", "link": "https://example.org"}
PING = {
    "member": ANA,
    "note": "",
    "supporters": [ANA],
    "private": False,
    "urgent": False,
    "resources": None,
    "emergency": None,
}
NOBODY = {"resources": None, "emergency": None, "again": False}
FOLLOW_UP_ANSWER = {
    "more": 0,
    "logged": 2,
    "passed": 1,
    "crisis": None,
    "resources": None,
    "emergency": None,
}

SAMPLES: dict[str, list[dict[str, Any]]] = {
    T.REPLY: [
        REPLY,
        {**REPLY, "pinged": 0, "asked_earlier": 3},
        {**REPLY, "supporters": [ANA], "pinged": 3, "across": 2},
        {**DANGER, "supporters": [ANA], "pinged": 2, "across": 1},
        {**REPLY, "pinged": 0, "nobody": True, "crisis": "full", "next_meeting": None},
        {
            **REPLY,
            "pinged": 0,
            "nobody": True,
            "crisis": "full",
            "resources": "Call Jo: 555-0100",
            "next_meeting": {**MEETING, "today": True},
        },
        {**REPLY, "pinged": 0, "nobody": True, "next_meeting": {**MEETING, "today": False}},
        {**REPLY, "pinged": 0, "nobody": True, "crisis": "earlier"},
        {**DANGER, "crisis": "earlier", "asked_earlier": 3, "pinged": 0},
        {**REPLY, "pinged": 0, "no_group": True, "private": True, "crisis": "full"},
        DANGER,
        {**DANGER, "supporters": [ANA], "emergency": None, "crisis": "full"},
        {**DANGER, "pinged": 0, "nobody": True},
        {**DANGER, "pinged": 0, "no_group": True, "private": True},
        {**DANGER, "pinged": 0, "asked_earlier": 2},
        {**DANGER, "claimed_by": ANA},
        {**DANGER, "crisis": None, "pinged": 2},
        {**REPLY, "private": True, "claimed_by": ANA, "check_in": None},
        {**REPLY, "supporters": [ANA, {"id": "10", "name": "Ben"}]},
        {**REPLY, "pinged": 0},
        {**REPLY, "claimed_by": ANA},
        {**REPLY, "passed": True},
    ],
    T.PING: [
        {**PING, "note": "rough night"},
        {**PING, "private": True},
        {**PING, "urgent": True, "note": "took too many", "emergency": "112"},
        {**PING, "urgent": True},
        {**PING, "urgent": True, "private": True},
    ],
    T.CRISIS: [
        {"resources": None, "emergency": None, "again": False},
        {"resources": "Call Jo: 555-0100", "emergency": "999", "again": False},
        {"resources": None, "emergency": "000", "again": True},
    ],
    T.NOBODY: [
        {**NOBODY, "meetings": []},
        {**NOBODY, "meetings": [MEETING]},
        {**NOBODY, "resources": "Call Jo: 555-0100", "meetings": [{**MEETING, "link": ""}]},
        {**NOBODY, "meetings": [MEETING] * 4, "again": True, "emergency": "112"},
    ],
    T.CLAIMED: [{"supporter": ANA}],
    T.INVITE_SUPPORTERS: [{}],
    T.COVERED: [
        {"claimer": "Ana", "passed": False},
        {"claimer": None, "passed": False},
        {"claimer": None, "passed": True},
    ],
    T.NOT_YOURS: [{"for_member": True}, {"for_member": False}],
    T.FOLLOW_UP: [{}],
    T.FOLLOW_UP_ANSWER: [
        {**FOLLOW_UP_ANSWER, "answer": "passed", "logged": 15, "passed": 14, "resources": None},
        {
            **FOLLOW_UP_ANSWER,
            "answer": "struggling",
            "more": 3,
            "crisis": "full",
            "resources": None,
        },
        {**FOLLOW_UP_ANSWER, "answer": "struggling", "crisis": "full", "resources": "x"},
        {**FOLLOW_UP_ANSWER, "answer": "struggling", "crisis": "again", "emergency": "112"},
        {**FOLLOW_UP_ANSWER, "answer": "used", "resources": None},
    ],
    T.RECORD: [
        {"logged": 0, "passed": 0},
        {"logged": 15, "passed": 14},
        {"logged": 1, "passed": 0},
    ],
    T.LABEL_IM_HERE: [{}],
    T.LABEL_PASSED: [{}],
    T.LABEL_CALL_ME: [{}],
    T.LABEL_DANGER: [{}],
    T.LABEL_STRUGGLING: [{}],
    T.LABEL_USED: [{}],
}
