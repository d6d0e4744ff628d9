"""Which language a member's private answers are in, on Telegram: their own choice
(``/language``), else their group's, else their app's language (``language_code``, read from
each update), else English. The app's language only speaks for a member in no group."""

from __future__ import annotations

from pathlib import Path

from bot.clock import ManualClock
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram import FakeTelegram
from tests.harness import eventually
from tests.telegram_harness import running, said, texts_in

GROUP = tg.group()
GROUP_ID = GROUP["id"]
ROSA = {**tg.user(301, "Rosa"), "language_code": "es"}
BEA = {**tg.user(302, "Bea"), "language_code": "es-ES"}


async def test_a_member_whose_app_is_in_spanish_reads_her_english_groups_language(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    async with running(fake_telegram, database, clock):
        fake_telegram.push(tg.command(GROUP, ROSA, "/language"))
        await said(fake_telegram, GROUP_ID, "Rosa, I've sent you the answer privately.")
        shown = await said(fake_telegram, ROSA["id"], "I write to you privately in")
        assert shown["text"].startswith(
            "I write to you privately in English, as nobody chose another for you."
        ), "the group's language beats the app's"

        fake_telegram.push(tg.command(tg.private_chat(ROSA), ROSA, "/cleandate"))
        await said(fake_telegram, ROSA["id"], "Which day did your clean time start?")
        assert all("español" not in text for text in texts_in(fake_telegram, ROSA["id"]))

        fake_telegram.push(tg.command(tg.private_chat(ROSA), ROSA, "/language es"))
        await said(fake_telegram, ROSA["id"], "Hecho: te escribiré en privado en español.")
        fake_telegram.push(tg.command(GROUP, ROSA, "/language"))
        await said(fake_telegram, ROSA["id"], "Te escribo en privado en español.")
    group = texts_in(fake_telegram, GROUP_ID)
    assert set(group) == {"Rosa, I've sent you the answer privately."}, "the group reads English"


async def test_a_members_own_choice_beats_her_apps_language(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    async with running(fake_telegram, database, clock):
        fake_telegram.push(tg.command(tg.private_chat(BEA), BEA, "/language"))
        await said(fake_telegram, BEA["id"], "Te escribo en privado en español")
        fake_telegram.push(tg.command(tg.private_chat(BEA), BEA, "/language en"))
        await said(fake_telegram, BEA["id"], "Done: I'll write to you privately in English.")
        before = len(texts_in(fake_telegram, BEA["id"]))
        fake_telegram.push(tg.command(tg.private_chat(BEA), BEA, "/language"))
        await eventually(lambda: len(texts_in(fake_telegram, BEA["id"])) > before)
    assert texts_in(fake_telegram, BEA["id"])[-1].startswith(
        "I write to you privately in English."
    ), "chosen: no 'as nobody chose another for you'"
