"""The splitter itself, over a toy dialect: parts fit, spans stay whole, no text is lost.

The toy reads ``{`` and ``}`` as a span, ``\\x`` as one token and every other character as
itself, so what the algorithm does is seen apart from either platform's markup (the dialect
tests check HTML and Markdown through it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeAlias

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.split import Markup, Token, split, utf16_units


def _tokenize(markup: str, limit: int) -> list[Token]:
    tokens = []
    for match in re.finditer(r"\\[\s\S]|[\s\S]", markup):
        text = match.group(0)
        if text == "{":
            tokens.append(Token(text, 1, opens="{", closer="}"))
        elif text == "}":
            tokens.append(Token(text, 1, closes="{"))
        else:
            tokens.append(Token(text, utf16_units(text)))
    return tokens


def _visible(part: str) -> str:
    return re.sub(r"\\([\s\S])|[{}]", lambda m: m.group(1) or "", part)


TOY = Markup(tokenize=_tokenize, visible=_visible)


def _touching(before: str, after: str) -> str:
    return "|" if before[-1:] in ("{", "}") and before[-1:] == after[:1] else ""


def _hash_mid_line(tokens: Sequence[Token], start: int) -> tuple[int, str] | None:
    return (start, "\\") if tokens[start].text == "#" else None


# -- by example ---------------------------------------------------------------------------------


def test_text_that_fits_is_one_part_as_it_is() -> None:
    assert split("{a b}", 5, TOY) == ["{a b}"]
    assert split("", 1, TOY) == [""]


def test_a_split_prefers_a_blank_line_then_a_line_break_then_a_space() -> None:
    assert split("one two\nthree four\n\nfive six", 22, TOY) == ["one two\nthree four", "five six"]
    assert split("one two\nthree four five", 18, TOY) == ["one two", "three four five"]
    assert split("one two three four five", 14, TOY) == ["one two three", "four five"]


def test_a_split_leaves_no_stub_when_a_later_one_fits() -> None:
    assert split("a b\nthree four five", 18, TOY) == ["a b\nthree four", "five"]


def test_with_no_separator_a_split_falls_between_tokens() -> None:
    assert split("abcdefghij", 4, TOY) == ["abcd", "efgh", "ij"]
    assert split("ab\\cd\\ef", 3, TOY) == ["ab", "\\cd", "\\ef"]  # never inside an escape
    assert split("🙂" * 4, 4, TOY) == ["🙂🙂", "🙂🙂"]  # counted in UTF-16 units


def test_a_span_open_at_a_split_is_closed_and_opened_again() -> None:
    assert split("{one two three}", 10, TOY) == ["{one two}", "{three}"]
    assert split("{a {b c} d}", 8, TOY) == ["{a {b}}", "{{c} d}"]


def test_a_split_never_falls_right_after_an_opener() -> None:
    assert split("ab{cd}", 4, TOY) == ["ab", "{cd}"]


def test_a_stray_closer_is_text() -> None:
    assert split("a} b c", 4, TOY) == ["a} b", "c"]


def test_the_gap_keeps_reopened_delimiters_apart() -> None:
    gapped = Markup(tokenize=_tokenize, visible=_visible, gap=_touching)
    assert split("{{a b}}", 6, gapped) == ["{{a}|}", "{|{b}}"]  # the text's own are as written


def test_only_a_dialect_that_trims_drops_the_whitespace_around_a_split() -> None:
    trimming = Markup(tokenize=_tokenize, visible=_visible, trims=True)
    assert split("aaa  \n   bbb", 6, TOY) == ["aaa  ", "   bbb"]
    assert split("aaa  \n   bbb", 6, trimming) == ["aaa", "bbb"]


def test_a_part_starting_mid_line_is_escaped_where_the_dialect_says() -> None:
    guarded = Markup(tokenize=_tokenize, visible=_visible, mid_line=_hash_mid_line, trims=True)
    assert split("aaaa # b", 5, guarded) == ["aaaa", "\\# b"]
    assert split("aaaa\n# b", 5, guarded) == ["aaaa", "# b"]  # a line's own start is kept
    assert split("{aaaa # bb}", 7, guarded) == ["{aaaa}", "{# bb}"]  # inside a span it reads so


def test_a_part_with_nothing_to_read_is_left_out() -> None:
    assert split("{a}" + " " * 6 + "{}  {b}", 4, TOY) == ["{a} ", "{b}"]


def test_a_limit_with_no_room_for_the_open_spans_is_refused() -> None:
    with pytest.raises(ValueError, match="no room"):
        split("{{{{{abcdef}}}}}", 10, TOY)


# -- by property --------------------------------------------------------------------------------

Node: TypeAlias = "str | list[Node]"
"""Text, or a span around more nodes."""

_leaf = st.lists(st.sampled_from([*"ab yz\n", "🙂", "é", "\\x"]), max_size=30).map("".join)


def _tree() -> st.SearchStrategy[Node]:
    return st.recursive(_leaf, lambda children: st.lists(children, max_size=4), max_leaves=20)


def _markup(node: Node) -> str:
    if isinstance(node, str):
        return node
    return "{" + "".join(_markup(child) for child in node) + "}"


def _depth(node: Node) -> int:
    if isinstance(node, str):
        return 0
    return 1 + max((_depth(child) for child in node), default=0)


def _balanced(part: str) -> bool:
    depth = 0
    for token in _tokenize(part, len(part)):
        depth += token.opens is not None
        depth -= token.closes is not None
        if depth < 0:
            return False
    return depth == 0


@settings(max_examples=300, deadline=None)
@given(tree=_tree(), data=st.data())
def test_parts_fit_are_balanced_and_keep_every_word(tree: Node, data: st.DataObject) -> None:
    markup = _markup(tree)
    smallest = 2 * _depth(tree) + 2  # the deepest spans' delimiters and an escape
    limit = data.draw(st.integers(min_value=smallest, max_value=smallest + 40), label="limit")

    parts = split(markup, limit, TOY)

    assert parts
    assert all(utf16_units(part) <= limit for part in parts)
    assert all(_balanced(part) for part in parts)
    assert parts in ([markup], [""]) or all(_visible(part).strip() for part in parts)
    original = _visible(markup)
    assert re.sub(r"\s", "", "".join(_visible(p) for p in parts)) == re.sub(r"\s", "", original)
    at = 0
    for part in parts:  # in order, each part a piece of the text; only whitespace between
        shown = _visible(part)
        while at < len(original) and not original.startswith(shown, at):
            assert original[at].isspace(), (original[at:], shown)
            at += 1
        at += len(shown)
    assert original[at:].strip() == ""


@given(st.text(max_size=200), st.integers(min_value=2, max_value=40))
def test_plain_text_parts_fit_and_lose_only_whitespace(text: str, limit: int) -> None:
    plain = text.replace("\\", "").replace("{", "").replace("}", "")

    parts = split(plain, limit, TOY)

    assert all(utf16_units(part) <= limit for part in parts)
    assert re.sub(r"\s", "", "".join(parts)) == re.sub(r"\s", "", plain)
