"""Telegram receipt and sending: nothing lost, nothing twice, nothing a member's text can forge.

The real adapter against the fake Bot API: duplicates and redeliveries, a crash between storing
an update and handling it, Telegram's 429 and 5xx answers, forged button data, membership
changes, escaping and long messages.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import ManualClock
from tests.conftest import START
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram import FakeTelegram
from tests.harness import eventually, rows
from tests.process import homegroup_run, terminate
from tests.telegram_harness import button, in_chat, keep_clean_date, running, said, texts_in

SAM = tg.user(101, "Sam")
ANA = tg.user(202, "Ana")
BEN = tg.user(203, "Ben")
GROUP = tg.group()
GROUP_ID = GROUP["id"]
HELP = "Here for you, one day at a time."
REPLY = "Thank you for saying it, "
REPO = Path(__file__).resolve().parents[3]


def ago(days: int) -> str:
    return (START.date() - timedelta(days=days)).isoformat()


def count(fake: FakeTelegram, chat_id: int, words: str) -> int:
    """How many of the bot's messages in the chat contain ``words``."""
    return sum(words in text for text in texts_in(fake, chat_id))


# -- what a member types is shown as typed ------------------------------------------------------

EVIL = '<b>&amp;</b> <a href="tg://user?id=1">x</a>'


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _entities_over(message: dict[str, Any], words: str) -> list[dict[str, Any]]:
    """Entities Telegram made over (any part of) the first place ``words`` appear."""
    text = message["text"]
    start = _utf16(text[: text.index(words)])
    end = start + _utf16(words)
    return [
        e
        for e in message.get("entities", [])
        if e["offset"] < end and e["offset"] + e["length"] > start
    ]


def _points_at_user_1(entity: dict[str, Any]) -> bool:
    return entity.get("user", {}).get("id") == 1 or entity.get("url") == "tg://user?id=1"


