"""Sample contexts for the /linkme and /unlinkme templates."""

from __future__ import annotations

from typing import Any

from bot.flows.linkme import T

SAMPLES: dict[str, list[dict[str, Any]]] = {
    T.CODE: [{"code": "7KQ2-MX9D", "minutes": 10}],
    T.BAD_CODE: [{}],
    T.LOCKED: [{"minutes": 60}],
    T.IN_THE_OPEN: [{"typed_in_group": state} for state in (None, "removed", "visible")],
    T.OWN_CODE: [{"code": "7KQ2-MX9D"}],
    T.ANONYMOUS: [{}],
    T.LINKED: [
        {"contact_kept": None, "kept_here": False},
        {"contact_kept": "+34 600 000 000", "kept_here": True},
        {"contact_kept": "@ana_r", "kept_here": False},
    ],
    T.ALREADY: [{}],
    T.CHOOSE: [
        {"counter": "", "first": "2025-03-01", "second": "2025-06-14", "first_here": True},
        {"counter": "nicotine", "first": "2026-01-02", "second": "2025-12-30", "first_here": False},
    ],
    T.CHOSEN: [
        {"counter": "", "since": "2025-03-01"},
        {"counter": "nicotine", "since": "2026-01-02"},
    ],
    T.UNLINKED: [{}],
    T.NOT_LINKED: [{}],
    T.LABEL_KEEP_FIRST: [{}],
    T.LABEL_KEEP_SECOND: [{}],
}
