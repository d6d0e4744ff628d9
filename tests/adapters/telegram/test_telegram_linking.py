"""Linking a Telegram group with a Discord server, through the real python-telegram-bot against
the fake Bot API: the code goes to the admin's private chat, never the group, and only the
group's admins (as Telegram lists them) may link."""

from __future__ import annotations

import re
from pathlib import Path

from bot.clock import ManualClock
from bot.domain.inbound import CommandIssued, Origin
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram import FakeTelegram
from tests.harness import rows
from tests.telegram_harness import running, said, texts_in

SAM = tg.user(101, "Sam")
ANA = tg.user(202, "Ana")
GROUP = tg.group()
GROUP_ID = GROUP["id"]
CODE = re.compile(r"/link ([0-9A-Z]{4}-[0-9A-Z]{4})")
DISCORD_ADMIN = Origin(
    "discord", "901", "21", "Dana", community="900", is_admin=True, private_chat_open=True
)
"""A Discord server's manager, as the Discord adapter hands her commands to the core."""


async def test_an_admin_gets_the_code_privately_and_a_member_cannot_ask_for_one(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    fake_telegram.members[(GROUP_ID, ANA["id"])] = "administrator"
    async with running(fake_telegram, database, clock) as app:
        fake_telegram.push(tg.command(GROUP, SAM, "/link"))
        await said(fake_telegram, GROUP_ID, "Only this group's admins can use /link")
        fake_telegram.push(tg.command(GROUP, ANA, "/link"))
        private = await said(fake_telegram, ANA["id"], "to link this Telegram group")
        code = CODE.search(private["text"])
        assert code is not None
        await said(fake_telegram, GROUP_ID, "I've sent you the answer privately")
        await app.core.handle(CommandIssued("discord:1", DISCORD_ADMIN, "link", code.group(1)))
        await said(fake_telegram, GROUP_ID, "This Telegram group is now linked with a Discord")
    assert rows(database, "SELECT key, fellowship FROM communities ORDER BY key") == [
        ("discord:900", f"telegram:{GROUP_ID}"),
        (f"telegram:{GROUP_ID}", f"telegram:{GROUP_ID}"),
    ]
    assert not any(code.group(1) in text for text in texts_in(fake_telegram, GROUP_ID))
    assert not texts_in(fake_telegram, SAM["id"])
