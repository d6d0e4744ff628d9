"""Sample contexts for the membership templates."""

from __future__ import annotations

from typing import Any

from bot.flows.membership import T

SAMPLES: dict[str, list[dict[str, Any]]] = {T.WELCOME: [{}]}
