"""The Discord dialect escapes what members type; long messages split into parts whole alone."""

from __future__ import annotations

# Importing the fixtures first filters discord's audioop warning (until pyproject does).
from tests.fakes import discord_fixtures  # noqa: F401

# isort: split

import re
from pathlib import Path
from typing import TypeAlias

import discord.utils
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from adapters.discord.dialect import MAX_MESSAGE, ZWSP, DiscordDialect, split_markdown
from bot.dialect import Dialect
from bot.domain.replies import Mention
from bot.render import Renderer

DC = DiscordDialect()
SAM_ID = "101000000000000001"


def _unescape(markup: str) -> str:
    """What Discord shows for escaped text: each backslash pair as its character."""
    return re.sub(r"\\([\s\S])", r"\1", markup)


# -- escaping -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "escaped"),
    [
        ("**bold** __under__ ~~gone~~", r"\*\*bold\*\* \_\_under\_\_ \~\~gone\~\~"),
        ("||spoiler|| `code` a\\b", r"\|\|spoiler\|\| \`code\` a\\b"),
        ("[click](https://evil.example) [2](https://x.example)", None),
        ("> quote\n>>> all\n# big\n## big\n-# small\n- item\n+ item\n1. first", None),
        ("  > indented quote", "  \\> indented quote"),
        ("a > b # c - d 1. e", "a > b # c - d 1. e"),  # only at a line's start
        ("see https://meet.example/a_b*c and go", "see https://meet.example/a_b*c and go"),
        ("(just) parens: and.dots", "(just) parens: and.dots"),
    ],
)
def test_escape_neutralises_discord_markdown(typed: str, escaped: str | None) -> None:
    got = DC.escape(typed)

    if escaped is not None:
        assert got == escaped
    assert _unescape(got) == typed
    outside_links = re.sub(r"https?://\S+", "", got)
    assert re.search(r"(?<!\\)(?:\\\\)*[*_~|`\[\]]", outside_links) is None
    assert re.search(r"(?m)^[ \t]*(?:[>#+-]|[0-9]+\.)", got) is None


def test_masked_links_are_all_escaped_where_discord_py_leaves_the_second() -> None:
    typed = "[a](https://evil.example) [b](https://evil.example)"

    assert discord.utils.escape_markdown(typed) == (
        r"\[a](https://evil.example) [b](https://evil.example)"
    )
    assert DC.escape(typed) == r"\[a\](https://evil.example) \[b\](https://evil.example)"


@pytest.mark.parametrize(
    "typed",
    [
        "@everyone",
        "@here",
        "@Everyone",
        f"<@{SAM_ID}>",
        f"<@!{SAM_ID}>",
        "<@2>",
        "<@&1>",
        "<#500000000000000010>",
        "</days:1234>",
        "<:wave:1234> <a:wave:1234>",
        "<t:1700000000:R>",
        "<id:customize>",
    ],
)
def test_escape_makes_every_mention_plain_text(typed: str) -> None:
    got = DC.escape(typed)

    assert got.replace(ZWSP, "") == typed
    assert re.search(r"(?i)@(?:everyone|here)|<[@#/:]|<a:|<t:|<id:", got) is None


_MENTION_FORM = re.compile(r"(?i)@(?:everyone|here)|<[@#/:]|<a:|<t:|<id:")
"""Every way Discord content could mention someone, or read as one of its ``<...>`` forms."""


@pytest.mark.parametrize(
    ("typed", "escaped"),
    [
        ("https://x.example/@everyone", f"https://x.example/@{ZWSP}everyone"),
        ("see https://x.example/?a=@here.", f"see https://x.example/?a=@{ZWSP}here."),
        ("https://x.example/@everyone <@&1>", f"https://x.example/@{ZWSP}everyone <{ZWSP}@&1>"),
        ("https://x.example/<@1>", f"https://x.example/<{ZWSP}@1>"),
        ("https://x.example/a_b<#2></c:3>", f"https://x.example/a_b<{ZWSP}#2><{ZWSP}/c:3>"),
        ("https://x@everyone.example", f"https://x@{ZWSP}everyone.example"),
    ],
)
def test_escape_breaks_mentions_inside_a_web_address(typed: str, escaped: str) -> None:
    assert DC.escape(typed) == escaped
    assert _MENTION_FORM.search(DC.escape(typed)) is None


