"""Sample contexts for the call, contact, phone-list and /calls templates."""

from __future__ import annotations

from typing import Any

from bot.flows.calls import T

SAM = {"id": "7", "name": "Sam"}
ALEX = {"id": "8", "name": "Alex"}
KIM = {"id": "9", "name": "Kim"}
MEETING = {"weekday": 2, "time": "19:30", "title": "Wednesday big book", "link": ""}
ONLINE = {"weekday": 6, "time": "10:00", "title": "Sunday online", "link": "https://example.org/m"}
ASKED = {"practice": False, "pinged": 2, "has_contact": True, "minutes": 30, "resources": None}

SAMPLES: dict[str, list[dict[str, Any]]] = {
    T.CALL_REQUEST: [
        {"member": SAM, "note": "after 6pm is best", "practice": False, "pinged": [ALEX, KIM]},
        {"member": SAM, "note": "", "practice": True, "pinged": [SAM]},
        {"member": SAM, "note": "", "practice": False, "pinged": []},
    ],
    T.CALL_ASK: [
        {"member": SAM, "note": "after 6pm is best", "practice": False, "taken": False},
        {"member": SAM, "note": "", "practice": True, "taken": False},
        {"member": SAM, "note": "", "practice": False, "taken": True},
        {"member": SAM, "note": "", "practice": True, "taken": True},
    ],
    T.CALL_ASKED: [
        ASKED,
        {**ASKED, "pinged": 1, "has_contact": False, "practice": True},
        {**ASKED, "pinged": 0, "has_contact": False},
        {**ASKED, "pinged": 0, "practice": True, "resources": "Local line: 0800 000 000"},
    ],
    T.CALL_CLAIMED: [
        {"member": SAM, "claimer": ALEX, "practice": False},
        {"member": SAM, "claimer": ALEX, "practice": True},
    ],
    T.CALL_CLOSED: [{"member": SAM, "practice": False}, {"member": SAM, "practice": True}],
    T.CALL_HANDOFF: [
        {"member": SAM, "contact": "+1 555 0100", "practice": False, "private": False},
        {"member": SAM, "contact": None, "practice": True, "private": False},
        {"member": SAM, "contact": None, "practice": False, "private": True},
    ],
    T.CALL_CONTACT_FORWARD: [{"member": SAM, "contact": "+1 555 0100"}],
    T.CALL_COMING: [
        {"claimer": ALEX, "practice": False, "has_contact": True},
        {"claimer": ALEX, "practice": True, "has_contact": False},
    ],
    T.CALL_NO_CONTACT: [{"practice": False}, {"practice": True}],
    T.CALL_EXPIRED: [
        {"practice": False, "minutes": 30, "resources": None, "meetings": []},
        {
            "practice": True,
            "minutes": 1,
            "resources": "Local line: 0800 000 000",
            "meetings": [MEETING, ONLINE],
        },
        {"practice": False, "minutes": 30, "resources": None, "meetings": [MEETING]},
        {"practice": False, "minutes": 30, "resources": None, "meetings": [MEETING, ONLINE] * 3},
    ],
    T.CALL_COVERED: [
        {"member": SAM, "claimer": ALEX, "practice": False},
        {"member": SAM, "claimer": ALEX, "practice": True},
    ],
    T.CALL_OWN: [
        {"member": SAM, "practice": False, "state": "open", "claimer": None},
        {"member": SAM, "practice": True, "state": "taken", "claimer": ALEX},
        {"member": SAM, "practice": False, "state": "taken", "claimer": ALEX},
        {"member": SAM, "practice": True, "state": "closed", "claimer": None},
    ],
    T.CALL_GONE: [{"member": SAM, "practice": False}, {"member": SAM, "practice": True}],
    T.CALL_UNKNOWN: [{}],
    T.CALL_NOT_VOLUNTEER: [{"member": SAM, "practice": False}, {"member": SAM, "practice": True}],
    T.CALL_GROUP_ONLY: [
        {"command": "call", "has_contact": False},
        {"command": "practice", "has_contact": True},
    ],
    T.CALL_OPEN: [{"practice": False, "minutes_left": 12}, {"practice": True, "minutes_left": 1}],
    T.CONTACT_GROUP: [
        {"typed": typed, "typed_in_group": state}
        for typed in (True, False)
        for state in ("removed", "visible")
    ],
    T.CONTACT_SAVED: [
        {"contact": "+1 555 0100", "forwarded": []},
        {"contact": "ask for me on Signal", "forwarded": [ALEX, KIM]},
    ],
    T.CONTACT_SHOW: [{"contact": "+1 555 0100"}, {"contact": None}],
    T.CONTACT_CLEARED: [{"had": True}, {"had": False}],
    T.CONTACT_TOO_LONG: [{"limit": 100}],
    T.PHONELIST_SET: [
        {"practice": False, "on": True, "hours": None},
        {"practice": True, "on": True, "hours": "09:00-22:00"},
        {"practice": False, "on": False, "hours": None},
        {"practice": True, "on": False, "hours": "09:00-22:00"},
    ],
    T.PHONELIST_USAGE: [
        {"in_group": True, "calls": True, "practice": False},
        {"in_group": False, "calls": False, "practice": False},
    ],
    T.CALLS_SUMMARY: [
        {"calls": 3, "calls_answered": 2, "practice": 1, "practice_answered": 1, "taken": 0},
        {"calls": 1, "calls_answered": 0, "practice": 0, "practice_answered": 0, "taken": 4},
        {"calls": 0, "calls_answered": 0, "practice": 2, "practice_answered": 1, "taken": 1},
        {"calls": 0, "calls_answered": 0, "practice": 0, "practice_answered": 0, "taken": 0},
    ],
    T.LABEL_CALL_TAKE: [{}],
}
