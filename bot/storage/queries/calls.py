"""Call requests, phone-list volunteers and contacts."""

from __future__ import annotations

from bot.storage.queries.base import Queries


class CallQueries(Queries):
    """Call requests, phone-list volunteers and contacts."""
