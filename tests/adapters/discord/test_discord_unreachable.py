"""A bot whose Discord cannot be reached says so in one line and tries again, rather than stop
with a traceback: started before its network is up, it comes up with it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.clock import ManualClock
from tests.discord_harness import circle
from tests.discord_harness import running as discord_running
from tests.fakes.discord import FakeDiscord
from tests.harness import eventually
from tests.process import homegroup_run, terminate
from tests.telegram_harness import free_port

UNREACHABLE = "Discord cannot be reached"


async def test_a_bot_started_with_no_network_says_so_and_comes_up_when_discord_answers(
    tmp_path: Path,
) -> None:
    port = free_port()  # nothing listens on it until the fake starts there
    fake = FakeDiscord()
    circle(fake)
    log = tmp_path / "homegroup.log"
    bot = await homegroup_run(
        {
            "DISCORD_TOKEN": fake.token,
            "DISCORD_API_URL": f"http://127.0.0.1:{port}/api/v10",
            "DISCORD_GATEWAY_URL": f"ws://127.0.0.1:{port}/gateway",
            "HOMEGROUP_DATABASE": str(tmp_path / "homegroup.db"),
            "HOMEGROUP_LOG_LEVEL": "INFO",
        },
        log,
    )
    try:
        await eventually(lambda: log.read_text().count(UNREACHABLE) >= 2, seconds=30)
        await fake.start(port)
        await eventually(lambda: fake.gateway.connected, seconds=30)
    finally:
        status = await terminate(bot)
        await fake.close()

    text = log.read_text()
    assert status == 0, text
    assert "Traceback" not in text
    tries = [line.split(UNREACHABLE, 1)[1] for line in text.splitlines() if UNREACHABLE in line]
    assert tries[:2] == [
        " (ClientConnectorError); trying again in 2 s",
        " (ClientConnectorError); trying again in 4 s",
    ]
    assert fake.token not in text


async def test_a_gateway_that_cannot_be_reached_is_said_without_a_traceback_and_tried_again(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Logged in, the gateway refuses: discord.py tries again by itself, and says so."""
    circle(fake_discord)
    fake_discord.gateway.unreachable = True
    heard: list[logging.LogRecord] = []

    class GatewayBack(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            heard.append(record)
            fake_discord.gateway.unreachable = False

    library = logging.getLogger("discord.client")
    back = GatewayBack(logging.ERROR)
    library.addHandler(back)
    try:
        async with discord_running(fake_discord, database, clock) as bot:
            assert bot.adapter.connected() == {"0": True}
    finally:
        library.removeHandler(back)

    assert heard
    assert all(record.exc_info is None for record in heard)
    assert all(UNREACHABLE in record.getMessage() for record in heard)
    assert "WSServerHandshakeError" in heard[0].getMessage()
    ours = [r.getMessage() for r in caplog.records if r.name == "adapters.discord.adapter"]
    assert f"{UNREACHABLE} (WSServerHandshakeError); trying again in 2 s" in ours
    assert not [r for r in caplog.records if r.exc_info is not None]
