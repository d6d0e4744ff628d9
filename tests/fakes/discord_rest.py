"""The REST resources of the fake Discord: users, the application, commands, channels,
messages, DMs and guild members; and the HTTP plumbing every route shares.

Messages follow Discord's rules: content up to 2,000 characters (else 400, code 50035), never
empty (50006), a DM refused when the person closed their DMs (403, 50007), an edit never
notifies anyone, and who a new message pings follows its ``allowed_mentions``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import discord
from aiohttp import web

from tests.fakes import discord_payloads as dp
from tests.fakes.discord_payloads import ApiError
from tests.fakes.loopback import Upload

if TYPE_CHECKING:
    from tests.fakes.discord import FakeDiscord


@dataclass(frozen=True, slots=True)
class Call:
    """One REST request the fake received: its path below ``/api/v10`` and decoded body.

    ``json`` is the JSON body, or the ``payload_json`` part of a multipart one; ``None`` when
    the request had no body.
    """

    method: str
    path: str
    json: Any
    files: tuple[Upload, ...] = ()
    query: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Request:
    """A call as a route's handler sees it: with the ``{name}`` segments of its path."""

    call: Call
    params: dict[str, str]
    authorized: bool

    @property
    def body(self) -> dict[str, Any]:
        """The JSON body when it is an object, else empty."""
        return self.call.json if isinstance(self.call.json, dict) else {}


Handler = Callable[[Request], Awaitable[tuple[int, Any]]]
Route = Callable[..., None]
"""``route(method, pattern, handler, *, auth=True)``: how a part of the fake adds a route."""


