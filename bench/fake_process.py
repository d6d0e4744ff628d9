"""The fake Bot API in a process of its own, so its work is not charged to the bot measured.

The child serves ``tests.fakes.telegram.FakeTelegram`` (with Telegram's flood limits, if
given) on 127.0.0.1, and three routes of its own under ``/_bench`` for the benchmark: push
updates, read the calls it received (with when each arrived, by ``time.monotonic``, which is
one clock for every process on the machine), once as many replies as asked for came, and count
the updates not yet confirmed.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram, Limits

START_WAIT = 30.0
WAIT_HERE = 5.0
"""Seconds the fake waits for the replies it is asked to wait for before it answers."""


@dataclass(frozen=True, slots=True)
class Arrival:
    """One call the fake received: its method, chat, when, whether it was refused, its text."""

    method: str
    chat: int | None
    at: float
    refused: int | None
    text: str


class _Served(FakeTelegram):
    """The fake with the benchmark's routes beside the Bot API's."""

    async def _handle(self, request: web.Request) -> web.Response:
        route = {
            "/_bench/push": self._push,
            "/_bench/calls": self._calls,
            "/_bench/pending": self._pending_count,
        }.get(request.path)
        return await (route or super()._handle)(request)

    async def _push(self, request: web.Request) -> web.Response:
        updates = await request.json()
        return web.json_response([self.push(update) for update in updates])

    async def _calls(self, request: web.Request) -> web.Response:
        since = int(request.query.get("since", "0"))
        replies = int(request.query.get("replies", "0"))
        # Waited for here, in the fake's process, so that asking costs the bot measured one
        # request, not one every few milliseconds (the slower the bot, the more it asked).
        deadline = asyncio.get_running_loop().time() + WAIT_HERE
        while self._replies() < replies and asyncio.get_running_loop().time() < deadline:  # noqa: ASYNC110 - the calls list has no event
            await asyncio.sleep(0.001)
        return web.json_response(
            [
                [
                    call.method,
                    call.params.get("chat_id"),
                    call.at,
                    call.refused,
                    str(call.params.get("text", ""))[:200],
                ]
                for call in self.calls[since:]
            ]
        )

    def _replies(self) -> int:
        """sendMessage calls taken so far."""
        return sum(c.method == "sendMessage" and c.refused is None for c in self.calls)

    async def _pending_count(self, request: web.Request) -> web.Response:
        return web.json_response(len(self.pending))


def _serve(limits: Limits | None, reply: Connection) -> None:
    """The child process: serve until the parent ends it."""

    async def main() -> None:
        fake = _Served(limits=limits)
        reply.send(await fake.start())
        reply.close()
        await asyncio.Event().wait()

    asyncio.run(main())


class RemoteFake:
    """The parent's handle on the fake in its own process."""

    def __init__(self, root: str, token: str, session: aiohttp.ClientSession) -> None:
        self.root = root
        self.token = token
        self._session = session

    async def push(self, *updates: dict[str, Any]) -> list[int]:
        async with self._session.post(f"{self.root}/_bench/push", json=list(updates)) as answer:
            ids: list[int] = await answer.json()
            return ids

    async def calls(self, since: int = 0, *, replies: int = 0) -> list[Arrival]:
        """The calls from the ``since``th on, once ``replies`` sendMessage calls were taken in
        all (or ``WAIT_HERE`` seconds passed)."""
        url = f"{self.root}/_bench/calls?since={since}&replies={replies}"
        async with self._session.get(url) as answer:
            return [Arrival(*row) for row in await answer.json()]

    async def pending(self) -> int:
        async with self._session.get(f"{self.root}/_bench/pending") as answer:
            count: int = await answer.json()
            return count


@asynccontextmanager
async def fake_in_its_own_process(limits: Limits | None = None) -> AsyncIterator[RemoteFake]:
    """Start the fake in a child process; stop it (and the child) on leaving."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_serve, args=(limits, child), daemon=True)
    process.start()
    try:
        loop = asyncio.get_running_loop()
        ready = await loop.run_in_executor(None, parent.poll, START_WAIT)
        if not ready:
            raise RuntimeError("the fake Bot API did not start")
        root = parent.recv()
        async with aiohttp.ClientSession() as session:
            yield RemoteFake(root, DEFAULT_TOKEN, session)
    finally:
        process.terminate()
        await asyncio.get_running_loop().run_in_executor(None, process.join, 10)
