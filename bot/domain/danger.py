"""Words of immediate danger in what a member wrote: suicide, self-harm, an overdose, someone
who is not breathing.

When they appear, the crisis lines come first, privately, and supporters are pinged whatever
the cooldown. The patterns live beside the templates (``messages/<locale>/danger_words.txt``,
where the small pattern language is explained), so admins can extend them per language
without touching code. A miss costs more than a false alarm.

Both a note and each word of a pattern are first normalised (``normalise``): case,
punctuation, letters typed twice or more, and common spellings ("wanna", "od'd", "cant", "u")
all reduce to one plain form, so a pattern is written once in plain words. Each language is
read its own way (``Reading``), by the same steps filled in from its own data,
``messages/<locale>/danger_spellings.txt``: Spanish folds accents and spells out "q", "xq" and
"tmb", which English must not, since "x" or "k" mean something else there. A language added as
a folder is read by its own file, with no change here; without one it folds accents and spells
nothing out, never the English way.

Matching stays linear in the length of a note, whatever the note: it is cut to ``MAX_TEXT``
characters and reduced to words between single spaces, and a pattern compiles to a regular
expression whose only repetitions are runs of non-spaces, each ended by a space, and a filler of
at most ``FILLER`` words. Nothing repeats a repetition, and a pattern whose optional parts could
combine in too many ways is refused (``MAX_WAYS``), so each word of a note costs a bounded amount.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from bot.language import DEFAULT_LOCALE, bundled_text

MAX_TEXT = 4000
"""Characters of a note that are read: a note is read in full long before this."""

FILLER = 3
"""How many other words ``...`` in a pattern stands for."""

MAX_WAYS = 100
"""How many ways a pattern's optional parts and fillers may combine at one place in a note."""

_MAX_DEPTH = 10
"""How deeply a pattern's (groups) may nest."""

_APOSTROPHES = str.maketrans(dict.fromkeys("\u2019\u2018\u02bc\u0060\u00b4", "'"))
_INITIALS = re.compile(r"\b([^\W\d_])\.(?=[^\W\d_]\b)")
"""A letter and a dot before another lone letter: o.d. reads as od."""
_NOT_A_WORD = re.compile(r"[\W_]+")
_DOUBLED = re.compile(r"([^\W\d_])\1+")
_TYPED_FORM = re.compile(r"\w(?:[\w']*\w)?")
"""What a form read as typed may be: a word, apostrophes inside it."""
_SETTINGS = {"accents": ("folded", "kept"), "initials": ("apart", "joined")}
"""What a spellings file may set, and the values each setting takes, the default first."""

SPELLINGS_FILE = "danger_spellings.txt"
"""How the notes of a language are read, beside its danger words: see ``Reading.parse``."""


def _collapse(word: str) -> str:
    """Type each run of one letter once, so diiie, die and diie read alike (kill reads kil)."""
    return _DOUBLED.sub(r"\1", word)


def _plain_words(text: str) -> list[str]:
    """The words of ``text`` in lower case, apostrophes dropped, other punctuation a space."""
    text = text.translate(_APOSTROPHES).lower().replace("'", "").replace("&", " and ")
    return [_collapse(word) for word in _NOT_A_WORD.split(text) if word]


