"""``/relapse``: a private, judgment-free restart of the count, and ``/history``."""

from __future__ import annotations

from bot.flows import Flows

flows = Flows()
