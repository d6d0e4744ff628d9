"""README "Run it at scale": its shell steps, run from a fresh clone against the loopback fakes
of Telegram and Discord and a PostgreSQL database of the test's own, move a group's SQLite
history over and start two processes that share the Discord shards and answer cravings posted
to either."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from tests.adapters.discord.test_discord_shards import NO_CLEAN_DATE, servers
from tests.app.fresh_clone import (
    fresh_clone,
    healthy,
    section_commands,
    shell_env,
    start_logged,
    stop_group,
)
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

PORTS = ("8443", "8444", "9464", "9465")
"""The ports the steps name, each given a free one here (the machine runs other tests)."""


def steps(*, polling: bool) -> str:
    """The section's shell lines, as one script; the database's URL, which names a password to
    fill in, is the test's own. Polling, as step 3 says, is the same without the webhook."""
    left_out = ["export HOMEGROUP_DATABASE="]
    if polling:
        left_out.append("export TELEGRAM_WEBHOOK_URL=")
    commands = section_commands("Run it at scale")
    return "\n".join(line for line in commands if not line.startswith(tuple(left_out)))


@pytest.mark.parametrize("polling", [False, True], ids=["webhook", "polling"])
async def test_the_steps_to_run_at_scale_work_from_a_fresh_clone(
    tmp_path: Path, fake_telegram: FakeTelegram, fake_discord: FakeDiscord, polling: bool
) -> None:
    clone = await fresh_clone(tmp_path)
    await live_a_group_on_sqlite(clone / "homegroup.db")  # the group's history so far
    guilds = servers(fake_discord, 8)  # a Discord server on each shard
    ports = {port: str(free_port()) for port in PORTS}
    script = steps(polling=polling)
    script = re.sub(r"127\.0\.0\.1:(\d+)", lambda m: f"127.0.0.1:{ports[m[1]]}", script)
    log = tmp_path / "steps.log"

    async with a_database() as database:
        env = shell_env(
            clone,
            tmp_path,
            HOMEGROUP_DATABASE=database,
            TELEGRAM_TOKEN=fake_telegram.token,
            TELEGRAM_API_URL=fake_telegram.root,
            DISCORD_TOKEN=fake_discord.token,
            DISCORD_API_URL=fake_discord.api_url,
            DISCORD_GATEWAY_URL=fake_discord.gateway_url,
        )
        shell = await start_logged(["sh", "-e", "-c", script], clone, env, log)
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
            healths = [
                (await healthy(ports[port]))["shards"]["discord"] for port in ("9464", "9465")
            ]
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
