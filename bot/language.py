"""What Babel (CLDR) knows about each language the bot speaks: dates, weekdays, plurals, units.

Templates print numbers, dates and durations through the filters here, bound to the locale
being rendered, so no month name or plural rule is written by hand. English keeps the day-first
dates it always had ("1 March 2026"), hence British English's CLDR data behind ``en``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, time
from importlib import resources
from typing import Any, NamedTuple

from babel import Locale
from babel.dates import format_date, format_time
from babel.lists import format_list
from babel.numbers import format_decimal
from babel.units import format_unit

DEFAULT_LOCALE = "en"
"""What the bot writes when nothing says otherwise: every other language falls back to it."""

_CLDR = {"en": "en_GB"}
"""The CLDR locale behind a bot locale, where it is not the same name."""

UNITS = ("year", "month", "week", "day", "hour", "minute")
"""The spans of time a template may name (``n|duration("day")``)."""


@functools.cache
def available_locales() -> tuple[str, ...]:
    """The languages whose messages ship with Homegroup (folders of templates)."""
    root = resources.files("messages")
    return tuple(
        sorted(
            entry.name
            for entry in root.iterdir()
            if entry.is_dir()
            and not entry.name.startswith(("_", "."))
            and any(child.name.endswith(".j2") for child in entry.iterdir())
        )
    )


def known_locale(code: str | None) -> str | None:
    """The bundled language a platform's language code names ("es-419", "es_ES", "en-US"),
    if the bot speaks it."""
    if not code:
        return None
    primary = code.replace("_", "-").split("-")[0].lower()
    return primary if primary in available_locales() else None


@functools.cache
def cldr(locale: str) -> Locale:
    """The Babel locale a bot locale prints with; an unknown one prints as English."""
    try:
        return Locale.parse(_CLDR.get(locale, locale))
    except (ValueError, LookupError):
        return Locale.parse(_CLDR["en"])


def long_date(iso: str | date, locale: str) -> str:
    """A day as a sentence names it: "1 March 2026", "1 de marzo de 2026"."""
    day = iso if isinstance(iso, date) else date.fromisoformat(str(iso))
    return format_date(day, "long", locale=cldr(locale))


def weekday(value: str | int | date, locale: str) -> str:
    """The day name of an ISO date, or of a weekday number (0 is Monday)."""
    if isinstance(value, int):
        return str(cldr(locale).days["format"]["wide"][value % 7])
    day = value if isinstance(value, date) else date.fromisoformat(str(value))
    return format_date(day, "EEEE", locale=cldr(locale))


def clock(value: str | time, locale: str) -> str:
    """A time of day as the locale writes it (CLDR's short time), from a ``time`` or the
    "HH:MM" a meeting keeps: "19:00" and "08:05" in English, "19:00" and "8:05" in Spanish."""
    moment = value if isinstance(value, time) else time.fromisoformat(str(value))
    return format_time(moment, "short", locale=cldr(locale))


def number(count: int, locale: str) -> str:
    """A count with the locale's digit grouping: "1,234", "1.234"."""
    return format_decimal(count, locale=cldr(locale))


PLURAL_CATEGORIES = ("zero", "one", "two", "few", "many", "other")
"""CLDR's plural categories: the names a template keys a noun's forms by."""


def plural_word(count: int, forms: Mapping[str, str], locale: str) -> str:
    """The form of a word CLDR's plural rule picks for ``count``, from ``forms`` keyed by
    plural category: ``n|plural_word(one="It starts", other="They start")``.

    Every call gives "other"; a category the locale has and a call does not give reads as
    "other" (Spanish "many", only whole millions: "1.000.000 días", as Babel's units print)."""
    unknown = set(forms) - set(PLURAL_CATEGORIES)
    if unknown or "other" not in forms:
        raise ValueError(
            f"plural forms are keyed by CLDR category {PLURAL_CATEGORIES} and always give"
            f" 'other'; got {sorted(forms)}"
        )
    return forms.get(cldr(locale).plural_form(count), forms["other"])


def plural(count: int, forms: Mapping[str, str], locale: str) -> str:
    """A count and the noun's form CLDR's plural rule picks for it (``plural_word``):
    ``n|plural(one="día", other="días")`` is "1 día", "21 días"."""
    return f"{number(count, locale)} {plural_word(count, forms, locale)}"


def duration(count: int, unit: str, locale: str) -> str:
    """A span of one unit in the locale's own words: "9 months", "1 año"."""
    if unit not in UNITS:
        raise ValueError(f"no such unit of time: {unit!r}")
    return format_unit(count, f"duration-{unit}", length="long", locale=cldr(locale))


def joined(parts: list[str], locale: str) -> str:
    """Parts of one span, listed as the locale lists units ("9 months, 5 days"), or as it
    lists anything where CLDR has no list of units for it ("9 meses y 5 días")."""
    whole = {"start", "middle", "end", "2"} <= set(cldr(locale).list_patterns.get("unit", {}))
    items = [p for p in parts if p]
    if whole:
        return format_list(items, style="unit", locale=cldr(locale))
    return format_list(items, style="standard", locale=cldr(locale))


def either(parts: list[str], locale: str) -> str:
    """Alternatives as the locale offers them: "English or Spanish", "inglés o español"."""
    return format_list(parts, style="or", locale=cldr(locale))


def span(value: Mapping[str, int], locale: str) -> str:
    """A span of years, months and days (any may be missing or 0): "1 year, 9 months"."""
    parts = [duration(value[f"{u}s"], u, locale) for u in UNITS if value.get(f"{u}s")]
    return joined(parts, locale)


def language_name(code: str, locale: str) -> str:
    """A language's name as ``locale`` writes it: "Spanish", "español"."""
    return str(cldr(locale).languages.get(code, code))


def _named(positional: tuple[object, ...], forms: dict[str, str]) -> dict[str, str]:
    """The forms of a plural call, refused with a line an override's author can act on when
    they come in the old way (``plural("day")``, an English "s" added)."""
    if positional:
        raise ValueError('name each form by its CLDR category: plural(one="day", other="days")')
    return forms


def filters(locale: str) -> dict[str, Callable[..., Any]]:
    """The Jinja filters that print in ``locale``."""
    return {
        "longdate": lambda iso: long_date(iso, locale),
        "weekday": lambda value: weekday(value, locale),
        "clock": lambda value: clock(value, locale),
        "number": lambda count: number(count, locale),
        "plural": lambda count, *old, **forms: plural(count, _named(old, forms), locale),
        "plural_word": lambda count, *old, **forms: plural_word(count, _named(old, forms), locale),
        "duration": lambda count, unit: duration(count, unit, locale),
        "span": lambda value: span(value, locale),
        "joined": lambda parts: joined(list(parts), locale),
        "either": lambda parts: either(list(parts), locale),
        "language_name": lambda code: language_name(str(code), locale),
    }


class BundledLine(NamedTuple):
    """One line of a data file beside a language's templates, as its reader sees it."""

    where: str
    """The file and line, for an error: ``messages/es/command_words.txt line 3``."""
    text: str
    """The line without its ``#`` comment, trimmed; never blank."""
    line: str
    """The line as written."""


def bundled_text(locale: str, name: str) -> str | None:
    """The file ``name`` beside ``locale``'s bundled templates (``messages/<locale>/``); None
    when that language has no such file."""
    entry = resources.files("messages").joinpath(locale).joinpath(name)
    return entry.read_text(encoding="utf-8") if entry.is_file() else None


def bundled_lines(locale: str, name: str) -> Iterator[BundledLine]:
    """Each line of the bundled data file ``messages/<locale>/<name>`` that says something:
    ``#`` starts a comment, blank lines are skipped. Nothing when the file is missing."""
    text = bundled_text(locale, name)
    for number, line in enumerate((text or "").splitlines(), start=1):
        body = line.partition("#")[0].strip()
        if body:
            yield BundledLine(f"messages/{locale}/{name} line {number}", body, line)


COMMAND_WORDS = "command_words.txt"
"""Each language's words for the fixed values an admin types (``/set announcement_channel
here``), beside its templates: ``messages/<locale>/command_words.txt``."""


@functools.cache
def command_words(locale: str) -> Mapping[str, frozenset[str]]:
    """What ``locale`` types for each fixed value a command takes, folded (``folded``): one
    line a value, ``here: aquí``; ``#`` starts a comment. A language without the file has none.

    Raises:
        ValueError: for a line that is not a value's name, a colon and words.
    """
    words: dict[str, frozenset[str]] = {}
    for where, text, line in bundled_lines(locale, COMMAND_WORDS):
        name, colon, typed = text.partition(":")
        spoken = {folded(w.strip()) for w in typed.split(",") if w.strip()}
        if not colon or not name.strip().isidentifier() or not spoken:
            raise ValueError(f"{where}: {line!r}")
        words[name.strip()] = words.get(name.strip(), frozenset()) | spoken
    return words


def folded(text: str) -> str:
    """Text as a member may type it, compared without case or accents ("Días" is "dias")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True, slots=True)
class DateWords:
    """How a language writes a day, for reading the dates members type in it (CLDR's data,
    folded as ``folded`` folds what is typed)."""

    months: Mapping[str, int]
    """Each month's name, abbreviation and first three letters, to its number."""
    linking: tuple[str, ...]
    """Words a long date puts between its parts ("de" in "1 de marzo de 2026")."""
    relative: Mapping[str, int]
    """Words for a day near today, to how many days before today it is ("ayer": 1)."""
    ago: re.Pattern[str]
    """"3 days ago", "hace 3 días": the count is the one group that matched."""
    day_first: bool | None
    """Whether numbers such as 1/3/2026 give the day first; None when the language's own
    countries disagree (English: 3 January or 1 March), so they are not read."""
    weekdays: Mapping[str, int]
    """Each weekday's name, abbreviations ("lun", "LU") and the first three letters or more
    of its name that no other day's begins with ("thurs", "mierc"), to its number (0 is
    Monday)."""


@functools.cache
def date_words(locale: str) -> DateWords:
    """How ``locale`` writes a day (``DateWords``)."""
    tongue = cldr(locale)
    months: dict[str, int] = {}
    for width in ("wide", "abbreviated"):
        for number_, name in tongue.months["format"][width].items():
            months[folded(str(name)).rstrip(".")] = int(number_)
    starts = [name[:3] for name in months]
    months |= {  # "sep" as well as "sept": a name's first three letters, where no other's
        start: months[name]
        for name, start in zip(list(months), starts, strict=True)
        if len({months[n] for n, s in zip(months, starts, strict=True) if s == start}) == 1
    }
    long_pattern = str(tongue.date_formats["long"].pattern)
    linking = tuple(dict.fromkeys(folded(w) for w in re.findall(r"'([^']+)'", long_pattern)))
    fields = tongue._data["date_fields"]["day"]  # Babel keeps CLDR's day fields only here
    relative = {folded(str(w)): -int(n) for n, w in fields["relative"].items() if int(n) <= 0}
    past = {re.escape(folded(str(p))) for p in fields["past"].values()}
    ago = "|".join(p.replace(r"\{0\}", "([0-9]+)") for p in sorted(past, key=len, reverse=True))
    orders = {_day_first(cldr(locale)), _day_first(Locale.parse(tongue.language))}
    return DateWords(
        months,
        linking,
        relative,
        re.compile(ago),
        orders.pop() if len(orders) == 1 else None,
        _weekdays(tongue),
    )


def _weekdays(tongue: Locale) -> dict[str, int]:
    """``DateWords.weekdays``: CLDR's wide, abbreviated and short day names (not the narrow
    ones, single letters two days share), and the longer starts of a name only one day has."""
    days: dict[str, int] = {}
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated", "short"):
            for number_, name in tongue.days[context][width].items():
                days.setdefault(folded(str(name)).rstrip("."), int(number_))
    names = {folded(str(n)): int(d) for d, n in tongue.days["format"]["wide"].items()}
    for name, day in names.items():
        for end in range(3, len(name)):
            start = name[:end]
            if all(other == day or not n.startswith(start) for n, other in names.items()):
                days.setdefault(start, day)
    return days


def _day_first(tongue: Locale) -> bool:
    pattern = str(tongue.date_formats["short"].pattern)
    return pattern.index("d") < pattern.index("M")
