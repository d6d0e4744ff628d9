"""The gateway half of the fake Discord: one websocket session, resumable, on loopback.

It speaks gateway v10 as Discord does to an unsharded bot: HELLO, heartbeat ACKs, IDENTIFY →
READY → one GUILD_CREATE per guild, RESUME → the missed events then RESUMED, op 8 → a members
chunk, and the close codes Discord uses for a bad token (4004), a second IDENTIFY (4005),
disallowed intents (4014) and a payload it cannot decode (4002).

Frames are plain JSON text. discord.py asks for ``compress=zlib-stream`` (or ``zstd-stream``
when a zstd module is importable) in the URL query and accepts uncompressed text frames all the
same: it decompresses only binary frames. The query is recorded in :attr:`connections`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.discord_payloads import (
    GUILD_MEMBERS_INTENT,
    GUILD_PRESENCES_INTENT,
    Guild,
)

HEARTBEAT_INTERVAL_MS = 250
"""Short, so a test of a few hundred milliseconds sees heartbeats; Discord's is ~41 s."""


@dataclass(frozen=True, slots=True)
class Connection:
    """One websocket connection the client opened: the path and the query it asked for."""

    path: str
    query: dict[str, str]


@dataclass
class _Session:
    id: str
    intents: int
    seq: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)
    """Every dispatch of the session, kept so a RESUME can replay what the client missed."""


