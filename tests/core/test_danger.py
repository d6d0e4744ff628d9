"""Words of immediate danger: every way people say it at 2 a.m. is heard, ordinary craving talk is
not, and an admin's list can add to ours but never break the bot while a member waits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.danger import MAX_TEXT, DangerPatternError, DangerWords, normalise
from bot.render import bundled_messages, load_danger_words

CORPUS = Path(__file__).parents[1] / "data" / "danger_corpus.txt"
OURS = bundled_messages().joinpath("en").joinpath("danger_words.txt").read_text(encoding="utf-8")


def corpus() -> dict[str, list[str]]:
    """The corpus's notes by section: ``danger`` and ``ordinary``."""
    sections: dict[str, list[str]] = {}
    section: list[str] = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("["):
            section = sections.setdefault(line.strip("[]"), [])
        else:
            section.append(line)
    return sections


DANGER = corpus()["danger"]
ORDINARY = corpus()["ordinary"]
WORDS = DangerWords.parse(OURS)


def test_the_corpus_holds_enough_of_both() -> None:
    assert len(DANGER) >= 40
    assert len(ORDINARY) >= 20


@pytest.mark.parametrize("note", DANGER)
def test_every_way_of_speaking_of_danger_is_heard(note: str) -> None:
    assert WORDS.spoken_in(note)


@pytest.mark.parametrize("note", ORDINARY)
def test_ordinary_craving_talk_is_not_taken_for_danger(note: str) -> None:
    assert not WORDS.spoken_in(note)


def test_the_patterns_generalise_rather_than_list_the_corpus() -> None:
    lines = [
        f" {normalise(line.split('#', 1)[0])} "
        for line in OURS.splitlines()
        if line.split("#", 1)[0].strip()
    ]
    unlisted = [note for note in DANGER if not any(normalise(note) in line for line in lines)]
    assert len(unlisted) * 4 >= len(DANGER), unlisted


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("I wanna DIIIIE!!!", "i want to die"),
        ("pleeeease", "please"),
        ("killll meee", "kil me"),
        ("gonna, gotta, imma, finna", "going to got to i am going to going to"),
        ("I can\u2019t, cant, cannot, can not", "i can not can not can not can not"),
        ("he isn't, he aint, hes", "he is not he is not he is"),
        ("u r", "you are"),
        ("i od'd", "i overdosed"),
        ("OD\u2019d, ODd, oded, od'ing, ods", "overdosed overdosed overdosed overdosing overdoses"),
        ("sure i o.d.", "sure i overdose"),
        ("i feel odd, I FEEL ODD", "i fel od i fel od"),
        ("not breathin, im dyin", "not breathing i am dying"),
        ("self-harm & pills", "self harm and pils"),
        ("want 2 die", "want to die"),
    ],
)
def test_notes_are_read_in_plain_words(text: str, read: str) -> None:
    assert normalise(text) == read


def test_odd_is_not_an_overdose() -> None:
    words = DangerWords(["overdos*"])
    assert words.spoken_in("I OD'd")
    assert words.spoken_in("think i o.d.")
    assert not words.spoken_in("I feel odd")
    assert not words.spoken_in("THAT WAS ODD")


