"""Discord's Markdown as a render dialect, and splitting a long message into sendable parts.

Discord renders Markdown in message content: ``\\ * _ ~ | ` [ ]`` anywhere, and ``> # - + 1.``
at the start of a line. A backslash before any of them shows it as itself. Mentions are
``<@id>``; ``@everyone``, ``@here`` and the other ``<...>`` forms (roles, channels, commands,
emoji, timestamps) are turned into plain text by a zero-width space after ``@`` or ``<``, so
nothing a member typed can notify anyone even if ``allowed_mentions`` were forgotten. Discord
reads ``@everyone`` anywhere in the content, a web address and a link's target included, so the
escape holds there too: an address a member typed or an admin set shows with the zero-width
space (no ``<`` can be part of one), and a masked link's target, which nobody reads, carries
``%40`` for the ``@`` instead, so the link still leads where it should.

``discord.utils.escape_markdown`` is close but not enough: it escapes only the first masked
link of a line (``[a](b) [c](d)`` keeps the second), leaves ``[`` and ``]`` otherwise, and does
nothing of mentions; its ``escape_mentions`` skips channel mentions and ids shorter than 17
digits. So this module does its own escaping, in the same spirit: web addresses pass through
untouched (an escape inside one would end up in the link), everything else is escaped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from adapters.split import Markup, Token, split, utf16_units

MAX_MESSAGE = 2000
"""Discord's limit on a message's content, in characters."""

ZWSP = "\u200b"

_USER_ID = re.compile(r"[0-9]{1,20}")
_URL = r"https?://[^\s<]+[^<.,:;\"')\]\s]"
"""A web address as Discord's autolink reads it (the same pattern discord.py uses)."""

_ESCAPE = re.compile(
    rf"(?P<url>{_URL})"
    r"|(?P<line>^[ \t]*(?:[>#+-]|[0-9]+\.))"  # what starts a quote, heading or list
    r"|(?P<char>[\\*_~|`\[\]])"
    r"|(?P<angle><(?=[@#/:]|a:|t:|id:))"  # mentions, channels, commands, emoji, times
    r"|(?P<at>@(?=(?i:everyone|here)))",
    re.MULTILINE,
)
_EVERYONE = re.compile(r"@(?=(?i:everyone|here))")
"""``@everyone`` and ``@here``, which Discord reads anywhere, inside a word or an address too."""


@dataclass(frozen=True, slots=True)
class DiscordDialect:
    """Markdown for message content: every member's text escaped, mentions as ``<@id>``."""

    name: str = "discord"
    max_length: int = MAX_MESSAGE

    def escape(self, text: str) -> str:
        return _ESCAPE.sub(_escaped, text)

    def mention(self, person: str, name: str) -> str:
        """A mention that notifies ``person``; an id that is not a number stays plain text."""
        if _USER_ID.fullmatch(person) is None:
            return self.escape(name)
        return f"<@{person}>"

    def bold(self, markup: str) -> str:
        return _wrap("**", markup)

    def italic(self, markup: str) -> str:
        return _wrap("*", markup)

    def link(self, url: str, markup: str) -> str:
        """A masked link for web addresses; any other scheme is shown, never linked.

        A link whose text is its own address is written ``<url>``: a link without the preview
        Discord would otherwise attach under the message.
        """
        shown = self.escape(url)
        if not _linkable(url):
            return markup if markup == shown else f"{markup} ({shown})"
        if markup == shown or not markup.strip():
            return f"<{_unmentioned(url)}>"
        target = _EVERYONE.sub("%40", url).replace("(", "%28").replace(")", "%29")
        return f"[{_unmentioned(markup)}]({target})"

    def role(self, role: str) -> str:
        """``<@&id>``, which Discord shows as the role's name; the sender's allowed_mentions
        never allow roles, so nobody is notified. An id that is not a number stays plain text.
        """
        if _USER_ID.fullmatch(role) is None:
            return self.escape(f"role {role}")
        return f"<@&{role}>"


def _escaped(match: re.Match[str]) -> str:
    if match.group("url") is not None:
        return _unmentioned(match.group(0))
    if match.group("line") is not None:
        marker = match.group(0)
        if marker.endswith("."):  # "1." starts a list; "1\." does not
            return marker[:-1] + "\\."
        return marker[:-1] + "\\" + marker[-1]
    if match.group("char") is not None:
        return "\\" + match.group(0)
    return match.group(0) + ZWSP


def _unmentioned(text: str) -> str:
    """``text`` with its ``@everyone`` and ``@here`` shown but notifying nobody."""
    return _EVERYONE.sub("@" + ZWSP, text)


def _wrap(delimiter: str, markup: str) -> str:
    """Wrap ``markup``, leaving its outer whitespace outside: ``* x*`` is no emphasis.

    When the markup itself starts or ends with an emphasis, a zero-width space keeps the
    asterisks apart: Discord would pair ``****x****`` otherwise than it was written.
    A span of the same kind inside is unwrapped first, at any depth: Discord cannot nest one in
    another. Its italic ends at the first lone ``*`` and its bold at the first ``**``, zero-width
    space or not, so ``*a *b* c*`` shows its outer asterisks; and inside a bold a bold shows no
    bolder, inside an italic an italic no more slanted.
    """
    markup = _unnested(delimiter, markup)
    core = markup.strip()
    if not core:
        return markup
    start = markup.index(core)
    inner = core
    if inner.startswith("*"):
        inner = ZWSP + inner
    trailing = re.search(r"(\\*)\*\Z", inner)
    if trailing is not None and len(trailing.group(1)) % 2 == 0:  # not an escaped "\*"
        inner += ZWSP
    return f"{markup[:start]}{delimiter}{inner}{delimiter}{markup[start + len(core) :]}"


