"""A language added as a folder is heard its own way, with no change to the code: its
``danger_spellings.txt`` spells out its chat forms and its words are read without accents,
and English and Spanish read as they did beside it."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import messages as bundled
from bot import language, render
from bot.clock import ManualClock
from bot.domain import cleantime, danger, presets
from bot.domain.danger import normalise
from bot.render import load_danger_words
from bot.settings import Settings
from tests.core.test_danger_languages import danger_comes_first_privately

LOCALE = "zx"
"""A made-up language: no code here names it."""
WORDS = """\
# Zeltish, made up for a test: words of immediate danger.
@pilz = pilz* | tabletu*
(ik|mi) vrena ... klomor
tro multe @pilz
"""
SPELLINGS = """\
# Zeltish as typed in a chat. Nothing said of accents: a language folds them unless it says not.
k = ik
vr, vrn = vrena
tm = tro multe
...mo = ...mor
"""


def _forget() -> None:
    """Drop what was read from the bundled folders, so the next reading reads them again (and
    nothing of the made-up language outlives its test)."""
    language.available_locales.cache_clear()
    render.bundled_names.cache_clear()
    danger._reading_of.cache_clear()
    presets.preset_names.cache_clear()
    cleantime.day_endings.cache_clear()


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of ``messages/`` holding one more language, made as a translator would: the
    Spanish folder copied, its danger files replaced; it is what the bot reads meanwhile."""
    copy = tmp_path / "package" / "messages"
    shutil.copytree(
        Path(bundled.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(copy / "es", copy / LOCALE)
    (copy / LOCALE / "danger_words.txt").write_text(WORDS, encoding="utf-8")
    (copy / LOCALE / "danger_spellings.txt").write_text(SPELLINGS, encoding="utf-8")
    monkeypatch.syspath_prepend(str(copy.parent))
    monkeypatch.delitem(sys.modules, "messages")
    _forget()
    yield copy / LOCALE
    _forget()


def test_a_new_folder_is_read_with_its_spellings_and_without_accents(folder: Path) -> None:
    assert LOCALE in language.available_locales()
    words = load_danger_words(LOCALE, None)
    assert normalise("K vrn já klomó!!", LOCALE) == "ik vrena ja klomor"
    assert words.spoken_in("K vrn já klomó!!")
    assert words.spoken_in("tm pílzen")
    assert not words.spoken_in("ik vrena kafo, tro multe")
    assert normalise("K vrn já klomó!!", "en") == "k vrn já klomó", "English reads as before"
    assert normalise("K vrn já klomó!!", "es") == "que vrn ja klomo", "Spanish too"


def test_a_new_folder_without_spellings_folds_accents_and_never_reads_the_english_way(
    folder: Path,
) -> None:
    (folder / "danger_spellings.txt").unlink()
    assert normalise("U r dyin, klomó", LOCALE) == "u r dyin klomo"
    assert load_danger_words(LOCALE, None).spoken_in("mi vrena klomór")


async def test_a_new_folders_danger_words_are_heard_in_an_english_group(
    folder: Path, tmp_path: Path, clock: ManualClock
) -> None:
    settings = Settings(database=str(tmp_path / "h.db"))
    await danger_comes_first_privately(
        settings, clock, calm="ik vrena kafo", danger="k vrn já klomó"
    )
