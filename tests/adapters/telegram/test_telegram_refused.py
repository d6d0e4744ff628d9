"""A private chat Telegram refuses (403: the member blocked the bot, and no my_chat_member said
so) is no longer counted open: what the bot says next reaches the member where they can read
it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.clock import ManualClock
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram import FakeTelegram
from tests.harness import eventually, rows
from tests.telegram_harness import running, said

SAM = tg.user(101, "Sam")
GROUP = tg.group()
GROUP_ID = GROUP["id"]


@pytest.mark.parametrize(
    "asked_in",
    [
        "private",  # the answer has nowhere else to go: it is given up
        "group",  # /relapse in the group is answered privately: it waits for /start
    ],
)
async def test_an_answer_refused_in_the_private_chat_sends_the_crisis_lines_to_the_group(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock, asked_in: str
) -> None:
    private = tg.private_chat(SAM)
    async with running(fake_telegram, database, clock):
        fake_telegram.push(tg.command(private, SAM, "/start"))
        await said(fake_telegram, SAM["id"], "Here for you, one day at a time.")
        # Sam blocks the bot, and no my_chat_member says so: the next private answer is refused.
        fake_telegram.blocked.add(SAM["id"])
        if asked_in == "private":
            fake_telegram.push(tg.command(private, SAM, "/days"))
        else:
            fake_telegram.push(tg.command(GROUP, SAM, "/relapse"))
        await eventually(lambda: rows(database, "SELECT private_chat FROM people") == [(0,)])
        fake_telegram.push(tg.command(GROUP, SAM, "/craving i wanna die"))
        answer = await said(fake_telegram, GROUP_ID, "immediate danger")
    assert "findahelpline.com" in answer["text"]
    assert "privately" not in answer["text"]