@settings(max_examples=500)
@given(
    st.lists(
        st.sampled_from([*"a_ /@<&!#:.)\n1", "https://x.example/", "everyone", "Here", ZWSP]),
        max_size=16,
    ).map("".join)
)
def test_no_escaped_text_holds_a_mention_form(typed: str) -> None:
    got = DC.escape(typed)

    assert _MENTION_FORM.search(got) is None
    assert _unescape(got).replace(ZWSP, "") == typed.replace(ZWSP, "")


@given(
    path=st.lists(st.sampled_from([*"ab_/@&!#?=.", "everyone", "here", "%40"]), max_size=12),
    label=st.sampled_from(["", "meeting", "@everyone", "<@&1>", "@here now"]),
)
def test_no_link_holds_a_mention_form_in_its_text_or_target(path: list[str], label: str) -> None:
    url = "https://x.example/" + "".join(path)

    for markup in (DC.escape(url), DC.escape(label)):
        assert _MENTION_FORM.search(DC.link(url, markup)) is None


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_characters=":")))
def test_escape_keeps_the_text_and_leaves_no_markup(typed: str) -> None:
    got = DC.escape(typed)

    assert _unescape(got).replace(ZWSP, "") == typed.replace(ZWSP, "")
    assert re.search(r"(?<!\\)(?:\\\\)*[*_~|`\[\]]", got) is None
    assert re.search(r"(?i)@(?:everyone|here)|<[@#]", got) is None


def test_mention_notifies_a_numeric_id_only() -> None:
    assert DC.mention(SAM_ID, "Sam") == f"<@{SAM_ID}>"
    assert DC.mention("101?x=1", "*Sam*") == r"\*Sam\*"
    assert DC.mention("", "@everyone") == f"@{ZWSP}everyone"
    assert DC.mention("\u0661\u0660\u0661", "Sam") == "Sam"  # digits, but not ones Discord reads


def test_role_names_a_numeric_role_and_escapes_anything_else() -> None:
    assert DC.role("1100000000000000001") == "<@&1100000000000000001>"
    assert DC.role("@everyone") == "role @\u200beveryone"
    assert DC.role("**x**") == "role \\*\\*x\\*\\*"


def test_bold_and_italic_wrap_markup_and_leave_its_outer_spaces_out() -> None:
    assert DC.bold("a \\* b") == "**a \\* b**"
    assert DC.italic("x") == "*x*"
    assert DC.italic(DC.bold("x")) == f"*{ZWSP}**x**{ZWSP}*"  # never a run of four asterisks
    assert DC.bold("a \\*") == "**a \\***"  # an escaped asterisk is text
    # Discord cannot nest a span in one of its kind (*a *b* c* shows the outer asterisks):
    assert DC.italic("a " + DC.italic("b") + " c") == "*a b c*"
    assert DC.bold(DC.italic(DC.bold("x")) + " y") == f"**{ZWSP}*{ZWSP}x{ZWSP}* y**"
    assert DC.italic(DC.escape("*a*") + " " + DC.italic("b")) == "*\\*a\\* b*"  # typed, kept
    assert DC.bold(" padded ") == " **padded** "
    assert DC.italic("   ") == "   "
    assert (DC.name, DC.max_length) == ("discord", 2000)


@pytest.mark.parametrize(
    ("url", "markup", "expected"),
    [
        ("https://aa.org/find", "AA", "[AA](https://aa.org/find)"),
        ("https://aa.org/find", "https://aa.org/find", "<https://aa.org/find>"),
        ("https://en.wiki.example/A_(b)", "A", "[A](https://en.wiki.example/A_%28b%29)"),
        ("HTTP://AA.ORG", "AA", "[AA](HTTP://AA.ORG)"),
        ("javascript:alert(1)", "click", "click (javascript:alert(1))"),
        ("tel:+441234", "tel:+441234", "tel:+441234"),
        ("https://", "nothing", "nothing (https://)"),
        ("https://a.org/x y", "gap", "gap (https://a.org/x y)"),
        ("https://[a.org", "odd", "odd (https://[a.org)"),  # as Discord autolinks it
        ("https://a.org/<@1>", "x", f"x (https://a.org/<{ZWSP}@1>)"),
        # An address an admin set shows as set, and still leads there, notifying nobody:
        ("https://x.example/@everyone", "go", "[go](https://x.example/%40everyone)"),
        (
            "https://x.example/@everyone",
            f"https://x.example/@{ZWSP}everyone",
            f"<https://x.example/@{ZWSP}everyone>",
        ),
        ("https://x.example/?to=@here", "", f"<https://x.example/?to=@{ZWSP}here>"),
        ("https://a.org/", "@everyone", f"[@{ZWSP}everyone](https://a.org/)"),
    ],
)
def test_link(url: str, markup: str, expected: str) -> None:
    assert DC.link(url, markup) == expected


