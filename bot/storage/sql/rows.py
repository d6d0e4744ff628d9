"""How values go into statements and read back into records, whichever form the backend
returns them in."""

from __future__ import annotations

import functools
import json
from datetime import date, datetime
from typing import Any

from bot.domain.community import CommunitySettings
from bot.domain.model import Community, Membership, Person
from bot.storage.port import Row


def instant(value: Any) -> datetime:
    """Read a stored instant, whichever form the backend returns."""
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(f"{value}+00:00")


def maybe_instant(value: Any) -> datetime | None:
    """Read a stored instant that may be missing."""
    return None if value is None else instant(value)


def day(value: Any) -> date:
    """Read a stored calendar day, whichever form the backend returns."""
    if isinstance(value, date):
        return value
    return date.fromisoformat(value)


_PERSON = ("key", "platform", "platform_id", "name", "timezone", "locale")
_COMMUNITY = ("key", "platform", "platform_id", "chat", "settings", "active", "fellowship")


def _prefixed(row: Row, prefix: str, names: tuple[str, ...]) -> list[Any]:
    """The named columns of a row that selected them under ``prefix`` (a join reads several
    records' columns in one row)."""
    return [row[prefix + name] for name in names]


def person_from_row(row: Row, prefix: str = "") -> Person:
    """Read a person from a row that selected people's columns (optionally prefixed)."""
    return Person(*_prefixed(row, prefix, _PERSON))


def community_from_row(row: Row, prefix: str = "") -> Community:
    """Read a community from a row that selected its columns (optionally prefixed)."""
    key, platform, platform_id, chat, settings, active, fellowship = _prefixed(
        row, prefix, _COMMUNITY
    )
    return Community(
        key, platform, platform_id, chat, _settings(settings), bool(active), fellowship
    )


@functools.lru_cache(maxsize=4096)
def _settings(stored: str) -> CommunitySettings:
    """Read a community's stored settings once per text: they are frozen."""
    return CommunitySettings.from_json(json.loads(stored))


def membership_from_row(row: Row) -> Membership:
    """Read a membership; a NULL ``share`` means the member has not chosen yet."""
    return Membership(row["community"], row["person"], bool(row["share"]), row["share"] is not None)


def marks(rows: list[tuple[Any, ...]]) -> str:
    """Placeholders for a multi-row VALUES: ``(?, ?), (?, ?)``."""
    one = f"({', '.join('?' * len(rows[0]))})"
    return ", ".join([one] * len(rows))


def flat(rows: list[tuple[Any, ...]]) -> list[Any]:
    """The parameters of a multi-row VALUES, row after row."""
    return [value for row in rows for value in row]
