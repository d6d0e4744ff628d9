"""Fixtures that connect the real discord.py to the fake Discord.

``tests/conftest.py`` offers ``fake_discord`` to the whole suite. A test that runs a bare
discord.py client (Homegroup's own adapter runs through ``tests/discord_harness.py``)
declares the world, builds a client with :func:`client_options` and runs it::

    fake_discord.guild(GUILD, "Sunday Circle", channels=[...], members=[...])
    client = MyClient(intents=discord.Intents.default(), **client_options())
    async with running(client, fake_discord):
        ...

Facts of discord.py 2.7 that shape them:

* discord.py reads its two addresses from class attributes, which is what our
  ``DISCORD_API_URL`` and ``DISCORD_GATEWAY_URL`` settings set: ``discord.http.Route.BASE``, a
  ``str`` ending in ``/api/v10`` that every REST route (webhooks and interaction callbacks
  included) is appended to, and ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY``, which
  must be a ``yarl.URL`` (discord.py calls ``.with_query(v=10, encoding="json",
  compress=...)`` on it). An unsharded ``Client`` never asks ``GET /gateway/bot``: it connects
  to ``DEFAULT_GATEWAY`` directly, then resumes at READY's ``resume_gateway_url``, and goes back
  to ``DEFAULT_GATEWAY`` after a non-resumable INVALID_SESSION. (``AutoShardedClient`` does
  ask ``/gateway/bot`` and uses its ``url``; the fake answers that too.) :func:`point_at`
  sets both with ``monkeypatch``, so each test gets them back.
* Importing discord on Python 3.11 imports ``audioop`` (for voice), which warns
  ``DeprecationWarning: 'audioop' is deprecated and slated for removal in Python 3.13``;
  pyproject.toml's ``filterwarnings`` ignores exactly that warning.
* discord.py's aiohttp session ignores proxy variables (``trust_env`` is off), so loopback
  requests go straight to the fake; :func:`loopback_trace` refuses any other host, so no test
  can reach discord.com.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any, TypeVar

import aiohttp
import discord
import discord.gateway
import discord.http
import pytest
import yarl

from tests.fakes.discord import FakeDiscord

ClientT = TypeVar("ClientT", bound=discord.Client)

GUILD_READY_TIMEOUT = 0.05
"""discord.py waits this long after the last GUILD_CREATE before ``on_ready`` (default 2 s)."""


def point_at(fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point discord.py's REST base and gateway at ``fake`` for this test."""
    monkeypatch.setattr(discord.http.Route, "BASE", fake.api_url)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url)
    )


async def _refuse_other_hosts(
    session: aiohttp.ClientSession,
    context: SimpleNamespace,
    params: aiohttp.TraceRequestStartParams,
) -> None:
    if params.url.host != "127.0.0.1":
        raise RuntimeError(f"a test tried to reach {params.url.host}")


def loopback_trace() -> aiohttp.TraceConfig:
    """An aiohttp trace that fails any request (REST or websocket) not to 127.0.0.1."""
    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(_refuse_other_hosts)
    trace.freeze()
    return trace


def client_options(**overrides: Any) -> dict[str, Any]:
    """Keyword arguments for a ``discord.Client`` (or ``commands.Bot``) under test."""
    return {
        "http_trace": loopback_trace(),
        "guild_ready_timeout": GUILD_READY_TIMEOUT,
        **overrides,
    }


@contextlib.asynccontextmanager
async def running(
    client: ClientT, fake: FakeDiscord, *, within: float = 5.0
) -> AsyncIterator[ClientT]:
    """Log ``client`` in, connect it and wait for ``on_ready``; close it on the way out.

    ``login`` runs ``setup_hook``; ``connect`` runs in a task, as ``Client.start`` would.
    """
    await client.login(fake.token)
    connection = asyncio.create_task(client.connect(), name="discord client connection")
    ready = asyncio.create_task(client.wait_until_ready())
    try:
        done, _ = await asyncio.wait(
            {connection, ready}, timeout=within, return_when=asyncio.FIRST_COMPLETED
        )
        if connection in done:
            connection.result()  # raises what ended it
            raise RuntimeError("the client's connection ended before it was ready")
        if ready not in done:
            raise TimeoutError(f"the client was not ready within {within} s")
        yield client
    finally:
        ready.cancel()
        await client.close()
        async with asyncio.timeout(within):
            await connection


@pytest.fixture
async def fake_discord(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    """A started fake Discord that discord.py points at; fails on routes the fake lacks."""
    async with FakeDiscord() as fake:
        point_at(fake, monkeypatch)
        yield fake
    unknown = [f"{call.method} {call.path}" for call in fake.unknown]
    assert not unknown, f"the bot called routes the fake does not serve: {unknown}"
