"""A Spanish-speaking group in danger: its notes are heard in Spanish, its crisis lines come in
Spanish with the number of its place first, and every number they print has a source."""

from __future__ import annotations

import pytest

from bot.dialect import PlainDialect
from bot.domain.community import CommunitySettings
from bot.domain.presets import INTERNATIONAL, LEGACY, PRESETS, find_preset, preset_emergency
from bot.domain.settings_keys import apply
from bot.flows.relapse import T as RelapseTemplates
from bot.render import Renderer
from tests.conftest import Transcript, group_text, sections
from tests.core.test_resources import (
    EVERY_PRESET,
    addresses,
    phone_numbers,
    source_sections,
)

ES = "es"
NALOXONE = "Lleva naloxona y nunca consumas a solas. Si das naloxona, quédate con la persona."
MEETINGS = "cualquier grupo de 12 pasos te recibe"
LONGER = 1.1
"""Spanish says the same things in about a tenth more letters than English: the English length
limits of MESSAGES.md, stretched by that much."""


def spanish(template: str, context: dict[str, object]) -> str:
    return Renderer(PlainDialect()).render(template, context, locale=ES)


def lines_of(code: str) -> str:
    return spanish("resources", dict(CommunitySettings(resources_preset=code).crisis()))


def emergency_words(code: str) -> str:
    """What a Spanish crisis line says to call for ``code``: its number, or the local one."""
    if code == INTERNATIONAL:
        return "número de emergencias de tu zona"
    if code == LEGACY:
        return "911 o al número de emergencias de tu zona"
    return str(preset_emergency(code)).replace(" or ", " o ")


@pytest.mark.parametrize("code", EVERY_PRESET)
def test_each_spanish_preset_names_its_emergency_number_first_and_fits_a_phone(code: str) -> None:
    text = lines_of(code)
    assert text.splitlines()[0] == (
        f"• Sobredosis o vida en peligro: llama ahora al {emergency_words(code)}."
    )
    assert text.count(NALOXONE) == 1
    assert MEETINGS in text
    assert len(text) < 700 * LONGER
    assert " or " not in text, "the Irish preset's number reads 112 o 999"


@pytest.mark.parametrize("code", EVERY_PRESET)
def test_every_number_and_address_a_spanish_preset_prints_is_sourced(code: str) -> None:
    section = source_sections()[code]
    text = lines_of(code)
    missing = phone_numbers(text) - phone_numbers(section)
    assert not missing, f"{code}: not in SOURCES.md: {sorted(missing)}"
    assert addresses(text) <= addresses(section)


@pytest.mark.parametrize(
    ("code", "facts"),
    [
        ("us", ("llama al 988 y marca 2 (español)", "envía AYUDA por SMS al 988", "en español")),
        ("us", ("SAMHSA: 1-800-662-4357", "gratis, confidencial, 24/7")),
        ("mx", ("Línea de la Vida: 800 911 2000", "llama ahora al 911.")),
        ("es", ("024, Línea de atención a la conducta suicida", "llama ahora al 112.")),
        ("es", ("Teléfono de la Esperanza: 717 003 717",)),
        ("legacy", ("llama al 988 y marca 2", "findahelpline.com")),
    ],
)
def test_spanish_speakers_are_given_the_lines_that_answer_in_spanish(
    code: str, facts: tuple[str, ...]
) -> None:
    text = lines_of(code)
    for fact in facts:
        assert fact in text, fact


@pytest.mark.parametrize("code", EVERY_PRESET)
def test_each_spanish_restart_answer_keeps_every_safety_line_once(code: str) -> None:
    who = {"id": "7", "name": "A" * 20}
    for own in (None, "Nuestra línea: 0800 123 456"):
        settings = CommunitySettings(resources_preset=code, resources=own)
        text = spanish(RelapseTemplates.RELAPSE_DONE, {"who": who, **settings.crisis()})
        assert text.lower().count("lleva naloxona") == 1
        assert "nunca consumas a solas" in text.lower()
        assert "dejarlo de golpe puede causar convulsiones: busca atención médica" in text
        if code != LEGACY and own is None:
            assert len(text) < 1000 * LONGER


async def supporters(console: Transcript, *names: str) -> None:
    for name in names:
        await console.say(f"/as {name}", "/supporter on")
    await console.say("/as Sam")


@pytest.mark.parametrize(
    "note",
    ["m kiero morír", "me tomé todas las pastillas", "mi amigo no respira", "ya no quiero vivir"],
)
async def test_a_spanish_group_hears_danger_in_spanish_and_answers_in_spanish(
    console: Transcript, note: str
) -> None:
    await console.say("/set locale es", "/set resources preset mx")
    await supporters(console, "Ana")
    answer = await console.say(f"/craving {note}")
    (first_header, first_body), *_ = sections(answer)
    assert first_header == "privately to Sam", "the crisis lines come first, privately"
    assert "llama al 911" in first_body
    assert "Línea de la Vida: 800 911 2000" in first_body
    assert "@Ana" in group_text(answer)


async def test_ordinary_spanish_talk_keeps_the_ordinary_answer(console: Transcript) -> None:
    await console.say("/set locale es")
    await supporters(console, "Ana")
    answer = await console.say("/craving me muero de ganas de un trago, pero aguanto")
    assert "privately to Sam" not in answer
    assert "Línea de la Vida" not in answer


def test_a_spanish_admin_may_name_this_chat_aqui() -> None:
    for word in ("aquí", "AQUI", "here"):
        change = apply(CommunitySettings(), "announcement_channel", word, chat="555", locales=[])
        assert change.settings.announce_chat == "555"
        assert change.details == {"where": "here"}


@pytest.mark.parametrize("code", PRESETS)
def test_the_spanish_settings_name_each_presets_place_in_spanish(code: str) -> None:
    change = {
        "what": "preset",
        "preset": code,
        "name": "THE ENGLISH NAME",
        "emergency": preset_emergency(code),
        "own": False,
        "own_number": False,
    }
    text = spanish("set_done", {"key": "resources", "change": change})
    assert "las líneas de crisis para " in text
    assert "THE ENGLISH NAME" not in text
    number = preset_emergency(code)
    said = number.replace(" or ", " o ") if number else "número de emergencias de su zona"
    assert f"llame al {said}." in text


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("España", "es"),
        ("méxico", "mx"),
        ("EE.UU.", "us"),
        ("Estados Unidos", "us"),
        ("Reino Unido", "uk"),
        ("Irlanda", "ie"),
        ("Alemania", "de"),
        ("Nueva Zelanda", "nz"),
        ("internacional", "international"),
    ],
)
def test_a_spanish_admin_may_name_the_place_in_spanish(typed: str, code: str) -> None:
    assert find_preset(typed) == code
