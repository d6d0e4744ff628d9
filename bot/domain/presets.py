"""The bundled crisis-line presets: which place each is for and the emergency number it names.

A community stores a preset by its code, so a corrected number reaches every group that uses
it; the lines themselves are templates, ``messages/<locale>/resources/<code>.j2``. Every phone
number and web address a preset prints is sourced in ``messages/SOURCES.md``.

An admin may name a preset by its code or by its place, as any language the bot has writes it:
CLDR's name for the territory (through Babel: "Spain", "España"), its ISO codes ("ESP"), and the
names CLDR lacks, which each locale lists in ``messages/<locale>/preset_names.txt`` ("EE. UU.",
"internacional"). A new locale folder brings its names with it.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from babel.core import get_global

from bot.language import available_locales, bundled_lines, cldr, folded


@dataclass(frozen=True, slots=True)
class Preset:
    """One place's crisis lines: its code, its name, and its emergency number."""

    code: str
    name: str
    """The place, as messages name it after "the crisis lines for"."""
    emergency: str | None
    """The number to call when a life is in danger; None where no single number fits (the
    templates then say "your local emergency number")."""
    territory: str | None = None
    """The CLDR territory it is for ("GB" for uk, "001" for the world), whose names in each
    language the bot has an admin may type for it."""


INTERNATIONAL: Final = "international"
LEGACY: Final = "legacy"
DEFAULT_PRESET: Final = INTERNATIONAL
"""The preset a new community starts with."""
NONE: Final = "none"
"""What an admin types to show only their own lines; ``preset_names.txt`` gives it other names."""
NAMES_FILE: Final = "preset_names.txt"
"""The names of presets each locale adds to CLDR's, in ``messages/<locale>/``."""

PRESETS: Final = {
    preset.code: preset
    for preset in (
        Preset(INTERNATIONAL, "any country", None, "001"),
        Preset("us", "the United States", "911", "US"),
        Preset("ca", "Canada", "911", "CA"),
        Preset("uk", "the United Kingdom", "999", "GB"),
        Preset("ie", "Ireland", "112 or 999", "IE"),
        Preset("au", "Australia", "000", "AU"),
        Preset("nz", "New Zealand", "111", "NZ"),
        Preset("de", "Germany", "112", "DE"),
        Preset("es", "Spain", "112", "ES"),
        Preset("mx", "Mexico", "911", "MX"),
        Preset("in", "India", "112", "IN"),
    )
}
"""The presets an admin may choose, in the order they are listed."""

LEGACY_PRESET: Final = Preset(LEGACY, "the earlier bundled list", None)
"""The list every group had before presets (US lines first). Communities that existed then
keep it until their admins choose; it is not offered to anyone else."""


class UnknownPreset(ValueError):
    """A code that names no preset; ``suggestions`` are close codes, best first."""

    def __init__(self, suggestions: tuple[str, ...]) -> None:
        super().__init__("unknown preset")
        self.suggestions = suggestions


def fold(text: str) -> str:
    """Fold a typed place name for comparing: case, accents, dots and extra spaces go."""
    plain = folded(text).replace(".", " ").replace("-", " ").replace("_", " ")
    return " ".join(plain.split())


def find_preset(text: str) -> str | None:
    """Read a preset's code from what an admin typed; None means their own lines only.

    Raises:
        UnknownPreset: with up to three close codes as ``suggestions`` (every preset a name
            is claimed by, when two claim it).
    """
    folded_text = fold(text)
    names = preset_names()
    codes = names.get(folded_text, ())
    if len(codes) == 1:
        return None if codes[0] == NONE else codes[0]
    if not codes:
        close = difflib.get_close_matches(folded_text[:64], list(names), n=6, cutoff=0.6)
        codes = tuple(dict.fromkeys(code for name in close for code in names[name]))
    raise UnknownPreset(tuple(code for code in codes if code != NONE)[:3])


@functools.cache
def preset_names() -> Mapping[str, tuple[str, ...]]:
    """Every folded name an admin may type for a preset, or for none, to the codes it names:
    one code, unless two presets claim the name (then ``find_preset`` asks which).

    Raises:
        ValueError: naming the file and line of a ``preset_names.txt`` that cannot be read.
    """
    claims: dict[str, dict[str, None]] = {}

    def claim(name: str, code: str) -> None:
        key = fold(name)
        if key:
            claims.setdefault(key, {})[code] = None

    aliases: Mapping[str, list[str]] = get_global("territory_aliases")
    for code in (*PRESETS, NONE):
        claim(code, code)
    for found in PRESETS.values():
        if found.territory is None:
            continue
        for code, targets in ((found.territory, [found.territory]), *aliases.items()):
            if code.isalpha() and targets == [found.territory]:  # "GB", "GBR", "UK"; not "826"
                claim(code, found.code)
        for locale in available_locales():
            claim(str(cldr(locale).territories.get(found.territory, "")), found.code)
    for locale in available_locales():
        for code, name in _listed(locale):
            claim(name, code)
    return {
        name: tuple(code for code in (*PRESETS, NONE) if code in codes)
        for name, codes in claims.items()
    }


def _listed(locale: str) -> list[tuple[str, str]]:
    """The (code, name) pairs of a locale's ``preset_names.txt``; none if it has no such file."""
    listed: list[tuple[str, str]] = []
    for where, text, _ in bundled_lines(locale, NAMES_FILE):
        code, equals, names = (part.strip() for part in text.partition("="))
        words = [word.strip() for word in names.split("|") if word.strip()]
        if not equals or not code or not words:
            raise ValueError(f"{where}: write a code, =, then its names: us = USA | America")
        if code not in PRESETS and code != NONE:
            raise ValueError(f"{where}: {code} names no preset")
        listed.extend((code, word) for word in words)
    return listed


def preset(code: str | None) -> Preset | None:
    """The preset stored as ``code`` (``legacy`` included); None for none or an unknown code."""
    if code == LEGACY:
        return LEGACY_PRESET
    return PRESETS.get(code or "")


def preset_emergency(code: str | None) -> str | None:
    """The emergency number the preset ``code`` names, if it names one."""
    found = preset(code)
    return None if found is None else found.emergency
