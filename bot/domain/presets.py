"""The bundled crisis-line presets: which place each is for and the emergency number it names.

Pure data. A community stores a preset by its code, so a corrected number reaches every group
that uses it; the lines themselves are templates, ``messages/<locale>/resources/<code>.j2``.
Every phone number and web address a preset prints is sourced in ``messages/SOURCES.md``.
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Preset:
    """One place's crisis lines: its code, its name, and its emergency number."""

    code: str
    name: str
    """The place, as messages name it after "the crisis lines for"."""
    emergency: str | None
    """The number to call when a life is in danger; None where no single number fits (the
    templates then say "your local emergency number")."""
    aliases: tuple[str, ...] = ()
    """Other names an admin may type for it, already folded (see ``fold``)."""


INTERNATIONAL: Final = "international"
LEGACY: Final = "legacy"
DEFAULT_PRESET: Final = INTERNATIONAL
"""The preset a new community starts with."""
NO_PRESET: Final = ("none", "off", "own", "mine", "my own")
"""What an admin types to show only their own lines."""

PRESETS: Final = {
    preset.code: preset
    for preset in (
        Preset(
            INTERNATIONAL,
            "any country",
            None,
            (
                "intl",
                "world",
                "worldwide",
                "global",
                "everywhere",
                "default",
                "internacional",
                "mundial",
                "todo el mundo",
                "cualquier pais",
            ),
        ),
        Preset(
            "us",
            "the United States",
            "911",
            (
                "usa",
                "u s",
                "u s a",
                "united states",
                "united states of america",
                "america",
                "estados unidos",
                "eeuu",
                "ee uu",
                "eua",
            ),
        ),
        Preset("ca", "Canada", "911", ("can", "canada")),
        Preset(
            "uk",
            "the United Kingdom",
            "999",
            (
                "gb",
                "gbr",
                "u k",
                "united kingdom",
                "great britain",
                "britain",
                "england",
                "scotland",
                "wales",
                "northern ireland",
                "reino unido",
                "gran bretana",
                "inglaterra",
                "escocia",
                "gales",
                "irlanda del norte",
            ),
        ),
        Preset(
            "ie",
            "Ireland",
            "112 or 999",
            ("irl", "ireland", "eire", "republic of ireland", "roi", "irlanda"),
        ),
        Preset("au", "Australia", "000", ("aus", "australia")),
        Preset("nz", "New Zealand", "111", ("nzl", "new zealand", "aotearoa", "nueva zelanda")),
        Preset("de", "Germany", "112", ("deu", "ger", "germany", "deutschland", "alemania")),
        Preset("es", "Spain", "112", ("esp", "spain", "espana")),
        Preset("mx", "Mexico", "911", ("mex", "mexico")),
        Preset("in", "India", "112", ("ind", "india", "bharat")),
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
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(plain.lower().replace(".", " ").replace("-", " ").replace("_", " ").split())


def find_preset(text: str) -> str | None:
    """Read a preset's code from what an admin typed; None means their own lines only.

    Raises:
        UnknownPreset: with up to three close codes as ``suggestions``.
    """
    folded = fold(text)
    if folded in NO_PRESET:
        return None
    names = {code: code for code in PRESETS}
    names.update({alias: p.code for p in PRESETS.values() for alias in p.aliases})
    if folded in names:
        return names[folded]
    close = difflib.get_close_matches(folded[:64], list(names), n=6, cutoff=0.6)
    codes = tuple(dict.fromkeys(names[name] for name in close))[:3]
    raise UnknownPreset(codes)


def preset(code: str | None) -> Preset | None:
    """The preset stored as ``code`` (``legacy`` included); None for none or an unknown code."""
    if code == LEGACY:
        return LEGACY_PRESET
    return PRESETS.get(code or "")


def preset_emergency(code: str | None) -> str | None:
    """The emergency number the preset ``code`` names, if it names one."""
    found = preset(code)
    return None if found is None else found.emergency
