"""Sample contexts for the core's and clean time's templates."""

from __future__ import annotations

from typing import Any

from bot.domain.cleantime import DATE_REFUSALS
from bot.domain.replies import Template

WHO = {"id": "7", "name": "Sam"}
COUNTER = {
    "name": "",
    "since": "2026-03-01",
    "days": 273,
    "span": {"years": 0, "months": 8, "days": 28},
    "today": None,
    "next": {"milestone": "9m", "day": "2026-12-01", "in_days": 2},
}

SAMPLES: dict[str, list[dict[str, Any]]] = {
    Template.HELP: [{}],
    Template.START: [{}],
    Template.UNKNOWN_COMMAND: [{"command": "frobnicate"}],
    Template.CLEANDATE_SET: [
        {"counter": COUNTER, "shared": True, "in_group": True},
        {"counter": {**COUNTER, "name": "nicotine"}, "shared": False, "in_group": False},
        {"counter": COUNTER, "shared": False, "in_group": True, "ask_share": True},
    ],
    Template.CLEANDATE_INVALID: [
        {"reason": r, "today": "2026-11-29", "earliest": "1900-01-01", "limit": 10}
        for r in (*DATE_REFUSALS, "name_too_long", "too_many_counters")
    ],
    Template.DAYS: [{"counters": [COUNTER, {**COUNTER, "name": "nicotine", "next": None}]}],
    Template.DAYS_NONE: [{}],
    Template.LABEL_SHARE_CELEBRATE: [{}],
    Template.LABEL_SHARE_PRIVATE: [{}],
    Template.DAYS_UNKNOWN: [
        {"name": "Nicotine", "names": ["caffeine", "gambling"], "main": True},
        {"name": "sugar", "names": [], "main": True},
        {"name": None, "names": ["gambling"], "main": False},
        {"name": "gambling", "names": [], "main": False},
    ],
    Template.SENT_PRIVATELY: [{}],
    Template.TOGETHER: [
        {"members": 0, "total_days": 0, "years": 0, "months": 0},
        {"members": 1, "total_days": 40, "years": 0, "months": 1},
        {"members": 14, "total_days": 8480, "years": 23, "months": 2},
        {"members": 0, "total_days": 0, "years": 0, "months": 0, "linked": True},
        {"members": 1, "total_days": 12, "years": 0, "months": 0, "linked": True},
        {"members": 9, "total_days": 3000, "years": 8, "months": 2, "linked": True},
    ],
    Template.TIMEZONE_SET: [{"zone": "Europe/London", "local_today": "2026-11-29"}],
    Template.TIMEZONE_SHOW: [{"zone": "UTC", "own": False}],
    Template.TIMEZONE_UNKNOWN: [{"suggestions": ["Europe/London"]}, {"suggestions": []}],
    Template.MILESTONES: [
        {
            "since": "2026-03-01",
            "reached_count": 6,
            "reached": [{"milestone": "6m", "day": "2026-09-01"}],
            "upcoming": [{"milestone": "9m", "day": "2026-12-01", "in_days": 2}],
        }
    ],
    Template.SHARE_SET: [{"shared": True, "has_date": False}, {"shared": False, "has_date": True}],
    Template.SHARE_USAGE: [{"shared": True}],
    Template.GROUP_ONLY: [{"command": "share"}],
    Template.MILESTONE_DIGEST: [
        {"entries": [{"person": WHO, "milestone": "30d", "day": "2026-11-29", "late": False}]},
        {
            "entries": [
                {"person": WHO, "milestone": "1y", "day": "2026-11-26", "late": True},
                {
                    "person": {"id": "8", "name": "Kim"},
                    "milestone": "18m",
                    "day": "2026-11-29",
                    "late": False,
                },
            ]
        },
    ],
    Template.BUTTON_UNKNOWN: [{}],
}
