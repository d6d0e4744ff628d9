"""Run Homegroup on Discord: a discord.py client that hands every interaction to the core.

Life cycle: ``setup_hook`` runs once per login, before the gateway connects; it registers the
buttons, syncs the slash commands if their definitions changed, and starts the outbox sender.
Nothing starts in ``on_ready``, which fires again after every new session. Reconnects and
resumes are discord.py's own.

Discord never sends an interaction twice, so none is acknowledged before it is safe: the core
commits its effect first, or, when the core is slower than Discord's 3 s allow, it is kept in the
inbox before the defer. A kept interaction that this process does not finish (it failed, or the
process died) is handled from the inbox: tried again, then set aside (``adapters.inbox``). A
command kept by a process that died is answered by the next one as any other, and the
"thinking…" its defer showed is removed by its first public answer while its token lasts (15
minutes; after that nothing can reach it, and the answer goes on without).

Several processes may share one bot, each holding some of its shards (``DISCORD_SHARDS``):
Discord sends a server's interactions only on the shard that owns it. A process alone on the
bot takes back every kept interaction at start (they were its own before it stopped); one that
shares it does not, since another live process may be handling them: a kept interaction whose
process died falls due after ``HELD``, for whichever process looks first (each looks every
``LOOK_AGAIN``). Both may handle the same one at worst; the core's claim of its key lets only
one have its effect.

Every text the adapter renders while it serves (its own lines, button labels, the commands'
descriptions at each login) is awaited with ``render_async``: an override renders in a worker
process within its time budget, and a runaway one never holds the event loop, nor anyone else's
interaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import timedelta
from typing import Any

import aiohttp
import discord

from adapters.discord import patches
from adapters.discord.buttons import HomegroupButton
from adapters.discord.commands import definitions, descriptions, discord_locales, fingerprint
from adapters.discord.contexts import CONTEXTS
from adapters.discord.dialect import DiscordDialect
from adapters.discord.live import Live, LiveInteractions
from adapters.discord.sender import DiscordSender, T
from adapters.discord.settings import DiscordSettings
from adapters.discord.translate import (
    CUSTOM_ID,
    PLATFORM,
    author_of,
    bot_joined,
    bot_left,
    button_inbound,
    command_inbound,
    created_at,
    member_left,
    message_ref,
    restored,
    roles_changed,
    stored,
)
from adapters.inbox import Inbox
from bot.app import App
from bot.domain.inbound import ButtonPressed, CommandIssued, Inbound
from bot.domain.replies import Template
from bot.domain.zones import suggest_zones
from bot.language import DEFAULT_LOCALE, available_locales
from bot.settings import Settings
from bot.storage.leader import shared_by_processes

log = logging.getLogger(__name__)

ACK_WITHIN = 1.5
"""Seconds to wait for the core's first reply before deferring (Discord allows 3): however
many interactions are in hand, each is answered directly whenever its answer comes in time."""
DEFER_BY = 2.0
"""Defer at the latest this long after Discord created the interaction, however late it came."""
ADMIT = 16
"""Interactions the core handles at once; the rest wait their turn here, so the outbox's own
reads and writes wait behind few, and answers leave while later interactions are handled."""
DRAIN = 5.0
"""Seconds a stopping process gives the interactions in hand to finish (a service manager
allows about 10 after SIGTERM) before it cancels the rest."""
PATIENCE = 60.0
"""Seconds a deferred "thinking…" may wait for its answer before the member hears sorry."""
HELD = timedelta(seconds=60)
"""How long a kept interaction is left to the task handling it before the inbox takes it."""
LOOK_AGAIN = HELD.total_seconds() / 2
"""How often (seconds) a process that shares the bot looks in the inbox unprompted: nothing
tells it when another process that kept interactions dies."""
COMMANDS_SYNC = "discord.commands"
"""The meta key of the last sync: the command set's fingerprint and where it went."""
MAX_SUGGESTIONS = 25
UNREACHABLE = (OSError, aiohttp.ClientError, discord.GatewayNotFound, discord.DiscordServerError)
"""What a network that is down, or an address nothing answers on, raises at login."""
MOST_PAUSE = 60.0
"""The longest pause, in seconds, between tries to reach a Discord that cannot be reached."""


