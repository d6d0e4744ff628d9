"""Sample contexts for the console's own lines: rendered by the tests and against a
deployment's overrides at start, as every template's are."""

from __future__ import annotations

from typing import Any

SAMPLES: dict[str, list[dict[str, Any]]] = {
    "console/banner": [{"name": "Sam"}],
    "console/now_typing": [{"name": "Alex"}],
    "console/header": [
        {"private": False, "name": "", "edited": False},
        {"private": True, "name": "Sam", "edited": True},
    ],
    "console/tap_usage": [{"count": 0}, {"count": 3}],
    "console/waited": [{"delta": "2h"}],
    "console/as_usage": [{}],
    "console/wait_usage": [{}],
}
