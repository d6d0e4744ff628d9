"""/timezone understands a city's or a country's name in every language the bot has."""

from __future__ import annotations

import pytest

from bot.domain.zones import UnknownZone, resolve_zone, suggest_zones


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Nueva York", "America/New_York"),
        ("londres", "Europe/London"),
        ("Ciudad de Mexico", "America/Mexico_City"),
        ("Colombia", "America/Bogota"),
        ("Bogotá", "America/Bogota"),
    ],
)
def test_a_place_suggests_its_zone(typed: str, zone: str) -> None:
    with pytest.raises(UnknownZone) as unknown:
        resolve_zone(typed)
    assert unknown.value.suggestions == (zone,)


@pytest.mark.parametrize("country", ["España", "espana", "Spain"])
def test_a_country_with_several_zones_is_offered_them(country: str) -> None:
    with pytest.raises(UnknownZone) as unknown:
        resolve_zone(country)
    assert set(unknown.value.suggestions) == {"Europe/Madrid", "Atlantic/Canary", "Africa/Ceuta"}


def test_a_zone_name_is_taken_as_it_was() -> None:
    assert resolve_zone("europe/madrid").key == "Europe/Madrid"


def test_half_typed_spanish_names_are_suggested() -> None:
    assert suggest_zones("Nueva Y", 5) == ["America/New_York"]
    assert "Europe/London" in suggest_zones("Londr", 5)
