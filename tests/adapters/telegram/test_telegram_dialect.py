"""Telegram's HTML dialect escapes what members type, and long messages split into valid parts."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import TypeAlias

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram.constants import ParseMode

from adapters.telegram.dialect import TelegramDialect, split_html
from bot.domain.replies import Mention
from bot.render import Renderer
from tests.fakes import fixtures
from tests.fakes.fixtures import bot_for
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_html import parse_html
from tests.fakes.telegram_updates import utf16_length

# Until tests/conftest.py imports it for the whole suite:
fake_telegram = fixtures.fake_telegram

TG = TelegramDialect()


# -- the dialect --------------------------------------------------------------------------------


def test_escape_is_exactly_what_telegram_asks() -> None:
    assert TG.escape("<b>\"Sam\" & 'Alex'</b>") == "&lt;b&gt;\"Sam\" &amp; 'Alex'&lt;/b&gt;"
    assert TG.escape("&amp;") == "&amp;amp;"


WJ = "\u2060"


def _acting(markup: str) -> list[str]:
    """The mentions and bot commands Telegram would find in ``markup``, as their text."""
    text, entities = parse_html(markup)
    units = text.encode("utf-16-le")
    return [
        units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in entities
        if e["type"] in ("mention", "bot_command")
    ]


@pytest.mark.parametrize(
    ("typed", "escaped"),
    [
        ("@bob_supports", f"@{WJ}bob_supports"),
        ("hi @bob_supports!", f"hi @{WJ}bob_supports!"),
        ("(@gif)", f"(@{WJ}gif)"),  # an inline bot, short as its name is
        ("<@bob_supports>", f"&lt;@{WJ}bob_supports&gt;"),
        ("/forgetme", f"/{WJ}forgetme"),
        ("try /forgetme@HomegroupBot now", f"try /{WJ}forgetme@HomegroupBot now"),
        ("a,/days", f"a,/{WJ}days"),
    ],
)
def test_escape_breaks_what_would_notify_or_send_a_command(typed: str, escaped: str) -> None:
    assert _acting(html.escape(typed, quote=False)), "Telegram would find one unescaped"

    assert TG.escape(typed) == escaped
    assert _acting(TG.escape(typed)) == []


def test_escape_errs_on_the_side_of_breaking() -> None:
    # Telegram reads é as part of a word, so finds no mention here; breaking it costs nothing.
    assert TG.escape("é@bob_supports") == f"é@{WJ}bob_supports"


@pytest.mark.parametrize(
    "typed",
    [
        "sam@example.org",
        "https://meet.example/join/now?pwd=a_b",
        "and/or 1/2 </b>",
        "#justfortoday $NA",
        "@ me / you",
    ],
)
def test_escape_leaves_addresses_links_and_tags_as_typed(typed: str) -> None:
    assert TG.escape(typed) == html.escape(typed, quote=False)


@given(
    st.lists(
        st.sampled_from([*"ab_Z9 /@<>&.:#é\n", "bob_supports", "forgetme", "https://", WJ]),
        max_size=24,
    ).map("".join)
)
def test_no_escaped_text_mentions_anyone_or_offers_a_command(typed: str) -> None:
    shown, _ = parse_html(TG.escape(typed))

    assert _acting(TG.escape(typed)) == []
    assert shown.replace(WJ, "") == typed.replace(WJ, "")


def test_mention_links_a_numeric_id_only() -> None:
    assert TG.mention("101", "Sam <3") == '<a href="tg://user?id=101">Sam &lt;3</a>'
    assert TG.mention("101?x=1", "Sam") == "Sam"
    assert TG.mention("", "Sam & co") == "Sam &amp; co"
    assert TG.mention("\u0661\u0660\u0661", "Sam") == "Sam"  # digits, but not ones Telegram reads


def test_role_is_plain_escaped_text() -> None:
    assert TG.role("1100000000000000001") == "role 1100000000000000001"
    assert TG.role("<b>x</b>") == "role &lt;b&gt;x&lt;/b&gt;"


def test_bold_and_italic_wrap_markup() -> None:
    assert TG.bold("a &amp; b") == "<b>a &amp; b</b>"
    assert TG.italic("<b>x</b>") == "<i><b>x</b></i>"
    assert (TG.name, TG.max_length) == ("telegram", 4096)


@pytest.mark.parametrize(
    ("url", "markup", "expected"),
    [
        ("https://aa.org/find", "AA", '<a href="https://aa.org/find">AA</a>'),
        (
            'https://x.org/?q="a"&b=<1>',
            "x",
            '<a href="https://x.org/?q=&quot;a&quot;&amp;b=&lt;1&gt;">x</a>',
        ),
        ("tg://resolve?domain=homegroup", "us", '<a href="tg://resolve?domain=homegroup">us</a>'),
        ("HTTP://AA.ORG", "AA", '<a href="HTTP://AA.ORG">AA</a>'),
        ("javascript:alert(1)", "click", "click (javascript:alert(1))"),
        ("tel:+441234", "tel:+441234", "tel:+441234"),
        ("https://", "nothing", "nothing (https://)"),
        ("https://a.org/x y", "gap", "gap (https://a.org/x y)"),
        ("https://[a.org", "odd", "odd (https://[a.org)"),
        ("mailto:<x>", "mail", "mail (mailto:&lt;x&gt;)"),
    ],
)
def test_link(url: str, markup: str, expected: str) -> None:
    assert TG.link(url, markup) == expected


def test_renderer_escapes_member_text_through_the_dialect(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "probe.j2").write_text(
        "{{ mention(who) }} & {{ mention(other) }}: {{ note|bold }} {{ url|link('meeting') }}",
        encoding="utf-8",
    )
    renderer = Renderer(TG, overrides=tmp_path)

    text = renderer.render(
        "probe",
        {
            "who": {"id": "101", "name": "Sam</a>"},
            "other": {"id": "102", "name": "<i>Alex</i>"},
            "note": "1 < 2",
            "url": "https://meet.example/?a=1&b=2",
        },
        mentions=[Mention("101", "Sam")],
    )

    assert text == (
        '<a href="tg://user?id=101">Sam&lt;/a&gt;</a> & &lt;i&gt;Alex&lt;/i&gt;: <b>1 &lt; 2</b>'
        ' <a href="https://meet.example/?a=1&amp;b=2">meeting</a>'
    )


# -- splitting, by example ----------------------------------------------------------------------


def test_a_message_that_fits_is_one_part() -> None:
    assert split_html("<b>hi</b>", 9) == ["<b>hi</b>"]
    assert split_html("") == [""]


def test_prefers_a_blank_line_then_a_line_break_then_a_space() -> None:
    paragraphs = "one two\nthree four\n\nfive six"
    assert split_html(paragraphs, 22) == ["one two\nthree four", "five six"]
    assert split_html("one two\nthree four five", 18) == ["one two", "three four five"]
    assert split_html("a b\nthree four five", 18) == ["a b\nthree four", "five"]  # no stub
    assert split_html("one two three four five", 14) == ["one two three", "four five"]
    assert split_html("abcdefghij", 4) == ["abcd", "efgh", "ij"]


def test_an_early_separator_does_not_leave_a_stub() -> None:
    text = "hi\n\n" + "word " * 8
    parts = split_html(text, 24)
    assert parts[0].startswith("hi\n\nword")
    assert all(utf16_length(part) <= 24 for part in parts)


def test_open_tags_close_and_reopen_at_a_split() -> None:
    markup = '<b>bold <a href="https://a.org/">one two</a> three</b>'
    parts = split_html(markup, 44)
    assert parts == [
        '<b>bold <a href="https://a.org/">one</a></b>',
        '<b><a href="https://a.org/">two</a></b>',
        "<b>three</b>",
    ]


def test_never_splits_an_entity_and_counts_utf16() -> None:
    assert split_html("&amp;" * 5, 12) == ["&amp;&amp;", "&amp;&amp;", "&amp;"]
    assert split_html("🙂" * 10, 10) == ["🙂" * 5, "🙂" * 5]
    assert split_html("a🙂b", 2) == ["a", "🙂", "b"]


def test_a_limit_with_no_room_for_the_open_tags_is_refused() -> None:
    with pytest.raises(ValueError, match="no room"):
        split_html('<a href="https://a.org/long/path">' + "x" * 50 + "</a>", 30)


# -- splitting, by property ---------------------------------------------------------------------

_TAGS = [
    ("<b>", "</b>"),
    ("<i>", "</i>"),
    ("<u>", "</u>"),
    ("<s>", "</s>"),
    ("<tg-spoiler>", "</tg-spoiler>"),
    ("<code>", "</code>"),
    ("<pre>", "</pre>"),
    ("<blockquote>", "</blockquote>"),
    ('<a href="https://x.org/?a=1&amp;b=&quot;2&quot;">', "</a>"),
    ('<a href="tg://user?id=101">', "</a>"),
]

_leaf = st.text(alphabet=st.sampled_from([*"ab yz\n<>&\"'", "🙂", "é", "\u200d"]), max_size=40)


Node: TypeAlias = "str | tuple[tuple[str, str], list[Node]]"
"""Text a member typed, or a tag (its opening and closing) around more nodes."""


def _tree() -> st.SearchStrategy[Node]:
    def wrap(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
        return st.tuples(st.sampled_from(_TAGS), st.lists(children, max_size=4))

    return st.recursive(_leaf, wrap, max_leaves=25)


def _markup(node: Node) -> str:
    if isinstance(node, str):
        return html.escape(node, quote=False)
    (opening, closing), children = node
    return opening + "".join(_markup(child) for child in children) + closing


def _text(node: Node) -> str:
    if isinstance(node, str):
        return node
    return "".join(_text(child) for child in node[1])


def _overhead(node: Node) -> int:
    """The longest chain of open tags (with their closings) above any text in ``node``."""
    if isinstance(node, str):
        return 0
    (opening, closing), children = node
    return len(opening) + len(closing) + max((_overhead(c) for c in children), default=0)


def _balanced(part: str) -> bool:
    stack: list[str] = []
    for match in re.finditer(r"<(/?)([a-z-]+)[^<>]*>", part):
        if not match.group(1):
            stack.append(match.group(2))
        elif not stack or stack.pop() != match.group(2):
            return False
    return not stack and "<" not in re.sub(r"<[^<>]*>", "", part)


def _visible(part: str) -> str:
    return html.unescape(re.sub(r"<[^<>]*>", "", part))


@settings(max_examples=300, deadline=None)
@given(tree=_tree(), data=st.data())
def test_split_parts_fit_are_well_formed_and_keep_the_text(tree: Node, data: st.DataObject) -> None:
    markup = _markup(tree)
    # Room for the deepest chain of tags and the longest token (an escaped "&amp;").
    smallest = _overhead(tree) + 5
    limit = data.draw(st.integers(min_value=smallest, max_value=smallest + 60), label="limit")

    parts = split_html(markup, limit)

    assert all(utf16_length(part) <= limit for part in parts)
    assert all(_balanced(part) for part in parts)
    for part in parts:
        parse_html(part)  # Telegram's own rules accept every part
    original = _text(tree)
    at = 0
    for part in parts:
        visible = _visible(part).strip()
        while (
            at < len(original) and original[at].isspace() and not original.startswith(visible, at)
        ):
            at += 1
        assert original.startswith(visible, at), (original[at:], visible)
        at += len(visible)
    assert original[at:].strip() == ""


@given(st.text(max_size=300), st.integers(min_value=8, max_value=64))
def test_split_plain_text_loses_only_whitespace(text: str, limit: int) -> None:
    markup = html.escape(text, quote=False)

    parts = split_html(markup, limit)

    assert all(utf16_length(part) <= limit for part in parts)
    joined = "".join(_visible(part) for part in parts)
    assert re.sub(r"\s", "", joined) == re.sub(r"\s", "", text)


# -- against the fake Bot API -------------------------------------------------------------------


async def test_every_part_of_a_long_message_is_accepted(fake_telegram: FakeTelegram) -> None:
    line = "<b>{n}.</b> " + TG.mention("101", "Sam & co") + " will call at 19:00 <i>today</i>\n"
    markup = "".join(line.format(n=n) for n in range(200)) + "\n\n" + TG.bold("🙂 " * 3000)

    parts = split_html(markup)

    assert len(parts) > 2
    async with bot_for(fake_telegram) as bot:
        for part in parts:
            await bot.send_message(101, part, parse_mode=ParseMode.HTML)
    assert [params["text"] for params in fake_telegram.of("sendMessage")] == parts
