"""Private commands typed in a Telegram group: taken off the group where the bot may delete
messages, answered privately, and a contact or private note never stored; the menus per scope.

The real python-telegram-bot against the fake Bot API. What a member would notice is what the
fake holds (the group's messages, the private chat); "stored nowhere" is every table read back.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.receiver import SECRET_HEADER, webhook_app
from bot.app import bootstrap
from bot.clock import ManualClock
from bot.domain.commands import ALIASES, PRIVATE_COMMANDS
from bot.flows import all_flows
from bot.language import available_locales
from tests.conftest import START
from tests.fakes import telegram_updates as tg
from tests.fakes.fixtures import loopback_request
from tests.fakes.telegram import FakeTelegram
from tests.harness import eventually, rows
from tests.telegram_harness import free_port, running, said, settings_for, texts_in

SAM = tg.user(101, "Sam")
GROUP = tg.group()
GROUP_ID = GROUP["id"]
BOT_ID = tg.default_bot_user()["id"]
NUMBER = "+1 555 0100"
DIGITS = "555 0100"
"""What of the number must appear nowhere: "555" alone also turns up in stored timestamps."""
NOTE = "the party at Jo's was too much"
TAKEN_OFF = "I took your /relapse out of the group chat"
NEXT_TIME = "Next time, send /relapse here in our private chat"


def ago(days: int) -> str:
    return (START.date() - timedelta(days=days)).isoformat()


def everything_stored(database: Path) -> str:
    """Every value of every table of the database, as one text to search."""
    with closing(sqlite3.connect(database)) as db:
        tables = [
            name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        values = [
            str(value)
            for table in tables
            for row in db.execute(f'SELECT * FROM "{table}"')
            for value in row
        ]
    return "\n".join(values)


def posted(fake: FakeTelegram, update: dict[str, Any]) -> bool:
    """Whether the member's message of this update is still in its chat."""
    message = update["message"]
    return (message["chat"]["id"], message["message_id"]) in fake.posted


async def counting(fake: FakeTelegram, database: Path) -> None:
    """Sam says yes to keeping their data and sets a clean date in the group."""
    fake.push(tg.command(tg.private_chat(SAM), SAM, "/consent on"))
    await said(fake, SAM["id"], "Thank you. I'll keep what you give me")
    fake.push(tg.command(GROUP, SAM, f"/cleandate {ago(100)}"))
    await eventually(lambda: rows(database, "SELECT clean_since FROM counters"))


