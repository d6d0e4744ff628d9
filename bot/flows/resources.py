"""``/resources`` and ``/meetings``: crisis lines, meeting links and reminders."""

from __future__ import annotations

from bot.flows import Flows

flows = Flows()
