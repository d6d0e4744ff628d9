"""What every group of queries shares: the open connection and how stored values read back."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bot.domain.model import Person
from bot.storage.port import Connection, Row


class Queries:
    """A group of queries over one open transaction's connection."""

    def __init__(self, connection: Connection) -> None:
        self._db = connection


def instant(value: Any) -> datetime:
    """Read a stored instant, whichever form the backend returns."""
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(f"{value}+00:00")


def day(value: Any) -> date:
    """Read a stored calendar day, whichever form the backend returns."""
    if isinstance(value, date):
        return value
    return date.fromisoformat(value)


def person_from_row(row: Row, prefix: str = "") -> Person:
    """Read a person from a row that selected people's columns (optionally prefixed)."""
    return Person(
        key=row[f"{prefix}key"],
        platform=row[f"{prefix}platform"],
        platform_id=row[f"{prefix}platform_id"],
        name=row[f"{prefix}name"],
        timezone=row[f"{prefix}timezone"],
    )
