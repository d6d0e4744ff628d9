"""Linking across platforms (issue 15): one-time codes, the lockout after wrong ones, and which
settings stay with each chat when two chats are one community.

A code is shown once, to the admin or member who asked for it, and typed on the other
platform. Only its digest is stored, so a copy of the database cannot be used to link. A wrong,
expired or used code gets one answer that never tells whether the code ever existed.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from bot.domain.community import CommunitySettings

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base32: no I, L, O or U, which are misread for 1, 1, 0 and V."""
CODE_LENGTH = 8
"""Eight symbols of 5 bits: 40 bits, short enough to type from one screen to another."""
CODE_TTL = timedelta(minutes=10)
MAX_FAILURES = 5
"""Wrong codes a chat or a person may enter within ``LOCKOUT`` before linking stops for them."""
LOCKOUT = timedelta(hours=1)
LOOKBACK = 2 * LOCKOUT
"""How far back a wrong code can still matter: the fifth of a lockout's five is at most
``LOCKOUT`` old while it lasts, and the first at most ``LOCKOUT`` before the fifth."""

KINDS = ("chat", "person")
"""What a code links: two chats (``/link``) or two identities of one person (``/linkme``)."""

PER_CHAT_SETTINGS = frozenset({"locale", "announce_chat", "supporter_role", "milestone_roles"})
"""Settings that belong to one chat (its language, its channel, the platform's roles): never
mirrored to a linked chat, nor copied to it on ``/link``."""

_TYPED_ALIKE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    """A fresh random code, as the alphabet spells it (shown with ``shown``)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def shown(code: str) -> str:
    """A code as people read it: two groups of four, ``XXXX-XXXX``."""
    half = CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def normalize(typed: str) -> str | None:
    """The code someone typed, as it was issued: spaces and dashes dropped, any case, and the
    letters people type for digits read as those digits; None when it cannot be a code."""
    code = "".join(typed.split()).replace("-", "").upper().translate(_TYPED_ALIKE)
    if len(code) != CODE_LENGTH or any(symbol not in ALPHABET for symbol in code):
        return None
    return code


def digest(code: str) -> str:
    """What the store keeps of a code: its sha256, in hex."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def locked_until(failures: Iterable[datetime]) -> datetime | None:
    """When the last lockout these wrong codes caused ends (None: they caused none).

    ``MAX_FAILURES`` wrong codes within ``LOCKOUT`` lock linking for ``LOCKOUT`` from the last
    of them: counting only the last hour's would let the right code in while the answer still
    said the lock lasts an hour."""
    times = sorted(failures)
    until = None
    for last in range(MAX_FAILURES - 1, len(times)):
        if times[last] - times[last - MAX_FAILURES + 1] <= LOCKOUT:
            until = times[last] + LOCKOUT
    return until


def shared_settings(source: CommunitySettings, target: CommunitySettings) -> CommunitySettings:
    """``target``'s settings with every shared one taken from ``source``: the per-chat ones
    stay ``target``'s own."""
    return replace(source, **{name: getattr(target, name) for name in PER_CHAT_SETTINGS})
