"""Process settings: read once at start from the environment (and an optional TOML file).

Every bad value is reported, one clear line each, naming the variable, before anything starts.
Tokens never appear in a repr or a log line.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

DEFAULT_DATABASE = "./homegroup.db"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_TELEGRAM_TOKEN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_LISTEN = re.compile(r"^[A-Za-z0-9.\-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$")
_KEYS = (
    "HOMEGROUP_DATABASE",
    "HOMEGROUP_TEMPLATES",
    "HOMEGROUP_LOG_LEVEL",
    "TELEGRAM_TOKEN",
    "TELEGRAM_API_URL",
    "TELEGRAM_WEBHOOK_URL",
    "TELEGRAM_WEBHOOK_SECRET",
    "TELEGRAM_WEBHOOK_LISTEN",
    "DISCORD_TOKEN",
    "DISCORD_API_URL",
    "DISCORD_GATEWAY_URL",
    "DISCORD_GUILD_IDS",
    "DISCORD_MEMBERS_INTENT",
)
_SNOWFLAKE = re.compile(r"^[0-9]{15,20}$")
_YES = ("1", "true", "yes", "on")
_NO = ("0", "false", "no", "off")


class SettingsError(Exception):
    """One or more settings are wrong; ``problems`` has a line for each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the process is configured with."""

    database: str = DEFAULT_DATABASE
    templates: Path | None = None
    log_level: str = "INFO"
    log_level_set: bool = False
    telegram_token: str | None = field(default=None, repr=False)
    telegram_api_url: str = "https://api.telegram.org"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = field(default=None, repr=False)
    telegram_webhook_listen: str = "127.0.0.1:8443"
    discord_token: str | None = field(default=None, repr=False)
    discord_api_url: str = "https://discord.com/api/v10"
    discord_gateway_url: str = "wss://gateway.discord.gg"
    discord_guild_ids: tuple[int, ...] = ()
    """Servers to sync the slash commands to at once (for trying changes); empty: globally."""
    discord_members_intent: bool = False
    """Ask for the privileged Server Members intent: member leaves and role changes arrive as
    they happen (it must also be switched on in the developer portal)."""

    @property
    def platforms(self) -> list[str]:
        """The chat platforms whose tokens are set."""
        found = []
        if self.telegram_token:
            found.append("telegram")
        if self.discord_token:
            found.append("discord")
        return found

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and check every setting; raise ``SettingsError`` listing all that are wrong."""
        env = dict(os.environ if environ is None else environ)
        problems: list[str] = []
        values = _from_file(env.get("HOMEGROUP_CONFIG", ""), problems)
        values.update({k: v for k, v in env.items() if k in _KEYS and v != ""})

        database = values.get("HOMEGROUP_DATABASE", DEFAULT_DATABASE).strip()
        if database.startswith(("postgresql://", "postgres://")):
            problems.append(
                "HOMEGROUP_DATABASE: PostgreSQL is not supported in this version yet;"
                " use a SQLite file path such as ./homegroup.db"
            )
        elif "://" in database:
            problems.append(
                "HOMEGROUP_DATABASE: give a SQLite file path (e.g. ./homegroup.db), not a URL"
            )
        elif not Path(database).expanduser().parent.is_dir():
            problems.append(f"HOMEGROUP_DATABASE: the folder for {database!r} does not exist")

        templates = None
        if "HOMEGROUP_TEMPLATES" in values:
            templates = Path(values["HOMEGROUP_TEMPLATES"]).expanduser()
            if not templates.is_dir():
                problems.append(f"HOMEGROUP_TEMPLATES: {str(templates)!r} is not a folder")

        level = values.get("HOMEGROUP_LOG_LEVEL", "INFO").strip().upper()
        if level not in LOG_LEVELS:
            problems.append(f"HOMEGROUP_LOG_LEVEL: use one of {', '.join(LOG_LEVELS)}")

        telegram_token = values.get("TELEGRAM_TOKEN", "").strip() or None
        if telegram_token and not _TELEGRAM_TOKEN.match(telegram_token):
            problems.append(
                "TELEGRAM_TOKEN: this does not look like a bot token from @BotFather"
                " (digits, a colon, then 30 or more letters)"
            )
        discord_token = values.get("DISCORD_TOKEN", "").strip() or None
        if discord_token and (len(discord_token) < 50 or any(c.isspace() for c in discord_token)):
            problems.append(
                "DISCORD_TOKEN: this does not look like a bot token from the Discord"
                " developer portal"
            )
        urls = {
            "TELEGRAM_API_URL": ("http", "https"),
            "DISCORD_API_URL": ("http", "https"),
            "DISCORD_GATEWAY_URL": ("ws", "wss"),
        }
        for key, schemes in urls.items():
            if key in values and not _is_url(values[key], schemes):
                problems.append(f"{key}: give a full {schemes[1]}:// URL")

        guild_ids: list[int] = []
        for part in values.get("DISCORD_GUILD_IDS", "").replace(",", " ").split():
            if _SNOWFLAKE.match(part):
                guild_ids.append(int(part))
            else:
                problems.append(
                    "DISCORD_GUILD_IDS: give server ids (15-20 digits), separated by commas"
                )
                break
        members_intent = values.get("DISCORD_MEMBERS_INTENT", "false").strip().lower()
        if members_intent not in (*_YES, *_NO):
            problems.append("DISCORD_MEMBERS_INTENT: use true or false")

        webhook_url = values.get("TELEGRAM_WEBHOOK_URL", "").strip() or None
        webhook_secret = values.get("TELEGRAM_WEBHOOK_SECRET", "").strip() or None
        listen = values.get("TELEGRAM_WEBHOOK_LISTEN", "127.0.0.1:8443").strip()
        if webhook_url is not None and not _is_url(webhook_url, ("https",)):
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

        if problems:
            raise SettingsError(problems)
        defaults = cls()
        return cls(
            database=database,
            templates=templates,
            log_level=level,
            log_level_set="HOMEGROUP_LOG_LEVEL" in values,
            telegram_token=telegram_token,
            telegram_api_url=values.get("TELEGRAM_API_URL", defaults.telegram_api_url).rstrip("/"),
            telegram_webhook_url=webhook_url,
            telegram_webhook_secret=webhook_secret,
            telegram_webhook_listen=listen,
            discord_token=discord_token,
            discord_api_url=values.get("DISCORD_API_URL", defaults.discord_api_url).rstrip("/"),
            discord_gateway_url=values.get("DISCORD_GATEWAY_URL", defaults.discord_gateway_url),
            discord_guild_ids=tuple(dict.fromkeys(guild_ids)),
            discord_members_intent=members_intent in _YES,
        )


