"""All Homegroup changes in discord.py's process-wide state, in one place, each with its reason.

discord.py keeps a few things in class attributes and its module logger rather than per client.
``apply`` sets them when the Discord adapter starts, before its client is built; nothing else
in Homegroup writes to discord.py's globals.
"""

from __future__ import annotations

import logging

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl

from adapters.discord.settings import DiscordSettings


def apply(settings: DiscordSettings) -> None:
    """Quiet discord.py's log, aim it at the configured addresses, spare it voice warnings."""
    _keep_members_words_out_of_the_log()
    _network_errors_in_one_line()
    _point_at(settings.api_url, settings.gateway_url)
    _no_voice_warnings()


def _keep_members_words_out_of_the_log() -> None:
    """discord.py logs every gateway event and REST body at DEBUG: members' text, and the
    interaction tokens in webhook paths. None of it may reach a log, at any level."""
    library_log = logging.getLogger("discord")
    library_log.setLevel(max(library_log.level, logging.INFO))


class _OneLine(logging.Filter):
    """A record about an error of the network loses its traceback and names the error's type."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, NETWORK):
            reason = type(error).__name__
            record.msg = f"{record.getMessage()} (Discord cannot be reached: {reason})"
            record.args = None
            record.exc_info = record.exc_text = None
        return True


NETWORK = (OSError, aiohttp.ClientError, discord.GatewayNotFound)


def _network_errors_in_one_line() -> None:
    """discord.py logs each failed reconnect with a traceback: a network that is down is no bug
    in anyone's code, and a traceback every few seconds would bury what is."""
    for name in ("discord.client", "discord.shard"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _OneLine) for f in logger.filters):
            logger.addFilter(_OneLine())


def _point_at(api_url: str, gateway_url: str) -> None:
    """``DISCORD_API_URL`` and ``DISCORD_GATEWAY_URL``: discord.py reads its REST base and its
    gateway from class attributes, not from the client (the gateway must be a ``yarl.URL``)."""
    discord.http.Route.BASE = api_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def _no_voice_warnings() -> None:
    """The bot never joins voice; spare every start two warnings about voice libraries."""
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