def _unnested(delimiter: str, markup: str) -> str:
    """``markup`` without the delimiters of its bold (``**``) or italic (``*``) spans."""
    if delimiter not in markup:
        return markup
    tokens = _tokenize(markup, 2 * utf16_units(markup) + 2)  # every address kept whole
    return "".join(t.text for t in tokens if delimiter not in (t.opens, t.closes))


def _linkable(url: str) -> bool:
    if not url or any(c.isspace() or not c.isprintable() or c in '<>"`\\' for c in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:  # an unbalanced [ in the host, say
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


# -- splitting ----------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"(?P<escape>\\[\s\S])"
    r"|(?P<atom><(?:@[!&]?[0-9]+|#[0-9]+|/[^<>:\s]+:[0-9]+|a?:\w+:[0-9]+|t:-?[0-9]+(?::\w)?"
    r"|https?://[^\s>]+)>)"
    rf"|(?P<url>{_URL})"
    r"|(?P<stars>\*+)"
    r"|(?P<close>\]\([^()\s]*\))"
    r"|(?P<char>[\s\S])"
)

_MARKER = re.compile(r"(?:>|#{1,3}\s|-#\s|[-+*]\s|[0-9]+\.\s)")
"""What Discord reads as a quote, heading, subtext or list at the start of a message."""


def _tokenize(markup: str, limit: int) -> list[Token]:
    """Tokens with their roles: a delimiter only opens or closes when it is matched."""
    tokens: list[Token] = []
    stack: list[Token] = []
    for match in _TOKEN.finditer(markup):
        text, kind = match.group(0), match.lastgroup
        if kind == "url" and utf16_units(text) > limit // 2:
            tokens.extend(Token(c, utf16_units(c)) for c in text)  # too long to keep whole
        elif kind == "stars":
            tokens.extend(_stars(len(text), stack))
        elif kind == "char" and text == "[":
            token = Token("[", 1, opens="[")
            stack.append(token)
            tokens.append(token)
        elif kind == "close" and stack and stack[-1].opens == "[":
            stack.pop().closer = text
            tokens.append(Token(text, utf16_units(text), closes="["))
        else:
            tokens.append(Token(text, utf16_units(text)))
    for unmatched in stack:  # a literal "*" or "[" a template wrote
        unmatched.opens = None
    return tokens


def _stars(count: int, stack: list[Token]) -> list[Token]:
    """Read a run of asterisks as Discord does: ``**`` inside ``*...*`` is bold, not an end.

    A single ``*`` closes an open italic; a pair closes an open bold; what is left opens,
    italic first (``***x***`` is italic around bold).
    """
    made: list[Token] = []
    while count:
        top = stack[-1].opens if stack else None
        if top == "*" and count % 2:
            stack.pop()
            made.append(Token("*", 1, closes="*"))
            count -= 1
        elif top == "**" and count >= 2:
            stack.pop()
            made.append(Token("**", 2, closes="**"))
            count -= 2
        else:
            delimiter = "*" if count % 2 else "**"
            token = Token(delimiter, len(delimiter), opens=delimiter, closer=delimiter)
            stack.append(token)
            made.append(token)
            count -= len(delimiter)
    return made


def _gap(before: str, after: str) -> str:
    """A zero-width space between asterisks that would touch, and pair otherwise."""
    return ZWSP if before.endswith("*") and after.startswith("*") else ""


def _mid_line(tokens: Sequence[Token], start: int) -> tuple[int, str] | None:
    """Where to put a backslash so the part from ``start`` does not open with a marker."""
    head = "".join(token.text for token in tokens[start : start + 8])
    match = _MARKER.match(head)
    if match is None:
        return None
    if match.group(0)[0].isdigit():  # escape the "." of "1."
        return start + match.group(0).index("."), "\\"
    return start, "\\"


def _visible(markup: str) -> str:
    """The text a part shows, near enough to tell an empty part: no delimiters, no escapes."""
    shown = re.sub(r"\\([\s\S])|\*+|\[|\]\([^()\s]*\)", lambda m: m.group(1) or "", markup)
    return shown.replace(ZWSP, "")


MARKDOWN = Markup(tokenize=_tokenize, visible=_visible, gap=_gap, mid_line=_mid_line, trims=True)
"""Discord's Markdown as the splitter reads it: bold, italic and links are spans; a mention,
an escape or a web address is one token; Discord trims the whitespace around a split."""


def split_markdown(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Split rendered Markdown into parts of at most ``limit`` UTF-16 units, each whole alone.

    A split never falls inside a mention, an escape, a web address or a link's target; bold,
    italic and link spans open at a split are closed at the end of the part and opened again at
    the start of the next (``adapters.split``); the whitespace there is dropped, as Discord
    would trim it. A part that starts mid-line with what would read as a quote, heading or list
    gets it escaped. ``split_markdown(text)[0]`` is always there.

    Raises:
        ValueError: ``limit`` leaves no room for the spans open at some point and a token.
    """
    return split(text, limit, MARKDOWN)
