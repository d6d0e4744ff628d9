"""Telegram's HTML parse mode as a render dialect, and splitting a long message into sendable parts.

The Bot API's HTML style wants every ``<``, ``>`` and ``&`` outside a tag or entity written as
``&lt;``, ``&gt;`` and ``&amp;``; quotes need escaping only inside an attribute value. Mentions
are ``tg://user?id=`` links, which notify the person without a username.

Telegram also finds entities of its own in plain text. Two of them act for someone, so in member
text they are broken by a word joiner (U+2060) after their first character: invisible, so the
text is still shown as typed, only escaped. ``@username`` is a mention and notifies that person;
``/command`` (``/forgetme@HomegroupBot`` too) is tappable and sends the command as the reader.
The rule is Telegram's own (tdlib's ``match_mentions`` and ``match_bot_commands``) read on the
safe side: an ``@`` or ``/`` followed by a letter, digit or ``_`` is left alone only after an
ASCII letter, digit or ``_`` (for ``/``, or after ``/``, ``<``, ``>``), so ``sam@example.org``
stays an address and ``https://a.org/x/y`` a whole link. A link with ``/@name``, ``/-/x`` or
``?next=/x`` in it is linked only up to there: rare in a note, and the price of never notifying.
Hashtags, cashtags, links, emails and phone numbers are left as Telegram finds them: tapping one
searches or opens something, and notifies nobody.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_MESSAGE = 4096
"""Telegram's limit on one message's text, in UTF-16 code units after entity parsing."""

WORD_JOINER = "\u2060"

_LINKABLE = frozenset({"http", "https", "tg"})
_USER_ID = re.compile(r"[0-9]{1,20}")
_MENTION_OR_COMMAND = re.compile(
    r"(?<![A-Za-z0-9_])@(?=[A-Za-z0-9_])"  # a mention
    r"|(?<![A-Za-z0-9_/<>])/(?=[A-Za-z0-9_])"  # a bot command
)
"""Where Telegram could start a mention or a bot command in text."""


@dataclass(frozen=True, slots=True)
class TelegramDialect:
    """HTML for ``parse_mode="HTML"``: every member's text escaped, mentions as user links."""

    name: str = "telegram"
    max_length: int = MAX_MESSAGE

    def escape(self, text: str) -> str:
        """Member text as HTML text that mentions nobody and offers no command to tap."""
        return html.escape(_MENTION_OR_COMMAND.sub(_joined, text), quote=False)

    def mention(self, person: str, name: str) -> str:
        """A link that notifies ``person``; an id that is not a number stays plain text."""
        if _USER_ID.fullmatch(person) is None:
            return self.escape(name)
        return f'<a href="tg://user?id={person}">{self.escape(name)}</a>'

    def bold(self, markup: str) -> str:
        return f"<b>{markup}</b>"

    def italic(self, markup: str) -> str:
        return f"<i>{markup}</i>"

    def link(self, url: str, markup: str) -> str:
        """A link for web and Telegram addresses; any other scheme is shown, never linked."""
        if not _linkable(url):
            shown = self.escape(url)
            return markup if markup == shown else f"{markup} ({shown})"
        return f'<a href="{html.escape(url, quote=True)}">{markup}</a>'

    def role(self, role: str) -> str:
        """Telegram has no roles: the id as plain text, as the plain dialect writes it."""
        return self.escape(f"role {role}")


def _joined(match: re.Match[str]) -> str:
    return match.group(0) + WORD_JOINER


def _linkable(url: str) -> bool:
    if not url or any(c.isspace() or not c.isprintable() for c in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:  # an unbalanced [ in the host, say
        return False
    if parts.scheme.lower() not in _LINKABLE:
        return False
    return parts.scheme.lower() == "tg" or bool(parts.netloc)


# -- splitting ----------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)(?:\s[^<>]*)?>"  # a tag, whose attributes hold no < or >
    r"|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);"  # an entity
    r"|[^<&]"  # one character; a stray < or & is one too
    r"|[<&]"
)

