"""Sample contexts for what an adapter says about an update it had to set aside."""

from __future__ import annotations

from typing import Any

from bot.domain.replies import Template

SAMPLES: dict[str, list[dict[str, Any]]] = {
    Template.UPDATE_UNREADABLE: [
        {},
        {"who": {"id": "8", "name": "Jo\ufffd"}},  # a name that held a lone surrogate
    ],
}
