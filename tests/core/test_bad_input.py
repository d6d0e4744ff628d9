"""Bad input gets a kind answer and changes nothing a member would rely on."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import Transcript

# Tables whose rows are the members' state; the outbox and dedupe keys grow with every answer.
STATE_TABLES = ("people", "communities", "counters", "memberships", "announcements", "timers")


def snapshot(database: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(database) as db:
        return {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall()) for t in STATE_TABLES}


@pytest.mark.parametrize(
    ("line", "kind_words"),
    [
        ("/cleandate 2027-01-01", "hasn't come yet"),
        ("/cleandate 2026-02-30", "isn't on the calendar"),
        ("/cleandate 1899-12-31", "from 1900 onwards"),
        ("/cleandate banana", "couldn't read that as a date"),
        ("/cleandate", "Which day did your clean time start?"),
        ("/cleandate " + "9" * 10_000, "longer than any date"),
        ("/cleandate 2026-01-02 " + "n" * 40, "Keep it to 32 characters"),
        ("/timezone Mars/Base", "I don't know that time zone"),
        ("/timezone " + "x" * 10_000, "I don't know that time zone"),
        ("/share maybe", "Send /share on"),
    ],
)
async def test_bad_input_is_answered_kindly_and_changes_nothing(
    console: Transcript, database: Path, line: str, kind_words: str
) -> None:
    await console.cleandate("2026-03-01")
    await console.say("/timezone Europe/London")
    before = snapshot(database)
    answer = await console.say(line)
    assert kind_words in answer
    assert "Traceback" not in answer
    assert snapshot(database) == before
    assert "/cleandate" not in answer or "Nothing has changed." in answer or "share" in line


async def test_an_unknown_zone_gets_suggestions(console: Transcript) -> None:
    answer = await console.say("/timezone London")
    assert "Did you mean Europe/London?" in answer
    assert "Your time zone is unchanged." in answer


async def test_markup_in_a_name_is_printed_as_typed(console: Transcript) -> None:
    await console.say('/as <b>&amp;</b> @everyone <a href="x">')
    answer = await console.cleandate("today")
    assert 'Got it, <b>&amp;</b> @everyone <a href="x">: your clean date' in answer
