"""A small fake of the Telegram Bot API on loopback, for the real python-telegram-bot to talk to.

The fake answers as api.telegram.org does for the methods Homegroup uses: the same form
decoding, the same ``{"ok": ..., "result": ...}`` envelope, the same HTTP status for each error,
and the same HTML parse mode (a message whose markup Telegram would refuse is refused here too,
so the dialect is tested by the server it is written for). It knows nothing of PTB.

The HTML parse mode lives in ``telegram_html``; the builders of the updates a test pushes in
``telegram_updates``. Every call notes when it arrived (``time.monotonic``, which is one clock
for every process on the machine), and with ``limits`` the fake refuses with 429, as Telegram
does, a message that would go over them.

Several processes can share one fake and still be told apart: a process given
``{root}/NAME`` as its Bot API root calls ``{root}/NAME/bot{token}/...``, and each of its calls
and of the messages it sent (``sent``) is noted with ``NAME`` as the caller. With a webhook set,
``deliver_to`` posts the updates to a random one of several URLs, as a load balancer in front
of several processes would, and posts again (anywhere) what was not answered with 200.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import math
import random
import re
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.loopback import LoopbackServer, Upload
from tests.fakes.telegram_html import ApiError, parse_html
from tests.fakes.telegram_updates import default_bot_user, member_status, utf16_length

DEFAULT_TOKEN = "123456:" + "A" * 35
"""Shaped like a real token (id, colon, 35 characters), so PTB's checks pass."""

MAX_TEXT = 4096
"""Telegram's limit on a message's text after entity parsing, in UTF-16 code units."""

MAX_CAPTION = 1024

POLL_CAP = 1.0
"""Longest a getUpdates long poll waits here, whatever timeout it asks for: tests stay fast."""
REDELIVER = 0.5
"""Seconds before a webhook update that did not get its 200 is posted again."""
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

_caller: contextvars.ContextVar[str] = contextvars.ContextVar("caller", default="")
"""Who is calling, in the handler of one request: the path before ``/bot{token}``."""

_STRING_FIELDS = frozenset(
    [
        "text",
        "caption",
        "parse_mode",
        "url",
        "secret_token",
        "callback_query_id",
        "inline_message_id",
        "document",
        "action",
        "business_connection_id",
        "message_effect_id",
        "ip_address",
        "language_code",
    ]
)
"""String-typed fields: PTB sends a plain string as it is, so ``"42"`` here stays text."""

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are"
    " exactly the same as a current content and reply markup of the message"
)


@dataclass(frozen=True, slots=True)
class Call:
    """One request the fake received, its form fields decoded as Telegram would."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    """When it arrived (``time.monotonic``)."""
    refused: int | None = None
    """The error code it was answered with, if any."""
    caller: str = ""
    """The path before ``/bot{token}`` it came on: which process called (``""``: the root)."""


@dataclass(frozen=True, slots=True)
class Sent:
    """One message the bot sent, as it arrived, kept even when it is later deleted or edited."""

    chat: int
    message_id: int
    text: str
    caller: str
    at: float
    """When it arrived (``time.monotonic``)."""
    wall: float
    """When it arrived (``time.time``), to compare with the database's timestamps."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One post of an update to a webhook URL, and what came of it."""

    update_id: int
    url: str
    status: int | None
    """The HTTP status, or None when the URL could not be reached."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Telegram's flood limits, counted over the messages the fake accepted.

    A message (sent, edited or a document) is refused with 429 when, counting it, more than
    ``overall`` would have arrived in one second, the chat's previous one arrived less than
    ``per_chat`` seconds before, or a group (a negative chat id) would have more than
    ``group_per_minute`` in one minute.
    """

    overall: int = 30
    per_chat: float = 1.0
    group_per_minute: int = 20


LIMITED = frozenset({"sendmessage", "senddocument", "editmessagetext", "editmessagereplymarkup"})
"""The methods Telegram's flood limits count."""


