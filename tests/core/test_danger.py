"""Words of immediate danger: every way people say it at 2 a.m. is heard, ordinary craving talk is
not, and an admin's list can add to ours but never break the bot while a member waits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.dialect import PlainDialect
from bot.domain.danger import (
    MAX_TEXT,
    SPELLINGS_FILE,
    DangerPatternError,
    DangerSpellingError,
    DangerWords,
    Reading,
    normalise,
)
from bot.language import DEFAULT_LOCALE, available_locales
from bot.overrides import check_overrides
from bot.render import bundled_messages, load_danger_words

DATA = Path(__file__).parents[1] / "data"


def corpus_file(locale: str) -> Path:
    """Where a language's notes that must and must not be heard are kept."""
    return DATA / (
        "danger_corpus.txt" if locale == DEFAULT_LOCALE else f"danger_corpus_{locale}.txt"
    )


CORPORA = {
    locale: corpus_file(locale) for locale in available_locales() if corpus_file(locale).is_file()
}
"""The corpus of every language the bot ships that has one; each must (see below)."""
LISTS = {
    locale: bundled_messages().joinpath(locale).joinpath("danger_words.txt").read_text("utf-8")
    for locale in CORPORA
}
OURS = LISTS["en"]


def corpus(locale: str) -> dict[str, list[str]]:
    """A language's corpus of notes by section: ``danger`` and ``ordinary``."""
    sections: dict[str, list[str]] = {}
    section: list[str] = []
    for line in CORPORA[locale].read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("["):
            section = sections.setdefault(line.strip("[]"), [])
        else:
            section.append(line)
    return sections


DANGER = corpus("en")["danger"]
ORDINARY = corpus("en")["ordinary"]
WORDS = DangerWords.parse(OURS)
LANGUAGES = {locale: DangerWords.parse(text, locale) for locale, text in LISTS.items()}


def notes(section: str) -> list[tuple[str, str]]:
    return [(locale, note) for locale in CORPORA for note in corpus(locale)[section]]


@pytest.mark.parametrize("locale", available_locales())
def test_the_corpus_holds_enough_of_both(locale: str) -> None:
    assert locale in CORPORA, f"messages/{locale} ships with no corpus: {corpus_file(locale)}"
    assert len(corpus(locale)["danger"]) >= 40
    assert len(corpus(locale)["ordinary"]) >= 20


@pytest.mark.parametrize(("locale", "note"), notes("danger"))
def test_every_way_of_speaking_of_danger_is_heard(locale: str, note: str) -> None:
    assert LANGUAGES[locale].spoken_in(note)


@pytest.mark.parametrize(("locale", "note"), notes("ordinary"))
def test_ordinary_craving_talk_is_not_taken_for_danger(locale: str, note: str) -> None:
    assert not LANGUAGES[locale].spoken_in(note)


@pytest.mark.parametrize("locale", CORPORA)
def test_the_patterns_generalise_rather_than_list_the_corpus(locale: str) -> None:
    lines = [
        f" {normalise(line.split('#', 1)[0], locale)} "
        for line in LISTS[locale].splitlines()
        if line.split("#", 1)[0].strip()
    ]
    danger = corpus(locale)["danger"]
    unlisted = [
        note for note in danger if not any(normalise(note, locale) in line for line in lines)
    ]
    assert len(unlisted) * 4 >= len(danger), unlisted


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


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("Quiero MORÍÍÍR!!", "quiero morir"),
        ("quiero morír, quiero morir", "quiero morir quiero morir"),
        ("m kiero matar xq ya no puedo", "me quiero matar porque ya no puedo"),
        ("q ganas... k miedo, ke hago", "que ganas que miedo que hago"),
        ("x eso tmb pq toy mal", "por eso tambien porque estoy mal"),
        ("nadien, aki, pa q", "nadie aqui para que"),
        ("me he pasao con las pastis", "me he pasado con las pastis"),
        ("¿Qué tomó? ¡No despierta!", "que tomo no despierta"),
        ("se cortó la muñeca", "se corto la muneca"),
    ],
)
def test_spanish_notes_are_read_in_plain_words(text: str, read: str) -> None:
    assert normalise(text, "es") == read
    assert normalise(text, "es-MX") == read


def test_spanish_spellings_leave_english_notes_as_they_were() -> None:
    assert normalise("q x k tmb pq nadien", "en") == "q x k tmb pq nadien"
    assert normalise("ya u", "en") == "you you"
    assert normalise("ya u", "es") == "ya u"
    assert normalise("i wanna DIIIE", "en") == normalise("i wanna DIIIE") == "i want to die"


EVERY_LANGUAGE = sum(LANGUAGES.values(), DangerWords(()))
"""Every bundled list at once, as a group hears them: a member may write in any language."""


@pytest.mark.parametrize(("locale", "note"), notes("ordinary"))
def test_ordinary_talk_stays_ordinary_when_every_language_listens(locale: str, note: str) -> None:
    assert not EVERY_LANGUAGE.spoken_in(note)


