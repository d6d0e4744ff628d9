"""Sample contexts for the /link and /unlink templates (``bot.flows.linking``)."""

from __future__ import annotations

from typing import Any

from bot.flows.linking import T

SAMPLES: dict[str, list[dict[str, Any]]] = {
    T.CODE: [
        {"code": "7K3M-Q9XD", "minutes": 10, "here": "telegram"},
        {"code": "7K3M-Q9XD", "minutes": 10, "here": "discord"},
    ],
    T.ADMINS_ONLY: [{"command": "link"}, {"command": "unlink"}],
    T.REFUSED: [{"minutes": 10}],
    T.LOCKED: [{"minutes": 60}],
    T.SAME_PLATFORM: [{}],
    T.ALREADY: [{"where": "here"}, {"where": "there"}],
    T.DONE: [
        {"other": "discord", "copied": True},
        {"other": "telegram", "copied": False},
    ],
    T.UNLINKED: [{"other": "discord"}, {"other": "telegram"}],
    T.NOT_LINKED: [{}],
    T.MIRRORED: [
        {"side": "discord", "key": "ping_count", "change": {"count": 4, "max_raised": False}},
        {"side": "telegram", "key": "meetings", "change": {"count": 2}},
        {"side": "telegram", "key": "timezone", "change": {"zone": "Europe/Madrid"}},
    ],
}
