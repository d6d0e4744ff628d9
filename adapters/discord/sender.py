"""Send outbox rows to Discord: interaction answers, channel posts, DMs, edits, files and roles.

Where a row goes:

* on an interaction this process still holds: as its response if none was sent yet, else as
  a follow-up; a private row is ephemeral in a server. A public row after an ephemeral defer
  is posted in the channel (a follow-up would inherit the defer's invisibility).
* on an interaction from before a restart: a private row follows up on its token (valid 15
  minutes), else goes by DM; a public row is posted in the channel. A command kept by a process
  that stopped and handled again here (``Replayed``) may still show that process's deferred
  "thinking…": its first public row removes it, as on a live interaction, while the token
  lasts (the first private row replaces it anyway).
* a private row without an interaction goes by DM. When the member's DMs are closed (50007),
  the channel gets a neutral line asking them to run a command to see it privately: an outbox
  row of its own (``T.DMS_CLOSED``), paced and retried like any other, shown at most once an
  hour per member.
* a row with ``target.grant`` gives a member a role, and posts its text only if it cannot.
* a row with ``target.withdraw`` is done at once: slash commands leave no message to delete.

Every send allows exactly the row's mentions, as users; never ``@everyone``, ``@here`` or
roles. REST rate limits (429) are discord.py's own: it waits as Discord says and retries, per
route. Discord's global limit of 50 requests a second is kept here, request by request
(``GlobalBudget``), since answers on an interaction are not bound by it: they never wait behind
channel posts. The outbox worker sends to many channels at once (up to ``PACE``), so a channel
waiting out its bucket holds no other.

A row's text and button labels are rendered before anything is sent, awaited (an override
renders in a worker process, within its time budget), never while an interaction's lock is held.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import aiohttp
import discord

from adapters.discord.budget import GlobalBudget
from adapters.discord.buttons import view_of
from adapters.discord.dialect import split_markdown
from adapters.discord.live import Live, LiveInteractions, Replayed
from adapters.discord.translate import PLATFORM, message_ref
from adapters.sending import Parts
from adapters.throttle import Prompt, about
from bot.contexts.core import Who
from bot.domain.model import person_key
from bot.domain.records import OutboxMessage
from bot.domain.replies import Mention, Priority, Reply, Target
from bot.outbox import Pace, RetryLater, Undeliverable, backoff
from bot.render import Renderer
from bot.storage import Store

log = logging.getLogger(__name__)

DMS_CLOSED = 50007
DEAD_TOKEN_CODES = frozenset({10015, 10062, 50027})
"""Unknown webhook, unknown interaction, invalid webhook token: the interaction is gone."""
UNAUTHORIZED_WAIT = 60.0
DMS_CLOSED_WAIT = 10 * 60.0
"""Seconds before a DM to closed DMs is tried again (the member was asked to open them)."""
PROMPT_EVERY = timedelta(hours=1)
"""How often one member may be asked in a channel to open their DMs."""
GLOBAL_LIMIT = 50
"""Discord's requests a second for a bot, interaction endpoints aside (``GlobalBudget``)."""
ORIGINAL: Any = "@original"
"""Discord's name for an interaction's original response (after a defer, its "thinking…"),
where a webhook route takes a message id: discord.py puts it in the path as given."""
PACE = Pace(overall=1000)
"""What the outbox worker keeps to: rows started in any second, and in flight at once. It
cannot tell an interaction's answer from a channel post, so Discord's global limit is not kept
here but per request (``GLOBAL_LIMIT``); each route's bucket is discord.py's to keep."""


class T(StrEnum):
    """The Discord adapter's own templates (the core's replies have theirs)."""

    DMS_CLOSED = "discord_dms_closed"
    COMMANDS = "discord_commands"
    POSTED = "discord_posted"
    ROLE_REASON = "discord_role_reason"
    SORRY = "discord_sorry"


