"""Slash commands keep their English names everywhere and carry their descriptions in every
language the bot has, under each Discord locale of it (Spanish: es-ES and es-419)."""

from __future__ import annotations

from pathlib import Path

from bot.clock import ManualClock
from tests.discord_harness import ROBIN, SAM, circle, running
from tests.fakes.discord import FakeDiscord


async def test_registered_commands_carry_spanish_descriptions(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    circle(fake_discord)
    async with running(fake_discord, database, clock):
        pass
    registered = {c["name"]: c for c in fake_discord.commands[None].values()}
    assert "language" in registered
    for name, command in registered.items():
        english = command["description"]
        spanish = command["description_localizations"]
        assert spanish.keys() == {"es-ES", "es-419"}, name
        assert spanish["es-ES"] == spanish["es-419"] != english, name
        for option in command["options"]:
            localized = option["description_localizations"]
            assert localized.keys() == {"es-ES", "es-419"}, (name, option["name"])
            assert localized["es-ES"] == localized["es-419"], (name, option["name"])
    assert registered["craving"]["description"] == "Share a craving; peers step in"
    (zone,) = registered["timezone"]["options"]
    assert zone["description"] == "Start typing a city, like London or New York"
    spanish = "Empieza a escribir una ciudad, como Madrid o Lima"
    assert zone["description_localizations"] == {"es-ES": spanish, "es-419": spanish}


async def test_the_discord_locale_answers_a_member_in_no_group(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    circle(fake_discord)
    async with running(fake_discord, database, clock) as bot:
        spanish = await bot.answer(await fake_discord.slash("language", SAM, locale="es-419"))
        english = await bot.answer(await fake_discord.slash("language", ROBIN, locale="pt-BR"))
    assert spanish["content"].startswith("Te escribo en privado en español")
    assert english["content"].startswith("I write to you privately in English")
