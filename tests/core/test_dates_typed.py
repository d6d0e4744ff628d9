"""Clean dates typed in each language the bot has, read in the member's, then the group's."""

from __future__ import annotations

from datetime import date
from importlib import resources

import pytest

from bot.domain.cleantime import (
    ORDINALS_FILE,
    CleanDateError,
    parse_clean_date,
    split_date_and_name,
)
from bot.language import available_locales, cldr
from tests.core.test_resources import a_third_language  # noqa: F401  (a fixture)

TODAY = date(2026, 11, 29)


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("1 de marzo de 2026", date(2026, 3, 1)),
        ("1 marzo 2026", date(2026, 3, 1)),
        ("1 de Marzo de 2026", date(2026, 3, 1)),
        ("29 de febrero de 2024", date(2024, 2, 29)),
        ("1 sept. 2026", date(2026, 9, 1)),
        ("hoy", TODAY),
        ("Ayer", date(2026, 11, 28)),
        ("anteayer", date(2026, 11, 27)),
        ("hace 3 días", date(2026, 11, 26)),
        ("hace 3 dias", date(2026, 11, 26)),
        ("hace 1 día", date(2026, 11, 28)),
        ("1/3/2026", date(2026, 3, 1)),
        ("29/02/2024", date(2024, 2, 29)),
        ("12.11.2026", date(2026, 11, 12)),
        ("2026-03-01", date(2026, 3, 1)),
        ("1º de marzo de 2026", date(2026, 3, 1)),
        ("1.º de marzo de 2026", date(2026, 3, 1)),
        ("1ª de marzo de 2026", date(2026, 3, 1)),
        ("3º marzo 2026", date(2026, 3, 3)),
    ],
)
def test_spanish_dates(typed: str, day: date) -> None:
    assert parse_clean_date(typed, TODAY, ("es",)) == day


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("29/02/2023", "impossible"),
        ("31 de abril de 2026", "impossible"),
        ("mañana", "unreadable"),
        ("1/12/2026", "future"),
        ("hace 50000 días", "too_old"),
    ],
)
def test_spanish_refusals(typed: str, reason: str) -> None:
    with pytest.raises(CleanDateError) as refused:
        parse_clean_date(typed, TODAY, ("es",))
    assert refused.value.reason == reason


def test_english_refuses_numbers_it_cannot_order() -> None:
    for typed in ("1/3/2026", "01.03.2026", "3-1-2026"):
        with pytest.raises(CleanDateError) as refused:
            parse_clean_date(typed, TODAY, ("en",))
        assert refused.value.reason == "ambiguous", typed


def test_the_members_language_comes_first_then_the_groups() -> None:
    assert parse_clean_date("1/3/2026", TODAY, ("es", "en")) == date(2026, 3, 1)
    assert parse_clean_date("1/3/2026", TODAY, ("en", "es")) == date(2026, 3, 1)
    assert parse_clean_date("yesterday", TODAY, ("es", "en")) == date(2026, 11, 28)
    with pytest.raises(CleanDateError) as refused:  # the error that says most, of any
        parse_clean_date("31/02/2026", TODAY, ("en", "es"))
    assert refused.value.reason == "impossible"


def test_a_named_count_after_a_spanish_date() -> None:
    assert split_date_and_name("hace 3 días tabaco", TODAY, ("es",)) == (
        date(2026, 11, 26),
        "tabaco",
    )
    assert split_date_and_name("1 de marzo de 2026 juego", TODAY, ("es",)) == (
        date(2026, 3, 1),
        "juego",
    )


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("1st March 2026", 1),
        ("1ST march 2026", 1),
        ("March 1st, 2026", 1),
        ("2nd March 2026", 2),
        ("3rd Mar 2026", 3),
        ("4th March 2026", 4),
    ],
)
def test_english_dates_with_an_ordinal_day(typed: str, day: int) -> None:
    assert parse_clean_date(typed, TODAY, ("en",)) == date(2026, 3, day)


@pytest.mark.parametrize("typed", ["1x March 2026", "1 st March 2026", "1stst March 2026"])
def test_a_day_with_an_ending_no_language_has_is_unreadable(typed: str) -> None:
    with pytest.raises(CleanDateError) as refused:
        parse_clean_date(typed, TODAY, ("en", "es"))
    assert refused.value.reason == "unreadable"


@pytest.mark.parametrize("locale", available_locales())
def test_every_day_ending_a_language_writes_is_read(locale: str) -> None:
    text = resources.files("messages").joinpath(locale).joinpath(ORDINALS_FILE).read_text("utf-8")
    endings = [line.strip() for line in text.splitlines() if not line.lstrip().startswith("#")]
    march = str(cldr(locale).months["format"]["wide"][3])
    assert [e for e in endings if e]
    for ending in filter(None, endings):
        typed = f"2{ending} {march} 2026"
        assert parse_clean_date(typed, TODAY, (locale,)) == date(2026, 3, 2), typed


@pytest.mark.usefixtures("a_third_language")
def test_a_third_languages_day_endings_come_from_its_folder() -> None:
    assert parse_clean_date("1er mars 2026", TODAY, ("fr",)) == date(2026, 3, 1)
    assert parse_clean_date("1º de marzo de 2026", TODAY, ("es",)) == date(2026, 3, 1)
