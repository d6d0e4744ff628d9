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

from adapters.split import Markup, Token, split, utf16_units

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


def _tokenize(markup: str, limit: int) -> list[Token]:
    tokens = []
    for match in _TOKEN.finditer(markup):
        text, name = match.group(0), match.group(2)
        units = utf16_units(text)
        if name is None:
            tokens.append(Token(text, units))
        elif match.group(1):
            tokens.append(Token(text, units, closes=name.lower()))
        else:
            tokens.append(Token(text, units, opens=name.lower(), closer=f"</{name.lower()}>"))
    return tokens


def _visible(markup: str) -> str:
    return html.unescape(re.sub(r"<[^<>]*>", "", markup))


HTML = Markup(tokenize=_tokenize, visible=_visible)
"""Telegram's HTML as the splitter reads it: tags are spans, an entity is one token."""


def split_html(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Split rendered HTML into parts of at most ``limit`` UTF-16 units, each well-formed alone.

    Telegram counts the text after parsing, so measuring the markup is conservative: a part
    that fits here always fits there. A split never falls inside a tag or an entity; tags still
    open at a split are closed at the end of the part and opened again at the start of the
    next (``adapters.split``). ``split_html(text)[0]`` is always there.

    Raises:
        ValueError: ``limit`` leaves no room for the tags open at some point and a character.
    """
    return split(text, limit, HTML)
