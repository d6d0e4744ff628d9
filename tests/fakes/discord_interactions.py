"""Interactions in the fake Discord: what a member's command or button press sends the bot, and
the routes the bot answers on (the callback, follow-ups and the original response).

Discord's rules that a bot can get wrong, kept here:

* The callback must come within 3 s of INTERACTION_CREATE (``ack_deadline``), once: late is
  404 code 10062 "Unknown interaction", twice is 400 code 40060.
* Follow-ups need the interaction acknowledged first (else 404 code 10015 "Unknown Webhook").
* A deferred response (type 5) shows a "thinking" message whose visibility is fixed by the
  defer's flags. The first follow-up after it *edits* that message: the follow-up's own
  ephemeral flag is ignored, and, being an edit, it notifies nobody.
* An ephemeral message is seen by the invoking member only: it never appears in
  ``messages_in`` and pings nobody.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.fakes import discord_payloads as dp
from tests.fakes.discord_payloads import ApiError

if TYPE_CHECKING:
    from tests.fakes.discord import FakeDiscord
    from tests.fakes.discord_rest import Request, Route

APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE = 2, 3, 4
_ANSWERS = {
    APPLICATION_COMMAND: {4, 5, 9},
    MESSAGE_COMPONENT: {4, 5, 6, 7, 9},
    AUTOCOMPLETE: {8},
}
"""Callback types Discord accepts for each interaction type."""


@dataclass(frozen=True, slots=True)
class InteractionRef:
    """An interaction the fake sent: its id (for ``callback_for``) and token."""

    id: int
    token: str


@dataclass
class _Pending:
    ref: InteractionRef
    kind: int
    channel_id: int
    person: dict[str, Any]
    created: float
    answered: asyncio.Future[dict[str, Any]]
    response_type: int | None = None
    original: dict[str, Any] | None = None
    followups: list[dict[str, Any]] = field(default_factory=list)
    source: dict[str, Any] | None = None
    """The message a pressed button is on."""
    answered_at: float | None = None
    """The loop time the callback was accepted (``created`` is the dispatch's), for timing."""
    followed_up_at: float | None = None
    """The loop time the first follow-up was accepted, for timing."""


class Interactions:
    """Interactions sent to the bot and the answers it gave, by id and by token."""

    def __init__(self, fake: FakeDiscord, *, ack_deadline: float) -> None:
        self._fake = fake
        self.ack_deadline = ack_deadline
        self._by_id: dict[int, _Pending] = {}
        self._by_token: dict[str, _Pending] = {}

    def add_routes(self, route: Route) -> None:
        route("POST", "/interactions/{interaction}/{token}/callback", self._callback, auth=False)
        route("POST", "/webhooks/{app}/{token}", self._followup, auth=False)
        for method, handler in [
            ("GET", self._get),
            ("PATCH", self._edit),
            ("DELETE", self._delete),
        ]:
            route(method, "/webhooks/{app}/{token}/messages/{message}", handler, auth=False)

    def by_token(self, token: str) -> _Pending:
        found = self._by_token.get(token)
        if found is None:
            raise LookupError(f"no interaction has token {token[:8]}...")
        return found

    async def callback_for(self, interaction_id: int, within: float) -> dict[str, Any]:
        found = self._by_id.get(interaction_id)
        if found is None:
            raise LookupError(f"the fake sent no interaction {interaction_id}")
        try:
            return await asyncio.wait_for(asyncio.shield(found.answered), within)
        except TimeoutError:
            raise TimeoutError(
                f"the bot did not acknowledge interaction {interaction_id} within {within} s"
            ) from None

    # -- sending ------------------------------------------------------------------------------

    async def slash(
        self,
        name: str,
        person: Mapping[str, Any],
        channel_id: int | None,
        options: Sequence[Mapping[str, Any]],
        permissions: int | None,
        roles: Sequence[int] | None,
        resolved: Mapping[str, Any] | None,
        locale: str,
        *,
        kind: int = APPLICATION_COMMAND,
    ) -> InteractionRef:
        payload, channel = self._base(kind, person, channel_id, permissions, roles, locale)
        guild_id = int(channel["guild_id"]) if "guild_id" in channel else None
        command = self._fake.commands.get(guild_id, {}).get(name) if guild_id else None
        command = command or self._fake.commands.get(None, {}).get(name)
        if command is None:
            raise LookupError(f"/{name} is not registered here: Discord would not offer it")
        data: dict[str, Any] = {"id": command["id"], "name": name, "type": command["type"]}
        if options:
            data["options"] = [dict(o) for o in options]
        if resolved:
            data["resolved"] = dict(resolved)
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        payload["data"] = data
        return await self._send(payload, channel, person)

    async def press(
        self,
        custom_id: str,
        person: Mapping[str, Any],
        message: int | Mapping[str, Any],
        permissions: int | None,
        roles: Sequence[int] | None,
        *,
        forged: bool = False,
    ) -> InteractionRef:
        source = self._fake.messages.get(message) if isinstance(message, int) else dict(message)
        if source is None:
            raise LookupError(f"the bot sent no message {message}")
        if not forged and custom_id not in _custom_ids(source.get("components") or []):
            raise LookupError(f"message {source['id']} has no component {custom_id!r}")
        channel = self._fake.rest.channel(int(source["channel_id"]))
        channel_id = None if channel["type"] == 1 else int(channel["id"])
        payload, channel = self._base(
            MESSAGE_COMPONENT, person, channel_id, permissions, roles, "en-US"
        )
        payload["data"] = {"custom_id": custom_id, "component_type": 2}
        payload["message"] = source
        return await self._send(payload, channel, person, source=source)

    def _base(
        self,
        kind: int,
        person: Mapping[str, Any],
        channel_id: int | None,
        permissions: int | None,
        roles: Sequence[int] | None,
        locale: str,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        fake, user_id = self._fake, int(person["id"])
        fake.users.setdefault(user_id, dict(person))
        payload: dict[str, Any] = {
            "id": str(dp.snowflake()),
            "application_id": str(fake.app_id),
            "type": kind,
            "token": "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48),
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if channel_id is None:
            channel = fake.rest.dm_channel(user_id)
            payload.update(
                user=dict(person),
                context=1,
                authorizing_integration_owners={"0": "0"},
                app_permissions=str(dp.ALL_PERMISSIONS & ~dp.ADMINISTRATOR),
            )
        else:
            channel = fake.rest.channel(channel_id)
            guild = fake.guilds[int(channel["guild_id"])]
            declared = guild.members.get(user_id) or dp.member(person)
            held = [int(r) for r in declared["roles"]] if roles is None else list(roles)
            member = {**declared, "user": dict(person), "roles": [str(r) for r in held]}
            granted = guild.permissions_of(user_id, held) if permissions is None else permissions
            member["permissions"] = str(granted)
            bot_id = int(fake.bot_user["id"])
            payload.update(
                guild_id=str(guild.id),
                guild_locale="en-US",
                guild={"id": str(guild.id), "locale": "en-US", "features": []},
                member=member,
                context=0,
                authorizing_integration_owners={"0": str(guild.id)},
                app_permissions=str(guild.permissions_of(bot_id)),
            )
        payload["channel_id"] = channel["id"]
        payload["channel"] = channel
        return payload, channel

    async def _send(
        self,
        payload: dict[str, Any],
        channel: Mapping[str, Any],
        person: Mapping[str, Any],
        *,
        source: dict[str, Any] | None = None,
    ) -> InteractionRef:
        loop = asyncio.get_running_loop()
        ref = InteractionRef(int(payload["id"]), payload["token"])
        pending = _Pending(
            ref=ref,
            kind=payload["type"],
            channel_id=int(channel["id"]),
            person=dict(person),
            created=loop.time(),
            answered=loop.create_future(),
            source=source,
        )
        self._by_id[ref.id] = pending
        self._by_token[ref.token] = pending
        await self._fake.gateway.dispatch("INTERACTION_CREATE", payload)
        return ref

    # -- the routes ---------------------------------------------------------------------------

    async def _callback(self, request: Request) -> tuple[int, Any]:
        pending = self._by_id.get(int(request.params["interaction"]))
        if pending is None or pending.ref.token != request.params["token"]:
            raise ApiError(404, 10062, "Unknown interaction")
        if pending.response_type is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        if asyncio.get_running_loop().time() - pending.created > self.ack_deadline:
            raise ApiError(404, 10062, "Unknown interaction")
        body = request.body
        kind, data = body.get("type"), body.get("data") or {}
        if kind not in _ANSWERS[pending.kind]:
            raise dp.InvalidBody(
                "type",
                "BASE_TYPE_CHOICES",
                f"Value must be one of {sorted(_ANSWERS[pending.kind])}.",
            )
        resource: dict[str, Any] | None = {"type": kind}
        if kind == 4:
            pending.original = self._new(pending, data, request.call.files)
        elif kind == 5:
            flags = (int(data.get("flags") or 0) & dp.EPHEMERAL) | dp.LOADING
            pending.original = self._fake.rest.keep(
                self._message(pending, {"flags": flags}), notify=False
            )
        elif kind in (6, 7) and pending.source is not None:
            pending.original = pending.source
            if kind == 7:
                self._fake.rest.edit_message(int(pending.source["id"]), data)
        else:
            resource = None
        if resource is not None and pending.original is not None and kind != 6:
            resource["message"] = pending.original
        pending.response_type = kind
        pending.answered_at = asyncio.get_running_loop().time()
        if not pending.answered.done():
            pending.answered.set_result(body)
        if request.call.query.get("with_response") not in ("1", "true", "True"):
            return 204, None
        original = pending.original or {}
        return 200, {
            "interaction": {
                "id": str(pending.ref.id),
                "type": pending.kind,
                "response_message_id": original.get("id"),
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(int(original.get("flags", 0)) & dp.EPHEMERAL),
            },
            "resource": resource,
        }

    async def _followup(self, request: Request) -> tuple[int, Any]:
        pending = self._acknowledged(request)
        body = request.body
        original = pending.original
        if pending.response_type == 5 and original and original["flags"] & dp.LOADING:
            # Discord turns the first follow-up after a defer into an edit of the deferred one.
            made = self._fake.rest.edit_message(int(original["id"]), body, request.call.files)
            made["edited_timestamp"] = None
        else:
            made = self._new(pending, body, request.call.files)
        pending.followups.append(made)
        if pending.followed_up_at is None:
            pending.followed_up_at = asyncio.get_running_loop().time()
        if request.call.query.get("wait") not in ("1", "true", "True"):
            return 204, None
        return 200, made

    def _acknowledged(self, request: Request) -> _Pending:
        pending = self._by_token.get(request.params["token"])
        if pending is None or request.params["app"] != str(self._fake.app_id):
            raise ApiError(404, 10015, "Unknown Webhook")
        if pending.response_type is None:
            raise ApiError(404, 10015, "Unknown Webhook")
        return pending

    def _owned(self, request: Request) -> dict[str, Any]:
        pending = self._acknowledged(request)
        wanted = request.params["message"]
        if wanted == "@original":
            if pending.original is None:
                raise ApiError(404, 10008, "Unknown Message")
            return pending.original
        ids = {m["id"] for m in pending.followups}
        if pending.original is not None:
            ids.add(pending.original["id"])
        found = self._fake.messages.get(int(wanted)) if wanted.isdigit() else None
        if found is None or wanted not in ids:
            raise ApiError(404, 10008, "Unknown Message")
        return found

    async def _get(self, request: Request) -> tuple[int, Any]:
        return 200, self._owned(request)

    async def _edit(self, request: Request) -> tuple[int, Any]:
        found = self._owned(request)
        body = request.body
        return 200, self._fake.rest.edit_message(int(found["id"]), body, request.call.files)

    async def _delete(self, request: Request) -> tuple[int, Any]:
        found = self._owned(request)
        self._fake.messages.pop(int(found["id"]), None)
        return 204, None

    # -- messages -----------------------------------------------------------------------------

    def _new(
        self, pending: _Pending, body: Mapping[str, Any], files: Sequence[Any]
    ) -> dict[str, Any]:
        return self._fake.rest.create_message(
            pending.channel_id,
            self._fake.bot_user,
            body,
            files,
            kind=20 if pending.kind == APPLICATION_COMMAND else 0,
            extra=self._metadata(pending),
        )

    def _message(self, pending: _Pending, body: Mapping[str, Any]) -> dict[str, Any]:
        channel = self._fake.rest.channel(pending.channel_id)
        guild_id = int(channel["guild_id"]) if "guild_id" in channel else None
        return dp.message(
            dp.snowflake(),
            pending.channel_id,
            self._fake.bot_user,
            body,
            guild_id=guild_id,
            message_type=20 if pending.kind == APPLICATION_COMMAND else 0,
            extra=self._metadata(pending),
        )

    def _metadata(self, pending: _Pending) -> dict[str, Any]:
        app = str(self._fake.app_id)
        metadata: dict[str, Any] = {
            "id": str(pending.ref.id),
            "type": pending.kind,
            "user": pending.person,
            "authorizing_integration_owners": {"0": "0"},
        }
        if pending.source is not None:
            metadata["interacted_message_id"] = pending.source["id"]
        return {"webhook_id": app, "application_id": app, "interaction_metadata": metadata}


def _custom_ids(components: Sequence[Mapping[str, Any]]) -> set[str]:
    """Every ``custom_id`` in a message's component tree (action rows hold buttons)."""
    found: set[str] = set()
    for component in components:
        if "custom_id" in component:
            found.add(str(component["custom_id"]))
        found |= _custom_ids(component.get("components") or [])
    return found