_SEPARATORS = ("\n\n", "\n", " ")
"""Where a split may fall, best first: a blank line, then a line break, then a space."""


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    units: int
    opens: str | None = None
    closes: str | None = None


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _tokenize(markup: str) -> list[_Token]:
    tokens = []
    for match in _TOKEN.finditer(markup):
        text, name = match.group(0), match.group(2)
        if name is None:
            tokens.append(_Token(text, _units(text)))
        elif match.group(1):
            tokens.append(_Token(text, _units(text), closes=name.lower()))
        else:
            tokens.append(_Token(text, _units(text), opens=name.lower()))
    return tokens


def split_html(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Split rendered HTML into parts of at most ``limit`` UTF-16 units, each well-formed alone.

    Telegram counts the text after parsing, so measuring the markup is conservative: a part
    that fits here always fits there. A split never falls inside a tag or an entity. It falls
    at a blank line, else a line break, else a space, past the first quarter of the part when
    it can (an earlier one would leave a stub of a message); the separator itself is dropped.
    Tags still open at a split are closed at the end of the part and opened again at the start
    of the next. A part with no visible text is left out, but there is always one part, so
    ``split_html(text)[0]`` is safe (an empty one is Telegram's to refuse).

    Raises:
        ValueError: ``limit`` leaves no room for the tags open at some point and a character.
    """
    if _units(text) <= limit:
        return [text]
    tokens = _tokenize(text)
    parts: list[str] = []
    stack: list[_Token] = []  # tags open where the current part starts
    start = 0
    while start < len(tokens):
        cut, resume, open_at_cut = _best_cut(tokens, start, stack, limit)
        body = [*stack, *tokens[start:cut]]
        closing = "".join(f"</{tag.opens}>" for tag in reversed(open_at_cut))
        part = "".join(token.text for token in body) + closing
        if _visible(part).strip():
            parts.append(part)
        stack, start = open_at_cut, resume
    return parts or [""]


def _best_cut(
    tokens: list[_Token], start: int, stack: list[_Token], limit: int
) -> tuple[int, int, list[_Token]]:
    """Where the part from ``start`` ends, where the next begins, and the tags open there."""
    open_tags = list(stack)
    size = sum(tag.units for tag in open_tags)
    closing = sum(_closing_units(tag) for tag in open_tags)
    best: dict[str, tuple[int, int, list[_Token]]] = {}
    hard: tuple[int, int, list[_Token]] | None = None
    at = start
    while at < len(tokens):
        token = tokens[at]
        if size + closing <= limit and at > start:
            # Cutting before ``token`` keeps the part within the limit.
            separator = _separator_at(tokens, at)
            if separator is not None and size >= limit // 4:
                best[separator] = (at, at + len(separator), list(open_tags))
            elif separator is not None:
                best[f"early{separator}"] = (at, at + len(separator), list(open_tags))
            if tokens[at - 1].opens is None:
                hard = (at, at, list(open_tags))
        size += token.units
        if size > limit:
            break
        if token.opens is not None:
            open_tags.append(token)
            closing += _closing_units(token)
        elif token.closes is not None:
            for index in range(len(open_tags) - 1, -1, -1):
                if open_tags[index].opens == token.closes:
                    closing -= sum(_closing_units(tag) for tag in open_tags[index:])
                    del open_tags[index:]
                    break
        at += 1
    else:
        if size + closing <= limit:
            return at, at, open_tags
    for separator in _SEPARATORS:
        if separator in best:
            return best[separator]
    if hard is not None:
        return hard
    for separator in _SEPARATORS:
        if f"early{separator}" in best:
            return best[f"early{separator}"]
    raise ValueError(f"limit {limit} leaves no room for the markup open at this point")


def _separator_at(tokens: list[_Token], at: int) -> str | None:
    for separator in _SEPARATORS:
        following = tokens[at : at + len(separator)]
        if "".join(token.text for token in following) == separator:
            return separator
    return None


def _closing_units(tag: _Token) -> int:
    return len(tag.opens or "") + 3


def _visible(markup: str) -> str:
    return html.unescape(re.sub(r"<[^<>]*>", "", markup))