def _folded(text: str) -> str:
    """``text`` without accents: morír, morir and MORÍR read alike (and ñ reads n)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


class DangerSpellingError(ValueError):
    """A line of a spellings file that is not a rule; the message names its line."""

    def __init__(self, line: int, problem: str, text: str) -> None:
        super().__init__(f"line {line}: {problem}, in: {text.strip()}")
        self.line = line


@dataclass(frozen=True, slots=True, eq=False)
class Reading:
    """How the notes of one language reduce to plain words; its patterns are read the same
    way, so a pattern is written once in plain words of that language.

    Every language is read by the same steps, its own data filling them in (``parse``, from
    ``messages/<locale>/danger_spellings.txt``): accents folded or kept, lone letters with dots
    joined or not, forms read as typed, then each plain word spelt out or its ending rewritten.
    A language with no such file folds accents and spells nothing out.
    """

    folds: bool = True
    """Whether accents are dropped (morír reads morir)."""
    joins_initials: bool = False
    """Whether lone letters with dots between them join (o.d. reads od)."""
    spellings: Mapping[str, str] = field(default_factory=dict)
    """Each short form, collapsed, to the plain words it stands for."""
    typed: re.Pattern[str] | None = None
    """The forms read as typed, one named group each (``t0``, ``t1`` …)."""
    typed_as: Mapping[str, str] = field(default_factory=dict)
    """What each group of ``typed`` reads as, between spaces."""
    endings: tuple[tuple[int, str, str], ...] = ()
    """(shortest word, ending, instead): the first that fits a word rewrites its ending."""

    def plain_words(self, text: str) -> list[str]:
        """The words of ``text`` in lower case, punctuation gone, doubled letters collapsed
        (and accents dropped, if the language folds them)."""
        return _plain_words(_folded(text) if self.folds else text)

    def normalise(self, text: str) -> str:
        """Reduce a note (its first ``MAX_TEXT`` characters) to plain words between single
        spaces."""
        text = text[:MAX_TEXT]
        if self.folds:
            text = _folded(text)
        text = text.translate(_APOSTROPHES)
        if self.joins_initials:
            text = _INITIALS.sub(r"\1", text)
        if self.typed is not None:
            text = self.typed.sub(self._typed_as, text)
        return " ".join(self._spelt_out(word) for word in _plain_words(text))

    def _typed_as(self, match: re.Match[str]) -> str:
        return self.typed_as[match.lastgroup or ""]

    def _spelt_out(self, word: str) -> str:
        spelt = self.spellings.get(word)
        if spelt is not None:
            return spelt
        for shortest, ending, instead in self.endings:
            if len(word) >= shortest and word.endswith(ending):
                return word[: len(word) - len(ending)] + instead
        return word

    @classmethod
    def parse(cls, text: str) -> Reading:
        """Read a spellings file (``messages/en/danger_spellings.txt`` explains its rules);
        raise ``DangerSpellingError`` naming the first line that is not a rule."""
        lines = [
            (number, line, line.split("#", 1)[0].strip())
            for number, line in enumerate(text.splitlines(), start=1)
        ]
        settings: dict[str, str] = {}
        for number, line, body in lines:
            if body and "=" not in body:
                name, colon, value = (part.strip() for part in body.partition(":"))
                if not colon or name not in _SETTINGS:
                    problem = "write short = spelled out, or a setting: accents: folded"
                    raise DangerSpellingError(number, problem, line)
                if value not in _SETTINGS[name]:
                    problem = f"{name} is one of: {', '.join(_SETTINGS[name])}"
                    raise DangerSpellingError(number, problem, line)
                if name in settings:
                    raise DangerSpellingError(number, f"{name} is set twice", line)
                settings[name] = value
        chosen = {name: settings.get(name, values[0]) for name, values in _SETTINGS.items()}
        base = cls(
            folds=chosen["accents"] == "folded", joins_initials=chosen["initials"] == "joined"
        )
        spellings: dict[str, str] = {}
        typed: dict[str, str] = {}
        endings: list[tuple[int, str, str]] = []
        for number, line, body in lines:
            if "=" not in body:
                continue
            try:
                base._rule(body, spellings, typed, endings)
            except _Problem as problem:
                raise DangerSpellingError(number, str(problem), line) from None
        forms = sorted(typed, key=len, reverse=True)  # od'd before od, which would stop at '
        either = "|".join(f"(?P<t{n}>{_typed_regex(form)})" for n, form in enumerate(forms))
        return replace(
            base,
            spellings=spellings,
            typed=re.compile(rf"\b(?:{either})\b", re.IGNORECASE) if forms else None,
            typed_as={f"t{n}": f" {typed[form]} " for n, form in enumerate(forms)},
            endings=tuple(endings),
        )

    def _rule(
        self,
        body: str,
        spellings: dict[str, str],
        typed: dict[str, str],
        endings: list[tuple[int, str, str]],
    ) -> None:
        """Add the rule ``body`` (``shorts = long``) to the tables being made."""
        shorts, _, long = body.partition("=")
        words = " ".join(self.plain_words(long))
        if "=" in long or not words or not shorts.strip():
            raise _Problem("write short, other = spelled out: one '=', words on either side")
        if shorts.lstrip().startswith("."):
            endings.append(self._ending(shorts.strip(), long.strip()))
            return
        for short in (form.strip() for form in shorts.split(",")):
            if len(short) >= 2 and short[0] == short[-1] == '"':
                form = short[1:-1].translate(_APOSTROPHES)
                form = _folded(form) if self.folds else form  # as notes are, before this
                if not _TYPED_FORM.fullmatch(form):
                    raise _Problem(f"{short} is not one word, apostrophes inside it")
                if form in typed:
                    raise _Problem(f"{short} is spelt out twice")
                typed[form] = words
                continue
            plain = self.plain_words(short)
            if len(plain) != 1:
                raise _Problem(
                    f"'{short}' is not one word: put a form in quotes to read it as typed"
                )
            if plain[0] in spellings:
                raise _Problem(f"'{short}' is spelt out twice")
            spellings[plain[0]] = words

    def _ending(self, short: str, long: str) -> tuple[int, str, str]:
        """``..in = ..ing`` as (the shortest word it rewrites, its ending, the other ending)."""
        dots = len(short) - len(short.lstrip("."))
        if len(long) - len(long.lstrip(".")) != dots:
            raise _Problem("an ending has as many dots on both sides, as in ..in = ..ing")
        ending, instead = self.plain_words(short[dots:]), self.plain_words(long[dots:])
        if len(ending) != 1 or len(instead) != 1:
            raise _Problem("an ending is one word on each side, as in ..in = ..ing")
        return dots + len(ending[0]), ending[0], instead[0]


def _typed_regex(form: str) -> str:
    """A form read as typed: any case if it is written in lower case, else only as written; an
    apostrophe may follow the dot of initials (o.d.'d)."""
    regex = "".join(r"\.?'" if c == "'" else re.escape(c) for c in form)
    return regex if form == form.lower() else f"(?-i:{regex})"


def _language(locale: str) -> str:
    """The language of a locale: ``es`` of ``es``, ``es-MX`` and ``es_AR``."""
    return locale.replace("_", "-").split("-")[0].lower()


@functools.cache
def _reading_of(language: str) -> Reading:
    """The reading of a language, from the spellings file of its folder; bundled data, read
    once, like a constant. A language with none (or no folder) folds accents, nothing more."""
    if not language.isalnum():
        return Reading()
    text = bundled_text(language, SPELLINGS_FILE)
    return Reading() if text is None else Reading.parse(text)


def reading(locale: str) -> Reading:
    """How notes of ``locale`` (``es``, ``es-MX``, ``es_AR`` …) are read: by its language."""
    return _reading_of(_language(locale))


def normalise(text: str, locale: str = DEFAULT_LOCALE) -> str:
    """Reduce a note (its first ``MAX_TEXT`` characters) to plain words between single spaces,
    as notes of ``locale`` are read.

    Case, punctuation and repeated letters are dropped, and common spellings are spelt out:
    "Im gonna OD'd!!" and "i am going to overdosed" read alike, as do "m kiero morír" and
    "me quiero morir" in Spanish.
    """
    return reading(locale).normalise(text)


class DangerPatternError(ValueError):
    """A line of a danger-words list that is not a pattern; the message names its line."""

    def __init__(self, line: int, problem: str, text: str) -> None:
        super().__init__(f"line {line}: {problem}, in: {text.strip()}")
        self.line = line


class _Problem(Exception):
    """What is wrong with a pattern, before it is known which line it is on."""


class _Part:
    """A piece of a compiled pattern."""

    __slots__ = ()

    def regex(self) -> str:
        """The regular expression that matches this piece, each word ended by a space."""
        raise NotImplementedError

    def source(self) -> str:
        """The piece written back in the pattern language, its words normalised."""
        raise NotImplementedError

    def may_be_empty(self) -> bool:
        """Whether this piece can match no word at all."""
        raise NotImplementedError

    def ways(self) -> int:
        """How many ways this piece can match at one place, roughly: what backtracking costs."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class _Words(_Part):
    words: tuple[str, ...]
    prefix: bool = False
    """The last word may go on: ``overdos*``."""

    def regex(self) -> str:
        if not self.words:
            return ""  # punctuation standing alone, like the "-" of "self - harm"
        pattern = " ".join(re.escape(word) for word in self.words)
        return f"{pattern}[^ ]* " if self.prefix else f"{pattern} "

    def source(self) -> str:
        return " ".join(self.words) + ("*" if self.prefix else "")

    def may_be_empty(self) -> bool:
        return not self.words

    def ways(self) -> int:
        return 1


@dataclass(frozen=True, slots=True)
class _Filler(_Part):
    def regex(self) -> str:
        return f"(?:[^ ]+ ){{0,{FILLER}}}"

    def source(self) -> str:
        return "..."

    def may_be_empty(self) -> bool:
        return True

    def ways(self) -> int:
        return FILLER + 1


@dataclass(frozen=True, slots=True)
class _Optional(_Part):
    part: _Part

    def regex(self) -> str:
        return f"(?:{self.part.regex()})?"

    def source(self) -> str:
        inner = self.part.source()
        single = isinstance(self.part, _Choice) or (
            isinstance(self.part, _Words) and len(self.part.words) == 1
        )
        return f"{inner}?" if single else f"({inner})?"

    def may_be_empty(self) -> bool:
        return True

    def ways(self) -> int:
        return self.part.ways() + 1


@dataclass(frozen=True, slots=True)
class _Sequence(_Part):
    parts: tuple[_Part, ...]

    def regex(self) -> str:
        return "".join(part.regex() for part in self.parts)

    def source(self) -> str:
        return " ".join(text for text in (part.source() for part in self.parts) if text)

    def may_be_empty(self) -> bool:
        return all(part.may_be_empty() for part in self.parts)

    def ways(self) -> int:
        ways = 1
        for part in self.parts:
            ways *= part.ways()
        return ways


@dataclass(frozen=True, slots=True)
class _Choice(_Part):
    options: tuple[_Part, ...]

    def regex(self) -> str:
        return "(?:" + "|".join(option.regex() for option in self.options) + ")"

    def source(self) -> str:
        return "(" + "|".join(option.source() for option in self.options) + ")"

    def may_be_empty(self) -> bool:
        return any(option.may_be_empty() for option in self.options)

    def ways(self) -> int:
        # Alternative words rarely match at the same place; a failing one costs a character.
        return max(option.ways() for option in self.options)


_TOKEN = re.compile(
    r"\s+|(?P<filler>\.\.\.|\u2026)|(?P<mark>[()|?])|(?P<name>@\w*)"
    r"|(?P<word>(?:(?!\.\.\.)[^\s()|?@\u2026])+)"
)
_DEFINITION = re.compile(r"\s*@(\w+)\s*=(.*)", re.DOTALL)


class _Reader:
    """Read one pattern (or a list's definition) into parts."""

    def __init__(self, text: str, lists: dict[str, _Part], reading: Reading) -> None:
        self._tokens: list[tuple[str, str]] = []
        for match in _TOKEN.finditer(text):
            kind = match.lastgroup
            if kind is not None:
                self._tokens.append((kind, match.group()))
        self._at = 0
        self._lists = lists
        self._reading = reading

    def read(self) -> _Part:
        part = self._choice(depth=0)
        if self._at < len(self._tokens):
            raise _Problem("')' has no '(' before it")
        return part

    def _peek(self) -> tuple[str, str]:
        return self._tokens[self._at] if self._at < len(self._tokens) else ("end", "")

    def _choice(self, depth: int) -> _Part:
        if depth > _MAX_DEPTH:
            raise _Problem(f"groups nest more than {_MAX_DEPTH} deep")
        options = [self._sequence(depth)]
        while self._peek() == ("mark", "|"):
            self._at += 1
            options.append(self._sequence(depth))
        return options[0] if len(options) == 1 else _Choice(tuple(options))

    def _sequence(self, depth: int) -> _Part:
        parts: list[_Part] = []
        while True:
            kind, piece = self._peek()
            if kind == "end" or piece in ("|", ")"):
                break
            if piece == "?":
                raise _Problem("'?' must follow a word or a (group), once")
            self._at += 1
            part = self._item(kind, piece, depth)
            if self._peek() == ("mark", "?"):
                self._at += 1
                if isinstance(part, _Filler):
                    raise _Problem("'...' is optional already: drop the '?'")
                part = _Optional(part)
            parts.append(part)
        if not parts:
            raise _Problem("an alternative is empty: write (a|b)? to make a choice optional")
        return parts[0] if len(parts) == 1 else _Sequence(tuple(parts))

    def _item(self, kind: str, piece: str, depth: int) -> _Part:
        if kind == "filler":
            return _Filler()
        if kind == "name":
            if piece[1:] not in self._lists:
                raise _Problem(f"no list {piece} is defined above: write {piece} = a | b first")
            return self._lists[piece[1:]]
        if piece == "(":
            part = self._choice(depth + 1)
            if self._peek() != ("mark", ")"):
                raise _Problem("'(' is never closed")
            self._at += 1
            return part
        if "*" not in piece:
            return _Words(tuple(self._reading.normalise(piece).split()))
        stem = piece.removesuffix("*")
        words = tuple(self._reading.plain_words(stem))
        if "*" in stem or not words or not stem[-1:].isalnum():
            raise _Problem("'*' goes at the end of a word, as in overdos*; '...' stands for words")
        return _Words(words, prefix=True)


def _read_lines(lines: Iterable[str], reading: Reading) -> list[tuple[str, str]]:
    """Each pattern of ``lines`` as (its source, its regex); raise naming the first bad line."""
    lists: dict[str, _Part] = {}
    patterns: list[tuple[str, str]] = []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0]
        if not text.strip():
            continue
        definition = _DEFINITION.fullmatch(text)
        try:
            if definition is not None:
                name, body = definition.groups()
                if name in lists:
                    raise _Problem(f"@{name} is defined twice")
                lists[name] = _Reader(body, lists, reading).read()
                continue
            pattern = _Reader(text, lists, reading).read()
            if pattern.may_be_empty():
                raise _Problem("every word is optional, so it would match any note")
            if pattern.ways() > MAX_WAYS:
                raise _Problem(
                    "too many optional parts ('?' and '...') to match quickly: split the line"
                )
        except _Problem as problem:
            raise DangerPatternError(number, str(problem), text) from None
        patterns.append((pattern.source(), pattern.regex()))
    return patterns


class DangerWords:
    """Patterns of words that speak of immediate danger, matched in any case and spelling.

    ``DangerWords(lines)`` and ``DangerWords.parse(text)`` read the pattern language of
    ``messages/en/danger_words.txt``: one pattern a line, ``#`` comments, ``(a|b)``, ``word?``,
    ``word*``, ``...`` and ``@list = a | b``, its words read as notes of ``locale`` are (see
    ``Reading``); lists of several languages add up, each heard as its language is read. A
    line that is not a pattern raises ``DangerPatternError`` (a ``ValueError``) naming its
    line, when the list is read: an admin's list is checked at start (``bot.overrides``),
    never while a member waits.
    """

    def __init__(self, phrases: Iterable[str], locale: str = DEFAULT_LOCALE) -> None:
        self._assemble({_language(locale): _read_lines(phrases, reading(locale))})

    def _assemble(self, patterns: Mapping[str, Iterable[tuple[str, str]]]) -> None:
        """Keep each language's patterns apart: a note is read once as each language is read."""
        self._patterns: dict[str, dict[str, str]] = {}
        for language, pairs in patterns.items():
            unique = {regex: source for source, regex in pairs}
            if unique:
                self._patterns.setdefault(language, {}).update(unique)
        self.phrases: tuple[str, ...] = tuple(
            source for unique in self._patterns.values() for source in unique.values()
        )
        """Each pattern, written back with its lists filled in and its words normalised."""
        self._compiled = tuple(
            (reading(language), re.compile(f" (?:{'|'.join(unique)})"))
            for language, unique in self._patterns.items()
        )

    @classmethod
    def parse(cls, text: str, locale: str = DEFAULT_LOCALE) -> DangerWords:
        """Read a danger-words file of ``locale``; raise ``DangerPatternError`` naming a line
        that is not a pattern."""
        return cls(text.splitlines(), locale)

    def spoken_in(self, text: str) -> bool:
        """Whether ``text`` (its first ``MAX_TEXT`` characters) matches any of the patterns."""
        return bool(text) and any(
            pattern.search(f" {read_as.normalise(text)} ") is not None
            for read_as, pattern in self._compiled
        )

    def __add__(self, other: DangerWords) -> DangerWords:
        combined = DangerWords(())
        combined._assemble(
            {
                language: [
                    (source, regex)
                    for words in (self, other)
                    for regex, source in words._patterns.get(language, {}).items()
                ]
                for language in self._patterns.keys() | other._patterns.keys()
            }
        )
        return combined
