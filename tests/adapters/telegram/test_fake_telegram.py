"""The fake Bot API answers the real python-telegram-bot as Telegram does."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import pytest
from telegram import (
    Bot,
    ChatMemberAdministrator,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MessageEntity,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    RetryAfter,
)

from tests.fakes import fixtures
from tests.fakes import telegram_updates as tg
from tests.fakes.fixtures import bot_for
from tests.fakes.telegram import FakeTelegram, Upload

# Until tests/conftest.py imports them for the whole suite:
fake_telegram = fixtures.fake_telegram
telegram_bot = fixtures.telegram_bot

SAM = tg.user(101, "Sam", "sam_r")
CIRCLE = tg.group(-1001234567890, "Sunday Circle")


async def test_get_me(telegram_bot: Bot, fake_telegram: FakeTelegram) -> None:
    me = await telegram_bot.get_me()

    assert (me.id, me.username, me.is_bot) == (999, "HomegroupBot", True)
    assert telegram_bot.username == "HomegroupBot"  # set by initialize(), through the fake too
    assert [call.method for call in fake_telegram.calls] == ["getMe", "getMe"]


async def test_send_message_records_decoded_markup(
    telegram_bot: Bot, fake_telegram: FakeTelegram
) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("I can call", callback_data="c:7")]])

    sent = await telegram_bot.send_message(
        CIRCLE["id"],
        "<b>Sam</b> asks for a call &amp; a coffee",
        ParseMode.HTML,
        reply_markup=keyboard,
    )

    (params,) = fake_telegram.of("sendMessage")
    assert params["chat_id"] == CIRCLE["id"]
    assert params["text"] == "<b>Sam</b> asks for a call &amp; a coffee"
    assert params["parse_mode"] == "HTML"
    assert params["reply_markup"] == {
        "inline_keyboard": [[{"text": "I can call", "callback_data": "c:7"}]]
    }
    assert sent.text == "Sam asks for a call & a coffee"
    assert sent.entities == (MessageEntity(MessageEntity.BOLD, 0, 3),)
    assert sent.reply_markup == keyboard
    assert sent.chat.type == "supergroup"
    assert (
        await telegram_bot.send_message(CIRCLE["id"], "again")
    ).message_id == sent.message_id + 1


async def test_text_is_parsed_and_refused_as_telegram_does(telegram_bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await telegram_bot.send_message(SAM["id"], "<b>open", ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await telegram_bot.send_message(SAM["id"], "1 < 2", ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await telegram_bot.send_message(SAM["id"], "🙂" * 2049)
    assert (await telegram_bot.send_message(SAM["id"], "🙂" * 2048)).text == "🙂" * 2048


async def test_edits_need_a_sent_message(telegram_bot: Bot, fake_telegram: FakeTelegram) -> None:
    sent = await telegram_bot.send_message(SAM["id"], "Who can call?")

    edited = await telegram_bot.edit_message_text("Taken by Alex", SAM["id"], sent.message_id)
    assert not isinstance(edited, bool)
    assert (edited.text, edited.message_id) == ("Taken by Alex", sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await telegram_bot.edit_message_text("Taken by Alex", SAM["id"], sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await telegram_bot.edit_message_reply_markup(SAM["id"], sent.message_id + 5)
    assert fake_telegram.messages[(SAM["id"], sent.message_id)]["text"] == "Taken by Alex"


async def test_get_updates_confirms_by_offset_and_wakes_on_push(
    telegram_bot: Bot, fake_telegram: FakeTelegram
) -> None:
    first = fake_telegram.push(tg.command(CIRCLE, SAM, "/craving@HomegroupBot rough night"))
    second = fake_telegram.push(tg.text_message(CIRCLE, SAM, "thanks all"))

    updates = await telegram_bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [first, second]
    assert updates[0].effective_message is not None
    assert updates[0].effective_message.parse_entities([MessageEntity.BOT_COMMAND]) == {
        MessageEntity(MessageEntity.BOT_COMMAND, 0, 21): "/craving@HomegroupBot"
    }

    assert await telegram_bot.get_updates(offset=second + 1, timeout=0) == ()
    assert fake_telegram.confirmed == second

    async def push_soon() -> int:
        await asyncio.sleep(0.05)
        return fake_telegram.push(tg.text_message(CIRCLE, SAM, "still here"))

    started = time.monotonic()
    pushing = asyncio.create_task(push_soon())
    woken = await telegram_bot.get_updates(offset=second + 1, timeout=30)
    assert [u.update_id for u in woken] == [await pushing]
    assert time.monotonic() - started < 0.9  # woken by the push, not by the 1 s cap


async def test_long_poll_returns_nothing_after_the_cap(fake_telegram: FakeTelegram) -> None:
    fake_telegram.poll_cap = 0.2
    async with bot_for(fake_telegram) as bot:
        started = time.monotonic()
        assert await bot.get_updates(timeout=30) == ()
        assert 0.15 < time.monotonic() - started < 2


async def test_flood_error_raises_retry_after(
    telegram_bot: Bot, fake_telegram: FakeTelegram
) -> None:
    fake_telegram.fail("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)

    with pytest.raises(RetryAfter) as raised:
        await telegram_bot.send_message(CIRCLE["id"], "hello")

    assert raised.value.retry_after == timedelta(seconds=7)
    assert (await telegram_bot.send_message(CIRCLE["id"], "hello")).text == "hello"
    assert len(fake_telegram.of("sendMessage")) == 2  # PTB itself does not retry


async def test_blocked_user_raises_forbidden(
    telegram_bot: Bot, fake_telegram: FakeTelegram
) -> None:
    fake_telegram.blocked.add(SAM["id"])

    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await telegram_bot.send_message(SAM["id"], "Your clean time is set.")
    with pytest.raises(Forbidden):
        await telegram_bot.send_document(SAM["id"], b"data", filename="export.json")
    fake_telegram.members[(CIRCLE["id"], telegram_bot.id)] = "kicked"
    with pytest.raises(Forbidden, match="bot was kicked"):
        await telegram_bot.send_message(CIRCLE["id"], "hello")


async def test_second_poller_raises_conflict(
    telegram_bot: Bot, fake_telegram: FakeTelegram
) -> None:
    fake_telegram.conflict = True

    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await telegram_bot.get_updates(timeout=0)


async def test_webhook_set_and_deleted(telegram_bot: Bot, fake_telegram: FakeTelegram) -> None:
    await telegram_bot.set_webhook("https://example.org/hook", secret_token="s3cret")
    assert fake_telegram.webhook == {"url": "https://example.org/hook", "secret_token": "s3cret"}
    assert (await telegram_bot.get_webhook_info()).url == "https://example.org/hook"
    with pytest.raises(Conflict, match="webhook is active"):
        await telegram_bot.get_updates(timeout=0)

    await telegram_bot.delete_webhook()
    assert fake_telegram.webhook is None
    assert (await telegram_bot.get_webhook_info()).url == ""


async def test_get_chat_member_parses_each_status(
    telegram_bot: Bot, fake_telegram: FakeTelegram
) -> None:
    alex, robin = 102, 103
    fake_telegram.members[(CIRCLE["id"], alex)] = "administrator"
    fake_telegram.members[(CIRCLE["id"], robin)] = "creator"
    fake_telegram.members[(CIRCLE["id"], 104)] = "kicked"
    fake_telegram.push(tg.text_message(CIRCLE, tg.user(alex, "Alex"), "hi"))

    admin = await telegram_bot.get_chat_member(CIRCLE["id"], alex)
    owner = await telegram_bot.get_chat_member(CIRCLE["id"], robin)
    member = await telegram_bot.get_chat_member(CIRCLE["id"], SAM["id"])
    banned = await telegram_bot.get_chat_member(CIRCLE["id"], 104)

    assert isinstance(admin, ChatMemberAdministrator)
    assert (admin.user.first_name, admin.can_restrict_members) == ("Alex", True)
    assert isinstance(owner, ChatMemberOwner)
    assert member.status == "member"
    assert banned.status == "kicked"


async def test_commands_round_trip(telegram_bot: Bot, fake_telegram: FakeTelegram) -> None:
    await telegram_bot.set_my_commands([("craving", "Ask the group for support")])
    assert [c.command for c in await telegram_bot.get_my_commands()] == ["craving"]

    await telegram_bot.delete_my_commands()
    assert await telegram_bot.get_my_commands() == ()


async def test_send_document_records_the_file(
    telegram_bot: Bot, fake_telegram: FakeTelegram
) -> None:
    content = b'{"clean_since": "2026-01-02"}'

    sent = await telegram_bot.send_document(
        SAM["id"],
        content,
        filename="homegroup.json",
        caption="Your data <b>export</b>",
        parse_mode=ParseMode.HTML,
    )

    (params,) = fake_telegram.of("sendDocument")
    upload = params["document"]
    assert isinstance(upload, Upload)
    assert (upload.filename, upload.content) == ("homegroup.json", content)
    assert sent.document is not None
    assert (sent.document.file_name, sent.caption) == ("homegroup.json", "Your data export")


async def test_unknown_token_and_method(fake_telegram: FakeTelegram) -> None:
    stranger = FakeTelegram(token="654321:" + "B" * 35)
    stranger._root = fake_telegram.root  # a bot with another token, at this fake's address

    with pytest.raises(InvalidToken, match="rejected by the server"):
        async with bot_for(stranger):
            pass
    async with bot_for(fake_telegram) as bot:
        with pytest.raises(EndPointNotFound):
            await bot.do_api_request("sendPigeon")


async def test_builders_parse_as_ptb_updates(telegram_bot: Bot) -> None:
    sent = await telegram_bot.send_message(
        CIRCLE["id"],
        "Sam asks for a call",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("I can", callback_data="c:1")]]),
    )
    alex = tg.user(102, "Alex")

    def parse(update: dict[str, Any]) -> Update:
        # Builders leave update_id to FakeTelegram.push; parsed directly, one is needed.
        return Update.de_json({**update, "update_id": 1}, telegram_bot)

    pressed = parse(tg.callback(alex, sent.to_dict(), "c:1"))
    joined = parse(tg.chat_member(CIRCLE, SAM, "left", "member"))
    added = parse(tg.my_chat_member(CIRCLE, "left", "administrator"))
    blocked = parse(tg.my_chat_member(tg.private_chat(SAM), "member", "kicked"))
    anonymous = parse(tg.anonymous_admin_command(CIRCLE, "/set timezone"))

    assert pressed.callback_query is not None
    assert (pressed.callback_query.data, pressed.callback_query.from_user.id) == ("c:1", 102)
    assert pressed.callback_query.message is not None
    assert pressed.callback_query.message.message_id == sent.message_id
    assert joined.chat_member is not None
    assert joined.chat_member.new_chat_member.status == "member"
    assert joined.chat_member.old_chat_member.user.id == SAM["id"]
    assert added.my_chat_member is not None
    assert added.my_chat_member.new_chat_member.user.id == 999
    assert isinstance(added.my_chat_member.new_chat_member, ChatMemberAdministrator)
    assert blocked.my_chat_member is not None
    assert blocked.my_chat_member.from_user.id == SAM["id"]
    assert anonymous.effective_message is not None
    assert anonymous.effective_message.sender_chat is not None
    assert anonymous.effective_message.sender_chat.id == CIRCLE["id"]
    assert anonymous.effective_user is not None
    assert anonymous.effective_user.id == tg.ANONYMOUS_ADMIN_ID


async def test_proxy_variables_do_not_reach_the_fake(
    fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With trust_env left on, httpx would send these loopback requests to the proxy."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "example.org")

    async with bot_for(fake_telegram) as bot:
        assert (await bot.get_me()).username == "HomegroupBot"