def test_a_note_is_read_only_so_far() -> None:
    words = DangerWords(["overdose"])
    assert words.spoken_in("x " * (MAX_TEXT // 2 - 20) + "overdose")
    assert not words.spoken_in("x " * MAX_TEXT + "overdose")


@pytest.mark.parametrize(
    ("pattern", "note", "heard"),
    [
        ("(took|swallowed) too (much|many)", "i swallowed too many", True),
        ("(took|swallowed) too (much|many)", "took too long", False),
        ("took (way)? too much", "took way too much", True),
        ("took (way)? too much", "took too much", True),
        ("overdos*", "my mate is overdosing", True),
        ("overdos*", "I overdid it", False),
        ("want to ... die", "i want to just fucking die", True),
        ("want to ... die", "want to get through the day without a drink or die", False),
        ("@verb = took | necked\n@verb too much", "necked too much", True),
        ("kill me", "this is killing me", False),
        ("can't breathe", "he cannot breathe", True),
        ("self - harm", "self-harm again", True),
    ],
)
def test_the_pattern_language_reads_as_the_file_explains(
    pattern: str, note: str, heard: bool
) -> None:
    assert DangerWords.parse(pattern).spoken_in(note) is heard


def test_an_admins_lines_extend_ours(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "danger_words.txt").write_text(
        "# ours\n@places = bridge | tracks\n(going|off) to the @places tonight\n", encoding="utf-8"
    )
    words = load_danger_words("en", tmp_path)
    assert words.spoken_in("im off to the tracks tonight")
    assert not WORDS.spoken_in("im off to the tracks tonight")
    assert words.spoken_in("i wanna die"), "ours still hold"
    assert set(WORDS.phrases) < set(words.phrases)


def test_a_list_written_back_hears_the_same() -> None:
    again = DangerWords(WORDS.phrases)
    assert all(again.spoken_in(note) for note in DANGER)
    assert not any(again.spoken_in(note) for note in ORDINARY)


def test_an_admins_list_cannot_use_our_named_lists() -> None:
    with pytest.raises(DangerPatternError, match="line 1: no list @pills"):
        DangerWords.parse("too many @pills")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("(took|had too much", "line 1: '(' is never closed"),
        ("# ours\n\ntook too much)", "line 3: ')' has no '(' before it"),
        ("? too much", "line 1: '?' must follow a word"),
        ("took (|way) too much", "line 1: an alternative is empty"),
        ("pills?", "line 1: every word is optional"),
        ("...", "line 1: every word is optional"),
        ("took ...? too much", "line 1: '...' is optional already"),
        ("over*dose", "line 1: '*' goes at the end of a word"),
        ("a ... b ... c ... d ... e", "line 1: too many optional parts"),
        ("@a = x\n@a = y", "line 2: @a is defined twice"),
        ("(" * 20 + "x" + ")" * 20, "line 1: groups nest more than"),
    ],
)
def test_a_line_that_is_not_a_pattern_is_refused_when_read_naming_it(
    text: str, problem: str
) -> None:
    with pytest.raises(DangerPatternError, match=re.escape(problem)):
        DangerWords.parse(text)


def test_a_bad_line_is_a_value_error_that_says_which_line_and_what_it_reads() -> None:
    with pytest.raises(ValueError, match=r"^line 2: .*, in: took \(too much$") as raised:
        DangerWords.parse("suicide\ntook (too much  # ours\n")
    assert isinstance(raised.value, DangerPatternError)
    assert raised.value.line == 2


def test_the_bot_reads_an_admins_bad_list_at_start_not_when_a_member_writes(
    tmp_path: Path,
) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "danger_words.txt").write_text("suicide\n(bridge\n", encoding="utf-8")
    with pytest.raises(DangerPatternError, match="line 2"):
        load_danger_words("en", tmp_path)


@pytest.mark.parametrize(
    "note",
    [
        "want to " * 2000,
        "want to ... " * 1000,
        "kill " * 3000 + "myself",
        "a" * 100_000,
        "o.d." * 5000,
        "(" * 4000 + "?" * 4000,
        " ".join(["took", "a", "whole", "lot", "of", "my"] * 500),
        "mixed pills and " * 800,
        "\u2019" * 10_000 + "od",
    ],
)
def test_hostile_notes_are_read_to_an_answer(note: str) -> None:
    assert WORDS.spoken_in(note) in (True, False)


@given(st.text(max_size=500))
def test_any_note_gets_an_answer(note: str) -> None:
    assert WORDS.spoken_in(note) in (True, False)


@given(st.sampled_from(DANGER), st.text(max_size=200), st.text(max_size=200))
def test_danger_is_heard_whatever_is_said_around_it(note: str, before: str, after: str) -> None:
    assert WORDS.spoken_in(f"{before} {note} {after}")
