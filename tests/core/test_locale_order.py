"""The order a member's languages are tried in, through the console: a date they type is read
in their own language first, then their group's; what they chose is in their ``/mydata``; and
their app's language never outranks their group's."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from bot.app import App
from bot.domain.inbound import CommandIssued, Origin
from bot.flows.privacy import T as PrivacyTemplates
from tests.conftest import Transcript, group_text, private_to

AMBIGUOUS = (
    "Some write the day first, others the month, so I can't tell which day that is."
    " Send it as year-month-day, like /cleandate 2026-03-01, or with the month's name,"
    " like 1 March 2026.\nNothing has changed."
)
"""The English refusal of 1/3/2026: it names the ISO form, which every language reads."""


async def keep_date(console: Transcript, typed: str) -> str:
    """Type a clean date and say yes to keeping and celebrating it, in whichever language the
    bot asks (the first button is yes in each)."""
    said = await console.say(f"/cleandate {typed}")
    for asked in ("May I keep it?", "¿Puedo guardarlo?"):
        if asked in said:
            said += await console.say("/tap 1")
    for asked in ("Would you like your group to celebrate", "¿Te gustaría que tu grupo celebre"):
        if asked in said:
            said += await console.say("/tap 1")
    return said


async def test_a_member_who_chose_spanish_has_day_first_dates_read_in_an_english_group(
    console: Transcript,
) -> None:
    await console.say("/as Alex", "/language es")
    said = private_to(await keep_date(console, "1/3/2026"), "Alex")
    assert "Listo, Alex: tu fecha limpia es el 1 de marzo de 2026." in said

    refused = await console.say("/as Bea", "/cleandate 1/3/2026")
    assert group_text(refused).strip() == AMBIGUOUS, "no choice: the English group's reading"
    assert "privately to Bea" not in refused
    said = await keep_date(console, "2026-03-01")
    assert "Got it, Bea: your clean date is 1 March 2026." in said, "the form it names reads"


async def test_a_member_who_chose_english_in_a_spanish_group_has_the_groups_reading_next(
    console: Transcript,
) -> None:
    """English cannot tell 1/3/2026 apart; the group's Spanish, tried next, reads it."""
    await console.say("/set locale es")
    await console.say("/as Alex", "/language en")
    said = private_to(await keep_date(console, "1/3/2026"), "Alex")
    assert "Got it, Alex: your clean date is 1 March 2026." in said
    assert "Some write the day first" not in said


def exported_people(database: Path) -> list[dict[str, Any]]:
    """The ``people`` section of the newest ``/mydata`` file, before it leaves the outbox."""
    with sqlite3.connect(database) as db:
        (attachment,) = db.execute(
            "SELECT attachment FROM outbox WHERE template = ? ORDER BY id DESC LIMIT 1",
            (PrivacyTemplates.MYDATA,),
        ).fetchone()
    _, data = json.loads(attachment)
    people: list[dict[str, Any]] = data["tables"]["people"]
    return people


async def test_the_chosen_language_is_in_mydata(
    console: Transcript, app: App, database: Path
) -> None:
    alex = Origin("console", "dm:alex", "alex", "Alex", private=True)
    await console.say("/as Alex", "/consent on")
    await app.core.handle(CommandIssued("mydata-1", alex, "mydata", ""))
    assert [person["locale"] for person in exported_people(database)] == [None]
    await console.say("/language es")
    await app.core.handle(CommandIssued("mydata-2", alex, "mydata", ""))
    assert [person["locale"] for person in exported_people(database)] == ["es"]
    await console.say("/language default")
    await app.core.handle(CommandIssued("mydata-3", alex, "mydata", ""))
    assert [person["locale"] for person in exported_people(database)] == [None]


async def test_an_app_in_spanish_reads_the_english_groups_language_privately(
    console: Transcript, app: App
) -> None:
    """The console's members are in one group; their app's language never outranks it."""
    in_group = Origin("console", "group", "rosa", "Rosa", community="group", language="es-ES")
    await app.core.handle(CommandIssued("lang-1", in_group, "language", ""))
    rosa = private_to(await console.say("/wait 1m"), "rosa").strip()
    assert rosa.startswith("I write to you privately in English, as nobody chose another for you.")
    alone = Origin("console", "dm:rosa", "rosa", "Rosa", private=True, language="es-ES")
    await app.core.handle(CommandIssued("lang-2", alone, "language", ""))
    rosa = private_to(await console.say("/wait 1m"), "rosa").strip()
    assert rosa.startswith("I write to you privately in English"), "her group's, from anywhere"