def _from_file(path: str, problems: list[str]) -> dict[str, str]:
    """Read settings from the TOML file named by HOMEGROUP_CONFIG, if any."""
    if not path:
        return {}
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError:
        problems.append(f"HOMEGROUP_CONFIG: cannot read {path!r}")
        return {}
    except tomllib.TOMLDecodeError as error:
        problems.append(f"HOMEGROUP_CONFIG: {path!r} is not valid TOML ({error})")
        return {}
    values: dict[str, str] = {}
    for key, value in data.items():
        name = key.upper()
        if name not in _KEYS:
            problems.append(f"HOMEGROUP_CONFIG: unknown setting {key!r}")
        elif not isinstance(value, str):
            problems.append(f"HOMEGROUP_CONFIG: {key} must be a string")
        else:
            values[name] = value
    return values


def _is_url(value: str, schemes: tuple[str, ...]) -> bool:
    parsed = urlparse(value)
    return parsed.scheme in schemes and bool(parsed.netloc)


def configure_logging(level: str) -> None:
    """Log to stderr; keep the libraries quiet that would log what we may not: httpx's
    request URLs hold the Telegram token, aiosqlite logs every query with its values, and
    discord.py at DEBUG logs every event and body (members' text, interaction tokens)."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
    logging.getLogger("discord").setLevel(max(logging.INFO, logging.getLevelName(level)))
