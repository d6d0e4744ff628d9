"""Sending a long message part by part, and going on from the next part when it is retried.

A row the outbox retries is rendered and split again; the parts the platform already took
must not be shown twice, so each sender keeps, per outbox id, how many went out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.outbox import Unfinished

SendPart = Callable[[str, int, bool], Awaitable[str]]
"""Send one part: ``(text, number from 1, whether it is the last)``; return its ref."""


class Parts:
    """How many parts of each long message the platform already took, by outbox id."""

    def __init__(self) -> None:
        self._sent: dict[int, int] = {}

    async def send(
        self, outbox_id: int, parts: list[str], send: SendPart, *, paced: bool = False
    ) -> str:
        """Send each part not yet sent with ``send``; return the last one's ref.

        A part counts as sent as soon as ``send`` returns. ``paced``: one part a call, for a
        chat that takes one message at a time; every part but the last raises ``Unfinished``,
        and the outbox worker calls again when the chat may take the next. A paced retry whose
        text came out shorter than what was sent sends its last part.
        """
        done = self._sent.get(outbox_id, 0)
        if paced:
            done = min(done, len(parts) - 1)
        ref = ""
        for number in range(done + 1, len(parts) + 1):
            last = number == len(parts)
            ref = await send(parts[number - 1], number, last)
            self._sent[outbox_id] = number
            if paced and not last:
                raise Unfinished  # the next part when the chat may take it
        self._sent.pop(outbox_id, None)
        return ref

    def took(self, outbox_id: int, number: int) -> None:
        """Part ``number`` was shown, whatever happens next: a retry never sends it again."""
        self._sent[outbox_id] = number

    def forget(self, outbox_id: int) -> None:
        """The message goes another way now (a DM, a new interaction): start from its first part."""
        self._sent.pop(outbox_id, None)
