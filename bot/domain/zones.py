"""Time zones by IANA name, forgiving about case and spaces, with suggestions when unknown,
found by a city's or a country's name in any language the bot has too ("Nueva York",
"España"), as CLDR (through Babel) names them. A name is only ever suggested: the member
then sends the zone itself, so nobody's days are counted in a zone they did not see.

Only names that ``zoneinfo.available_timezones()`` lists are ever opened, so no text a member
types can make ``ZoneInfo`` read an arbitrary file.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Mapping
from typing import Final
from zoneinfo import ZoneInfo, available_timezones

from babel.core import get_global
from babel.dates import get_timezone_location

from bot.language import available_locales, cldr, folded

MAX_SUGGESTIONS: Final = 5
_MAX_NAME_TEXT: Final = 64
"""Longer text is no zone name (the longest is 32 characters); skip the fuzzy search."""
_HOST_ONLY: Final = frozenset({"localtime", "posixrules"})
"""Names some systems list that mean the host's own zone, not a place."""
_OFFSET: Final = re.compile(r"(?:utc|gmt)(?P<sign>[+-])(?P<hours>[0-9]{1,2})(?::?00)?")


class UnknownZone(ValueError):
    """A zone name we cannot resolve, with the closest real names."""

    def __init__(self, suggestions: tuple[str, ...]) -> None:
        super().__init__("unknown_zone")
        self.suggestions = suggestions
        """Up to ``MAX_SUGGESTIONS`` IANA names, best first; may be empty."""


def resolve_zone(name: str) -> ZoneInfo:
    """Find the zone a member or admin means by an IANA name such as ``America/New_York``.

    Raises:
        UnknownZone: for anything that is not an IANA name, with close suggestions.
    """
    names = _names()
    text = name.strip()
    if text not in names:
        text = _by_folded().get(_fold(text), "")
    if text:
        try:
            return ZoneInfo(text)
        except (ValueError, KeyError, OSError):  # listed but unreadable: a broken tz database
            pass
    raise UnknownZone(_suggestions(name))


COMMON: Final = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
)
"""What a member sees before typing anything."""


def suggest_zones(typed: str, limit: int) -> list[str]:
    """Zone names for a half-typed name, as a menu offers them: cities starting with it first,
    then names containing it, then close spellings."""
    text = "".join(char for char in typed if char.isprintable()).strip()[:_MAX_NAME_TEXT]
    if not text:
        return list(COMMON[:limit])
    key_part = _fold(text)
    names = _by_folded()
    city_first = [n for key, n in names.items() if key.rsplit("/", 1)[-1].startswith(key_part)]
    said = folded(" ".join(text.split()))
    spoken = [n for key, zones in _spoken().items() if key.startswith(said) for n in zones]
    anywhere = [name for key, name in names.items() if key_part in key]
    found = [*city_first, *spoken, *anywhere]
    if not found:
        found = list(_suggestions(text))
    return list(dict.fromkeys(found))[:limit]


def zone_name(zone: ZoneInfo) -> str:
    """Give the IANA name to store for a zone.

    Raises:
        ValueError: for a zone read from a file, which has no name.
    """
    if zone.key is None:
        raise ValueError("zone without a name")
    return zone.key


@functools.cache
def _names() -> frozenset[str]:
    """List the zone names once: reading the tz database is slow."""
    return frozenset(available_timezones() - _HOST_ONLY)


@functools.cache
def _by_folded() -> dict[str, str]:
    return {_fold(name): name for name in sorted(_names())}


@functools.cache
def _by_city() -> dict[str, tuple[str, ...]]:
    cities: dict[str, list[str]] = {}
    for name in sorted(_names()):
        cities.setdefault(_fold(name.rsplit("/", 1)[-1]), []).append(name)
    return {city: tuple(names) for city, names in cities.items()}


@functools.cache
def _spoken() -> dict[str, tuple[str, ...]]:
    """Zones by the folded names every language the bot has gives their city ("nueva york")
    and their country ("espana": Madrid, Ceuta and the Canaries)."""
    places: dict[str, list[str]] = {}
    countries: Mapping[str, str] = get_global("zone_territories")  # canonical zones only
    for locale in available_locales():
        tongue = cldr(locale)
        for name in sorted(_names() & countries.keys()):
            city = get_timezone_location(name, locale=tongue, return_city=True)
            country = tongue.territories.get(countries[name])
            for place in (city, country):
                if place:
                    places.setdefault(folded(str(place)), []).append(name)
    return {place: tuple(dict.fromkeys(zones)) for place, zones in places.items()}


def _fold(text: str) -> str:
    """Compare names ignoring case, and spaces written for underscores."""
    parts = text.casefold().split("/")
    return "/".join("_".join(part.split()) for part in parts)


def _suggestions(name: str) -> tuple[str, ...]:
    """Name the closest zones: same city first, then similar cities, then similar names."""
    text = "".join(char for char in name if char.isprintable())
    if not text.strip() or len(text) > _MAX_NAME_TEXT:
        return ()
    typed = _fold(text.strip())
    city_part = typed.rsplit("/", 1)[-1]
    cities = _by_city()
    spoken = _spoken().get(folded(" ".join(text.split())), ())
    found = list(_fixed_offset(typed) or cities.get(city_part, ()) or spoken)
    if not found:
        for city in difflib.get_close_matches(city_part, cities, n=MAX_SUGGESTIONS, cutoff=0.75):
            found.extend(cities[city])
        folded_names = _by_folded()
        for close in difflib.get_close_matches(typed, folded_names, n=MAX_SUGGESTIONS):
            found.append(folded_names[close])
    return tuple(dict.fromkeys(found))[:MAX_SUGGESTIONS]


def _fixed_offset(folded: str) -> tuple[str, ...]:
    """Turn "UTC+2" into Etc/GMT-2, whose POSIX sign is inverted: Etc/GMT+2 is two hours behind."""
    match = _OFFSET.fullmatch(folded.replace("_", ""))
    if match is None:
        return ()
    name = f"Etc/GMT{'-' if match['sign'] == '+' else '+'}{int(match['hours'])}"
    return (name,) if name in _names() else ()