class _Flood:
    """The fake's count of what it accepted, against ``Limits``."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._second: deque[float] = deque()
        self._last: dict[int, float] = {}
        self._minute: dict[int, deque[float]] = defaultdict(deque)

    def wait(self, chat: int, at: float) -> float:
        """Seconds until a message to ``chat`` would be accepted (0: accepted now, counted)."""
        limits = self.limits
        while self._second and self._second[0] <= at - 1.0:
            self._second.popleft()
        minute = self._minute[chat]
        while minute and minute[0] <= at - 60.0:
            minute.popleft()
        waits = [0.0]
        if len(self._second) >= limits.overall:
            waits.append(self._second[len(self._second) - limits.overall] + 1.0 - at)
        if chat in self._last:
            waits.append(self._last[chat] + limits.per_chat - at)
        if chat < 0 and len(minute) >= limits.group_per_minute:
            waits.append(minute[len(minute) - limits.group_per_minute] + 60.0 - at)
        wait = max(waits)
        if wait <= 0:
            self._second.append(at)
            self._last[chat] = at
            if chat < 0:
                minute.append(at)
        return wait


@dataclass(frozen=True, slots=True)
class _Failure:
    code: int
    description: str
    retry_after: int | None


class FakeTelegram(LoopbackServer):
    """The Bot API for one bot, served at ``{root}/bot{token}/{method}`` on 127.0.0.1."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_user: dict[str, Any] | None = None,
        *,
        poll_cap: float = POLL_CAP,
        limits: Limits | None = None,
    ) -> None:
        super().__init__()
        self.token = token
        self.poll_cap = poll_cap
        self._flood = None if limits is None else _Flood(limits)
        self.bot_user: dict[str, Any] = default_bot_user() if bot_user is None else bot_user
        self.calls: list[Call] = []
        self.blocked: set[int] = set()
        """People who never started the bot: a private message to them is refused (403)."""
        self.members: dict[tuple[int, int], str] = {}
        """Status by (chat, user) for getChatMember, "member" when unset; the bot's own
        "left" or "kicked" in a group makes sending there fail (403) as it does on Telegram."""
        self.withheld: dict[tuple[int, int], set[str]] = {}
        """Rights an administrator lacks, by (chat, user), e.g. ``{"can_delete_messages"}``;
        the bot may delete members' messages in a group only as an admin with that right."""
        self.conflict = False
        """Another poller holds the bot: getUpdates answers 409."""
        self.webhook: dict[str, Any] | None = None
        self.confirmed = 0
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        """Commands set with setMyCommands, by (scope as JSON, language code)."""
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        """Every message the bot sent, as it stands now, by (chat id, message id)."""
        self.sent: list[Sent] = []
        """Every message the bot sent, in the order they arrived, with who sent each."""
        self.deliveries: list[Delivery] = []
        """Every post of an update to a webhook URL (``deliver_to``)."""
        self.posted: dict[tuple[int, int], dict[str, Any]] = {}
        """Every message members sent in pushed updates and nobody deleted, by (chat, id)."""
        self.chats: dict[int, dict[str, Any]] = {}
        """Chats seen in pushed updates, so a reply into one carries its real title."""
        self.users: dict[int, dict[str, Any]] = {}
        """Users seen in pushed updates, so getChatMember and mentions carry their names."""
        self._pending: list[dict[str, Any]] = []
        self._arrived = asyncio.Event()
        self._next_update = 1
        self._last_message: dict[int, int] = defaultdict(int)
        self._failures: dict[str, deque[_Failure | None]] = defaultdict(deque)
        self._stalls: dict[str, asyncio.Event] = {}
        self._garbled: set[str] = set()
        self._closing = False
        self._delivering: asyncio.Task[None] | None = None
        self._methods: dict[str, Callable[[dict[str, Any]], Awaitable[Any]]] = {
            name.lower(): getattr(self, f"_{name}")
            for name in [
                "getMe",
                "getUpdates",
                "sendMessage",
                "editMessageText",
                "editMessageReplyMarkup",
                "deleteMessage",
                "answerCallbackQuery",
                "sendChatAction",
                "getChatMember",
                "getChatAdministrators",
                "setMyCommands",
                "deleteMyCommands",
                "getMyCommands",
                "setWebhook",
                "deleteWebhook",
                "getWebhookInfo",
                "sendDocument",
            ]
        }

    # -- life cycle ---------------------------------------------------------------------------

    def application(self) -> web.Application:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self._handle)
        return app

    async def start(self) -> str:
        """Serve on a free loopback port; return the root URL (PTB's base_url is root + "/bot")."""
        return await self.serve()

    async def close(self) -> None:
        """Stop serving; a long poll still waiting returns at once."""
        self._closing = True
        self._arrived.set()
        if self._delivering is not None:
            self._delivering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivering
        for method in list(self._stalls):
            self.release(method)
        await self.stop_serving()

    @property
    def base_url(self) -> str:
        """What to give ``telegram.Bot(base_url=...)``: PTB appends the token and method."""
        return f"{self.root}/bot"

    # -- what a test does ---------------------------------------------------------------------

    def of(self, method: str) -> list[dict[str, Any]]:
        """The params of every call of ``method``, oldest first."""
        return [call.params for call in self.calls if call.method.lower() == method.lower()]

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; return its update_id (assigned when missing)."""
        update = dict(update)
        if "update_id" not in update:
            update["update_id"] = self._next_update
        self._next_update = max(self._next_update, update["update_id"] + 1)
        message = update.get("message")
        if isinstance(message, dict):
            chat_id = message["chat"]["id"]
            if (chat_id, message["message_id"]) in self.messages:
                # Telegram numbers a chat's messages in one sequence; the builders cannot know
                # the bot's, so a clash takes the next number (the caller's dict sees it too).
                message["message_id"] = max(self._last_message[chat_id], message["message_id"]) + 1
            self.posted[(chat_id, message["message_id"])] = message
        self._remember(update)
        self._pending.append(update)
        self._arrived.set()
        return int(update["update_id"])

    def push_raw(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates exactly as given, even without an update_id (which
        Telegram never sends, and which no offset confirms: the next offset drops it)."""
        self._pending.append(dict(update))
        self._arrived.set()

    def fail(
        self,
        method: str,
        code: int,
        description: str,
        *,
        retry_after: int | None = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with this error instead (once ``after``
        more calls have been answered as usual)."""
        self._failures[method.lower()].extend([None] * after)
        for _ in range(times):
            self._failures[method.lower()].append(_Failure(code, description, retry_after))

    def heal(self, method: str) -> None:
        """Answer ``method`` as usual again: the failures ``fail`` still holds are dropped."""
        self._failures.pop(method.lower(), None)

    def garble(self, method: str) -> None:
        """Answer the next call of ``method`` with its usual answer cut in half: not JSON."""
        self._garbled.add(method.lower())

    def stall(self, method: str) -> None:
        """Keep every call of ``method`` waiting, unanswered, until ``release(method)``."""
        self._stalls.setdefault(method.lower(), asyncio.Event())

    def release(self, method: str) -> None:
        """Let the calls of ``method`` held by ``stall`` go on, and answer later ones at once."""
        stalled = self._stalls.pop(method.lower(), None)
        if stalled is not None:
            stalled.set()

    @property
    def pending(self) -> list[dict[str, Any]]:
        """Updates pushed and not yet confirmed by an offset (or, to a webhook, by a 200)."""
        return list(self._pending)

    def callers(self, method: str) -> list[str]:
        """Who called ``method`` (``Call.caller``), oldest first."""
        return [call.caller for call in self.calls if call.method.lower() == method.lower()]

    def deliver_to(self, urls: Sequence[str], *, at_once: int = 8, seed: int | None = None) -> None:
        """Post pushed updates, once a webhook is set, each to a random one of ``urls`` (up to
        ``at_once`` in flight), with the webhook's secret; an update that does not get a 200
        is posted again after ``REDELIVER`` seconds, to a random URL again, until one takes it.

        The URLs stand for the processes behind the webhook's one public URL.
        """
        assert self._delivering is None, "already delivering"
        self._delivering = asyncio.create_task(self._deliver(list(urls), at_once, seed))

    async def _deliver(self, urls: list[str], at_once: int, seed: int | None) -> None:
        chooser = random.Random(seed)
        in_flight: set[int] = set()
        slots = asyncio.Semaphore(at_once)
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout, trust_env=False) as session:

            async def post(update: dict[str, Any]) -> None:
                update_id = int(update["update_id"])
                try:
                    while not self._closing:
                        hook = self.webhook
                        if hook is None:
                            await asyncio.sleep(REDELIVER)
                            continue
                        url = chooser.choice(urls)
                        headers = {}
                        if hook.get("secret_token"):
                            headers[SECRET_HEADER] = str(hook["secret_token"])
                        status: int | None
                        try:
                            async with session.post(url, json=update, headers=headers) as answer:
                                status = answer.status
                        except (aiohttp.ClientError, TimeoutError):
                            status = None
                        self.deliveries.append(Delivery(update_id, url, status))
                        if status == 200:
                            self._pending = [u for u in self._pending if u is not update]
                            return
                        await asyncio.sleep(REDELIVER)
                finally:
                    in_flight.discard(update_id)
                    slots.release()

            while not self._closing:
                waiting = [
                    u
                    for u in self._pending
                    if isinstance(u.get("update_id"), int) and u["update_id"] not in in_flight
                ]
                if not waiting:
                    self._arrived.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._arrived.wait(), REDELIVER)
                    continue
                for update in waiting:
                    await slots.acquire()
                    in_flight.add(int(update["update_id"]))
                    asyncio.create_task(post(update))  # noqa: RUF006 - ends with the session

    # -- HTTP ---------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        match = re.fullmatch(r"(?:/([^/]+))?/bot([^/]+)/([A-Za-z]+)", request.path)
        if match is None:
            return _error(ApiError(404, "Not Found"))
        caller, token, method = match.groups()
        caller = caller or ""
        _caller.set(caller)
        at = time.monotonic()
        params = await _decode(request)
        number = len(self.calls)
        self.calls.append(Call(method, params, at, caller=caller))
        if token != self.token:
            return self._refuse(number, ApiError(401, "Unauthorized"))
        handler = self._methods.get(method.lower())
        if handler is None:
            return self._refuse(number, ApiError(404, "Not Found"))
        stalled = self._stalls.get(method.lower())
        if stalled is not None:
            await stalled.wait()
        failures = self._failures.get(method.lower())
        failure = failures.popleft() if failures else None
        if failure is not None:
            parameters = (
                None if failure.retry_after is None else {"retry_after": failure.retry_after}
            )
            return self._refuse(number, ApiError(failure.code, failure.description, parameters))
        chat_id = params.get("chat_id")
        if self._flood is not None and method.lower() in LIMITED and isinstance(chat_id, int):
            wait = self._flood.wait(chat_id, at)
            if wait > 0:
                seconds = math.ceil(wait)
                return self._refuse(
                    number,
                    ApiError(
                        429,
                        f"Too Many Requests: retry after {seconds}",
                        {"retry_after": seconds},
                    ),
                )
        try:
            result = await handler(params)
        except ApiError as error:
            return self._refuse(number, error)
        if method.lower() in self._garbled:
            self._garbled.discard(method.lower())
            body = json.dumps({"ok": True, "result": result})
            return web.Response(text=body[: len(body) // 2], content_type="application/json")
        return web.json_response({"ok": True, "result": result})

    def _refuse(self, number: int, error: ApiError) -> web.Response:
        """Answer call ``number`` with ``error``, and note that it was refused."""
        call = self.calls[number]
        self.calls[number] = Call(call.method, call.params, call.at, error.code, call.caller)
        return _error(error)

    # -- methods ------------------------------------------------------------------------------

    async def _getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.conflict:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only one bot"
                " instance is running",
            )
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use"
                " deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        if isinstance(offset, int) and offset > 0:
            self.confirmed = max(self.confirmed, offset - 1)
            self._pending = [
                u
                for u in self._pending
                if isinstance(u.get("update_id"), int) and u["update_id"] >= offset
            ]
        elif isinstance(offset, int) and offset < 0:
            self._pending = self._pending[offset:]
        limit = params.get("limit")
        limit = min(max(limit, 1), 100) if isinstance(limit, int) else 100
        timeout = params.get("timeout")
        wait = min(float(timeout), self.poll_cap) if isinstance(timeout, int | float) else 0.0
        if not self._pending and wait > 0 and not self._closing:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), wait)
        return self._pending[:limit]

    async def _sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._receiver(params)
        text, entities = self._parse(str(params.get("text", "")), params.get("parse_mode"))
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_length(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        message = self._new_message(chat_id, params)
        message["text"] = text
        if entities:
            message["entities"] = entities
        self._note_sent(message, text)
        return message

    async def _sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._receiver(params)
        document = params.get("document")
        if isinstance(document, Upload):
            described = {
                "file_id": f"DOC{len(self.calls)}",
                "file_unique_id": f"U{len(self.calls)}",
                "file_name": document.filename,
                "mime_type": document.content_type,
                "file_size": len(document.content),
            }
        elif isinstance(document, str) and document:
            described = {"file_id": document, "file_unique_id": f"U{len(self.calls)}"}
        else:
            raise ApiError(400, "Bad Request: there is no document in the request")
        caption, entities = self._parse(str(params.get("caption", "")), params.get("parse_mode"))
        if utf16_length(caption) > MAX_CAPTION:
            raise ApiError(400, "Bad Request: message caption is too long")
        message = self._new_message(chat_id, params)
        message["document"] = described
        if caption:
            message["caption"] = caption
        if entities:
            message["caption_entities"] = entities
        self._note_sent(message, caption)
        return message

    async def _editMessageText(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        if "inline_message_id" in params:
            return True
        message = self._sent(params)
        text, entities = self._parse(str(params.get("text", "")), params.get("parse_mode"))
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_length(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        edited = {k: v for k, v in message.items() if k not in ("entities", "reply_markup")}
        edited["text"] = text
        if entities:
            edited["entities"] = entities
        markup = _inline_markup(params.get("reply_markup"))
        if markup is not None:
            edited["reply_markup"] = markup
        return self._store_edit(message, edited)

    async def _editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        if "inline_message_id" in params:
            return True
        message = self._sent(params)
        edited = {k: v for k, v in message.items() if k != "reply_markup"}
        markup = _inline_markup(params.get("reply_markup"))
        if markup is not None:
            edited["reply_markup"] = markup
        return self._store_edit(message, edited)

    async def _deleteMessage(self, params: dict[str, Any]) -> bool:
        key = _message_key(params)
        if self.messages.pop(key, None) is not None:
            return True
        if key not in self.posted:
            raise ApiError(400, "Bad Request: message to delete not found")
        chat_id = key[0]
        if chat_id < 0 and not self._may(chat_id, self.bot_user["id"], "can_delete_messages"):
            raise ApiError(400, "Bad Request: message can't be deleted")
        del self.posted[key]
        return True

    async def _answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        if not params.get("callback_query_id"):
            raise ApiError(400, "Bad Request: query is too old and response timeout expired")
        return True

    async def _sendChatAction(self, params: dict[str, Any]) -> bool:
        self._receiver(params)
        return True

    async def _getChatMember(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, user_id = params.get("chat_id"), params.get("user_id")
        if not isinstance(chat_id, int) or not isinstance(user_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        person = (
            self.bot_user
            if user_id == self.bot_user["id"]
            else self.users.get(user_id, {"id": user_id, "is_bot": False, "first_name": "Member"})
        )
        return self._member(chat_id, person)

    async def _getChatAdministrators(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        admins = []
        for (chat, user_id), status in self.members.items():
            if chat == chat_id and status in ("creator", "administrator"):
                person = self.users.get(
                    user_id, {"id": user_id, "is_bot": False, "first_name": "Member"}
                )
                admins.append(self._member(chat, person))
        return admins

    async def _setMyCommands(self, params: dict[str, Any]) -> bool:
        self.commands[_commands_key(params)] = list(params.get("commands", []))
        return True

    async def _deleteMyCommands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(_commands_key(params), None)
        return True

    async def _getMyCommands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands.get(_commands_key(params), [])

    async def _setWebhook(self, params: dict[str, Any]) -> bool:
        if params.get("url", "") == "":  # Telegram's old way to remove a webhook
            return await self._deleteWebhook(params)
        if not str(params["url"]).startswith("https://"):
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        self.webhook = params
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": "" if self.webhook is None else self.webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook is not None and "allowed_updates" in self.webhook:
            info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    # -- the parts methods share --------------------------------------------------------------

    def _receiver(self, params: dict[str, Any]) -> int:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        status = self.members.get((chat_id, self.bot_user["id"]))
        if chat_id < 0 and status == "kicked":
            raise ApiError(403, "Forbidden: bot was kicked from the supergroup chat")
        if chat_id < 0 and status == "left":
            raise ApiError(403, "Forbidden: bot is not a member of the supergroup chat")
        return chat_id

    def _member(self, chat_id: int, person: dict[str, Any]) -> dict[str, Any]:
        """A ChatMember as getChatMember answers, without the rights ``withheld``."""
        member = member_status(person, self.members.get((chat_id, person["id"]), "member"))
        for right in self.withheld.get((chat_id, person["id"]), ()):
            if right in member:
                member[right] = False
        return member

    def _may(self, chat_id: int, user_id: int, right: str) -> bool:
        """Whether the user holds an admin right in the chat (the creator holds them all)."""
        status = self.members.get((chat_id, user_id), "member")
        if status == "creator":
            return True
        return status == "administrator" and right not in self.withheld.get((chat_id, user_id), ())

    def _chat(self, chat_id: int) -> dict[str, Any]:
        if chat_id in self.chats:
            return self.chats[chat_id]
        if chat_id > 0:
            return {"id": chat_id, "type": "private"}
        return {"id": chat_id, "type": "supergroup", "title": f"Group {chat_id}"}

    def _new_message(self, chat_id: int, params: dict[str, Any]) -> dict[str, Any]:
        self._last_message[chat_id] += 1
        message: dict[str, Any] = {
            "message_id": self._last_message[chat_id],
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self.bot_user,
        }
        if isinstance(params.get("message_thread_id"), int):
            message["message_thread_id"] = params["message_thread_id"]
            message["is_topic_message"] = True
        markup = _inline_markup(params.get("reply_markup"))
        if markup is not None:
            message["reply_markup"] = markup
        self.messages[(chat_id, message["message_id"])] = message
        return message

    def _note_sent(self, message: dict[str, Any], text: str) -> None:
        chat_id, message_id = message["chat"]["id"], message["message_id"]
        self.sent.append(
            Sent(chat_id, message_id, text, _caller.get(), time.monotonic(), time.time())
        )

    def _sent(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self.messages.get(_message_key(params))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    def _store_edit(self, before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
        if after == before:
            raise ApiError(400, _NOT_MODIFIED)
        after["edit_date"] = int(time.time())
        self.messages[(after["chat"]["id"], after["message_id"])] = after
        return after

    def _parse(self, text: str, parse_mode: object) -> tuple[str, list[dict[str, Any]]]:
        if parse_mode is None:
            return text, []
        if str(parse_mode).upper() != "HTML":
            raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode}")
        return parse_html(text, self.users)

    def _remember(self, value: object) -> None:
        """Note every chat, user and incoming message id an update carries."""
        if isinstance(value, list):
            for item in value:
                self._remember(item)
            return
        if not isinstance(value, dict):
            return
        for key, item in value.items():
            if key == "chat" and isinstance(item, dict) and isinstance(item.get("id"), int):
                self.chats.setdefault(item["id"], item)
                if isinstance(value.get("message_id"), int):
                    last = self._last_message[item["id"]]
                    self._last_message[item["id"]] = max(last, value["message_id"])
            elif (
                key in ("from", "user")
                and isinstance(item, dict)
                and isinstance(item.get("id"), int)
                and "first_name" in item
            ):
                self.users.setdefault(item["id"], item)
            self._remember(item)


def _error(error: ApiError) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": error.code, "description": error.description}
    if error.parameters:
        body["parameters"] = error.parameters
    return web.json_response(body, status=error.code)


async def _decode(request: web.Request) -> dict[str, Any]:
    """Form fields as Telegram reads them: a field is JSON unless its type is string."""
    params: dict[str, Any] = {}
    fields: Mapping[str, Any]
    if request.content_type == "application/json":
        body = await request.json()
        fields = body if isinstance(body, dict) else {}
        params.update(fields)
        return params
    fields = await request.post()
    for name, value in [*request.query.items(), *fields.items()]:
        if isinstance(value, web.FileField):
            params[name] = Upload(
                value.filename, value.file.read(), value.content_type or "application/octet-stream"
            )
        elif name in _STRING_FIELDS:
            params[name] = value
        else:
            try:
                params[name] = json.loads(value)
            except ValueError:
                params[name] = value  # "@channelname" as a chat_id, say
    return params


def _message_key(params: dict[str, Any]) -> tuple[int, int]:
    chat_id, message_id = params.get("chat_id"), params.get("message_id")
    if not isinstance(chat_id, int) or not isinstance(message_id, int):
        raise ApiError(400, "Bad Request: message identifier is not specified")
    return chat_id, message_id


def _inline_markup(value: object) -> dict[str, Any] | None:
    """Telegram echoes only an inline keyboard on the message it returns."""
    if isinstance(value, dict) and "inline_keyboard" in value:
        return value
    return None


def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(params.get("language_code", ""))
