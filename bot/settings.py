"""Process settings: read once at start from the environment (and an optional TOML file).

Every bad value is reported, one clear line each, naming the variable, before anything starts.
Tokens never appear in a repr or a log line.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar, Protocol, Self, TypeVar
from urllib.parse import urlparse

DEFAULT_DATABASE = "./homegroup.db"
DEFAULT_CONSOLE_DATABASE = "./homegroup-console.db"
"""The console's own file, so trying Homegroup out never mixes demo data with a real group's."""
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")
KEYS = (
    "HOMEGROUP_DATABASE",
    "HOMEGROUP_TEMPLATES",
    "HOMEGROUP_LOG_LEVEL",
    "HOMEGROUP_LOG_FORMAT",
    "HOMEGROUP_HTTP",
    "HOMEGROUP_CONSOLE_DATABASE",
)
"""The core's own settings; each platform's are its adapter's (``adapters/<p>/settings.py``)."""
YES = ("1", "true", "yes", "on")
NO = ("0", "false", "no", "off")


class SettingsError(Exception):
    """One or more settings are wrong; ``problems`` has a line for each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Section(Protocol):
    """A platform's own settings, which its adapter reads and checks: the core knows only
    whether the platform is to be served."""

    platform: ClassVar[str]
    keys: ClassVar[tuple[str, ...]]
    """The variables it reads, so a settings file naming any other is refused."""

    @property
    def served(self) -> bool:
        """Whether this deployment serves the platform (its token is set)."""
        ...

    @classmethod
    def read(cls, values: Mapping[str, str], problems: list[str]) -> Self:
        """Read the section from the set variables; add one clear line a bad value."""
        ...


S = TypeVar("S", bound=Section)


@dataclass(frozen=True, slots=True)
class TokenSection:
    """The start of a platform's section: a bot token, whose presence serves the platform."""

    token: str | None = field(default=None, repr=False)

    @property
    def served(self) -> bool:
        return bool(self.token)


def read_token(values: Mapping[str, str], key: str, problems: list[str]) -> str | None:
    """The token in ``key``, or in the file ``key_FILE`` names (a container secret). A problem
    line names the variable and the file, never what the file holds."""
    plain = values.get(key, "").strip() or None
    path = values.get(f"{key}_FILE", "").strip()
    if not path:
        return plain
    if plain is not None:
        problems.append(f"{key}_FILE: set either {key} or {key}_FILE, not both")
        return None
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else "not text"
        problems.append(f"{key}_FILE: cannot read {path!r} ({reason.lower()})")
        return None
    token = text.strip()
    if not token:
        problems.append(f"{key}_FILE: {path!r} is empty")
        return None
    return token


def parse_listen(value: str) -> tuple[str, int] | None:
    """``host:port`` (or ``[v6]:port``) as a pair; None when it is not one."""
    match = _LISTEN.match(value.strip())
    if match is None:
        return None
    host, port = match.group(1) or match.group(2), int(match.group(3))
    return (host, port) if 0 < port < 65536 else None


_LISTEN = re.compile(r"^(?:([A-Za-z0-9.\-]+)|\[([0-9a-fA-F:]+)\]):(\d{1,5})$")


