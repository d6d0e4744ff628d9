"""The fake Discord in a process of its own, so its work is not charged to the bot measured.

The child serves ``tests.fakes.discord.FakeDiscord`` (REST and gateway) on 127.0.0.1, and a few
routes of its own under ``/_bench`` for the benchmark: declare servers, send slash commands as
members, read how each interaction was answered (times by the child's loop clock,
``time.monotonic``, one clock for every process on the machine), or wait here until each has
its answer or can no longer have one (so the bot's process spends nothing on asking again and
again), and a member's DMs.
"""

from __future__ import annotations

# Importing the fake's fixtures first filters discord's audioop warning.
from tests.fakes.discord_fixtures import client_options  # noqa: F401

# isort: split

import asyncio
import multiprocessing
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes import discord_payloads as dp
from tests.fakes.discord import DEFAULT_TOKEN, FakeDiscord

START_WAIT = 30.0
LOOK_EVERY = 0.005
"""Seconds between two looks, in the child, at whether the interactions waited for settled."""
DEFER = 5
"""The callback type of a deferred answer, which settles with its first follow-up."""


@dataclass(frozen=True, slots=True)
class Answer:
    """How one interaction stands: when it came, when and how it was acknowledged, when its
    first follow-up came, and what its original response says."""

    created: float
    answered_at: float | None
    response_type: int | None
    followed_up_at: float | None
    content: str | None
    flags: int
    person: int


class _Served(FakeDiscord):
    """The fake with the benchmark's routes beside Discord's."""

    async def _handle(self, request: web.Request) -> web.Response:
        route = {
            "/_bench/world": self._world,
            "/_bench/slash": self._slash,
            "/_bench/answers": self._answers,
            "/_bench/settled": self._settled,
            "/_bench/dms": self._dms,
        }.get(request.path)
        return await (route or super()._handle)(request)

    async def _world(self, request: web.Request) -> web.Response:
        for guild_id, name, channel_id, channel in await request.json():
            self.guild(guild_id, name, channels=[dp.text_channel(channel_id, channel)])
        return web.json_response(True)

    async def _slash(self, request: web.Request) -> web.Response:
        asked = await request.json()
        refs = []
        for user_id, username, display, channel_id in asked["people"]:
            person = dp.user(user_id, username, display)
            ref = await self.slash(asked["name"], person, channel_id=channel_id)
            refs.append([ref.id, ref.token])
        return web.json_response(refs)

    async def _answers(self, request: web.Request) -> web.Response:
        tokens = await request.json()
        return web.json_response([self._answer(token) for token in tokens])

    async def _settled(self, request: web.Request) -> web.Response:
        """Answer once every interaction asked about has its answer (the callback, or after a
        defer its first follow-up), or went ``late`` seconds unacknowledged and never will."""
        asked = await request.json()
        tokens, late = list(asked["tokens"]), float(asked["late"])
        loop = asyncio.get_running_loop()
        waiting = tokens
        while waiting:
            now = loop.time()
            waiting = [t for t in waiting if not self._is_settled(t, now, late)]
            if waiting:
                await asyncio.sleep(LOOK_EVERY)
        return web.json_response([self._answer(token) for token in tokens])

    def _is_settled(self, token: str, now: float, late: float) -> bool:
        pending = self.interactions.by_token(token)
        if pending.response_type == DEFER:
            return pending.followed_up_at is not None
        return pending.answered_at is not None or now > pending.created + late

    def _answer(self, token: str) -> list[Any]:
        pending = self.interactions.by_token(token)
        original = pending.original or {}
        return [
            pending.created,
            pending.answered_at,
            pending.response_type,
            pending.followed_up_at,
            original.get("content"),
            int(original.get("flags") or 0),
            int(pending.person["id"]),
        ]

    async def _dms(self, request: web.Request) -> web.Response:
        users = await request.json()
        return web.json_response([[m.get("content", "") for m in self.dms_to(u)] for u in users])


def _serve(ack_deadline: float, reply: Connection) -> None:
    """The child process: serve until the parent ends it."""

    async def main() -> None:
        fake = _Served(ack_deadline=ack_deadline)
        reply.send(await fake.start())
        reply.close()
        await asyncio.Event().wait()

    asyncio.run(main())


class RemoteDiscord:
    """The parent's handle on the fake in its own process."""

    def __init__(
        self, api_url: str, gateway_url: str, ack_deadline: float, session: aiohttp.ClientSession
    ) -> None:
        self.token = DEFAULT_TOKEN
        self.api_url = api_url
        self.gateway_url = gateway_url
        self.ack_deadline = ack_deadline
        self._root = api_url.split("/api/")[0]
        self._session = session

    async def _post(self, route: str, body: Any) -> Any:
        async with self._session.post(f"{self._root}/_bench/{route}", json=body) as answer:
            answer.raise_for_status()
            return await answer.json()

    async def world(self, guilds: list[tuple[int, str, int, str]]) -> None:
        """Declare servers, each with one text channel: (guild id, name, channel id, name)."""
        await self._post("world", guilds)

    async def slash(self, name: str, people: list[tuple[int, str, str, int]]) -> list[str]:
        """Each of ``people`` (id, username, display name, channel id) runs ``/name``, one
        after the other as fast as the gateway writes; return the interactions' tokens."""
        refs = await self._post("slash", {"name": name, "people": people})
        return [token for _, token in refs]

    async def answers(self, tokens: list[str]) -> list[Answer]:
        return [Answer(*row) for row in await self._post("answers", tokens)]

    async def settled(self, tokens: list[str], late: float) -> list[Answer]:
        """Once each interaction has its answer, or went ``late`` seconds without one (and
        so never will): how each was answered. The child waits; nothing is asked again."""
        rows = await self._post("settled", {"tokens": tokens, "late": late})
        return [Answer(*row) for row in rows]

    async def dms(self, users: list[int]) -> list[list[str]]:
        found: list[list[str]] = await self._post("dms", users)
        return found


@asynccontextmanager
async def discord_in_its_own_process(ack_deadline: float) -> AsyncIterator[RemoteDiscord]:
    """Start the fake in a child process; stop it (and the child) on leaving."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_serve, args=(ack_deadline, child), daemon=True)
    process.start()
    try:
        loop = asyncio.get_running_loop()
        ready = await loop.run_in_executor(None, parent.poll, START_WAIT)
        if not ready:
            raise RuntimeError("the fake Discord did not start")
        api_url, gateway_url = parent.recv()
        async with aiohttp.ClientSession() as session:
            yield RemoteDiscord(api_url, gateway_url, ack_deadline, session)
    finally:
        process.terminate()
        await asyncio.get_running_loop().run_in_executor(None, process.join, 10)
