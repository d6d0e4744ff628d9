"""Sample contexts for the /link and /unlink templates (``bot.flows.linking``).

A platform's name is data the core never spells: these samples use platforms no adapter
declares, which the templates name plainly; tests/core/test_linking_chats.py renders them
with the real ones too."""

from __future__ import annotations

from typing import Any

from bot.flows.linking import T

HERE, THERE = "console", "elsewhere"

SAMPLES: dict[str, list[dict[str, Any]]] = {
    T.CODE: [{"code": "7K3M-Q9XD", "minutes": 10, "here": HERE}],
    T.ADMINS_ONLY: [{"command": "link"}, {"command": "unlink"}],
    T.REFUSED: [{"minutes": 10}],
    T.LOCKED: [{"minutes": 60}],
    T.SAME_PLATFORM: [{}],
    T.ALREADY: [{"where": "here"}, {"where": "there"}],
    T.DONE: [{"other": THERE, "copied": True}, {"other": THERE, "copied": False}],
    T.UNLINKED: [{"other": THERE}],
    T.NOT_LINKED: [{}],
    T.ANONYMOUS: [{}],
    T.SPENT: [{}],
    T.MIRRORED: [
        {"side": THERE, "key": "ping_count", "change": {"count": 4, "max_raised": False}},
        {"side": THERE, "key": "meetings", "change": {"count": 2}},
        {"side": THERE, "key": "timezone", "change": {"zone": "Europe/Madrid"}},
    ],
}
