"""``homegroup run`` on Telegram as separate processes: one polls while the others follow and
take over when it dies, and a Bot API that cannot be reached is waited for, not a crash."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp

from tests.fakes import telegram_updates as tg
from tests.fakes.telegram import FakeTelegram
from tests.harness import eventually
from tests.process import homegroup_run, terminate
from tests.telegram_harness import free_port, in_chat

SAM = tg.user(101, "Sam")
ANA = tg.user(202, "Ana")
GROUP = tg.group()
TAKE_OVER = 60.0
"""Seconds a test waits for a follower to poll: generous, the machine is shared (the
follower tries every few seconds)."""


async def _healthz(port: int) -> int:
    async with (
        aiohttp.ClientSession(trust_env=False) as client,
        client.get(f"http://127.0.0.1:{port}/healthz") as answer,
    ):
        return answer.status


async def test_when_the_polling_process_dies_another_polls_and_nothing_is_lost(
    fake_telegram: FakeTelegram, postgres_database: str, tmp_path: Path
) -> None:
    fake = fake_telegram
    ports = {name: free_port() for name in ("one", "two")}

    async def start(name: str) -> asyncio.subprocess.Process:
        return await homegroup_run(
            {
                "HOMEGROUP_DATABASE": postgres_database,
                "HOMEGROUP_HTTP": f"127.0.0.1:{ports[name]}",
                "TELEGRAM_TOKEN": fake.token,
                "TELEGRAM_API_URL": f"{fake.root}/{name}",
            },
            tmp_path / f"{name}.log",
        )

    processes = {name: await start(name) for name in ports}
    try:
        # One polls; the other follows, and says it is healthy all the same.
        (leader, *_) = await eventually(lambda: fake.callers("getUpdates"), seconds=TAKE_OVER)
        (follower,) = set(ports) - {leader}
        await eventually(lambda: follower in fake.callers("setMyCommands"), seconds=30)
        await asyncio.sleep(5)  # longer than a follower waits between tries at the lead
        assert set(fake.callers("getUpdates")) == {leader}
        assert await _healthz(ports[follower]) == 200

        # The leader has stored a craving but not yet handled it (its admin check hangs)...
        fake.stall("getChatAdministrators")
        fake.push(tg.command(GROUP, SAM, "/craving"))
        await eventually(lambda: fake.callers("getChatAdministrators"), seconds=30)
        # ... when it is killed; a member writes while nobody polls.
        processes[leader].kill()
        await processes[leader].wait()
        killed = time.monotonic()
        fake.release("getChatAdministrators")
        fake.push(tg.command(tg.private_chat(ANA), ANA, "/days"))

        await eventually(lambda: follower in fake.callers("getUpdates"), seconds=TAKE_OVER)
        await eventually(lambda: _said(fake, ANA["id"], "haven't set a clean date"), seconds=30)
        await eventually(lambda: _said(fake, GROUP["id"], "Thank you for saying it, Sam"))
    finally:
        for process in processes.values():
            if process.returncode is None:
                status = await terminate(process)
    assert status == 0
    polls = [c for c in fake.calls if c.method == "getUpdates"]
    assert all(c.at > killed for c in polls if c.caller == follower)
    assert len(_said(fake, ANA["id"], "haven't set a clean date")) == 1
    assert len(_said(fake, GROUP["id"], "Thank you for saying it, Sam")) == 1


def _said(fake: FakeTelegram, chat: int, words: str) -> list[str]:
    return [m["text"] for m in in_chat(fake, chat) if words in m.get("text", "")]


async def test_a_bot_api_that_cannot_be_reached_is_one_line_and_tried_again(
    tmp_path: Path,
) -> None:
    """A token that looks right, and no network: the process waits for Telegram, trying again
    less and less often, and says so once, without a traceback; it stops cleanly."""
    log = tmp_path / "homegroup.log"
    closed = free_port()  # nothing listens there
    process = await homegroup_run(
        {
            "HOMEGROUP_DATABASE": str(tmp_path / "homegroup.db"),
            "HOMEGROUP_LOG_LEVEL": "DEBUG",
            "TELEGRAM_TOKEN": "123456:" + "B" * 35,
            "TELEGRAM_API_URL": f"http://127.0.0.1:{closed}",
        },
        log,
    )
    try:
        await eventually(
            lambda: log.read_text().count("still cannot reach Telegram") >= 2, seconds=60
        )
        assert process.returncode is None
    finally:
        status = await terminate(process)
    text = log.read_text()
    warnings = [line for line in text.splitlines() if " WARNING " in line]
    assert len(warnings) == 1, warnings
    assert "Telegram cannot be reached to start (NetworkError)" in warnings[0]
    waits = [line.split("; ", 1)[1] for line in text.splitlines() if "still cannot reach" in line]
    assert waits[:2] == ["next try in 2 s", "next try in 4 s"], waits  # after the first, 1 s
    assert "Traceback" not in text
    assert " ERROR " not in text
    assert "B" * 35 not in text
    assert status == 0


async def test_a_token_telegram_does_not_know_stops_the_process_with_one_line(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    """No retry would help (unlike a network that is down): the operator is told what to fix."""
    log = tmp_path / "homegroup.log"
    wrong = "654321:" + "C" * 35
    process = await homegroup_run(
        {
            "HOMEGROUP_DATABASE": str(tmp_path / "homegroup.db"),
            "TELEGRAM_TOKEN": wrong,
            "TELEGRAM_API_URL": fake_telegram.root,
        },
        log,
    )
    status = await asyncio.wait_for(process.wait(), 60)
    text = log.read_text()
    assert status == 2
    assert text.strip().splitlines() == [
        "homegroup: Telegram does not know this bot token (401 Unauthorized); check"
        " TELEGRAM_TOKEN against the one @BotFather gave"
    ]
    assert "C" * 35 not in text