def check_urls(
    values: Mapping[str, str], schemes: Mapping[str, tuple[str, ...]], problems: list[str]
) -> None:
    """Add a line for each variable set that is not a full URL of its schemes (the last one
    named: the one to use)."""
    for key, allowed in schemes.items():
        if key in values and not is_url(values[key], allowed):
            problems.append(f"{key}: give a full {allowed[-1]}:// URL")


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the process is configured with."""

    database: str = field(default=DEFAULT_DATABASE, repr=False)
    """A SQLite file path, or a PostgreSQL URL (which may hold a password: never shown)."""
    templates: Path | None = None
    log_level: str = "INFO"
    log_level_set: bool = False
    log_format: str = "text"
    http: tuple[str, int] | None = None
    """Where to serve /healthz and /metrics; None: not served."""
    console_database: str = DEFAULT_CONSOLE_DATABASE
    sections: tuple[Section, ...] = ()
    """Each platform's own settings, as its adapter read them."""

    @property
    def platforms(self) -> list[str]:
        """The chat platforms whose tokens are set."""
        return [section.platform for section in self.sections if section.served]

    def section(self, kind: type[S]) -> S:
        """The settings of one platform; its defaults (not served) when none were read."""
        for section in self.sections:
            if isinstance(section, kind):
                return section
        return kind.read({}, [])

    @classmethod
    def load(
        cls, environ: Mapping[str, str] | None = None, sections: Sequence[type[Section]] = ()
    ) -> Settings:
        """Read and check every setting, the core's and each of ``sections``; raise
        ``SettingsError`` listing all that are wrong."""
        env = dict(os.environ if environ is None else environ)
        problems: list[str] = []
        known = (*KEYS, *(key for section in sections for key in section.keys))
        values = _from_file(env.get("HOMEGROUP_CONFIG", ""), known, problems)
        values.update({k: v for k, v in env.items() if k in known and v != ""})

        database = values.get("HOMEGROUP_DATABASE", DEFAULT_DATABASE).strip()
        if database.startswith(("postgresql://", "postgres://")):
            pass  # PostgreSQL: the server answers for the rest when the store opens
        elif "://" in database:
            problems.append(
                "HOMEGROUP_DATABASE: give a SQLite file path (e.g. ./homegroup.db)"
                " or a postgresql:// URL"
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

        log_format = values.get("HOMEGROUP_LOG_FORMAT", "text").strip().lower()
        if log_format not in LOG_FORMATS:
            problems.append(f"HOMEGROUP_LOG_FORMAT: use one of {', '.join(LOG_FORMATS)}")

        http = None
        if "HOMEGROUP_HTTP" in values:
            http = parse_listen(values["HOMEGROUP_HTTP"])
            if http is None:
                problems.append("HOMEGROUP_HTTP: give host:port, like 127.0.0.1:9464")

        console_database = values.get(
            "HOMEGROUP_CONSOLE_DATABASE", DEFAULT_CONSOLE_DATABASE
        ).strip()
        if not Path(console_database).expanduser().parent.is_dir():
            problems.append(
                f"HOMEGROUP_CONSOLE_DATABASE: the folder for {console_database!r} does not exist"
            )

        read = tuple(section.read(values, problems) for section in sections)
        if problems:
            raise SettingsError(problems)
        return cls(
            database=database,
            templates=templates,
            log_level=level,
            log_level_set="HOMEGROUP_LOG_LEVEL" in values,
            log_format=log_format,
            http=http,
            console_database=console_database,
            sections=read,
        )


def _from_file(path: str, known: Sequence[str], problems: list[str]) -> dict[str, str]:
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
        if name not in known:
            problems.append(f"HOMEGROUP_CONFIG: unknown setting {key!r}")
        elif not isinstance(value, str):
            problems.append(f"HOMEGROUP_CONFIG: {key} must be a string")
        else:
            values[name] = value
    return values


def is_url(value: str, schemes: tuple[str, ...]) -> bool:
    """Whether ``value`` is a full URL of one of ``schemes``, host included."""
    parsed = urlparse(value)
    return parsed.scheme in schemes and bool(parsed.netloc)


class JsonFormatter(logging.Formatter):
    """One JSON object a line (time, level, logger, message), for log collectors. It prints
    the same lines the text format does, so the same rule holds: what we log never names a
    token, a member's words, a clean date, a relapse or a contact."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(level: str, quiet: Iterable[str] = (), log_format: str = "text") -> None:
    """Log to stderr; keep the libraries quiet that would log what we may not: httpx's
    request URLs hold a bot token, aiosqlite logs every query with its values, and the
    ``quiet`` ones (a platform library, named by its adapter) log members' words at DEBUG."""
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
    for name in quiet:
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level)))
