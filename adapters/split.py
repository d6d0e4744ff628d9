"""Splitting a long rendered message into parts a platform takes, for every markup dialect.

The algorithm is written once; a dialect (``Markup``) says how its text reads as tokens and how
its spans close at the end of a part and open again at the start of the next. A split falls at
a blank line, else a line break, else a space, past the first quarter of the part when it can
(an earlier one would leave a stub of a message); the separator itself is dropped. It never
falls inside a token (a tag, an entity, an escape, a mention), nor right after an opener.
Lengths are counted in UTF-16 code units, the most either platform counts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

SEPARATORS = ("\n\n", "\n", " ")
"""Where a split may fall, best first: a blank line, then a line break, then a space."""


@dataclass(slots=True)
class Token:
    """A piece of markup no split falls inside: a character, a tag, an entity, an escape."""

    text: str
    units: int
    opens: str | None = None
    """The kind of span this token opens (a tag's name, ``*``, ``[``), if it opens one."""
    closes: str | None = None
    """The kind of span this token closes, if it closes one."""
    closer: str = ""
    """For an opener, the text that closes its span at a split."""

    @property
    def blank(self) -> bool:
        return self.opens is None and self.closes is None and self.text.isspace()


def utf16_units(text: str) -> int:
    """Length in UTF-16 code units: how Telegram counts, and the most Discord could."""
    return len(text.encode("utf-16-le")) // 2


def _no_gap(before: str, after: str) -> str:
    return ""


def _no_escape(tokens: Sequence[Token], start: int) -> tuple[int, str] | None:
    return None


@dataclass(frozen=True, slots=True)
class Markup:
    """What the splitter needs to know of one dialect."""

    tokenize: Callable[[str, int], list[Token]]
    """The markup as tokens, given the limit (a dialect may break up a token too long for it)."""
    visible: Callable[[str], str]
    """The text a part shows, near enough to tell a part with nothing to read."""
    gap: Callable[[str, str], str] = _no_gap
    """What goes between two delimiters written next to each other when spans reopen or close,
    so the platform reads them as written (Discord's ``*`` beside ``**``)."""
    mid_line: Callable[[Sequence[Token], int], tuple[int, str] | None] = _no_escape
    """Where to put what text so a part starting mid-line at a token, outside any span, does
    not read as the start of a line (a heading, a list); None where it would not."""
    trims: bool = False
    """Whether the whitespace around a split is dropped whole, as a platform that trims a
    message would; otherwise only the separator is."""


def split(text: str, limit: int, markup: Markup) -> list[str]:
    """Split ``text`` into parts of at most ``limit`` UTF-16 units, each well-formed alone.

    Spans still open at a split are closed at the end of the part and opened again at the
    start of the next. A part with nothing visible is left out, but there is always one part,
    so ``split(...)[0]`` is safe (an empty one is the platform's to refuse).

    Raises:
        ValueError: ``limit`` leaves no room for the spans open at some point and a token.
    """
    if utf16_units(text) <= limit:
        return [text]
    tokens = markup.tokenize(text, limit)
    parts: list[str] = []
    stack: list[Token] = []  # spans open where the current part starts
    start, line_start = 0, True
    while start < len(tokens):
        escape = None if stack or line_start else markup.mid_line(tokens, start)
        extra = 0 if escape is None else utf16_units(escape[1])
        cut, resume, open_at_cut = _best_cut(markup, tokens, start, stack, limit, extra)
        end = cut
        while markup.trims and end > start and tokens[end - 1].blank:
            end -= 1
        body = [token.text for token in tokens[start:end]]
        if escape is not None:
            body.insert(escape[0] - start, escape[1])
        part = _opening(markup, stack) + "".join(body) + _closing(markup, open_at_cut)
        if markup.visible(part).strip():
            parts.append(part)
        while markup.trims and resume < len(tokens) and tokens[resume].blank:
            resume += 1
        line_start = any(token.text == "\n" for token in tokens[end:resume])
        stack, start = open_at_cut, resume
    return parts or [""]


_Cut = tuple[int, int, list[Token]]
"""Where a part ends, where the next begins, and the spans open there."""


def _best_cut(
    markup: Markup, tokens: list[Token], start: int, stack: list[Token], limit: int, extra: int
) -> _Cut:
    """Where the part from ``start`` ends, where the next begins, and the spans open there."""
    open_spans = list(stack)
    size = extra + utf16_units(_opening(markup, open_spans))
    closing = utf16_units(_closing(markup, open_spans))
    best: dict[str, _Cut] = {}
    hard: _Cut | None = None
    at = start
    while at < len(tokens):
        token = tokens[at]
        if size + closing <= limit and at > start:
            # Cutting before ``token`` keeps the part within the limit.
            separator = _separator_at(tokens, at)
            if separator is not None:
                key = separator if size >= limit // 4 else f"early{separator}"
                best[key] = (at, at + len(separator), list(open_spans))
            if tokens[at - 1].opens is None:
                hard = (at, at, list(open_spans))
        size += token.units
        if size > limit:
            break
        if token.opens is not None:
            open_spans.append(token)
            closing = utf16_units(_closing(markup, open_spans))
        elif token.closes is not None:
            _close(open_spans, token.closes)
            closing = utf16_units(_closing(markup, open_spans))
        at += 1
    else:
        if size + closing <= limit:
            return at, at, open_spans
    for key in [*SEPARATORS, "hard", *(f"early{s}" for s in SEPARATORS)]:
        if key == "hard" and hard is not None:
            return hard
        if key in best:
            return best[key]
    raise ValueError(f"limit {limit} leaves no room for the markup open at this point")


def _close(spans: list[Token], kind: str) -> None:
    """Close the innermost span of ``kind`` and any left open inside it; a stray closer is text."""
    for index in range(len(spans) - 1, -1, -1):
        if spans[index].opens == kind:
            del spans[index:]
            return


def _opening(markup: Markup, spans: list[Token]) -> str:
    return _joined(markup, [span.text for span in spans])


def _closing(markup: Markup, spans: list[Token]) -> str:
    return _joined(markup, [span.closer for span in reversed(spans)])


def _joined(markup: Markup, pieces: list[str]) -> str:
    text = ""
    for piece in pieces:
        text += markup.gap(text, piece) + piece
    return text


def _separator_at(tokens: list[Token], at: int) -> str | None:
    for separator in SEPARATORS:
        following = tokens[at : at + len(separator)]
        if all(t.blank for t in following) and "".join(t.text for t in following) == separator:
            return separator
    return None