def intents(settings: DiscordSettings) -> discord.Intents:
    """Servers and their channels; members (privileged) only when the deployment enabled it."""
    chosen = discord.Intents.none()
    chosen.guilds = True
    chosen.members = settings.members_intent
    return chosen


class HomegroupClient(discord.Client):
    """The discord.py client; everything it hears goes to the adapter."""

    def __init__(self, adapter: DiscordAdapter, **options: Any) -> None:
        super().__init__(allowed_mentions=discord.AllowedMentions.none(), **options)
        self.button_handler = adapter
        self._adapter = adapter

    async def setup_hook(self) -> None:
        await self._adapter.setup()

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        await self._adapter.on_interaction(interaction)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        channel = guild.system_channel
        await self._adapter.handle(bot_joined(guild.id, None if channel is None else channel.id))

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await self._adapter.handle(bot_left(guild.id))

    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        await self._adapter.handle(member_left(payload.guild_id, payload.user.id))

    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        if before.roles != after.roles:
            await self._adapter.handle(roles_changed(after))

    async def close(self) -> None:
        try:
            await self._adapter.stop()
        finally:
            await super().close()


class HomegroupShardedClient(HomegroupClient, discord.AutoShardedClient):
    """The same client holding several shards, or some of the bot's shards only."""


class DiscordAdapter:
    """Discord for one bot token: receive interactions, translate them, send the outbox."""

    def __init__(self, app: App, settings: Settings, **client_options: Any) -> None:
        """``client_options`` go to ``discord.Client`` (tests pass a loopback-only trace)."""
        own = settings.section(DiscordSettings)
        assert own.token is not None
        patches.apply(own)
        self._app = app
        self._settings = own
        self.live = LiveInteractions()
        self._client_options = client_options
        self.client = self._new_client()
        self._renderer = app.renderer(DiscordDialect(), CONTEXTS)
        self._tasks: list[asyncio.Task[Any]] = []
        self._admitted = asyncio.Semaphore(ADMIT)
        self._timers: set[asyncio.TimerHandle] = set()
        """One per interaction until its time to answer is up (then, if unanswered, a guard)."""
        self._handling: set[asyncio.Task[Any]] = set()
        """The tasks of the interactions the core is handling now."""
        self._guards: set[asyncio.Task[Any]] = set()
        """One per interaction that was not answered in time: it defers, then waits for a
        sorry."""
        self._typed: dict[str, CommandIssued | ButtonPressed] = {}
        """Kept interactions that failed, as typed, by key: the inbox holds them without some
        words, which their next try in this process still has."""
        self.inbox = Inbox(app.store, app.clock, PLATFORM, self._replay, author_of, app.wake)
        self.setups = 0
        """How often ``setup`` ran: once per login, however often the gateway reconnects."""

    def _new_client(self) -> HomegroupClient:
        own = self._settings
        options = {"intents": intents(own), **self._client_options}
        if own.shard_count is None:
            return HomegroupClient(self, **options)
        held = list(own.shard_ids) or None
        return HomegroupShardedClient(self, shard_count=own.shard_count, shard_ids=held, **options)

    async def run(self) -> None:
        """Serve until cancelled; closing the client stops the outbox sender too.

        While Discord cannot be reached at all (no network yet, an address nothing answers
        on), one line says so and a fresh client tries again after a growing pause, so a bot
        started before its network comes up with it. Once connected, discord.py reconnects
        by itself (``patches`` keeps its lines about a network that is down to one line too).
        """
        token = self._settings.token
        assert token is not None
        tries = 0
        while True:
            try:
                async with self.client:
                    await self.client.start(token)
                return
            except Exception as error:
                reason = _unreachable(error, self.client)
                if reason is None:
                    raise
                tries += 1
                pause = min(MOST_PAUSE, 2.0**tries)
                log.warning("Discord cannot be reached (%s); trying again in %.0f s", reason, pause)
            await asyncio.sleep(pause)
            self.client = self._new_client()

    def connected(self) -> dict[str, bool]:
        """Whether each shard this process holds has its gateway session up: for ``/healthz``."""
        client = self.client
        up = not client.is_closed()
        if isinstance(client, discord.AutoShardedClient):
            live = {n: not info.is_closed() for n, info in client.shards.items()}
            return {str(n): up and live.get(n, False) for n in self._settings.shards}
        return {"0": up and client.is_ready()}

    async def setup(self) -> None:
        self.setups += 1
        self.client.add_dynamic_items(HomegroupButton)
        await self._sync_commands()
        sender = DiscordSender(
            self.client,
            self._renderer,
            self.live,
            self._app.clock.now,
            store=self._app.store if shared_by_processes(self._app.store) else None,
        )
        worker = self._app.add_sender(sender)
        self._tasks.append(asyncio.create_task(worker.run(), name="discord outbox"))
        # Before the gateway connects, so nothing kept now is this process's own: interactions
        # kept by a process that stopped before handling them are handled at once.
        if self._settings.shares_the_bot:
            self._tasks.append(asyncio.create_task(self._look_again(), name="discord inbox"))
        else:
            async with self._app.store.transaction() as tx:
                await tx.inbox.release(PLATFORM, self._app.clock.now())
        self._tasks.append(asyncio.create_task(self.inbox.work(), name="discord updates"))

    async def _look_again(self) -> None:
        while True:
            await asyncio.sleep(LOOK_AGAIN)
            self.inbox.wake()

    async def stop(self) -> None:
        """Let the interactions in hand finish (for ``DRAIN`` at most), then stop the rest."""
        try:
            if self._handling:
                await asyncio.wait(self._handling, timeout=DRAIN)
        finally:
            await self._stop_tasks()

    async def _stop_tasks(self) -> None:
        handling = list(self._handling)
        for task in handling:
            task.cancel()  # not kept: not acknowledged either; kept: the inbox has it
        await asyncio.gather(*handling, return_exceptions=True)
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        for task in [*self._tasks, *self._guards]:
            task.cancel()
        for task in [*self._tasks, *self._guards]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def handle(self, inbound: Inbound) -> None:
        await self._app.core.handle(inbound)

    # -- slash commands -----------------------------------------------------------------------

    async def _sync_commands(self) -> None:
        """Send the command set to Discord only when it (or where it goes) changed.

        Commands go to the servers in ``DISCORD_GUILD_IDS``, else globally; places that had
        them from an earlier sync and are no longer listed are emptied, so no server shows a
        command twice. A refusal is logged and the bot carries on with what Discord has.
        """
        application_id = self.client.application_id
        assert application_id is not None
        described = descriptions(await self._renderer.render_async(T.COMMANDS, {}))
        localized: dict[str, dict[str, str]] = {}
        for locale in available_locales():
            if locale != DEFAULT_LOCALE:
                text = await self._renderer.render_async(T.COMMANDS, {}, locale=locale)
                localized |= dict.fromkeys(discord_locales(locale), descriptions(text))
        payload = definitions(described, localized)
        places: list[int | None] = list(self._settings.guild_ids) or [None]
        wanted = fingerprint(payload, application_id, places)
        async with self._app.store.transaction() as tx:
            synced = _read_sync(await tx.meta.get(COMMANDS_SYNC))
        if synced is not None and synced[0] == wanted:
            log.info("slash commands unchanged; not syncing")
            return
        http = self.client.http
        try:
            for place in places:
                await _put_commands(http, application_id, place, payload)
            for old in synced[1] if synced is not None else []:
                if old not in places:
                    await _put_commands(http, application_id, old, [])
        except discord.HTTPException as error:
            log.error(
                "Discord refused the slash commands (%s %s); the bot runs with what it has",
                error.status,
                error.code,
            )
            return
        async with self._app.store.transaction() as tx:
            await tx.meta.set(COMMANDS_SYNC, json.dumps({"hash": wanted, "places": places}))
        log.info("slash commands synced (%d)", len(payload))

    # -- interactions -------------------------------------------------------------------------

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        kind = interaction.type
        if kind is discord.InteractionType.autocomplete:
            await self._suggest_zones(interaction)
        elif kind is discord.InteractionType.application_command:
            await self._on_command(interaction)
        elif kind is discord.InteractionType.component:
            data: dict[str, Any] = dict(interaction.data or {})
            pressed = str(data.get("custom_id", ""))
            if CUSTOM_ID.fullmatch(pressed) is None or pressed not in _custom_ids(interaction):
                await self._refuse_stale(interaction)
            # discord.py calls HomegroupButton.callback for ours, and ignores any other.

    async def _on_command(self, interaction: discord.Interaction[Any]) -> None:
        inbound = command_inbound(interaction)
        if inbound is None:
            return
        live = self.live.add(interaction, inbound)
        self._watch(live)
        await self._handle_live(live)

    async def _handle_live(self, live: Live) -> None:
        """Hand an interaction to the core, noting the task that handles it: a process that
        stops lets it finish (or cancels it) before the store closes."""
        task = asyncio.current_task()
        assert task is not None
        self._handling.add(task)
        try:
            await self._to_core(live)
        finally:
            self._handling.discard(task)

    async def _to_core(self, live: Live) -> None:
        """Hand an interaction to the core; if it fails, say sorry, or, once it was kept and
        acknowledged, leave it to the inbox to try again."""
        inbound = live.inbound
        assert inbound is not None
        try:
            async with self._admitted:
                await self._app.core.handle(inbound)
        except Exception as error:
            async with live.lock:
                live.settled = True
                kept = live.kept
            if not kept:
                log.exception("a Discord interaction failed")
                await self._sorry(live)
                return
            self._typed[inbound.dedupe_key] = inbound
            await self.inbox.failed(inbound.dedupe_key, stored(inbound), error)
            self.inbox.wake()
            return
        async with live.lock:
            live.settled = True

    async def _keep(self, live: Live) -> bool:
        """Store the interaction before it is acknowledged; False if it cannot be stored."""
        inbound = live.inbound
        if inbound is None or live.settled or live.kept:
            return True
        now = self._app.clock.now()
        try:
            async with self._app.store.transaction() as tx:
                await tx.inbox.store(
                    inbound.dedupe_key, PLATFORM, stored(inbound), now, due=now + HELD
                )
        except Exception:
            log.exception("could not keep a Discord interaction; not acknowledging it")
            return False
        live.kept = True
        return True

    def _watch(self, live: Live) -> None:
        """When the interaction's time to be answered directly is up (counting from when
        Discord created it), defer it unless it was answered: a timer, not a task, since
        nearly every interaction is answered before."""
        age = (discord.utils.utcnow() - live.interaction.created_at).total_seconds()
        delay = min(ACK_WITHIN, max(0.0, DEFER_BY - age))
        loop = asyncio.get_running_loop()
        timer = loop.call_later(delay, self._time_up, live)
        live.timer = timer
        self._timers.add(timer)

    def _time_up(self, live: Live) -> None:
        timer = live.timer
        if timer is not None:
            self._timers.discard(timer)
            live.timer = None
        if live.interaction.response.is_done():
            return  # answered: nothing left to guard
        task = asyncio.create_task(self._acknowledge_in_time(live), name="discord ack guard")
        self._guards.add(task)
        task.add_done_callback(self._guards.discard)

    async def _acknowledge_in_time(self, live: Live) -> None:
        """Defer if no reply came in time; later, say sorry rather than leave a "thinking…"
        that never ends."""
        await self._defer(live)
        if not live.thinking:
            return
        await asyncio.sleep(PATIENCE)
        if live.thinking:
            await self._sorry(live)

    async def _defer(self, live: Live) -> bool:
        """Acknowledge unless answered already, once the interaction is safe (its effect
        committed, or kept in the inbox): a command with an unseen "thinking…", a press by
        leaving its message as it is. True if deferred."""
        async with live.lock:
            response = live.interaction.response
            if response.is_done() or not await self._keep(live):
                return False
            try:
                if live.pressed:
                    await response.defer()
                else:
                    await response.defer(ephemeral=live.in_guild, thinking=True)
            except discord.HTTPException:
                log.warning("could not defer a slow interaction")
                return False
            live.thinking = not live.pressed
            return True

    async def _sorry(self, live: Live) -> None:
        """Tell the member, unseen, that their answer did not come; never leave them waiting."""
        text = await self._renderer.render_async(T.SORRY, {})
        async with live.lock:
            try:
                if not live.interaction.response.is_done():
                    await live.interaction.response.send_message(text, ephemeral=True)
                elif live.thinking:
                    await live.interaction.edit_original_response(content=text)
                    live.thinking = False
            except discord.HTTPException:
                log.info("could not tell a member their answer did not come")

    async def on_button(
        self, interaction: discord.Interaction[Any], action: str, payload: str
    ) -> None:
        """A press of one of our buttons: let the core decide, then acknowledge it if no
        answer did (or, if the core is slow, keep it and acknowledge in time)."""
        message = interaction.message
        outbox_id = None
        if message is not None:
            ref = message_ref(message.channel.id, message.id)
            async with self._app.store.transaction() as tx:
                outbox_id = await tx.outbox.by_ref(PLATFORM, ref)
        inbound = button_inbound(interaction, action, payload, message_id=outbox_id)
        live = self.live.add(interaction, inbound)
        self._watch(live)
        await self._handle_live(live)
        await self._defer(live)  # the message stays as it is, for now

    async def _replay(self, key: str, payload: str) -> None:
        """Handle a kept interaction from the inbox: one that failed here, or that a process
        which stopped had acknowledged without finishing."""
        inbound = self._typed.get(key) or restored(payload)
        self._replaying(inbound)
        await self._app.core.handle(inbound)
        self._typed.pop(key, None)

    def _replaying(self, inbound: CommandIssued | ButtonPressed) -> None:
        """A command a process that stopped received, and may have deferred: tell the sender
        its answer is to clear that "thinking…" (a press's defer left its message as it was).
        One this process received is live already, its state known."""
        token = inbound.origin.interaction
        created = created_at(inbound.dedupe_key)
        if not isinstance(inbound, CommandIssued) or token is None or created is None:
            return
        if self.live.get(token) is None:
            self.live.replay(token, (discord.utils.utcnow() - created).total_seconds())

    async def _refuse_stale(self, interaction: discord.Interaction[Any]) -> None:
        """A button we never made (forged, or from another bot's era): say so, change nothing."""
        text = await self._renderer.render_async(Template.BUTTON_UNKNOWN, {})
        try:
            await interaction.response.send_message(text, ephemeral=True)
        except discord.HTTPException:
            log.info("could not answer an unknown button")

    async def _suggest_zones(self, interaction: discord.Interaction[Any]) -> None:
        """Time-zone names for what the member has typed so far."""
        typed = ""
        data: dict[str, Any] = dict(interaction.data or {})
        for option in data.get("options") or []:
            if isinstance(option, dict) and option.get("focused"):
                typed = str(option.get("value") or "")
        names = suggest_zones(typed, MAX_SUGGESTIONS)
        choices = [discord.app_commands.Choice(name=n, value=n) for n in names]
        try:
            await interaction.response.autocomplete(choices)
        except discord.HTTPException:
            log.info("could not answer a time-zone autocomplete")