def path_pattern(pattern: str, *, named: bool = False) -> re.Pattern[str]:
    """``/channels/{id}/messages`` → a regex where each ``{...}`` matches one path segment.

    With ``named``, each segment is a group of that name, for a route's handler to read.
    """
    regex, at = "", 0
    for match in re.finditer(r"\{([^/{}]*)\}", pattern):
        regex += re.escape(pattern[at : match.start()])
        regex += f"(?P<{match.group(1)}>[^/]+)" if named else "[^/]+"
        at = match.end()
    return re.compile(regex + re.escape(pattern[at:]) + r"\Z")


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> web.Response:
    """A JSON answer with ``Content-Type`` exactly ``application/json``, or an empty 204."""
    if status == 204 or body is None:
        return web.Response(status=status, headers=headers)
    return web.Response(
        status=status,
        body=json.dumps(body).encode(),
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


async def decode(request: web.Request, path: str) -> Call:
    """The JSON body, or a multipart body's ``payload_json`` and files, as Discord reads them."""
    files: list[Upload] = []
    body: Any = None
    if request.content_type == "application/json":
        raw = await request.read()
        body = json.loads(raw) if raw else None
    elif request.content_type.startswith("multipart/"):
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                kind = value.content_type or "application/octet-stream"
                files.append(Upload(value.filename, value.file.read(), kind))
            elif name == "payload_json":
                body = json.loads(value)
    return Call(request.method, path, body, tuple(files), dict(request.query))


class Resources:
    """The routes below ``/api/v10`` other than interactions, over the fake's state."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self._channel_order: dict[int, list[int]] = {}
        self._dm_of: dict[int, int] = {}

    def add_routes(self, route: Route) -> None:
        route("GET", "/users/@me", self._get_me)
        route("GET", "/users/{user}", self._get_user)
        route("GET", "/oauth2/applications/@me", self._get_application)
        route("GET", "/applications/@me", self._get_application)
        route("GET", "/gateway", self._get_gateway, auth=False)
        route("GET", "/gateway/bot", self._get_gateway)
        for prefix in ("/applications/{app}", "/applications/{app}/guilds/{guild}"):
            route("PUT", f"{prefix}/commands", self._put_commands)
            route("GET", f"{prefix}/commands", self._get_commands)
        route("POST", "/users/@me/channels", self._open_dm)
        route("GET", "/channels/{channel}", self._get_channel)
        route("POST", "/channels/{channel}/messages", self._send_message)
        route("GET", "/channels/{channel}/messages/{message}", self._get_message)
        route("PATCH", "/channels/{channel}/messages/{message}", self._edit_message)
        route("DELETE", "/channels/{channel}/messages/{message}", self._delete_message)
        route("POST", "/channels/{channel}/typing", self._typing)
        route("GET", "/guilds/{guild}/members/{user}", self._get_member)
        route("PUT", "/guilds/{guild}/members/{user}/roles/{role}", self._add_role)
        route("DELETE", "/guilds/{guild}/members/{user}/roles/{role}", self._remove_role)

    def messages_in(self, channel_id: int) -> list[dict[str, Any]]:
        ids = self._channel_order.get(channel_id, [])
        return [self.fake.messages[i] for i in ids if i in self.fake.messages]

    def dm_channel_of(self, user_id: int) -> int | None:
        return self._dm_of.get(user_id)

    async def _get_me(self, request: Request) -> tuple[int, Any]:
        return 200, self.fake.bot_user

    async def _get_user(self, request: Request) -> tuple[int, Any]:
        found = (
            self.fake.users.get(int(request.params["user"]))
            if request.params["user"].isdigit()
            else None
        )
        if found is None:
            raise ApiError(404, 10013, "Unknown User")
        return 200, found

    async def _get_application(self, request: Request) -> tuple[int, Any]:
        owner = dp.user(1, "owner")
        return 200, {
            "id": str(self.fake.app_id),
            "name": self.fake.bot_user["username"],
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": self.fake.application_flags,
            "owner": owner,
            "team": None,
            "bot": self.fake.bot_user,
            "interactions_endpoint_url": None,
            "redirect_uris": [],
            "tags": [],
            "approximate_guild_count": len(self.fake.guilds),
        }

    async def _get_gateway(self, request: Request) -> tuple[int, Any]:
        body: dict[str, Any] = {"url": self.fake.gateway_url}
        if request.authorized:
            body["shards"] = self.fake.shard_count
            body["session_start_limit"] = {
                "total": 1000,
                "remaining": 1000,
                "reset_after": 0,
                "max_concurrency": 1,
            }
        return 200, body

    def _check_app(self, params: Mapping[str, str]) -> int | None:
        if params["app"] != str(self.fake.app_id):
            raise ApiError(403, 50001, "Missing Access")
        if "guild" not in params:
            return None
        guild_id = int(params["guild"])
        if guild_id not in self.fake.guilds:
            raise ApiError(403, 50001, "Missing Access")
        return guild_id

    async def _put_commands(self, request: Request) -> tuple[int, Any]:
        guild_id = self._check_app(request.params)
        body = request.call.json
        if not isinstance(body, list):
            raise dp.InvalidBody("_root", "LIST_TYPE_CONVERT", "Only iterables may be used.")
        before = self.fake.commands.get(guild_id, {})
        registered: dict[str, dict[str, Any]] = {}
        for command in body:
            _check_localizations(command)
            name = command["name"]
            old = before.get(name)
            made = {
                "id": old["id"] if old else str(dp.snowflake()),
                "application_id": str(self.fake.app_id),
                "version": str(dp.snowflake()),
                "type": command.get("type", 1),
                "name": name,
                "description": command.get("description", ""),
                "options": command.get("options", []),
                "default_member_permissions": command.get("default_member_permissions"),
                "nsfw": command.get("nsfw", False),
                "contexts": command.get("contexts"),
                "integration_types": command.get("integration_types", [0]),
                "name_localizations": command.get("name_localizations"),
                "description_localizations": command.get("description_localizations"),
            }
            if guild_id is not None:
                made["guild_id"] = str(guild_id)
            registered[name] = made
        self.fake.commands[guild_id] = registered
        return 200, list(registered.values())

    async def _get_commands(self, request: Request) -> tuple[int, Any]:
        guild_id = self._check_app(request.params)
        return 200, list(self.fake.commands.get(guild_id, {}).values())

    async def _open_dm(self, request: Request) -> tuple[int, Any]:
        body = request.body
        recipient = self.fake.users.get(int(body.get("recipient_id", 0)))
        if recipient is None or recipient.get("bot"):
            raise ApiError(400, 50033, "Invalid Recipient(s)")
        return 200, self.dm_channel(int(recipient["id"]))

    def dm_channel(self, user_id: int) -> dict[str, Any]:
        """The bot's DM channel with ``user_id``, made on first use as Discord does."""
        if user_id not in self._dm_of:
            channel = dp.dm_channel(dp.snowflake(), self.fake.users[user_id])
            self._dm_of[user_id] = int(channel["id"])
            self.fake.channels[int(channel["id"])] = channel
        return self.fake.channels[self._dm_of[user_id]]

    def channel(self, channel_id: int) -> dict[str, Any]:
        found = self.fake.channels.get(channel_id)
        if found is None:
            raise ApiError(404, 10003, "Unknown Channel")
        return found

    async def _get_channel(self, request: Request) -> tuple[int, Any]:
        return 200, self.channel(int(request.params["channel"]))

    async def _send_message(self, request: Request) -> tuple[int, Any]:
        channel = self.channel(int(request.params["channel"]))
        if channel["type"] == 1:
            recipient = int(channel["recipients"][0]["id"])
            if recipient in self.fake.dms_closed:
                raise ApiError(403, 50007, "Cannot send messages to this user")
        body = request.body
        extra: dict[str, Any] = {}
        kind = 0
        if isinstance(body.get("message_reference"), dict):
            kind, extra["message_reference"] = 19, body["message_reference"]
        made = self.create_message(
            int(channel["id"]), self.fake.bot_user, body, request.call.files, kind=kind, extra=extra
        )
        return 200, made

    def create_message(
        self,
        channel_id: int,
        author: Mapping[str, Any],
        body: Mapping[str, Any],
        files: Sequence[Upload] = (),
        *,
        kind: int = 0,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Make a new message from a create-message ``body`` as Discord would, and keep it."""
        dp.check_message_body(body)
        if dp.is_empty(body, files=len(files)):
            raise ApiError(400, 50006, "Cannot send an empty message")
        channel = self.channel(channel_id)
        guild_id = int(channel["guild_id"]) if "guild_id" in channel else None
        made = dp.message(
            dp.snowflake(),
            channel_id,
            author,
            body,
            guild_id=guild_id,
            message_type=kind,
            extra=extra,
        )
        made["attachments"] = [self._attach(upload) for upload in files]
        return self.keep(made, body.get("allowed_mentions"))

    def keep(
        self, made: dict[str, Any], allowed_mentions: Any = None, *, notify: bool = True
    ) -> dict[str, Any]:
        """Store a new message; unless ephemeral, show it in its channel and note whom it pings."""
        message_id, channel_id = int(made["id"]), int(made["channel_id"])
        self.fake.messages[message_id] = made
        if made["flags"] & dp.EPHEMERAL:
            return made
        self._channel_order.setdefault(channel_id, []).append(message_id)
        if notify:
            users, roles, everyone = dp.notified(made["content"], allowed_mentions)
            made["mentions"] = [self.fake.users[u] for u in sorted(users) if u in self.fake.users]
            made["mention_roles"] = [str(r) for r in sorted(roles)]
            made["mention_everyone"] = everyone
            ping = dp.Ping(channel_id, message_id, frozenset(users), frozenset(roles), everyone)
            self.fake.pings.append(ping)
        return made

    def edit_message(
        self, message_id: int, body: Mapping[str, Any], files: Sequence[Upload] = ()
    ) -> dict[str, Any]:
        """Apply an edit (new files replace the attachments); edits never notify anyone."""
        found = self.fake.messages.get(message_id)
        if found is None:
            raise ApiError(404, 10008, "Unknown Message")
        dp.check_message_body(body)
        for key, empty in (("content", ""), ("embeds", []), ("components", [])):
            if key in body:
                found[key] = empty if body[key] is None else body[key]
        if files:
            found["attachments"] = [self._attach(upload) for upload in files]
        found["flags"] &= ~dp.LOADING
        found["edited_timestamp"] = dp.timestamp()
        return found

    def _attach(self, upload: Upload) -> dict[str, Any]:
        key = str(dp.snowflake())
        self.fake.uploads[key] = upload
        return {
            "id": key,
            "filename": upload.filename,
            "size": len(upload.content),
            "url": f"{self.fake.root}/attachments/{key}/{upload.filename}",
            "proxy_url": f"{self.fake.root}/attachments/{key}/{upload.filename}",
            "content_type": upload.content_type,
        }

    def _message_in(self, request: Request) -> dict[str, Any]:
        found = self.fake.messages.get(int(request.params["message"]))
        if found is None or found["channel_id"] != request.params["channel"]:
            raise ApiError(404, 10008, "Unknown Message")
        return found

    async def _get_message(self, request: Request) -> tuple[int, Any]:
        return 200, self._message_in(request)

    async def _edit_message(self, request: Request) -> tuple[int, Any]:
        found = self._message_in(request)
        if found["author"]["id"] != self.fake.bot_user["id"]:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        body = request.body
        return 200, self.edit_message(int(found["id"]), body, request.call.files)

    async def _delete_message(self, request: Request) -> tuple[int, Any]:
        found = self._message_in(request)
        del self.fake.messages[int(found["id"])]
        return 204, None

    async def _typing(self, request: Request) -> tuple[int, Any]:
        self.channel(int(request.params["channel"]))
        return 204, None

    def _guild_member(self, request: Request) -> tuple[dp.Guild, dict[str, Any]]:
        guild = self.fake.guilds.get(int(request.params["guild"]))
        if guild is None:
            raise ApiError(404, 10004, "Unknown Guild")
        found = guild.members.get(int(request.params["user"]))
        if found is None:
            raise ApiError(404, 10007, "Unknown Member")
        return guild, found

    async def _get_member(self, request: Request) -> tuple[int, Any]:
        return 200, self._guild_member(request)[1]

    def _grantable(self, request: Request) -> tuple[dict[str, Any], str]:
        """Check the bot may give the role: Manage Roles, and the role below its own top role."""
        guild, found = self._guild_member(request)
        role_id = int(request.params["role"])
        if role_id not in guild.roles or role_id == guild.id:
            raise ApiError(404, 10011, "Unknown Role")
        bot_id = int(self.fake.bot_user["id"])
        if not guild.permissions_of(bot_id) & dp.MANAGE_ROLES:
            raise ApiError(403, 50013, "Missing Permissions")
        if guild.roles[role_id]["position"] >= guild.top_position(bot_id):
            raise ApiError(403, 50013, "Missing Permissions")
        return found, str(role_id)

    async def _add_role(self, request: Request) -> tuple[int, Any]:
        found, role_id = self._grantable(request)
        if role_id not in found["roles"]:
            found["roles"].append(role_id)
        return 204, None

    async def _remove_role(self, request: Request) -> tuple[int, Any]:
        found, role_id = self._grantable(request)
        if role_id in found["roles"]:
            found["roles"].remove(role_id)
        return 204, None


def _check_localizations(command: dict[str, Any]) -> None:
    """Discord refuses a localization under a locale it does not have ("es" alone)."""
    known = {locale.value for locale in discord.Locale}
    for part in (command, *command.get("options", [])):
        for kind in ("name_localizations", "description_localizations"):
            for locale in part.get(kind) or {}:
                if locale not in known:
                    raise dp.InvalidBody(kind, "LOCALE_INVALID", f"{locale!r} is not a locale")
