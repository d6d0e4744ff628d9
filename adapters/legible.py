"""Text a member sent, made fit to keep: the words an adapter hands the core pass through here.

A platform's JSON may carry a lone UTF-16 surrogate (``"\\ud800"``): Python reads it into a
``str`` that no UTF-8 encoder takes, so SQLite refuses the row and the member would never be
answered. NUL is refused by PostgreSQL's text and cut short by C string APIs. Each such code
point becomes U+FFFD, the mark every reader shows for "a character was lost here"; the rest of
what the member typed stays exactly as typed.
"""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"
_UNFIT = re.compile("[\x00\ud800-\udfff]")


def legible(text: str) -> str:
    """``text`` with every code point no database or platform can carry replaced by U+FFFD.

    Surrogates that form a pair are joined into the character they stand for first.
    """
    if _UNFIT.search(text) is None:
        return text
    joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return _UNFIT.sub(REPLACEMENT, joined)