async def test_with_delete_rights_private_commands_leave_the_group_and_are_answered_privately(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    fake_telegram.members[(GROUP_ID, BOT_ID)] = "administrator"
    relapse = tg.command(GROUP, SAM, "/relapse")
    contact = tg.command(GROUP, SAM, f"/contact {NUMBER}")
    note = tg.command(GROUP, SAM, f"/relapse note {NOTE}")
    forget = tg.command(GROUP, SAM, "/forgetme")
    async with running(fake_telegram, database, clock):
        await counting(fake_telegram, database)
        fake_telegram.push(relapse)
        asked = await said(fake_telegram, SAM["id"], "Do you want to start a new count")
        await eventually(lambda: not posted(fake_telegram, relapse))

        fake_telegram.push(contact)
        await said(fake_telegram, SAM["id"], "I took your message out of the group chat, number")
        await eventually(lambda: not posted(fake_telegram, contact))

        fake_telegram.push(note)
        await said(fake_telegram, SAM["id"], "I haven't kept that one, and I took your message")
        await eventually(lambda: not posted(fake_telegram, note))

        fake_telegram.push(forget)
        await said(fake_telegram, SAM["id"], "I took your /forgetme out of the group chat")
        await eventually(lambda: not posted(fake_telegram, forget))

    assert TAKEN_OFF in asked["text"]
    assert NEXT_TIME not in asked["text"]
    group = "\n".join(texts_in(fake_telegram, GROUP_ID))
    assert "new count" not in group
    assert "555" not in group
    deleted = [(c["chat_id"], c["message_id"]) for c in fake_telegram.of("deleteMessage")]
    typed = [(u["message"]["chat"]["id"], u["message"]["message_id"]) for u in (relapse, contact)]
    assert deleted[:2] == typed
    sent = [c.params for c in fake_telegram.calls if c.method in ("sendMessage", "editMessageText")]
    assert all("555" not in params["text"] and NOTE not in params["text"] for params in sent)
    stored = everything_stored(database)
    assert DIGITS not in stored
    assert "party at Jo" not in stored
    # The right is asked for once and kept: not once a command.
    assert [c["user_id"] for c in fake_telegram.of("getChatMember")] == [BOT_ID]


async def test_without_delete_rights_the_answer_asks_for_the_private_chat_next_time(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    relapse = tg.command(GROUP, SAM, "/relapse")
    contact = tg.command(GROUP, SAM, f"/contact {NUMBER}")
    forget = tg.command(GROUP, SAM, "/forgetme")
    async with running(fake_telegram, database, clock):
        await counting(fake_telegram, database)
        fake_telegram.push(relapse)
        asked = await said(fake_telegram, SAM["id"], "Do you want to start a new count")
        fake_telegram.push(contact)
        told = await said(fake_telegram, SAM["id"], "you may want to delete it")
        fake_telegram.push(forget)
        await said(fake_telegram, SAM["id"], "Next time, send /forgetme here")

    assert NEXT_TIME in asked["text"]
    assert TAKEN_OFF not in asked["text"]
    assert "555" not in told["text"]
    assert fake_telegram.of("deleteMessage") == []
    assert all(posted(fake_telegram, update) for update in (relapse, contact, forget))
    assert DIGITS not in everything_stored(database)


async def test_an_admin_without_the_right_to_delete_asks_for_the_private_chat_next_time(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    fake_telegram.members[(GROUP_ID, BOT_ID)] = "administrator"
    fake_telegram.withheld[(GROUP_ID, BOT_ID)] = {"can_delete_messages"}
    relapse = tg.command(GROUP, SAM, "/relapse")
    async with running(fake_telegram, database, clock):
        await counting(fake_telegram, database)
        fake_telegram.push(relapse)
        asked = await said(fake_telegram, SAM["id"], "Do you want to start a new count")
    assert NEXT_TIME in asked["text"]
    assert fake_telegram.of("deleteMessage") == []
    assert posted(fake_telegram, relapse)


async def test_a_change_of_the_bots_rights_is_learnt_from_telegrams_update(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    first = tg.command(GROUP, SAM, "/forgetme")
    second = tg.command(GROUP, SAM, "/forgetme")
    async with running(fake_telegram, database, clock):
        fake_telegram.push(first)
        await said(fake_telegram, SAM["id"], "Next time, send /forgetme here")

        fake_telegram.members[(GROUP_ID, BOT_ID)] = "administrator"
        fake_telegram.push(tg.my_chat_member(GROUP, "member", "administrator"))
        fake_telegram.push(second)
        await said(fake_telegram, SAM["id"], "I took your /forgetme out of the group chat")
        await eventually(lambda: not posted(fake_telegram, second))

    assert posted(fake_telegram, first)
    assert len(fake_telegram.of("getChatMember")) == 1, "the update said it; nothing was asked"


async def test_a_deletion_refused_is_recorded_once_and_the_right_asked_again(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    fake_telegram.members[(GROUP_ID, BOT_ID)] = "administrator"
    first, second, third = (tg.command(GROUP, SAM, "/forgetme") for _ in range(3))
    taken_off = "I took your /forgetme out of the group chat"
    async with running(fake_telegram, database, clock):
        fake_telegram.push(first)
        await said(fake_telegram, SAM["id"], taken_off)
        await eventually(lambda: not posted(fake_telegram, first))
        # The right is taken away, and the news has not reached the bot yet.
        fake_telegram.withheld[(GROUP_ID, BOT_ID)] = {"can_delete_messages"}
        fake_telegram.push(second)
        await eventually(
            lambda: rows(database, "SELECT failure FROM outbox WHERE failed_at IS NOT NULL")
        )
        fake_telegram.push(third)
        await said(fake_telegram, SAM["id"], "Next time, send /forgetme here")

    (failure,) = rows(database, "SELECT failure FROM outbox WHERE failed_at IS NOT NULL")
    assert "can't be deleted" in failure[0]
    assert len(fake_telegram.of("deleteMessage")) == 2, "a refusal is not retried"
    assert len(fake_telegram.of("getChatMember")) == 2, "asked again after the refusal"
    assert posted(fake_telegram, second)
    assert posted(fake_telegram, third)
    assert sum(taken_off in text for text in texts_in(fake_telegram, SAM["id"])) == 2


async def test_a_contact_typed_in_a_group_reaches_the_inbox_without_its_number(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    """The webhook stores what the poller stores; after a restart it is handled as stored."""
    settings = settings_for(fake_telegram, database)
    app = await bootstrap(settings, clock=clock)
    contact = {**tg.command(GROUP, SAM, f"/contact {NUMBER} (after 6pm)"), "update_id": 41}
    contact["message"]["entities"].append({"type": "phone_number", "offset": 9, "length": 11})
    note = {**tg.command(GROUP, SAM, f"/relapse@HomegroupBot Note: {NOTE}"), "update_id": 42}
    restart = {**tg.command(GROUP, SAM, "/restart 3 days ago"), "update_id": 43}
    try:
        adapter = TelegramAdapter(app, settings, request=loopback_request, per_chat=0.0)
        port = free_port()
        runner = web.AppRunner(webhook_app(adapter.receiver, "s3cret", "/telegram"))
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            async with aiohttp.ClientSession() as client:
                for update in (contact, note, restart):
                    async with client.post(
                        f"http://127.0.0.1:{port}/telegram",
                        json=update,
                        headers={SECRET_HEADER: "s3cret"},
                    ) as response:
                        assert response.status == 200
        finally:
            await runner.cleanup()
    finally:
        await app.close()

    stored = [json.loads(p)["message"] for (p,) in rows(database, "SELECT payload FROM inbox")]
    assert [m["text"] for m in stored] == [
        "/contact",
        "/relapse@HomegroupBot note",
        "/restart 3 days ago",
    ]
    assert [len(m["entities"]) for m in stored] == [1, 1, 1]
    assert DIGITS not in everything_stored(database)

    fake_telegram.members[(GROUP_ID, BOT_ID)] = "administrator"
    async with running(fake_telegram, database, clock):
        told = await said(fake_telegram, SAM["id"], "Your contact is safest")
        await said(fake_telegram, SAM["id"], "I haven't kept that one, and I took your message")
        await said(fake_telegram, SAM["id"], "no count to restart")
        await eventually(lambda: len(fake_telegram.of("deleteMessage")) == 3)
    assert "I took your message out of the group chat." in told["text"]
    assert "number and all" not in told["text"], "what was stored is all it knows"
    assert rows(database, "SELECT key FROM inbox") == []


def menu(fake: FakeTelegram, scope: str) -> list[str]:
    key = (json.dumps({"type": scope}, sort_keys=True), "")
    return [command["command"] for command in fake.commands.get(key, [])]


async def test_the_menus_are_set_per_scope_and_cover_every_command(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    async with running(fake_telegram, database, clock):
        menus = 3 * len(available_locales())  # three scopes in each language
        await eventually(lambda: len(fake_telegram.of("setMyCommands")) == menus)
        await asyncio.sleep(0)
    private = menu(fake_telegram, "all_private_chats")
    group = menu(fake_telegram, "all_group_chats")
    admins = menu(fake_telegram, "all_chat_administrators")

    assert PRIVATE_COMMANDS - ALIASES.keys() <= set(private)
    assert not PRIVATE_COMMANDS & set(group)
    assert not PRIVATE_COMMANDS & set(admins)
    assert {"settings", "set"} <= set(admins) - set(group) - set(private)
    assert {"together", "share"} <= set(group) - set(private)
    assert set(group) < set(admins), "an admin sees the admins' menu alone"
    shown = set(private) | set(group) | set(admins)
    core = set(all_flows().commands)
    assert shown <= core
    assert core - shown <= ALIASES.keys() | {"start"}
    for call in fake_telegram.of("setMyCommands"):
        assert all(command["description"] for command in call["commands"])
