"""``/craving``: an immediate answer, fair peer pings, a claim, escalation and a follow-up."""

from __future__ import annotations

from bot.flows import Flows

flows = Flows()
