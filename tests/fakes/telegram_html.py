"""Telegram's HTML parse mode, as the fake Bot API applies it to every text it is sent.

Telegram answers a message it cannot parse with 400, so a dialect that writes bad markup fails
in tests the way it would fail in a group. It also finds entities of its own in the text; the
fake finds the two that act for someone, ``mention`` (``@username`` notifies that person) and
``bot_command`` (tapping ``/command`` sends it), by tdlib's rules, so a test can see them.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from tests.fakes.telegram_updates import utf16_length


class ApiError(Exception):
    """An error answer: the status and description Telegram would send."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^<>]*)?)>")
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")
_ATTRIBUTE = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_KINDS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_MENTION = re.compile(r"tg://user\?id=([0-9]+)")


def parse_html(
    markup: str, users: Mapping[int, dict[str, Any]] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram's HTML style into plain text and entities, refusing what Telegram refuses.

    Only the Bot API's tags are allowed, each closed in order; ``<`` outside a tag is an error.
    Telegram is lenient with a bare ``&`` and ``>``, and so is this.
    """

    def refuse(reason: str, at: int) -> ApiError:
        offset = len(markup[:at].encode())
        return ApiError(400, f"Bad Request: can't parse entities: {reason} at byte offset {offset}")

    text: list[str] = []
    length = 0
    entities: list[dict[str, Any]] = []
    stack: list[tuple[str, int, dict[str, Any]]] = []
    at = 0
    while at < len(markup):
        char = markup[at]
        if char == "<":
            tag = _TAG.match(markup, at)
            if tag is None:
                raise refuse("Unexpected character '<'", at)
            closing, name, attributes = tag.group(1) == "/", tag.group(2).lower(), tag.group(3)
            if name not in _KINDS:
                raise refuse(f'Unsupported start tag "{name}"', at)
            if closing:
                if not stack or stack[-1][0] != name:
                    raise refuse(f'Unmatched end tag "{name}"', at)
                _, start, made = stack.pop()
                if length > start and made:
                    entities.append({**made, "offset": start, "length": length - start})
            else:
                opened = _entity(name, attributes, stack, users or {})
                if opened is None:
                    raise refuse(f'Bad attributes of tag "{name}"', at)
                stack.append((name, length, opened))
            at = tag.end()
            continue
        entity_match = _ENTITY.match(markup, at) if char == "&" else None
        piece = html.unescape(entity_match.group(0)) if entity_match else char
        at = entity_match.end() if entity_match else at + 1
        text.append(piece)
        length += utf16_length(piece)
    if stack:
        raise refuse(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"', at)
    plain = "".join(text)
    entities.extend(_found(plain, entities))
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return plain, entities


_SHORT_USERNAMES = frozenset(
    {"gif", "wiki", "vid", "bing", "pic", "bold", "imdb", "coub", "like", "vote"}
)
"""Inline bots whose names Telegram links though shorter than the five letters a username has."""

_KEEPS_ITS_OWN = frozenset({"text_link", "text_mention", "code", "pre", "custom_emoji"})
"""Entities inside which Telegram finds nothing more."""


def _found(text: str, given: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The mentions and bot commands Telegram finds in ``text`` outside the entities given."""
    found: list[dict[str, Any]] = []
    for match in re.finditer(r"@([A-Za-z0-9_]{2,32})", text):
        name = match.group(1)
        if _word(text, match.start() - 1) or _word(text, match.end()):
            continue
        if len(name) >= 5 or name.lower() in _SHORT_USERNAMES:
            found.append(_at(text, "mention", match.start(), match.end()))
    for match in re.finditer(r"/[A-Za-z0-9_]{1,64}(@[A-Za-z0-9_]{3,32})?", text):
        before = text[match.start() - 1] if match.start() else ""
        after = text[match.end()] if match.end() < len(text) else ""
        if before in ("/", "<", ">") or _word(text, match.start() - 1):
            continue
        if after in ("/", "<", ">") or _word(text, match.end()):
            continue
        if after == "@" and match.group(1) is None:  # a bot name too short or too long
            continue
        found.append(_at(text, "bot_command", match.start(), match.end()))
    taken = [(e["offset"], e["offset"] + e["length"]) for e in given if e["type"] in _KEEPS_ITS_OWN]
    return [
        e
        for e in found
        if not any(e["offset"] < end and start < e["offset"] + e["length"] for start, end in taken)
    ]


def _word(text: str, at: int) -> bool:
    """Whether the character at ``at`` is one tdlib counts as part of a word."""
    if not 0 <= at < len(text):
        return False
    return text[at] == "_" or unicodedata.category(text[at])[0] in "LN"


def _at(text: str, kind: str, start: int, end: int) -> dict[str, Any]:
    offset = utf16_length(text[:start])
    return {"type": kind, "offset": offset, "length": utf16_length(text[start:end])}


def _entity(
    name: str,
    attributes: str,
    stack: list[tuple[str, int, dict[str, Any]]],
    users: Mapping[int, dict[str, Any]],
) -> dict[str, Any] | None:
    """The entity a start tag opens; {} for one that adds none; None for bad attributes."""
    attrs = {
        m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
        for m in _ATTRIBUTE.finditer(attributes)
    }
    kind = _KINDS[name]
    if name == "span":
        return {"type": kind} if attrs.get("class") == "tg-spoiler" else None
    if name == "a":
        href = attrs.get("href", "")
        mention = _MENTION.fullmatch(href)
        if mention:
            user_id = int(mention.group(1))
            user = users.get(user_id, {"id": user_id, "is_bot": False, "first_name": "Member"})
            return {"type": "text_mention", "user": user}
        return {"type": kind, "url": href} if href else {}
    if name == "code" and stack and stack[-1][0] == "pre":
        language = attrs.get("class", "")
        if language.startswith("language-"):
            stack[-1][2]["language"] = language.removeprefix("language-")
        return {}
    if name == "blockquote" and "expandable" in attributes:
        return {"type": "expandable_blockquote"}
    if name == "tg-emoji":
        return {"type": kind, "custom_emoji_id": attrs["emoji-id"]} if "emoji-id" in attrs else None
    return {"type": kind}
