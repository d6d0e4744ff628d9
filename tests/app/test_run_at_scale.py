"""README "Run it at scale": its shell steps, run from a fresh clone against the loopback fakes
of Telegram and Discord and a PostgreSQL database of the test's own, move a group's SQLite
history over and start two processes that share the Discord shards and answer cravings posted
to either."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.adapters.discord.test_discord_shards import NO_CLEAN_DATE, servers
from tests.app.test_copy_db import (
    a_database,
    live_a_group_on_sqlite,
    postgres_tables,
    sqlite_tables,
)
from tests.discord_harness import SAM
from tests.fakes import telegram_updates as tg
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import FakeTelegram
from tests.harness import eventually
from tests.telegram_harness import free_port

ROOT = Path(__file__).resolve().parents[2]
PORTS = ("8443", "8444", "9464", "9465")
"""The ports the steps name, each given a free one here (the machine runs other tests)."""


def steps(*, polling: bool) -> str:
    """The section's shell lines, as one script; the database's URL, which names a password to
    fill in, is the test's own. Polling, as step 3 says, is the same without the webhook."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Run it at scale\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^ *```sh\n(.*?)^ *```$", section, flags=re.MULTILINE | re.DOTALL)
    lines = [line.strip() for block in blocks for line in block.splitlines()]  # unindented
    left_out = ["export HOMEGROUP_DATABASE="]
    if polling:
        left_out.append("export TELEGRAM_WEBHOOK_URL=")
    return "\n".join(line for line in lines if not line.startswith(tuple(left_out)))


async def stop_group(leader: int) -> None:
    """SIGTERM the processes the script started (its process group), as a service manager
    would; SIGKILL what is left after 15 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(leader, signal.SIGTERM)
        for _ in range(150):
            await asyncio.sleep(0.1)
            os.killpg(leader, 0)
        os.killpg(leader, signal.SIGKILL)


async def health(session: aiohttp.ClientSession, port: str) -> dict[str, Any] | None:
    """What a process's /healthz says once it answers 200 (None before)."""
    with contextlib.suppress(aiohttp.ClientError):
        async with session.get(f"http://127.0.0.1:{port}/healthz") as answer:
            if answer.status == 200:
                said: dict[str, Any] = await answer.json()
                return said
    return None


@pytest.mark.parametrize("polling", [False, True], ids=["webhook", "polling"])
async def test_the_steps_to_run_at_scale_work_from_a_fresh_clone(
    tmp_path: Path, fake_telegram: FakeTelegram, fake_discord: FakeDiscord, polling: bool
) -> None:
    clone = tmp_path / "homegroup"
    cloned = await asyncio.create_subprocess_exec("git", "clone", "--quiet", ROOT, clone)
    assert await cloned.wait() == 0
    await live_a_group_on_sqlite(clone / "homegroup.db")  # the group's history so far
    guilds = servers(fake_discord, 8)  # a Discord server on each shard
    ports = {port: str(free_port()) for port in PORTS}
    script = steps(polling=polling)
    script = re.sub(r"127\.0\.0\.1:(\d+)", lambda m: f"127.0.0.1:{ports[m[1]]}", script)
    log = tmp_path / "steps.log"

    async with a_database() as database:
        env = {
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            "HOME": str(tmp_path),
            "NO_PROXY": "127.0.0.1",
            "PTB_TIMEDELTA": "true",
            "HOMEGROUP_DATABASE": database,
            "TELEGRAM_TOKEN": fake_telegram.token,
            "TELEGRAM_API_URL": fake_telegram.root,
            "DISCORD_TOKEN": fake_discord.token,
            "DISCORD_API_URL": fake_discord.api_url,
            "DISCORD_GATEWAY_URL": fake_discord.gateway_url,
        }
        with log.open("w") as output:
            shell = await asyncio.create_subprocess_exec(
                "sh",
                "-e",
                "-c",
                script,
                cwd=clone,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=output,
                stderr=output,
                start_new_session=True,
            )
        try:
            assert await asyncio.wait_for(shell.wait(), 120) == 0, log.read_text()
            history = sqlite_tables(clone / "homegroup.db")
            copied = await postgres_tables(database)
            assert copied["people"] == history["people"] > 0, "the history came along"
            assert "checked row for row" in log.read_text()

            if not polling:  # the load balancer: Telegram's posts spread over the two listeners
                fake_telegram.deliver_to(
                    [f"http://127.0.0.1:{ports[port]}/telegram" for port in ("8443", "8444")]
                )
            async with aiohttp.ClientSession(trust_env=False) as session:
                healths = []
                for port in ("9464", "9465"):
                    async with asyncio.timeout(60):
                        while (said := await health(session, ports[port])) is None:  # noqa: ASYNC110 - another process
                            await asyncio.sleep(0.2)
                    healths.append(said["shards"]["discord"])
            assert healths == [{str(n): True for n in shards} for shards in (range(4), range(4, 8))]
            await eventually(lambda: fake_discord.gateway.live_shards() == set(range(8)))
            await eventually(lambda: fake_discord.commands.get(None), seconds=30)
            for guild in guilds:  # each server answered by the process holding its shard
                asked = await fake_discord.slash("days", SAM, channel_id=guild + 10)
                token = asked.token
                answer = await eventually(lambda t=token: fake_discord.original_for(t))
                assert str(answer["content"]).startswith(NO_CLEAN_DATE)
            group = tg.group(-1005000000001, "Evening Circle")
            members = [tg.user(700_000 + n, f"Member {n}") for n in range(4)]
            for member in members:
                fake_telegram.push(tg.command(group, member, "/craving"))
            await eventually(
                lambda: sum("Thank you for saying it" in m.text for m in fake_telegram.sent) == 4,
                seconds=60,
            )
        finally:
            await stop_group(shell.pid)