def test_renderer_escapes_member_text_through_the_dialect(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "probe.j2").write_text(
        "{{ mention(who) }} & {{ mention(other) }}: {{ note|bold }} {{ url|link('meeting') }}",
        encoding="utf-8",
    )
    dialect: Dialect = DC
    renderer = Renderer(dialect, overrides=tmp_path)

    text = renderer.render(
        "probe",
        {
            "who": {"id": SAM_ID, "name": "Sam"},
            "other": {"id": "102", "name": "@everyone <@&1>"},
            "note": "*not* <@102>",
            "url": "https://meet.example/?a=1&b=2",
        },
        mentions=[Mention(SAM_ID, "Sam")],
    )

    assert text == (
        f"<@{SAM_ID}> & @{ZWSP}everyone <{ZWSP}@&1>: **\\*not\\* <{ZWSP}@102>**"
        " [meeting](https://meet.example/?a=1&b=2)"
    )


# -- splitting, by example ----------------------------------------------------------------------


def test_a_message_that_fits_is_one_part() -> None:
    assert split_markdown("**hi**", 6) == ["**hi**"]
    assert split_markdown("") == [""]
    assert split_markdown("x" * MAX_MESSAGE) == ["x" * MAX_MESSAGE]


def test_prefers_a_blank_line_then_a_line_break_then_a_space() -> None:
    paragraphs = "one two\nthree four\n\nfive six"
    assert split_markdown(paragraphs, 22) == ["one two\nthree four", "five six"]
    assert split_markdown("one two\nthree four five", 18) == ["one two", "three four five"]
    assert split_markdown("a b\nthree four five", 18) == ["a b\nthree four", "five"]  # no stub
    assert split_markdown("one two three four five", 14) == ["one two three", "four five"]
    assert split_markdown("abcdefghij", 4) == ["abcd", "efgh", "ij"]


def test_spans_close_and_reopen_at_a_split() -> None:
    assert split_markdown("**bold one two** three", 12) == ["**bold one**", "**two**", "three"]
    nested = DC.italic("x " + DC.bold("y z"))
    assert split_markdown(nested, 10) == [f"*x **y**{ZWSP}*", f"*{ZWSP}**z**{ZWSP}*"]
    assert split_markdown("[one two three](https://a.org/x) four", 30) == [
        "[one two](https://a.org/x)",
        "[three](https://a.org/x) four",
    ]


def test_a_span_inside_one_of_its_kind_splits_as_one_span() -> None:
    inner = DC.italic(DC.escape("aaaaaaaaaaaaaaaa***here") + " ")
    nested = DC.italic(inner + " " + DC.escape("a") + " ")
    assert nested == "*aaaaaaaaaaaaaaaa\\*\\*\\*here  a* "
    assert split_markdown(nested, 20) == ["*aaaaaaaaaaaaaaaa\\**", "*\\*\\*here  a*"]
    assert split_markdown(nested, 31) == ["*aaaaaaaaaaaaaaaa\\*\\*\\*here  a*"]
    assert split_markdown(DC.bold("x " + DC.bold("y z")), 8) == ["**x y**", "**z**"]


def test_never_cuts_a_mention_an_escape_or_an_address() -> None:
    mention = f"<@{SAM_ID}>"
    assert split_markdown(f"hi {mention} there", 24) == [f"hi {mention}", "there"]
    assert split_markdown(f"ab{mention}", 22) == ["ab", mention]
    assert split_markdown(r"\*\*\*", 4) == [r"\*\*", r"\*"]
    assert split_markdown("a" * 20 + "https://a.org/xy", 32) == ["a" * 20, "https://a.org/xy"]
    assert split_markdown("🙂" * 10, 10) == ["🙂" * 5, "🙂" * 5]  # counted in UTF-16 units


