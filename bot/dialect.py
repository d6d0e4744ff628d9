"""How a platform writes markup: the one thing the renderer asks of each adapter.

Apart from the renderer so that the render workers' pool, which ships a dialect to its
workers, needs nothing of the renderer that uses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Dialect(Protocol):
    """How one platform writes markup; adapters supply their own."""

    @property
    def name(self) -> str: ...

    @property
    def max_length(self) -> int: ...

    def escape(self, text: str) -> str: ...

    def mention(self, person: str, name: str) -> str:
        """Markup that notifies ``person``; ``name`` arrives unescaped."""
        ...

    def bold(self, markup: str) -> str: ...

    def italic(self, markup: str) -> str: ...

    def link(self, url: str, markup: str) -> str: ...

    def role(self, role: str) -> str:
        """Markup that names a role (the platform's id) without notifying its members."""
        ...


class Marked(str):
    """Text the dialect already made safe; printed as it is."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class PlainDialect:
    """Plain text, for the console: nothing to escape, mentions as @name."""

    name: str = "plain"
    max_length: int = 100_000

    def escape(self, text: str) -> str:
        return text

    def mention(self, person: str, name: str) -> str:
        return f"@{name}"

    def bold(self, markup: str) -> str:
        return markup

    def italic(self, markup: str) -> str:
        return markup

    def link(self, url: str, markup: str) -> str:
        return f"{markup} ({url})" if markup != url else url

    def role(self, role: str) -> str:
        return f"role {role}"