class Gateway:
    """The websocket side of :class:`tests.fakes.discord.FakeDiscord`."""

    def __init__(
        self,
        *,
        token: Callable[[], str],
        ready: Callable[[], dict[str, Any]],
        guilds: Callable[[], Mapping[int, Guild]],
        heartbeat_interval_ms: int = HEARTBEAT_INTERVAL_MS,
    ) -> None:
        self._token = token
        self._ready = ready
        self._guilds = guilds
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.disallowed_intents = 0
        """Intents the application may not use; an IDENTIFY asking for one is closed (4014)."""
        self.connections: list[Connection] = []
        self.identifies = 0
        self.resumes = 0
        self.heartbeats = 0
        self.received: list[dict[str, Any]] = []
        """Every payload the client sent, tokens included (tests only; never logged)."""
        self.resume_url = ""
        self._session: _Session | None = None
        self._live: web.WebSocketResponse | None = None
        self._live_request: web.Request | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self._changed = asyncio.Condition()

    # -- what the fake and tests use ----------------------------------------------------------

    @property
    def connected(self) -> bool:
        """A session is identified or resumed on an open socket."""
        return self._live is not None and not self._live.closed

    @property
    def intents(self) -> int:
        return 0 if self._session is None else self._session.intents

    @property
    def session_id(self) -> str | None:
        return None if self._session is None else self._session.id

    async def dispatch(self, event: str, data: dict[str, Any]) -> int:
        """Send a dispatch (op 0) now, or keep it for a RESUME if no socket is live."""
        if self._session is None:
            raise RuntimeError(f"no gateway session to dispatch {event} to: is the client up?")
        self._session.seq += 1
        payload = {"op": 0, "t": event, "s": self._session.seq, "d": data}
        self._session.sent.append(payload)
        live = self._live
        if live is not None and not live.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await live.send_str(json.dumps(payload))
        return self._session.seq

    async def drop(self, code: int | None = 4000) -> None:
        """End the live connection: a close frame with ``code``, or none at all (``None``)."""
        live, request = self._live, self._live_request
        self._live = self._live_request = None
        if live is None or request is None:
            raise RuntimeError("no live gateway connection to drop")
        if code is None:
            if request.transport is not None:
                request.transport.abort()
        else:
            await live.close(code=code, message=b"dropped by the fake")

    async def invalidate(self, *, resumable: bool = False) -> None:
        """Send INVALID_SESSION (op 9); a non-resumable one forgets the session."""
        if self._live is None:
            raise RuntimeError("no live gateway connection")
        if not resumable:
            self._session = None
        await self._live.send_str(json.dumps({"op": 9, "d": resumable, "s": None, "t": None}))

    async def wait_until(self, check: Callable[[], bool], within: float = 5.0) -> None:
        """Wait until ``check()`` holds after some gateway event (a connect, an IDENTIFY...)."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(check)

    async def close(self) -> None:
        for socket in list(self._sockets):
            await socket.close(code=1001, message=b"fake shutting down")

    # -- the websocket --------------------------------------------------------------------------

    async def serve(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(timeout=2.0, max_msg_size=0)
        await socket.prepare(request)
        self._sockets.add(socket)
        self.connections.append(Connection(request.path, dict(request.query)))
        await self._notify()
        try:
            await self._send(
                socket, {"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}
            )
            async for frame in socket:
                if frame.type is not WSMsgType.TEXT:
                    await socket.close(code=4002, message=b"Error while decoding payload.")
                    break
                try:
                    payload = json.loads(frame.data)
                except ValueError:
                    await socket.close(code=4002, message=b"Error while decoding payload.")
                    break
                self.received.append(payload)
                await self._receive(socket, request, payload)
        finally:
            self._sockets.discard(socket)
            if self._live is socket:
                self._live = self._live_request = None
            await self._notify()
        return socket

    async def _receive(
        self, socket: web.WebSocketResponse, request: web.Request, payload: dict[str, Any]
    ) -> None:
        op, data = payload.get("op"), payload.get("d")
        if op == 1:
            self.heartbeats += 1
            await self._send(socket, {"op": 11})
        elif op == 2 and isinstance(data, dict):
            await self._identify(socket, request, data)
        elif op == 6 and isinstance(data, dict):
            await self._resume(socket, request, data)
        elif op == 8 and isinstance(data, dict):
            await self._members_chunk(socket, data)
        elif op in (3, 4):
            pass  # presence and voice state updates: nothing to answer
        else:
            await socket.close(code=4001, message=b"Unknown opcode.")

    async def _identify(
        self, socket: web.WebSocketResponse, request: web.Request, data: dict[str, Any]
    ) -> None:
        self.identifies += 1
        if data.get("token") != self._token():
            await socket.close(code=4004, message=b"Authentication failed.")
            return
        if socket is self._live:
            await socket.close(code=4005, message=b"Already authenticated.")
            return
        intents = data.get("intents")
        if not isinstance(intents, int):
            await socket.close(code=4013, message=b"Invalid intent(s).")
            return
        if intents & self.disallowed_intents:
            await socket.close(code=4014, message=b"Disallowed intent(s).")
            return
        self._session = _Session(secrets.token_hex(16), intents)
        self._live, self._live_request = socket, request
        ready = self._ready()
        ready["session_id"] = self._session.id
        ready["resume_gateway_url"] = self.resume_url
        await self.dispatch("READY", ready)
        with_members = bool(intents & GUILD_PRESENCES_INTENT)
        bot_id = int(ready["user"]["id"])
        for guild in self._guilds().values():
            payload = guild.create_payload(bot_id, with_members=with_members)
            await self.dispatch("GUILD_CREATE", payload)
        await self._notify()

    async def _resume(
        self, socket: web.WebSocketResponse, request: web.Request, data: dict[str, Any]
    ) -> None:
        self.resumes += 1
        if data.get("token") != self._token():
            await socket.close(code=4004, message=b"Authentication failed.")
            return
        session = self._session
        if session is None or data.get("session_id") != session.id:
            await self._send(socket, {"op": 9, "d": False})
            return
        self._live, self._live_request = socket, request
        seq = data.get("seq") or 0
        for missed in session.sent:
            if missed["s"] > seq:
                await self._send(socket, missed)
        await self.dispatch("RESUMED", {})
        await self._notify()

    async def _members_chunk(self, socket: web.WebSocketResponse, data: dict[str, Any]) -> None:
        """Answer REQUEST_GUILD_MEMBERS with one chunk; needs the members intent, as on Discord."""
        if not self.intents & GUILD_MEMBERS_INTENT:
            await socket.close(code=4014, message=b"Disallowed intent(s).")
            return
        guild = self._guilds().get(int(data.get("guild_id", 0)))
        members = [] if guild is None else list(guild.members.values())
        wanted = data.get("user_ids")
        if wanted:
            ids = {str(u) for u in (wanted if isinstance(wanted, list) else [wanted])}
            members = [m for m in members if m["user"]["id"] in ids]
        elif data.get("query"):
            prefix = str(data["query"]).lower()
            members = [m for m in members if m["user"]["username"].lower().startswith(prefix)]
        chunk: dict[str, Any] = {
            "guild_id": str(data.get("guild_id")),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        await self.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    async def _send(self, socket: web.WebSocketResponse, payload: dict[str, Any]) -> None:
        payload = {"s": None, "t": None, **payload}
        with contextlib.suppress(ConnectionError, RuntimeError):
            await socket.send_str(json.dumps(payload))

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()
