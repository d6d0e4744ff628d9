"""Sample contexts for the relapse and history templates."""

from __future__ import annotations

from typing import Any

from bot.domain.cleantime import DATE_REFUSALS
from bot.flows.relapse import MAX_NOTE, T

SPAN = {"years": 0, "months": 8, "days": 28}
RESTART = {
    "since": "2026-03-01",
    "until": "2026-11-29",
    "days": 273,
    "span": SPAN,
    "note": "Friday night alone <b>was</b> hard.",
}

SAMPLES: dict[str, list[dict[str, Any]]] = {
    T.RELAPSE_NONE: [{}, {"offered": True}],
    T.RELAPSE_DATE_INVALID: [
        {"reason": r, "today": "2026-11-29", "since": "2026-03-01"}
        for r in (*DATE_REFUSALS, "before_current")
    ],
    T.RELAPSE_CONFIRM: [
        {
            "new": "2026-11-29",
            "today": True,
            "since": "2026-03-01",
            "offered": False,
            "typed_in_group": state,
        }
        for state in (None, "removed", "visible")
    ]
    + [
        {
            "new": "2026-11-27",
            "today": False,
            "since": "2026-03-01",
            "offered": True,
            "typed_in_group": None,
        }
    ],
    T.RELAPSE_CONFIRMED: [
        {"new": "2026-11-29", "today": True, "paused": True},
        {"new": "2026-11-27", "today": False, "paused": False},
    ],
    T.RELAPSE_CANCELLED: [{}],
    T.RELAPSE_STALE: [{"done": True, "new": "2026-11-29"}, {"done": False, "new": "2026-11-29"}],
    T.RELAPSE_DONE: [
        {"resources": None},
        {"resources": "Our helpline: 0800 123 456 (any hour)"},
        {"resources": "   "},
        {"who": {"id": "9", "name": "A" * 64}, "resources": None},
    ],
    T.RELAPSE_TOLD: [
        {"count": 0, "before": False},
        {"count": 0, "before": False, "listed": False},
        {"count": 0, "before": False, "listed": True},
        {"count": 1, "before": False, "listed": True},
        {"count": 3, "before": False},
        {"count": 0, "before": True},
    ],
    T.RELAPSE_SUPPORTER: [{"member": {"id": "8", "name": "Kim"}}],
    T.RELAPSE_NOTE_HOW: [{"limit": MAX_NOTE}],
    T.RELAPSE_NOTE_SAVED: [
        {"restarted_on": "2026-11-29", "replaced": False},
        {"restarted_on": "2026-11-29", "replaced": True},
    ],
    T.RELAPSE_NOTE_INVALID: [
        {"reason": r, "limit": MAX_NOTE} for r in ("empty", "too_long", "no_restart")
    ]
    + [
        {"reason": "group", "limit": MAX_NOTE, "typed_in_group": state}
        for state in ("removed", "visible")
    ],
    T.HISTORY: [
        {"restarts": [], "earlier": 0, "current": None},
        {"restarts": [], "earlier": 0, "current": {"since": "2026-11-29", "days": 0}},
        {
            "restarts": [
                RESTART,
                {**RESTART, "days": 0, "span": {"years": 0, "months": 0, "days": 0}, "note": None},
            ],
            "earlier": 4,
            "current": {"since": "2026-11-29", "days": 3},
        },
    ],
    T.LABEL_RELAPSE_YES: [{}],
    T.LABEL_RELAPSE_CANCEL: [{}],
    T.LABEL_RELAPSE_TELL: [{}],
    T.LABEL_RELAPSE_NOTE: [{}],
}
