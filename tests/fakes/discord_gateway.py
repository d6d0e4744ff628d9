"""The gateway half of the fake Discord: one websocket session, resumable, on loopback.

It speaks gateway v10 as Discord does: HELLO, heartbeat ACKs, IDENTIFY → READY → one
GUILD_CREATE per guild, RESUME → the missed events then RESUMED, op 8 → a members chunk, and
the close codes Discord uses for a bad token (4004), a second IDENTIFY (4005), an invalid shard
(4010), disallowed intents (4014) and a payload it cannot decode (4002).

Sharding is Discord's: an IDENTIFY may carry ``shard: [shard_id, shard_count]`` (none: shard 0
of 1), and each session then hears only of the guilds its shard owns, ``(guild_id >> 22) %
shard_count`` (READY's list, GUILD_CREATE, every event and interaction of the guild); what
belongs to no guild (a DM's interaction) goes to shard 0. Every session of a shard hears it
(a session whose socket is gone keeps it for a RESUME).

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


def shard_of(guild_id: int | None, shard_count: int) -> int:
    """The shard that owns a guild, by Discord's rule; DMs belong to shard 0."""
    return 0 if guild_id is None else (guild_id >> 22) % shard_count


@dataclass
class _Session:
    id: str
    intents: int
    shard: int = 0
    shard_count: int = 1
    seq: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)
    """Every dispatch of the session, kept so a RESUME can replay what the client missed."""
    live: web.WebSocketResponse | None = None
    request: web.Request | None = None

    def owns(self, guild_id: int | None) -> bool:
        return shard_of(guild_id, self.shard_count) == self.shard

    @property
    def connected(self) -> bool:
        return self.live is not None and not self.live.closed


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
        self.unreachable = False
        """Refuse new websocket connections (503), as a gateway outage would; live ones stay."""
        self.connections: list[Connection] = []
        self.identifies = 0
        self.resumes = 0
        self.heartbeats = 0
        self.received: list[dict[str, Any]] = []
        """Every payload the client sent, tokens included (tests only; never logged)."""
        self.resume_url = ""
        self._sessions: dict[str, _Session] = {}
        """Every session not invalidated, by id."""
        self._latest: _Session | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self._changed = asyncio.Condition()

    # -- what the fake and tests use ----------------------------------------------------------

    @property
    def connected(self) -> bool:
        """A session is identified or resumed on an open socket."""
        return bool(self.live_shards())

    def live_shards(self) -> set[int]:
        """The shards whose session is identified or resumed on an open socket."""
        return {s.shard for s in self._sessions.values() if s.connected}

    @property
    def intents(self) -> int:
        return 0 if self._latest is None else self._latest.intents

    @property
    def session_id(self) -> str | None:
        return None if self._latest is None else self._latest.id

    async def dispatch(self, event: str, data: dict[str, Any]) -> int:
        """Send a dispatch (op 0) on the session of the shard that owns its guild, now, or keep
        it for a RESUME if that session's socket is not live."""
        guild_id = _guild_of(event, data)
        owners = [s for s in self._sessions.values() if s.owns(guild_id)]
        if not owners:
            raise RuntimeError(f"no gateway session to dispatch {event} to: is the client up?")
        return [await self._dispatch_on(session, event, data) for session in owners][-1]

    async def _dispatch_on(self, session: _Session, event: str, data: dict[str, Any]) -> int:
        session.seq += 1
        payload = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.sent.append(payload)
        live = session.live
        if live is not None and not live.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await live.send_str(json.dumps(payload))
        return session.seq

    async def drop(self, code: int | None = 4000, shard: int = 0) -> None:
        """End the shard's live connection: a close frame with ``code``, or none (``None``)."""
        session = self._live_session(shard)
        live, request = session.live, session.request
        session.live = session.request = None
        assert live is not None
        assert request is not None
        if code is None:
            if request.transport is not None:
                request.transport.abort()
        else:
            await live.close(code=code, message=b"dropped by the fake")

    async def invalidate(self, *, resumable: bool = False, shard: int = 0) -> None:
        """Send INVALID_SESSION (op 9); a non-resumable one forgets the session."""
        session = self._live_session(shard)
        live = session.live
        assert live is not None
        if not resumable:
            del self._sessions[session.id]
        await live.send_str(json.dumps({"op": 9, "d": resumable, "s": None, "t": None}))

    def _live_session(self, shard: int) -> _Session:
        for session in self._sessions.values():
            if session.shard == shard and session.connected:
                return session
        raise RuntimeError(f"no live gateway connection for shard {shard}")

    async def wait_until(self, check: Callable[[], bool], within: float = 5.0) -> None:
        """Wait until ``check()`` holds after some gateway event (a connect, an IDENTIFY...)."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(check)

    async def close(self) -> None:
        for socket in list(self._sockets):
            await socket.close(code=1001, message=b"fake shutting down")

    # -- the websocket --------------------------------------------------------------------------

    async def serve(self, request: web.Request) -> web.StreamResponse:
        if self.unreachable:
            return web.Response(status=503)
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
            for session in self._sessions.values():
                if session.live is socket:
                    session.live = session.request = None
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
        if any(s.live is socket for s in self._sessions.values()):
            await socket.close(code=4005, message=b"Already authenticated.")
            return
        intents = data.get("intents")
        if not isinstance(intents, int):
            await socket.close(code=4013, message=b"Invalid intent(s).")
            return
        if intents & self.disallowed_intents:
            await socket.close(code=4014, message=b"Disallowed intent(s).")
            return
        shard, count = data.get("shard") or (0, 1)
        if not (isinstance(shard, int) and isinstance(count, int) and 0 <= shard < count):
            await socket.close(code=4010, message=b"Invalid shard.")
            return
        session = _Session(secrets.token_hex(16), intents, shard, count)
        session.live, session.request = socket, request
        self._sessions[session.id] = self._latest = session
        ready = self._ready()
        ready["session_id"] = session.id
        ready["resume_gateway_url"] = self.resume_url
        ready["guilds"] = [g for g in ready["guilds"] if session.owns(int(g["id"]))]
        if "shard" in data:
            ready["shard"] = [shard, count]
        await self._dispatch_on(session, "READY", ready)
        with_members = bool(intents & GUILD_PRESENCES_INTENT)
        bot_id = int(ready["user"]["id"])
        for guild in self._guilds().values():
            if session.owns(guild.id):
                payload = guild.create_payload(bot_id, with_members=with_members)
                await self._dispatch_on(session, "GUILD_CREATE", payload)
        await self._notify()

    async def _resume(
        self, socket: web.WebSocketResponse, request: web.Request, data: dict[str, Any]
    ) -> None:
        self.resumes += 1
        if data.get("token") != self._token():
            await socket.close(code=4004, message=b"Authentication failed.")
            return
        session = self._sessions.get(str(data.get("session_id")))
        if session is None:
            await self._send(socket, {"op": 9, "d": False})
            return
        session.live, session.request = socket, request
        seq = data.get("seq") or 0
        for missed in session.sent:
            if missed["s"] > seq:
                await self._send(socket, missed)
        await self._dispatch_on(session, "RESUMED", {})
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


def _guild_of(event: str, data: Mapping[str, Any]) -> int | None:
    """The guild an event is about: its ``guild_id``, or its own id for a guild's own events."""
    if event in ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"):
        return int(data["id"])
    guild_id = data.get("guild_id")
    return None if guild_id is None else int(guild_id)
