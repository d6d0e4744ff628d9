"""Words of immediate danger in what a member wrote: suicide, overdose, "took too much".

When they appear, the crisis lines come first, privately, and supporters are pinged whatever
the cooldown. The phrases live beside the templates (``messages/<locale>/danger_words.txt``),
so admins can extend the list per language without touching code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def _normalise(text: str) -> str:
    """Lower-case, unify apostrophes, and turn everything but letters and digits into spaces."""
    text = text.lower().replace("\u2019", "'").replace("'", "")
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


class DangerWords:
    """A list of phrases, matched as whole words in any case and with any punctuation."""

    def __init__(self, phrases: Iterable[str]) -> None:
        normalised = sorted({p for p in (_normalise(p) for p in phrases) if p})
        self.phrases = tuple(normalised)
        body = "|".join(re.escape(p) for p in normalised)
        self._pattern = re.compile(rf"(?:^| )(?:{body})(?: |$)") if normalised else None

    @classmethod
    def parse(cls, text: str) -> DangerWords:
        """Read one phrase a line; blank lines and lines starting with # are skipped."""
        return cls(
            line.strip()
            for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        )

    def spoken_in(self, text: str) -> bool:
        """Whether ``text`` contains any of the phrases."""
        if self._pattern is None or not text:
            return False
        return self._pattern.search(_normalise(text[:4000])) is not None

    def __add__(self, other: DangerWords) -> DangerWords:
        return DangerWords((*self.phrases, *other.phrases))
