"""The command menus in each language the bot has: English by default, Spanish for members
whose Telegram is set to Spanish."""

from __future__ import annotations

import json
from pathlib import Path

from bot.clock import ManualClock
from bot.language import available_locales
from tests.fakes.telegram import FakeTelegram
from tests.harness import eventually
from tests.telegram_harness import running


def described(fake: FakeTelegram, scope: str, language: str) -> dict[str, str]:
    key = (json.dumps({"type": scope}, sort_keys=True), language)
    return {c["command"]: c["description"] for c in fake.commands.get(key, [])}


async def test_the_menus_are_set_in_spanish_and_by_default(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    assert "es" in available_locales()
    async with running(fake_telegram, database, clock):
        wanted = 3 * len(available_locales())
        await eventually(lambda: len(fake_telegram.of("setMyCommands")) == wanted)
    for scope in ("all_private_chats", "all_group_chats", "all_chat_administrators"):
        english, spanish = (
            described(fake_telegram, scope, ""),
            described(fake_telegram, scope, "es"),
        )
        assert english.keys() == spanish.keys(), "the same commands, in the same menus"
        assert english["craving"] == "Share a craving; peers step in"
        different = [name for name in english if english[name] != spanish[name]]
        assert different == list(english), (
            f"{scope}: left in English: {set(english) - set(different)}"
        )
    private = described(fake_telegram, "all_private_chats", "es")
    assert "language" in private
