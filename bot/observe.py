"""What the core tells whoever watches it: events handled, sends by outcome, timers fired.

The core counts through this small protocol rather than importing a metrics library: ``bot/``
stays free of how a deployment exports its figures (``adapters/http.py`` turns them into
Prometheus metrics), the tests and the console pay nothing, and the only names it hands over
are fixed by the code (a platform, a kind of event, a command of the table, an outcome), never
a person, a chat or anything a member wrote.
"""

from __future__ import annotations

from typing import Protocol


class Observer(Protocol):
    """Receives one call per thing that happened; it must be quick and never raise."""

    def handled(self, platform: str, kind: str, name: str, seconds: float) -> None:
        """An event had its effect: its platform (``timer`` for timers), its kind (``command``,
        ``button``, ``timer`` or a reported change), the command, button or timer it reached
        (empty when none of the code's did) and how long the handling took."""

    def sent(self, platform: str, template: str, outcome: str, mentions: int) -> None:
        """An outbox row was tried: ``sent``, ``retry`` or ``given_up``; its template, and how
        many people it mentions (notifies)."""

    def fired(self, late: float) -> None:
        """A due timer was taken, ``late`` seconds after it fell due."""

    def maybe_twice(self, platform: str, reason: str) -> None:
        """An outbox row may reach its platform twice: ``unsure``, a send that failed after the
        platform may have taken it is retried; ``lost_lane``, a row was sent by a worker whose
        lane another process took over meanwhile, which may send it again."""


class Unobserved:
    """The observer when nobody watches: every call does nothing."""

    def handled(self, platform: str, kind: str, name: str, seconds: float) -> None:
        pass

    def sent(self, platform: str, template: str, outcome: str, mentions: int) -> None:
        pass

    def fired(self, late: float) -> None:
        pass

    def maybe_twice(self, platform: str, reason: str) -> None:
        pass