@pytest.mark.parametrize(("locale", "note"), notes("danger"))
def test_danger_is_heard_when_every_language_listens(locale: str, note: str) -> None:
    assert EVERY_LANGUAGE.spoken_in(note)


def test_lists_of_two_languages_add_up_each_heard_as_its_language_is_read() -> None:
    both = LANGUAGES["en"] + LANGUAGES["es"]
    assert both.spoken_in("i wanna die")
    assert both.spoken_in("m kiero morír")
    assert not both.spoken_in("me muero de risa, u know")
    assert set(both.phrases) == set(LANGUAGES["en"].phrases) | set(LANGUAGES["es"].phrases)


def test_an_admins_spanish_lines_are_read_the_spanish_way(tmp_path: Path) -> None:
    (tmp_path / "es").mkdir()
    (tmp_path / "es" / "danger_words.txt").write_text(
        "# nuestras\n(voy|ire) al puente esta noche\n", encoding="utf-8"
    )
    words = load_danger_words("es", tmp_path)
    assert words.spoken_in("ya m voy al puénte ésta noche!!")
    assert not LANGUAGES["es"].spoken_in("ya me voy al puente esta noche")
    assert words.spoken_in("me kiero morir"), "ours still hold"


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


@pytest.mark.parametrize("locale", CORPORA)
def test_a_list_written_back_hears_the_same(locale: str) -> None:
    again = DangerWords(LANGUAGES[locale].phrases, locale)
    assert all(again.spoken_in(note) for note in corpus(locale)["danger"])
    assert not any(again.spoken_in(note) for note in corpus(locale)["ordinary"])


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


@given(st.sampled_from(notes("danger")), st.text(max_size=200), st.text(max_size=200))
def test_danger_is_heard_whatever_is_said_around_it(
    heard: tuple[str, str], before: str, after: str
) -> None:
    locale, note = heard
    assert LANGUAGES[locale].spoken_in(f"{before} {note} {after}")


def test_an_overdose_typed_in_capitals_reads_as_its_ending_says() -> None:
    assert normalise("OD'D, ODED, OD'ING, ODING") == "overdosed overdosed overdosing overdosing"


SPELLINGS = """
# a language of our own
accents: kept
initials: joined
u, yu = you  # two short forms
"XO" = hugs
"x'd" = marked
...ao = ...ado
"""


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("U yuuu", "you you"),
        ("XO xo", "hugs xo"),  # a capital: only as written
        ("X'D x\u2019d x.'d X'D", "marked marked marked marked"),
        ("a.k.a.", "aka"),
        ("pasao ciao", "pasado ciao"),  # ciao has two letters before the ending, not three
        ("morír", "morír"),
    ],
)
def test_a_spellings_file_reads_as_its_header_explains(text: str, read: str) -> None:
    assert Reading.parse(SPELLINGS).normalise(text) == read


def test_a_spellings_file_that_says_nothing_folds_accents_and_keeps_words() -> None:
    plain = Reading.parse("# nothing\n")
    assert plain.normalise("Morír, u o.d.'d dyin pasao") == "morir u o d d dyin pasao"
    assert Reading().normalise("Morír, u o.d.'d dyin pasao") == "morir u o d d dyin pasao"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("u you", "line 1: write short = spelled out, or a setting"),
        ("# ours\naccents: sometimes", "line 2: accents is one of: folded, kept"),
        ("colour: kept", "line 1: write short = spelled out, or a setting"),
        ("initials: joined\ninitials: apart", "line 2: initials is set twice"),
        ("u = you = ya", "line 1: write short, other = spelled out"),
        ("u =", "line 1: write short, other = spelled out"),
        ("o.d = overdose", "line 1: 'o.d' is not one word: put a form in quotes"),
        ("u = you\nyu, uu = you", "line 2: 'uu' is spelt out twice"),
        ('"od d" = overdose', 'line 1: "od d" is not one word'),
        ("..in = .ing", "line 1: an ending has as many dots on both sides"),
        ("..in = ..i ng", "line 1: an ending is one word on each side"),
    ],
)
def test_a_spellings_line_that_is_not_a_rule_is_refused_naming_it(text: str, problem: str) -> None:
    with pytest.raises(DangerSpellingError, match=re.escape(problem)):
        Reading.parse(text)


@pytest.mark.parametrize("locale", available_locales())
def test_every_bundled_spellings_file_reads(locale: str) -> None:
    entry = bundled_messages().joinpath(locale).joinpath(SPELLINGS_FILE)
    if entry.is_file():
        assert isinstance(Reading.parse(entry.read_text(encoding="utf-8")), Reading)


def test_a_deployments_spellings_file_is_refused_at_start_not_silently_ignored(
    tmp_path: Path,
) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / SPELLINGS_FILE).write_text("k = kill\n", encoding="utf-8")
    (problem,) = check_overrides(tmp_path, [PlainDialect()])
    assert problem.file == f"en/{SPELLINGS_FILE}"
    assert "en/danger_words.txt" in problem.problem