def _unreachable(error: Exception, client: discord.Client) -> str | None:
    """The type of network error that stopped the client, or None if it was something else.

    discord.py 2.7, when its first gateway connection fails, reads the websocket it never had
    to resume it (an AttributeError while handling the network's error): that error counts.
    """
    if isinstance(error, AttributeError) and client.ws is None:
        error = error.__context__ if isinstance(error.__context__, Exception) else error
    return type(error).__name__ if isinstance(error, UNREACHABLE) else None


def _custom_ids(interaction: discord.Interaction[Any]) -> set[str]:
    """The button ids on the pressed message: Discord sends no other, so any other is forged."""
    message = interaction.message
    found: set[str] = set()
    for row in message.components if message is not None else ():
        for item in getattr(row, "children", (row,)):
            custom = getattr(item, "custom_id", None)
            if custom:
                found.add(str(custom))
    return found


async def _put_commands(
    http: discord.http.HTTPClient,
    application_id: int,
    place: int | None,
    payload: list[dict[str, Any]],
) -> None:
    if place is None:
        await http.bulk_upsert_global_commands(application_id, payload)
    else:
        await http.bulk_upsert_guild_commands(application_id, place, payload)


def _read_sync(stored: str | None) -> tuple[str, list[int | None]] | None:
    """The last sync's fingerprint and places; None when there was none (or it is unreadable)."""
    if stored is None:
        return None
    try:
        data = json.loads(stored)
        places = [None if p is None else int(p) for p in data["places"]]
        return str(data["hash"]), places
    except (ValueError, KeyError, TypeError):
        return None
