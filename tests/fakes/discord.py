"""A small fake of Discord's REST API and gateway on loopback, for the real discord.py to talk to.

One aiohttp server on 127.0.0.1 serves the REST API under ``/api/v10`` and the gateway
websocket at ``/gateway`` (and ``/gateway/resume``, the ``resume_gateway_url`` READY names). It
answers as Discord does for the routes a bot with slash commands, buttons and DMs uses: the
same JSON shapes, the same error codes (50007 for closed DMs, 10062 for an interaction answered
late, 40060 for one answered twice, 50035 for a body Discord refuses), the same
``Content-Type: application/json`` (no charset: discord.py compares it exactly), and Discord's
interaction rules (3 s to acknowledge; the first follow-up after a defer *edits* the deferred
response, keeps its visibility and pings nobody). It knows nothing of discord.py.

The gateway lives in ``discord_gateway``, the other REST routes in ``discord_rest``, the
interaction routes in ``discord_interactions`` and the JSON builders in ``discord_payloads``.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes import discord_payloads as dp
from tests.fakes.discord_gateway import HEARTBEAT_INTERVAL_MS, Connection, Gateway
from tests.fakes.discord_interactions import InteractionRef, Interactions
from tests.fakes.discord_payloads import ApiError
from tests.fakes.discord_rest import (
    Call,
    Handler,
    Request,
    Resources,
    decode,
    json_response,
    path_pattern,
)
from tests.fakes.loopback import LoopbackServer, Upload

DEFAULT_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GfakeA.fake-token-for-tests-only-000000000000"
"""Shaped like a bot token (three dot-separated parts); accepted only by the fake."""

API_PREFIX = "/api/v10"
__all__ = ["ApiError", "Call", "Connection", "FakeDiscord", "InteractionRef", "Upload"]


@dataclass
class _Failure:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: Any
    headers: dict[str, str]
    times: int


class FakeDiscord(LoopbackServer):
    """Discord's API and gateway for one bot application, on a free port of 127.0.0.1."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        app_id: int = 900_000_000_000_000_001,
        *,
        heartbeat_interval_ms: int = HEARTBEAT_INTERVAL_MS,
        ack_deadline: float = 3.0,
    ) -> None:
        super().__init__()
        self.token = token
        self.app_id = app_id
        self.bot_user: dict[str, Any] = dp.bot_user(app_id)
        """The bot's user; its id is the application's, as for any bot application today."""
        self.application_flags = 1 << 23  # GATEWAY_MESSAGE_CONTENT_LIMITED, as for a new app
        self.shard_count = 1
        """The shards ``GET /gateway/bot`` recommends; the gateway serves any count asked for."""
        self.calls: list[Call] = []
        self.unknown: list[Call] = []
        """Requests to routes the fake does not serve (answered 404); fixtures fail on them."""
        self.guilds: dict[int, dp.Guild] = {}
        self.users: dict[int, dict[str, Any]] = {int(self.bot_user["id"]): self.bot_user}
        self.channels: dict[int, dict[str, Any]] = {}
        """Every channel by id: guild channels (with ``guild_id``) and DM channels."""
        self.messages: dict[int, dict[str, Any]] = {}
        """Every message by id as it stands now, ephemeral ones included."""
        self.dms_closed: set[int] = set()
        """People whose DMs are closed to the bot: a DM to them is refused (403, 50007)."""
        self.pings: list[dp.Ping] = []
        """Who each new message notified, in order (edits never notify)."""
        self.commands: dict[int | None, dict[str, dict[str, Any]]] = {}
        """Registered application commands by guild id (``None``: global), then by name."""
        self.uploads: dict[str, Upload] = {}
        self.gateway = Gateway(
            token=lambda: self.token,
            ready=self._ready_payload,
            guilds=lambda: self.guilds,
            heartbeat_interval_ms=heartbeat_interval_ms,
        )
        self.rest = Resources(self)
        self.interactions = Interactions(self, ack_deadline=ack_deadline)
        self._failures: deque[_Failure] = deque()
        self._called = asyncio.Condition()
        self._routes: list[tuple[str, re.Pattern[str], Handler, bool]] = []
        self.rest.add_routes(self._route)
        self.interactions.add_routes(self._route)

    # -- life cycle ---------------------------------------------------------------------------

    def application(self) -> web.Application:
        app = web.Application(client_max_size=30 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.serve)
        app.router.add_get("/gateway/resume", self.gateway.serve)
        app.router.add_get("/attachments/{key}/{filename}", self._attachment)
        app.router.add_route("*", "/{path:.*}", self._handle)
        return app

    async def start(self, port: int = 0) -> tuple[str, str]:
        """Serve on a loopback port (0: a free one); return the REST base and gateway URLs."""
        await self.serve(port)
        self.gateway.resume_url = self.gateway_url.replace("/gateway", "/gateway/resume")
        return self.api_url, self.gateway_url

    async def close(self) -> None:
        """Close every gateway socket, then stop serving."""
        await self.gateway.close()
        await self.stop_serving()

    @property
    def api_url(self) -> str:
        """What ``discord.http.Route.BASE`` (our DISCORD_API_URL) must be."""
        return self.root + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """What ``DiscordWebSocket.DEFAULT_GATEWAY`` (our DISCORD_GATEWAY_URL) must be."""
        return "ws" + self.root.removeprefix("http") + "/gateway"

    # -- declaring the world ------------------------------------------------------------------

    def guild(
        self,
        guild_id: int,
        name: str,
        *,
        channels: Sequence[Mapping[str, Any]] = (),
        members: Sequence[Mapping[str, Any]] = (),
        roles: Sequence[Mapping[str, Any]] = (),
        everyone_permissions: int = dp.EVERYONE_DEFAULT,
        bot_roles: Sequence[int] = (),
        owner_id: int | None = None,
    ) -> dp.Guild:
        """Declare a guild the bot is in, sent in GUILD_CREATE at the next IDENTIFY.

        ``members`` are member objects (``discord_payloads.member``) or plain users; the bot is
        added as a member holding ``bot_roles``. The @everyone role (id = guild id) is added.
        """
        everyone = dp.role(guild_id, "@everyone", permissions=everyone_permissions, position=0)
        made = dp.Guild(
            id=guild_id,
            name=name,
            channels={},
            members={},
            roles={guild_id: everyone, **{int(r["id"]): dict(r) for r in roles}},
            owner_id=owner_id if owner_id is not None else 1,
            joined_at=dp.timestamp(),
        )
        for channel in channels:
            made.channels[int(channel["id"])] = dict(channel)
            self.channels[int(channel["id"])] = {**channel, "guild_id": str(guild_id)}
        for item in [*members, dp.member(self.bot_user, roles=bot_roles)]:
            entry = dict(item) if "user" in item else dp.member(item)
            made.members[int(entry["user"]["id"])] = entry
            self.users.setdefault(int(entry["user"]["id"]), entry["user"])
        self.guilds[guild_id] = made
        return made

    def add_user(self, person: Mapping[str, Any]) -> None:
        """Make someone known (for DMs) without putting them in a guild."""
        self.users[int(person["id"])] = dict(person)

    # -- what a test reads --------------------------------------------------------------------

    def of(self, method: str, pattern: str) -> list[Call]:
        """Every call of ``method`` whose path matches ``pattern`` (``{...}`` = one segment)."""
        regex = path_pattern(pattern)
        return [c for c in self.calls if c.method == method.upper() and regex.match(c.path)]

    async def wait_for(
        self, method: str, pattern: str, count: int = 1, within: float = 3.0
    ) -> list[Call]:
        """Wait until at least ``count`` calls match; return them all."""
        async with asyncio.timeout(within), self._called:
            await self._called.wait_for(lambda: len(self.of(method, pattern)) >= count)
        return self.of(method, pattern)

    def messages_in(self, channel_id: int) -> list[dict[str, Any]]:
        """What everyone in the channel sees, oldest first: no ephemeral or deleted message."""
        return self.rest.messages_in(channel_id)

    def dm_channel_of(self, user_id: int) -> int | None:
        """The id of the bot's DM channel with ``user_id``, once the bot opened one."""
        return self.rest.dm_channel_of(user_id)

    def dms_to(self, user_id: int) -> list[dict[str, Any]]:
        channel_id = self.rest.dm_channel_of(user_id)
        return [] if channel_id is None else self.messages_in(channel_id)

    async def callback_for(self, interaction_id: int, within: float = 3.0) -> dict[str, Any]:
        """The JSON the bot POSTed to the interaction's callback; waits up to ``within`` s."""
        return await self.interactions.callback_for(interaction_id, within)

    def original_for(self, token: str) -> dict[str, Any] | None:
        """The interaction's original response message as it stands now."""
        return self.interactions.by_token(token).original

    def followups_for(self, token: str) -> list[dict[str, Any]]:
        """Every message the follow-up route answered with, the first after a defer included."""
        return list(self.interactions.by_token(token).followups)

    @property
    def identifies(self) -> int:
        return self.gateway.identifies

    @property
    def resumes(self) -> int:
        return self.gateway.resumes

    @property
    def heartbeats(self) -> int:
        return self.gateway.heartbeats

    @property
    def connections(self) -> list[Connection]:
        return self.gateway.connections

    # -- what a test does ---------------------------------------------------------------------

    async def slash(
        self,
        name: str,
        person: Mapping[str, Any],
        *,
        channel_id: int | None = None,
        options: Sequence[Mapping[str, Any]] = (),
        permissions: int | None = None,
        roles: Sequence[int] | None = None,
        resolved: Mapping[str, Any] | None = None,
        locale: str = "en-US",
    ) -> InteractionRef:
        """A member runs slash command ``name`` in ``channel_id`` (``None``: in a DM)."""
        return await self.interactions.slash(
            name, person, channel_id, options, permissions, roles, resolved, locale
        )

    async def autocomplete(
        self,
        name: str,
        person: Mapping[str, Any],
        options: Sequence[Mapping[str, Any]],
        *,
        channel_id: int | None = None,
    ) -> InteractionRef:
        """A member types an option of ``name``; mark it with ``discord_payloads.focused``."""
        return await self.interactions.slash(
            name, person, channel_id, options, None, None, None, "en-US", kind=4
        )

    async def press(
        self,
        custom_id: str,
        person: Mapping[str, Any],
        *,
        message: int | Mapping[str, Any],
        permissions: int | None = None,
        roles: Sequence[int] | None = None,
        forged: bool = False,
    ) -> InteractionRef:
        """A member presses the button ``custom_id`` on ``message`` (an id or a message).

        Discord sends only ids of components on the message; ``forged`` skips that check, to
        test a crafted request.
        """
        return await self.interactions.press(
            custom_id, person, message, permissions, roles, forged=forged
        )

    async def dispatch(self, event: str, data: dict[str, Any]) -> int:
        """Send any gateway event; return its sequence number."""
        return await self.gateway.dispatch(event, data)

    async def drop_gateway(self, code: int | None = 4000, *, shard: int = 0) -> None:
        """Close the shard's live websocket with ``code`` (``None``: no close frame); the client
        resumes."""
        await self.gateway.drop(code, shard)

    async def invalidate_session(self, *, resumable: bool = False, shard: int = 0) -> None:
        """Send INVALID_SESSION; unless resumable, the client must IDENTIFY again (new READY)."""
        await self.gateway.invalidate(resumable=resumable, shard=shard)

    def fail(
        self,
        method: str,
        pattern: str,
        status: int,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        *,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` matching calls with this error instead."""
        body = {"message": "Failed by the test", "code": 0} if json is None else json
        self._failures.append(
            _Failure(
                method.upper(), path_pattern(pattern), status, body, dict(headers or {}), times
            )
        )

    def rate_limit(
        self, method: str, pattern: str, retry_after: float = 0.05, *, is_global: bool = False
    ) -> None:
        """Answer the next matching call 429 as Discord's edge does: discord.py waits, retries.

        Without a ``Via`` header discord.py takes a 429 for a Cloudflare ban and raises.
        """
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(max(1, round(retry_after))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": f"{retry_after:.3f}",
            "X-RateLimit-Bucket": "fake-bucket",
            "X-RateLimit-Scope": "global" if is_global else "user",
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": is_global,
        }
        self.fail(method, pattern, 429, body, headers)

    # -- HTTP ---------------------------------------------------------------------------------

    def _route(self, method: str, pattern: str, handler: Handler, *, auth: bool = True) -> None:
        self._routes.append((method, path_pattern(pattern, named=True), handler, auth))

    async def _handle(self, request: web.Request) -> web.Response:
        if not request.path.startswith(API_PREFIX + "/"):
            return json_response(404, {"message": "404: Not Found", "code": 0})
        call = await decode(request, request.path.removeprefix(API_PREFIX))
        self.calls.append(call)
        async with self._called:
            self._called.notify_all()
        for failure in self._failures:
            if failure.method == call.method and failure.pattern.match(call.path):
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                return json_response(failure.status, failure.body, failure.headers)
        authorized = request.headers.get("Authorization") == f"Bot {self.token}"
        for method, regex, handler, auth in self._routes:
            match = regex.match(call.path)
            if method == call.method and match:
                if auth and not authorized:
                    return json_response(401, {"message": "401: Unauthorized", "code": 0})
                try:
                    status, body = await handler(Request(call, match.groupdict(), authorized))
                except ApiError as error:
                    return json_response(error.status, error.body)
                except dp.InvalidBody as error:
                    invalid = {
                        "message": "Invalid Form Body",
                        "code": 50035,
                        "errors": error.errors,
                    }
                    return json_response(400, invalid)
                except ValueError:  # an id that is no snowflake, say
                    return json_response(400, {"message": "Invalid Form Body", "code": 50035})
                return json_response(status, body)
        self.unknown.append(call)
        return json_response(404, {"message": "404: Not Found", "code": 0})

    async def _attachment(self, request: web.Request) -> web.Response:
        upload = self.uploads.get(request.match_info["key"])
        if upload is None:
            return web.Response(status=404)
        return web.Response(body=upload.content, headers={"Content-Type": upload.content_type})

    def _ready_payload(self) -> dict[str, Any]:
        return {
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": str(g), "unavailable": True} for g in self.guilds],
            "session_type": "normal",
            "application": {"id": str(self.app_id), "flags": self.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "geo_ordered_rtc_regions": [],
            "_trace": ["fake-discord"],
        }
