"""Telegram webhook mode, and a second instance polling the same token."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import aiohttp
import pytest

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.receiver import SECRET_HEADER, PollingStopped
from bot.app import bootstrap
from bot.clock import ManualClock
from tests.fakes import telegram_updates as tg
from tests.fakes.fixtures import loopback_request
from tests.fakes.telegram import FakeTelegram
from tests.harness import eventually, rows
from tests.telegram_harness import (
    free_port,
    running,
    running_adapter,
    said,
    settings_for,
    texts_in,
)

SAM = tg.user(101, "Sam")
GROUP = tg.group()
GROUP_ID = GROUP["id"]
SECRET = "s3cret"
HOOK = "https://bot.example.org/telegram"


async def test_webhook_mode_takes_only_updates_that_carry_the_secret(
    fake_telegram: FakeTelegram,
    database: Path,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    update = {**tg.command(GROUP, SAM, "/help"), "update_id": 7}
    webhook = {
        "webhook_url": HOOK,
        "webhook_secret": SECRET,
        "webhook_listen": f"127.0.0.1:{port}",
    }
    async with (
        running(fake_telegram, database, clock, **webhook),
        aiohttp.ClientSession() as client,
    ):
        (hook,) = await eventually(lambda: fake_telegram.of("setWebhook"))  # listening by then
        assert (hook["url"], hook["secret_token"]) == (HOOK, SECRET)

        for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: ""}):
            async with client.post(url, json=update, headers=headers) as response:
                assert response.status == 403, headers
        assert rows(database, "SELECT key FROM inbox") == []
        assert rows(database, "SELECT key FROM handled_inbounds") == []

        for _ in range(2):  # Telegram sends it again when it missed our 200: one effect
            async with client.post(url, json=update, headers={SECRET_HEADER: SECRET}) as response:
                assert response.status == 200
        await said(fake_telegram, GROUP_ID, "Here for you, one day at a time.")
        days = {**tg.command(GROUP, SAM, "/days"), "update_id": 8}
        async with client.post(url, json=days, headers={SECRET_HEADER: SECRET}) as response:
            assert response.status == 200
        await said(fake_telegram, GROUP_ID, "haven't set a clean date")

    assert len(texts_in(fake_telegram, GROUP_ID)) == 2
    assert fake_telegram.of("getUpdates") == []
    assert rows(database, "SELECT key FROM inbox") == []
    assert SECRET not in caplog.text
    assert all(SECRET not in record.getMessage() for record in caplog.records)
    assert any(record.levelno == logging.DEBUG for record in caplog.records)


async def test_a_second_instance_stops_with_a_clear_message(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    fake_telegram.conflict = True
    settings = settings_for(fake_telegram, database)
    app = await bootstrap(settings, clock=clock)
    try:
        adapter = TelegramAdapter(app, settings, request=loopback_request, per_chat=0.0)
        with pytest.raises(PollingStopped, match="another process is polling this bot token"):
            async with asyncio.timeout(5):
                await adapter.run()
    finally:
        await app.close()
    assert fake_telegram.of("getUpdates")
    assert not fake_telegram.of("sendMessage")


async def test_processes_behind_one_url_set_the_webhook_once_and_again_when_it_changed(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    """Every process sets the webhook as it starts, after every crash, and Telegram limits how
    often setWebhook may be called: only what changed is set again."""

    def webhook(secret: str) -> dict[str, str]:
        return {
            "webhook_url": HOOK,
            "webhook_secret": secret,
            "webhook_listen": f"127.0.0.1:{free_port()}",
        }

    async def start(secret: str) -> None:
        async with running_adapter(fake_telegram, database, clock, **webhook(secret)) as (_, ran):
            await eventually(ran.connected)  # the webhook is set, or was already

    await start(SECRET)
    await start(SECRET)  # the second process, or the first after a restart
    assert [hook["secret_token"] for hook in fake_telegram.of("setWebhook")] == [SECRET]
    await start("rotated")  # an admin changed the secret
    fake_telegram.webhook = None  # someone removed the webhook by hand
    await start("rotated")
    assert [hook["secret_token"] for hook in fake_telegram.of("setWebhook")] == [
        SECRET,
        "rotated",
        "rotated",
    ]
    assert fake_telegram.webhook is not None
    assert fake_telegram.webhook["secret_token"] == "rotated"
    assert all(SECRET not in value for (value,) in rows(database, "SELECT value FROM meta"))