class DiscordSender:
    """Deliver outbox rows through discord.py's REST client."""

    platform = PLATFORM

    def __init__(
        self,
        client: discord.Client,
        renderer: Renderer,
        live: LiveInteractions,
        now: Callable[[], datetime],
        *,
        global_limit: int | None = None,
        store: Store | None = None,
    ) -> None:
        """``store``: the database every process sending for the bot shares, through which
        they keep Discord's global limit together."""
        self._client = client
        self._renderer = renderer
        self._live = live
        self._dm_channels: dict[int, int] = {}
        self.pace = PACE
        limit = GLOBAL_LIMIT if global_limit is None else global_limit
        self._budget = GlobalBudget(limit, across=store)
        """Requests Discord counts against its global limit take a slot; answers on an
        interaction do not."""
        self._prompt = Prompt(PROMPT_EVERY, now)
        """The line asking a member to open their DMs: the slot is taken once it is sent, and a
        burst of refusals queues one."""
        self._parts = Parts()
        """Parts of a long message Discord already took, so a retry goes on from the next."""
        self._labels: dict[int, list[str]] = {}
        """The button labels of each row being delivered, by outbox id, rendered beforehand."""

    def elsewhere(self, message: OutboxMessage) -> bool:
        """Whether another process may hold the interaction the row answers (it came through
        another shard): that one answers it in place, where this one could only post it."""
        token = message.target.interaction
        return (
            token is not None
            and self._live.get(token) is None
            and self._live.replayed(token) is None
        )

    async def deliver(self, message: OutboxMessage) -> str | None:
        try:
            return await self._deliver(message)
        except discord.Forbidden as refused:
            raise Undeliverable(f"forbidden ({refused.code})") from refused
        except discord.NotFound as gone:
            raise Undeliverable(f"not found ({gone.code})") from gone
        except discord.DiscordServerError as error:
            raise RetryLater(backoff(message.attempts), f"{error.status}") from error
        except discord.HTTPException as error:
            if error.status == 429:  # discord.py gave up waiting; Discord will take it later
                raise RetryLater(backoff(message.attempts), "429", chat_waits=True) from None
            if error.status == 401:  # the bot's token was reset: keep the row for the new one
                raise RetryLater(UNAUTHORIZED_WAIT, "401") from error
            raise Undeliverable(f"refused ({error.status}, {error.code})") from error
        except (aiohttp.ClientError, TimeoutError) as error:
            raise RetryLater(backoff(message.attempts), "network") from error

    async def _deliver(self, message: OutboxMessage) -> str | None:
        if not message.buttons:
            return await self._deliver_labelled(message)
        self._labels[message.id] = [
            await self._renderer.render_async(b.label, {}, locale=message.locale)
            for b in message.buttons
        ]
        try:
            return await self._deliver_labelled(message)
        finally:
            self._labels.pop(message.id, None)

    async def _deliver_labelled(self, message: OutboxMessage) -> str | None:
        target = message.target
        if target.withdraw is not None:
            return None  # a slash command leaves no message in the channel to delete
        if message.template == T.DMS_CLOSED:
            return await self._ask_to_open_dms(message)
        if target.grant is not None:
            return await self._grant(message)
        text = await self._renderer.render_async(
            message.template, message.context, locale=message.locale, mentions=message.mentions
        )
        parts = split_markdown(text)
        if message.edit_ref is not None:
            return await self._edit(message, parts[0])
        if target.interaction is not None:
            live = self._live.get(target.interaction)
            answered = None
            if live is not None and (not target.private or live.belongs_to(target.person)):
                answered = await self._on_live(live, message, parts)
            elif live is None:
                answered = await self._on_token(target.interaction, message, parts)
            if answered is not None:
                return answered
        if target.private:
            return await self._dm(message, parts)
        if target.chat is None:
            raise Undeliverable("no channel to send to")
        return await self._to_channel(int(target.chat), message, parts)

    # -- what goes with each message ----------------------------------------------------------

    def _mentions(self, message: OutboxMessage) -> discord.AllowedMentions:
        users = [discord.Object(int(m.person)) for m in message.mentions if m.person.isdigit()]
        return discord.AllowedMentions(everyone=False, roles=False, users=users, replied_user=False)

    def _view(self, message: OutboxMessage) -> discord.ui.View | None:
        if not message.buttons:
            return None
        labels = self._labels[message.id]
        return view_of(
            [(b.action, b.payload, label) for b, label in zip(message.buttons, labels, strict=True)]
        )

    def _file(self, message: OutboxMessage) -> discord.File | None:
        attachment = message.attachment
        if attachment is None:
            return None
        body = json.dumps(attachment.data, ensure_ascii=False, indent=2).encode()
        return discord.File(io.BytesIO(body), filename=attachment.filename)

    def _extras(self, message: OutboxMessage, last: bool) -> dict[str, Any]:
        """What goes with one part: mentions always; buttons and file with the last part."""
        extras: dict[str, Any] = {"allowed_mentions": self._mentions(message)}
        if last:
            view, file = self._view(message), self._file(message)
            if view is not None:
                extras["view"] = view
            if file is not None:
                extras["file"] = file
        return extras

    # -- sending ------------------------------------------------------------------------------

    async def _send_parts(
        self,
        message: OutboxMessage,
        parts: list[str],
        send: Callable[..., Awaitable[str]],
    ) -> str:
        """Send each part not yet sent with ``send(content, number, **extras)``; return the
        last one's ref. A part is counted as sent as soon as Discord took it."""

        async def with_extras(part: str, number: int, last: bool) -> str:
            return await send(part, number, **self._extras(message, last))

        return await self._parts.send(message.id, parts, with_extras)

    async def _through_token(
        self,
        message: OutboxMessage,
        parts: list[str],
        send: Callable[..., Awaitable[str]],
        otherwise: str,
    ) -> str | None:
        """Send the parts through an interaction's token; None when Discord says the token
        is expired or unknown, so the row goes another way (logged as ``otherwise``)."""
        try:
            return await self._send_parts(message, parts, send)
        except discord.HTTPException as error:
            if not _token_dead(error):
                raise
            log.info(otherwise)
            self._parts.forget(message.id)
            return None

    async def _to_channel(self, channel_id: int, message: OutboxMessage, parts: list[str]) -> str:
        channel = self._client.get_partial_messageable(channel_id)

        async def send(content: str, number: int, **extras: Any) -> str:
            # With a nonce Discord keeps one message if a lost answer makes us send it again.
            nonce = f"h{message.id}.{number}"[:25]
            async with self._budget.slot(message.priority, message.id):
                sent = await channel.send(content, nonce=nonce, **extras)
            return message_ref(channel_id, sent.id)

        return await self._send_parts(message, parts, send)

    async def _on_live(self, live: Live, message: OutboxMessage, parts: list[str]) -> str | None:
        """Answer on an interaction this process holds; None if Discord no longer takes it."""
        interaction = live.interaction
        channel_id = interaction.channel_id or 0
        ephemeral = message.target.private and live.in_guild
        async with live.lock:
            if live.thinking and not message.target.private:
                # A follow-up now would replace the invisible "thinking…" and stay invisible.
                return await self._public_after_defer(
                    live, interaction.followup, channel_id, message, parts
                )

            async def send(content: str, number: int, **extras: Any) -> str:
                if not interaction.response.is_done():
                    answered = await interaction.response.send_message(
                        content, ephemeral=ephemeral, **extras
                    )
                    self._parts.took(message.id, number)  # shown: never send it again
                    message_id = answered.message_id
                    if message_id is None:
                        message_id = (await interaction.original_response()).id
                    return message_ref(channel_id, message_id)
                sent = await interaction.followup.send(
                    content, ephemeral=ephemeral, wait=True, **extras
                )
                live.thinking = False
                return message_ref(channel_id, sent.id)

            return await self._through_token(
                message,
                parts,
                send,
                "an interaction's token no longer works; answering another way",
            )

    async def _public_after_defer(
        self,
        held: Live | Replayed,
        webhook: discord.Webhook,
        channel_id: int,
        message: OutboxMessage,
        parts: list[str],
    ) -> str:
        """Post a public answer in the channel and clear the "thinking…"; where the bot may
        not post, follow up instead, after turning the placeholder into a neutral line.

        ``webhook`` is the interaction's (its application and token): what reaches the
        placeholder, whether this process received the interaction or handles it again after
        a restart. The caller holds ``held``'s lock."""
        try:
            ref = await self._to_channel(channel_id, message, parts)
        except discord.Forbidden:
            log.info("cannot post in the channel; answering with a follow-up")
            self._parts.forget(message.id)
            posted = await self._renderer.render_async(T.POSTED, {}, locale=message.locale)
            await webhook.edit_message(ORIGINAL, content=posted)
            held.thinking = False

            async def send(content: str, number: int, **extras: Any) -> str:
                sent = await webhook.send(content, wait=True, **extras)
                return message_ref(channel_id, sent.id)

            return await self._send_parts(message, parts, send)
        held.thinking = False
        try:
            await webhook.delete_message(ORIGINAL)
        except discord.HTTPException:  # expired, or never deferred: nothing more to do
            log.info("could not remove a deferred interaction's placeholder")
        return ref

    async def _on_token(self, token: str, message: OutboxMessage, parts: list[str]) -> str | None:
        """Answer on an interaction this process did not receive, known by its token alone;
        None when the row goes the usual way (a DM, or the channel) instead."""
        target = message.target
        replayed = self._live.replayed(token)
        if replayed is None:
            if not target.private:
                return None
            return await self._follow_up_later(token, message, parts)
        async with replayed.lock:
            if target.private:
                answered = await self._follow_up_later(token, message, parts)
                replayed.thinking = False  # the follow-up took the placeholder's place
                return answered
            if not replayed.thinking or target.chat is None:
                return None
            return await self._public_after_defer(
                replayed, self._webhook(token), int(target.chat), message, parts
            )

    async def _follow_up_later(
        self, token: str, message: OutboxMessage, parts: list[str]
    ) -> str | None:
        """A private row for an interaction from before a restart; None if its token is dead."""
        webhook = self._webhook(token)

        async def send(content: str, number: int, **extras: Any) -> str:
            sent = await webhook.send(content, ephemeral=True, wait=True, **extras)
            return message_ref(sent.channel.id, sent.id)

        return await self._through_token(
            message,
            parts,
            send,
            "an interaction from before a restart has expired; sending by DM",
        )

    def _webhook(self, token: str) -> discord.Webhook:
        """The follow-up webhook of an interaction known only by its token."""
        application_id = self._client.application_id
        if application_id is None:
            raise RetryLater(5.0, "not logged in yet")
        data: Any = {"id": application_id, "type": 3, "token": token}
        return discord.Webhook.from_state(data, self._client._connection)

    async def _dm(self, message: OutboxMessage, parts: list[str]) -> str:
        person = message.target.person
        assert person is not None
        if not person.isdigit():
            raise Undeliverable("not a Discord user id")
        user_id = int(person)
        try:
            channel_id = await self._dm_channel(user_id, message)
            return await self._to_channel(channel_id, message, parts)
        except discord.Forbidden as refused:
            if refused.code != DMS_CLOSED:
                raise
            self._parts.forget(message.id)
            raise RetryLater(
                DMS_CLOSED_WAIT,
                "DMs closed",
                meanwhile=self._dms_closed_line(message),
                about=person_key(PLATFORM, person),
            ) from None

    async def _dm_channel(self, user_id: int, message: OutboxMessage) -> int:
        found = self._dm_channels.get(user_id)
        if found is None:
            async with self._budget.slot(message.priority, message.id):
                data = await self._client.http.start_private_message(user_id)
            found = self._dm_channels[user_id] = int(data["id"])
        return found

    def _dms_closed_line(self, message: OutboxMessage) -> Reply | None:
        """The line asking a member, in the channel, to open their DMs: queued at most once in
        a while, as urgent as the message that could not reach them."""
        target = message.target
        person = target.person
        if target.chat is None or person is None or not self._prompt.queue(person):
            return None
        return Reply(
            T.DMS_CLOSED,
            Target(PLATFORM, chat=target.chat),
            dict(Who(who={"id": person, "name": ""})),
            mentions=(Mention(person, ""),),
            priority=Priority(message.priority),
        )

    async def _ask_to_open_dms(self, message: OutboxMessage) -> str | None:
        """Say in the channel, neutrally, that a DM did not arrive (unless just said)."""
        person = about(message)
        if message.target.chat is None or self._prompt.shown_lately(person):
            return None
        text = await self._renderer.render_async(
            message.template, message.context, locale=message.locale, mentions=message.mentions
        )
        ref = await self._to_channel(int(message.target.chat), message, split_markdown(text)[:1])
        self._prompt.was_shown(person)
        return ref

    # -- edits and roles ----------------------------------------------------------------------

    async def _edit(self, message: OutboxMessage, content: str) -> str:
        ref = message.edit_ref
        assert ref is not None
        channel_text, _, message_text = ref.partition(":")
        channel_id, message_id = int(channel_text), int(message_text)
        target = message.target
        view = self._view(message)
        mentions = self._mentions(message)
        if target.interaction is not None and target.private:
            # An ephemeral message can be edited only through an interaction of its own.
            await self._webhook(target.interaction).edit_message(
                message_id, content=content, view=view, allowed_mentions=mentions
            )
            return ref
        partial = self._client.get_partial_messageable(channel_id).get_partial_message(message_id)
        async with self._budget.slot(message.priority, message.id):
            await partial.edit(content=content, view=view, allowed_mentions=mentions)
        return ref

    async def _grant(self, message: OutboxMessage) -> str | None:
        """Give a member a role; only if Discord refuses, tell the channel why, plainly."""
        grant = message.target.grant
        assert grant is not None
        reason = await self._renderer.render_async(T.ROLE_REASON, {}, locale=message.locale)
        try:
            async with self._budget.slot(message.priority, message.id):
                await self._client.http.add_role(
                    int(grant.community), int(grant.person), int(grant.role), reason=reason
                )
            return None
        except discord.NotFound:
            log.info("a milestone role or its member is gone")
            return None
        except discord.Forbidden:
            log.info("missing the permission to grant a milestone role")
        if message.target.chat is None:
            return None
        text = await self._renderer.render_async(
            message.template, message.context, locale=message.locale
        )
        await self._to_channel(int(message.target.chat), message, split_markdown(text))
        return None


def _token_dead(error: discord.HTTPException) -> bool:
    """Whether Discord refused because the interaction's token is expired or unknown."""
    return error.status == 401 or error.code in DEAD_TOKEN_CODES
