"""Telegram's settings section: the bot token, the Bot API address, and the webhook if any."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Self

from adapters.telegram.platform import PLATFORM
from bot.settings import TokenSection, check_urls, is_url, read_token

_TOKEN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_LISTEN = re.compile(r"^[A-Za-z0-9.\-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$")


@dataclass(frozen=True, slots=True)
class TelegramSettings(TokenSection):
    """How this deployment reaches Telegram; served only when a token is set."""

    platform: ClassVar[str] = PLATFORM
    keys: ClassVar[tuple[str, ...]] = (
        "TELEGRAM_TOKEN",
        "TELEGRAM_TOKEN_FILE",
        "TELEGRAM_API_URL",
        "TELEGRAM_WEBHOOK_URL",
        "TELEGRAM_WEBHOOK_SECRET",
        "TELEGRAM_WEBHOOK_LISTEN",
    )

    api_url: str = "https://api.telegram.org"
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_listen: str = "127.0.0.1:8443"

    @classmethod
    def read(cls, values: Mapping[str, str], problems: list[str]) -> Self:
        """Read Telegram's variables; a bad one adds a line to ``problems`` naming it."""
        defaults = cls()
        token = read_token(values, "TELEGRAM_TOKEN", problems)
        if token and not _TOKEN.match(token):
            problems.append(
                "TELEGRAM_TOKEN: this does not look like a bot token from @BotFather"
                " (digits, a colon, then 30 or more letters)"
            )
        check_urls(values, {"TELEGRAM_API_URL": ("http", "https")}, problems)
        webhook_url = values.get("TELEGRAM_WEBHOOK_URL", "").strip() or None
        webhook_secret = values.get("TELEGRAM_WEBHOOK_SECRET", "").strip() or None
        listen = values.get("TELEGRAM_WEBHOOK_LISTEN", defaults.webhook_listen).strip()
        if webhook_url is not None and not is_url(webhook_url, ("https",)):
            problems.append("TELEGRAM_WEBHOOK_URL: give the full https:// URL Telegram should call")
        if webhook_url is not None and webhook_secret is None:
            problems.append(
                "TELEGRAM_WEBHOOK_SECRET: set a secret (1-256 letters, digits, _ or -) so only"
                " Telegram can post updates to the webhook"
            )
        if webhook_secret is not None and not _WEBHOOK_SECRET.match(webhook_secret):
            problems.append("TELEGRAM_WEBHOOK_SECRET: use 1-256 letters, digits, _ or -")
        if not _LISTEN.match(listen) or not 0 < int(listen.rpartition(":")[2]) < 65536:
            problems.append("TELEGRAM_WEBHOOK_LISTEN: give host:port, like 127.0.0.1:8443")
        return cls(
            token=token,
            api_url=values.get("TELEGRAM_API_URL", defaults.api_url).rstrip("/"),
            webhook_url=webhook_url,
            webhook_secret=webhook_secret,
            webhook_listen=listen,
        )
