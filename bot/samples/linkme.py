"""Sample contexts for the /linkme and /unlinkme templates."""

from __future__ import annotations

from typing import Any

from bot.flows.linkme import T

SAMPLES: dict[str, list[dict[str, Any]]] = {
    T.CODE: [
        {"code": "7KQ2-MX9D", "minutes": 10, "here": "telegram"},
        {"code": "7KQ2-MX9D", "minutes": 10, "here": "discord"},
    ],
    T.BAD_CODE: [{}],
    T.LOCKED: [{"minutes": 60}],
    T.IN_THE_OPEN: [{"typed_in_group": state} for state in (None, "removed", "visible")],
    T.OWN_CODE: [{"code": "7KQ2-MX9D", "minutes": 0, "here": "telegram"}],
    T.LINKED: [{"platforms": ["telegram", "discord"]}, {"platforms": ["discord", "telegram"]}],
    T.ALREADY: [{"platforms": ["telegram", "discord"]}],
    T.CHOOSE: [
        {
            "counter": "",
            "first": "2025-03-01",
            "first_platform": "telegram",
            "second": "2025-06-14",
            "second_platform": "discord",
        },
        {
            "counter": "nicotine",
            "first": "2026-01-02",
            "first_platform": "discord",
            "second": "2025-12-30",
            "second_platform": "telegram",
        },
    ],
    T.CHOSEN: [
        {"counter": "", "since": "2025-03-01"},
        {"counter": "nicotine", "since": "2026-01-02"},
    ],
    T.UNLINKED: [{"platforms": ["telegram", "discord"]}],
    T.NOT_LINKED: [{}],
    T.LABEL_KEEP_FIRST: [{}],
    T.LABEL_KEEP_SECOND: [{}],
}
