"""``/settings`` and ``/set``: what a community's admins may change."""

from __future__ import annotations

from bot.flows import Flows

flows = Flows()
