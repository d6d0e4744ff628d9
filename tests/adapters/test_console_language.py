"""A member's own language for private answers (``/language``), beside the group's."""

from __future__ import annotations

from bot.app import App
from bot.domain.inbound import CommandIssued, Origin
from tests.conftest import Transcript, private_to


def dm(person: str, language: str | None) -> Origin:
    """A member writing privately from an app set to ``language``, in no group yet."""
    return Origin(
        platform="console",
        chat=f"dm:{person}",
        person=person,
        person_name=person.title(),
        private=True,
        language=language,
    )


async def test_a_member_chooses_english_in_a_spanish_group(console: Transcript) -> None:
    await console.say("/set locale es")
    sam = private_to(await console.say("/language"), "Sam")
    assert "Te escribo en privado en español, porque nadie eligió otro idioma para ti." in sam
    alex = private_to(await console.say("/as Alex", "/language en"), "Alex")
    assert alex.strip() == (
        "Done: I'll write to you privately in English."
        " Your group's messages stay in its own language."
    )
    alex = private_to(await console.say("/language"), "Alex")
    assert "I write to you privately in English." in alex
    sam = private_to(await console.say("/as Sam", "/language"), "Sam")
    assert "Te escribo en privado en español" in sam
    back = private_to(await console.say("/as Alex", "/language default"), "Alex")
    assert back.strip() == "Hecho: te escribiré en privado en el idioma de tu grupo, español."


async def test_an_unknown_language_is_refused_and_changes_nothing(console: Transcript) -> None:
    await console.say("/language es")
    refused = private_to(await console.say("/language klingon"), "Sam")
    assert refused.strip() == (
        "Todavía no tengo mensajes en ese idioma. Puedo escribir en inglés o español:"
        " envía /language y su código (en o es)."
    )
    assert "Te escribo en privado en español." in private_to(await console.say("/language"), "Sam")


async def test_the_app_language_counts_until_a_group_or_a_choice_says_otherwise(
    console: Transcript, app: App
) -> None:
    await app.core.handle(CommandIssued("lang-1", dm("rosa", "es-419"), "language", ""))
    assert "Te escribo en privado en español" in private_to(await console.say("/wait 1m"), "rosa")
    await app.core.handle(CommandIssued("lang-2", dm("joao", "pt-BR"), "language", ""))
    joao = private_to(await console.say("/wait 1m"), "joao")
    assert "I write to you privately in English" in joao
    await app.core.handle(CommandIssued("lang-3", dm("rosa", "es-ES"), "language", "en"))
    await app.core.handle(CommandIssued("lang-4", dm("rosa", "es-ES"), "language", ""))
    chose = private_to(await console.say("/wait 1m"), "rosa")
    assert "I write to you privately in English." in chose
    assert "español" not in chose