async def test_markup_in_a_name_or_note_is_literal_text(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    mallory = tg.user(303, EVIL)
    async with running(fake_telegram, database, clock):
        fake_telegram.push(tg.command(GROUP, mallory, "/supporter on"))
        fake_telegram.push(tg.command(GROUP, SAM, "/craving"))
        pinged = await said(fake_telegram, GROUP_ID, f"{REPLY}Sam.")
        fake_telegram.push(tg.command(GROUP, mallory, f"/craving {EVIL}"))
        thanked = await said(fake_telegram, GROUP_ID, f"{REPLY}{EVIL}.")
        fake_telegram.push(tg.command(GROUP, mallory, f"/call {EVIL}"))
        asked = await said(fake_telegram, GROUP_ID, f"“{EVIL}”")

    # Sam's supporter is mentioned by a link to them, showing their name as typed.
    (link,) = _entities_over(pinged, EVIL)
    assert link["type"] == "text_mention"
    assert link["user"]["id"] == 303
    assert (link["offset"], link["length"]) == (pinged["text"].index(EVIL), _utf16(EVIL))
    # Mallory's own name and note make no entity and notify nobody.
    assert _entities_over(thanked, EVIL) == []
    assert f"{EVIL} would like a phone call." in asked["text"]
    assert _entities_over(asked, EVIL) == []
    for message in in_chat(fake_telegram, GROUP_ID):
        assert not any(_points_at_user_1(e) for e in message.get("entities", []))
    assert all(
        '<a href="tg://user?id=1">' not in c["text"] for c in fake_telegram.of("sendMessage")
    )


# -- one effect per update ----------------------------------------------------------------------


async def test_an_update_delivered_twice_has_one_effect(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    async with running(fake_telegram, database, clock):
        craving = tg.command(GROUP, SAM, "/craving")
        update_id = fake_telegram.push(craving)
        fake_telegram.push({**craving, "update_id": update_id})
        fake_telegram.push(tg.command(GROUP, SAM, "/help"))
        await said(fake_telegram, GROUP_ID, HELP)
    assert count(fake_telegram, GROUP_ID, REPLY) == 1
    assert len(rows(database, "SELECT id FROM cravings")) == 1
    assert rows(database, "SELECT key FROM inbox") == []


async def test_an_update_redelivered_after_a_restart_has_one_effect(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    craving = tg.command(GROUP, SAM, "/craving")
    async with running(fake_telegram, database, clock):
        update_id = fake_telegram.push(craving)
        await said(fake_telegram, GROUP_ID, REPLY)
    # As after a crash between storing and confirming: Telegram sends it again.
    fake_telegram.push({**craving, "update_id": update_id})
    async with running(fake_telegram, database, clock):
        fake_telegram.push(tg.command(GROUP, SAM, "/help"))
        await said(fake_telegram, GROUP_ID, HELP)
    assert count(fake_telegram, GROUP_ID, REPLY) == 1
    assert len(rows(database, "SELECT id FROM cravings")) == 1


async def test_updates_are_handled_in_the_order_telegram_sent_them(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    """Update 10 after update 9, though "10" sorts before "9" as text."""
    async with running(fake_telegram, database, clock):
        for _ in range(8):
            fake_telegram.push(tg.text_message(GROUP, ANA, "just chatting"))
        assert fake_telegram.push(tg.command(GROUP, SAM, "/supporter on")) == 9
        assert fake_telegram.push(tg.command(GROUP, SAM, "/days")) == 10
        await eventually(lambda: len(texts_in(fake_telegram, GROUP_ID)) == 2)
    supporter, days = texts_in(fake_telegram, GROUP_ID)
    assert supporter.startswith("Thank you. You're on the supporter list here")
    assert days.startswith("You haven't set a clean date yet.")


# -- receipt without loss -----------------------------------------------------------------------


async def test_an_update_stored_but_not_handled_is_handled_after_a_restart(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    fake_telegram.stall(
        "getChatAdministrators"
    )  # handling a group command waits on the admin check
    async with running(fake_telegram, database, clock):
        fake_telegram.push(tg.command(GROUP, SAM, "/craving"))
        await eventually(lambda: fake_telegram.of("getChatAdministrators"))
        assert len(rows(database, "SELECT key FROM inbox")) == 1
    # The process stopped mid-update: nothing happened yet, and the update is kept.
    assert not fake_telegram.of("sendMessage")
    assert rows(database, "SELECT id FROM cravings") == []
    fake_telegram.release("getChatAdministrators")
    async with running(fake_telegram, database, clock):
        await said(fake_telegram, GROUP_ID, REPLY)
        fake_telegram.push(tg.command(GROUP, SAM, "/help"))
        await said(fake_telegram, GROUP_ID, HELP)
    assert count(fake_telegram, GROUP_ID, REPLY) == 1
    assert len(rows(database, "SELECT id FROM cravings")) == 1
    assert rows(database, "SELECT key FROM inbox") == []


async def _homegroup(fake: FakeTelegram, database: Path, log: Path) -> asyncio.subprocess.Process:
    """``python -m adapters run`` against the fake, as a separate process."""
    settings = {"TELEGRAM_TOKEN": fake.token, "TELEGRAM_API_URL": fake.root}
    return await homegroup_run({**settings, "HOMEGROUP_DATABASE": str(database)}, log)


async def test_a_process_killed_mid_update_handles_it_once_after_restart(
    fake_telegram: FakeTelegram, database: Path, tmp_path: Path
) -> None:
    """The acceptance's SIGKILL: getUpdates has returned the update and it is stored, but its
    handling waits on the admin check (the fake holds getChatAdministrators), so nothing happened
    yet."""
    log = tmp_path / "homegroup.log"
    fake_telegram.stall("getChatAdministrators")
    fake_telegram.push(tg.command(GROUP, SAM, "/craving"))
    first = await _homegroup(fake_telegram, database, log)
    try:
        await eventually(lambda: fake_telegram.of("getChatAdministrators"), seconds=30)
        assert len(rows(database, "SELECT key FROM inbox")) == 1
    finally:
        first.kill()  # SIGKILL: no cleanup of any kind
        await first.wait()
    assert not fake_telegram.of("sendMessage")
    fake_telegram.release("getChatAdministrators")

    second = await _homegroup(fake_telegram, database, log)
    try:
        await eventually(lambda: count(fake_telegram, GROUP_ID, REPLY), seconds=30)
        fake_telegram.push(tg.command(GROUP, SAM, "/help"))
        await said(fake_telegram, GROUP_ID, HELP)
    finally:
        status = await terminate(second)  # SIGTERM: a clean stop
    assert status == 0, log.read_text()
    assert count(fake_telegram, GROUP_ID, REPLY) == 1
    assert len(rows(database, "SELECT id FROM cravings")) == 1
    assert rows(database, "SELECT key FROM inbox") == []


# -- Telegram's refusals ------------------------------------------------------------------------


async def test_a_429_is_obeyed_and_the_message_arrives_once(
    fake_telegram: FakeTelegram,
    database: Path,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.outbox")
    fake_telegram.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    async with running(fake_telegram, database, clock) as app:
        fake_telegram.push(tg.command(GROUP, SAM, "/help"))
        await eventually(
            lambda: rows(database, "SELECT attempts FROM outbox WHERE sent_at IS NULL") == [(1,)]
        )
        assert len(fake_telegram.of("sendMessage")) == 1  # refused, kept for later
        assert not texts_in(fake_telegram, GROUP_ID)
        clock.advance(timedelta(seconds=1))
        app.workers["telegram"].wake.set()
        await said(fake_telegram, GROUP_ID, HELP)
    assert count(fake_telegram, GROUP_ID, HELP) == 1
    assert len(fake_telegram.of("sendMessage")) == 2
    # Handled, so said once at INFO, without a traceback; no ERROR from anyone.
    assert [r.levelno for r in caplog.records if "429" in r.getMessage()] == [logging.INFO]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_a_500_is_retried_and_the_message_arrives_once(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    fake_telegram.fail("sendMessage", 500, "Internal Server Error")
    async with running(fake_telegram, database, clock) as app:
        fake_telegram.push(tg.command(GROUP, SAM, "/help"))
        await eventually(
            lambda: rows(database, "SELECT attempts FROM outbox WHERE sent_at IS NULL") == [(1,)]
        )
        clock.advance(timedelta(seconds=2))  # the first backoff
        app.workers["telegram"].wake.set()
        await said(fake_telegram, GROUP_ID, HELP)
    assert count(fake_telegram, GROUP_ID, HELP) == 1
    assert len(fake_telegram.of("sendMessage")) == 2
    assert rows(database, "SELECT failed_at FROM outbox") == [(None,)]


LONG_LINES = [
    f"Line {n}: one day at a time, and a few more words to make it long." for n in range(130)
]


def long_help(templates: Path) -> Path:
    """Override /help with a 9,000-character message, in italics from end to end."""
    (templates / "en").mkdir()
    line = "Line {{ n }}: <b>one day at a time</b>, and a few more words to make it long."
    (templates / "en" / "help.j2").write_text(
        "<i>{% for n in range(130) %}\n" + line + "\n{% endfor %}</i>\n"
    )
    return templates


async def test_a_long_message_is_split_without_breaking_a_tag(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock, tmp_path: Path
) -> None:
    async with running(fake_telegram, database, clock, templates=long_help(tmp_path)):
        fake_telegram.push(tg.command(GROUP, SAM, "/help"))
        await said(fake_telegram, GROUP_ID, "Line 129:")
    sent = fake_telegram.of("sendMessage")
    parts = in_chat(fake_telegram, GROUP_ID)
    assert sum(len(call["text"]) for call in sent) > 9000
    assert len(parts) == len(sent) >= 3  # Telegram accepted every part
    for part in parts:
        assert len(part["text"]) <= 4096
        italic = [e for e in part["entities"] if e["type"] == "italic"]
        assert italic, "the italic that spans the whole message goes on in every part"
    assert "\n".join(part["text"] for part in parts).splitlines() == LONG_LINES


async def test_a_429_between_the_parts_of_a_long_message_sends_no_part_twice(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock, tmp_path: Path
) -> None:
    fake_telegram.fail(
        "sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, after=1
    )
    async with running(fake_telegram, database, clock, templates=long_help(tmp_path)) as app:
        fake_telegram.push(tg.command(GROUP, SAM, "/help"))
        await eventually(
            lambda: rows(database, "SELECT attempts FROM outbox WHERE sent_at IS NULL") == [(1,)]
        )
        assert len(in_chat(fake_telegram, GROUP_ID)) == 1  # the first part, before the 429
        clock.advance(timedelta(seconds=1))
        app.workers["telegram"].wake.set()
        await said(fake_telegram, GROUP_ID, "Line 129:")
    parts = in_chat(fake_telegram, GROUP_ID)
    assert "\n".join(part["text"] for part in parts).splitlines() == LONG_LINES


# -- buttons are untrusted ----------------------------------------------------------------------


async def test_forged_button_data_gets_a_polite_answer_and_changes_nothing(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    forged = ["craving.claim|999999", "nonsense", "x" * 70]
    async with running(fake_telegram, database, clock):
        fake_telegram.push(tg.command(GROUP, ANA, "/supporter on"))
        fake_telegram.push(tg.command(GROUP, SAM, "/craving"))
        reply = await said(fake_telegram, GROUP_ID, REPLY)
        before = rows(database, "SELECT * FROM cravings")
        presses = [tg.callback(BEN, reply, data) for data in forged]
        for press in presses:
            fake_telegram.push(press)
        await eventually(lambda: len(texts_in(fake_telegram, BEN["id"])) == len(forged))
        fake_telegram.push(tg.command(GROUP, SAM, "/help"))
        await said(fake_telegram, GROUP_ID, HELP)
    answered = [c["callback_query_id"] for c in fake_telegram.of("answerCallbackQuery")]
    assert answered == [press["callback_query"]["id"] for press in presses]
    assert texts_in(fake_telegram, BEN["id"]) == [
        "That button doesn't work any more. Nothing has changed."
    ] * len(forged)
    assert fake_telegram.of("editMessageText") == []
    assert rows(database, "SELECT * FROM cravings") == before
    assert rows(database, "SELECT claimed_by FROM cravings") == [(None,)]


async def test_a_press_whose_answer_telegram_refuses_still_counts(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    """A press handled late (after a restart, say) can no longer be answered; it still works."""
    too_old = "Bad Request: query is too old and response timeout expired or query id is invalid"
    async with running(fake_telegram, database, clock):
        fake_telegram.push(tg.command(GROUP, ANA, "/supporter on"))
        fake_telegram.push(tg.command(GROUP, SAM, "/craving"))
        reply = await said(fake_telegram, GROUP_ID, REPLY)
        fake_telegram.fail("answerCallbackQuery", 400, too_old, times=10)  # every time
        fake_telegram.push(tg.callback(ANA, reply, button(reply, "craving.claim")))
        await said(fake_telegram, GROUP_ID, "Ana is on it and will reach out to Sam.")
    assert rows(database, "SELECT claimed_by FROM cravings") == [(f"telegram:{ANA['id']}",)]


# -- membership ---------------------------------------------------------------------------------


async def test_a_supporter_who_left_is_not_pinged(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    async with running(fake_telegram, database, clock):
        for supporter in (ANA, BEN):
            fake_telegram.push(tg.command(GROUP, supporter, "/supporter on"))
        await eventually(lambda: len(texts_in(fake_telegram, GROUP_ID)) == 2)
        fake_telegram.push(tg.chat_member(GROUP, ANA, "member", "left"))
        fake_telegram.push(tg.command(GROUP, SAM, "/craving"))
        reply = await said(fake_telegram, GROUP_ID, REPLY)
    users = {e["user"]["id"] for e in reply.get("entities", []) if e["type"] == "text_mention"}
    assert users == {BEN["id"]}
    assert "Ana" not in reply["text"]


async def test_a_group_that_removed_the_bot_gets_nothing_more(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    async with running(fake_telegram, database, clock) as app:
        await keep_clean_date(fake_telegram, GROUP, SAM, ago(29))
        sent_before = len(fake_telegram.of("sendMessage"))
        fake_telegram.members[(GROUP_ID, fake_telegram.bot_user["id"])] = "kicked"
        fake_telegram.push(tg.my_chat_member(GROUP, "member", "kicked"))
        await eventually(lambda: rows(database, "SELECT active FROM communities") == [(0,)])
        clock.advance(timedelta(days=1))  # Sam's 30 days would be celebrated now
        await app.timers.fire_due()
    assert rows(database, "SELECT id FROM outbox WHERE template = 'milestone_digest'") == []
    assert len(fake_telegram.of("sendMessage")) == sent_before
    assert all("30 days clean today" not in text for text in texts_in(fake_telegram, GROUP_ID))