def test_a_part_starting_mid_line_does_not_turn_into_a_heading_or_list() -> None:
    assert split_markdown("aaaaaaa # b", 8) == ["aaaaaaa", "\\# b"]
    assert split_markdown("aaaaaaa - b", 8) == ["aaaaaaa", "\\- b"]
    assert split_markdown("aaaaaaa 12. b", 8) == ["aaaaaaa", "12\\. b"]
    assert split_markdown("aaaaaaa\n# b", 8) == ["aaaaaaa", "# b"]  # the template's own line


def test_a_literal_asterisk_is_text() -> None:
    assert split_markdown("5 * 3 is fifteen", 8) == ["5 * 3 is", "fifteen"]


def test_a_limit_with_no_room_for_the_open_spans_is_refused() -> None:
    with pytest.raises(ValueError, match="no room"):
        split_markdown("[" + "x" * 50 + "](https://a.org/a/very/long/path)", 30)


# -- splitting, by property ---------------------------------------------------------------------

_PIECES = [*"ab yz\n*_~|`[]()<>@#-.\\1", "🙂", "é", "\u200d", "everyone", "here", "> ", "# "]
_leaf = st.lists(st.sampled_from(_PIECES), max_size=30).map("".join)
_LINK = "https://a.org/p?q=1"

Node: TypeAlias = "str | tuple[str, list[Node]]"
"""Text a member typed, a mention (``("@", [])``), or bold, italic or a link around more."""


def _tree() -> st.SearchStrategy[Node]:
    def wrap(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
        # Siblings apart: Discord itself misreads touching spans such as *a**b*.
        spaced = st.lists(children, max_size=4).map(lambda c: [n for x in c for n in (x, " ")])
        return st.tuples(st.sampled_from(["**", "*", "[]"]), spaced)

    leaves: st.SearchStrategy[Node] = st.one_of(_leaf, st.just(("@", [])))
    return st.recursive(leaves, wrap, max_leaves=25)


def _markup(node: Node) -> str:
    if isinstance(node, str):
        return DC.escape(node)
    kind, children = node
    if kind == "@":
        return DC.mention(SAM_ID, "Sam")
    inner = "".join(_markup(child) for child in children)
    if kind == "**":
        return DC.bold(inner)
    if kind == "*":
        return DC.italic(inner)
    return DC.link(_LINK, inner)


def _overhead(node: Node) -> int:
    """The longest chain of open spans (with their closings) above any text in ``node``."""
    if isinstance(node, str) or node[0] == "@":
        return 0
    kind, children = node
    # Bold and italic with the zero-width spaces that may keep their asterisks apart:
    own = {"**": 6, "*": 4, "[]": len(f"[]({_LINK})")}[kind]
    return own + max((_overhead(child) for child in children), default=0)


def _visible(markup: str) -> str:
    """What Discord shows, delimiters and escapes gone (mentions kept as written)."""
    pattern = r"\\([\s\S])|<(https?://[^\s>]+)>|\]\([^()\s]*\)|\*+|\["
    return re.sub(pattern, lambda m: m.group(1) or m.group(2) or "", markup)


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# Short trees cannot be split, so some inputs are thrown away; the limit is drawn below the
# markup's length so that most are kept.
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(_tree(), st.data())
def test_split_parts_fit_keep_the_text_and_stay_whole(tree: Node, data: st.DataObject) -> None:
    markup = _markup(tree)
    floor = _overhead(tree) + len(f"<@{SAM_ID}>") + 1
    assume(_units(markup) > floor)
    limit = data.draw(
        st.integers(min_value=floor, max_value=min(floor + 120, _units(markup) - 1)), label="limit"
    )

    parts = split_markdown(markup, limit)

    assert all(_units(part) <= limit for part in parts)
    seen = [_visible(part).replace(ZWSP, "") for part in parts]
    joined = r"\s*" + r"\s*".join(re.escape(text) for text in seen) + r"\s*"
    assert re.fullmatch(joined, _visible(markup).replace(ZWSP, "")), (seen, markup)
    mention = f"<@{SAM_ID}>"
    assert sum(part.count(mention) for part in parts) == markup.count(mention)
    for part in parts:
        assert re.search(r"<@(?![0-9]+>)", part) is None  # no mention cut in two
        bare = re.sub(r"\\[\s\S]", "", part)
        assert bare.count("*") % 2 == 0, part  # every bold and italic closed in its part
        assert bare.count("[") == bare.count("]("), part
