"""``/mydata`` and ``/forgetme``: everything stored about a member, sent or erased."""

from __future__ import annotations

from bot.flows import Flows

flows = Flows()
