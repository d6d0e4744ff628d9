"""``/call`` and ``/practice``: phone-list volunteers, a claim, the contact handed privately."""

from __future__ import annotations

from bot.flows import Flows

flows = Flows()
