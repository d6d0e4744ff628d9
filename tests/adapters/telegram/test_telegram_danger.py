"""The danger path on Telegram: crisis lines reach a member whether or not they ever opened a
private chat with the bot, and blocking the bot is remembered."""

from __future__ import annotations

from pathlib import Path

from bot.clock import ManualClock
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram import FakeTelegram
from tests.harness import eventually, rows
from tests.telegram_harness import running, said, texts_in

SAM = tg.user(101, "Sam")
ANA = tg.user(202, "Ana")
GROUP = tg.group()
GROUP_ID = GROUP["id"]


async def test_a_member_who_never_opened_a_private_chat_reads_the_crisis_lines_in_the_group(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    fake_telegram.blocked.add(SAM["id"])  # Sam never started the bot
    async with running(fake_telegram, database, clock):
        fake_telegram.push(tg.command(GROUP, ANA, "/supporter on"))
        await said(fake_telegram, GROUP_ID, "You're on the supporter list")
        fake_telegram.push(tg.command(GROUP, SAM, "/craving i wanna die"))
        answer = await said(fake_telegram, GROUP_ID, "this is urgent")
    assert answer["text"].startswith(
        "If you or anyone may be in immediate danger, call your local emergency number"
    )
    assert "findahelpline.com" in answer["text"]
    assert "walk" not in answer["text"]
    assert not texts_in(fake_telegram, SAM["id"]), "nothing waits where Sam cannot read it"


async def test_after_start_the_crisis_lines_come_privately_first_until_the_bot_is_blocked(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    private = tg.private_chat(SAM)
    async with running(fake_telegram, database, clock):
        fake_telegram.push(tg.command(private, SAM, "/start"))
        await said(fake_telegram, SAM["id"], "Here for you, one day at a time.")
        assert rows(database, "SELECT private_chat FROM people") == [(1,)]
        fake_telegram.push(tg.command(GROUP, SAM, "/craving took too many pills"))
        crisis = await said(fake_telegram, SAM["id"], "sounds like you might be in danger")
        answer = await said(fake_telegram, GROUP_ID, "immediate danger")
        assert "I've sent you the crisis lines privately." in answer["text"]
        assert "findahelpline.com" not in answer["text"]
        order = list(fake_telegram.messages)  # in the order the fake received them
        assert order.index((SAM["id"], crisis["message_id"])) < order.index(
            (GROUP_ID, answer["message_id"])
        ), "the private crisis lines go first"

        fake_telegram.push(tg.my_chat_member(private, "member", "kicked"))
        await eventually(lambda: rows(database, "SELECT private_chat FROM people") == [(0,)])
