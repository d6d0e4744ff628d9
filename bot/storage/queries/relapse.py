"""Restarts and the private history."""

from __future__ import annotations

from bot.storage.queries.base import Queries


class RelapseQueries(Queries):
    """Restarts and the private history."""
