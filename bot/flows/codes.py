"""One-time linking codes as ``/link`` and ``/linkme`` both handle them: issued privately,
redeemed once, spent when typed where others read them, and wrong ones counted toward the
lockout (issue 15).

Only a code's digest is stored; a wrong, expired or used code is told apart from nothing, so
that the answer never says whether it existed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from bot.domain.linking import CODE_TTL, LOOKBACK, digest, locked_until, new_code, normalize
from bot.domain.model import LinkCode
from bot.turn import Turn


def minutes(length: timedelta) -> int:
    """A length as the templates print it: whole minutes."""
    return int(length.total_seconds() // 60)


def as_the_group(turn: Turn) -> bool:
    """Whether the asker writes as the group itself (an anonymous admin): what is sent "to
    them" privately reaches the whole group, so they must get no code."""
    assert turn.origin is not None
    return turn.origin.person == turn.origin.community


async def issue(turn: Turn, kind: str, origin: str) -> str:
    """A new code of ``kind`` for ``origin``, from the asker; it replaces any live one."""
    code = new_code()
    await turn.tx.links.issue(
        kind, digest(code), origin, turn.me.key, turn.now, turn.now + CODE_TTL
    )
    return code


async def redeem(turn: Turn, kind: str, typed: str) -> LinkCode | None:
    """The code typed, now used; None when it is no code to use now."""
    code = normalize(typed)
    return None if code is None else await turn.tx.links.redeem(kind, digest(code), turn.now)


async def give_back(turn: Turn, found: LinkCode) -> None:
    """Make a redeemed code good again, until it would have expired: it was typed where only
    its owner saw it, on the wrong side."""
    await turn.tx.links.issue(
        found.kind, found.digest, found.origin, found.issued_by, turn.now, found.expires_at
    )


async def locked_out(turn: Turn, subjects: Iterable[str]) -> bool:
    """Whether any of these chats or people is locked out of linking now."""
    for subject in dict.fromkeys(subjects):
        until = locked_until(await turn.tx.links.failures(subject, turn.now - LOOKBACK))
        if until is not None and turn.now < until:
            return True
    return False


async def wrong(turn: Turn, subjects: Iterable[str]) -> bool:
    """Count a wrong code against each subject; whether that locks them out now."""
    subjects = list(dict.fromkeys(subjects))
    await turn.tx.links.record_failure(subjects, turn.now)
    return await locked_out(turn, subjects)
