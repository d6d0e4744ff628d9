"""Fixtures shared by the suite: a store per backend, a manual clock, an app and a console."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from adapters.console import Console
from adapters.platforms import every_platform
from bot.app import App, bootstrap
from bot.clock import ManualClock
from bot.core import Core
from bot.domain.inbound import ButtonPressed, CommandIssued, Origin
from bot.domain.model import community_key
from bot.settings import Settings, configure_logging
from bot.storage import Store
from bot.storage.sqlite import SqliteStore
from tests.fakes.discord_fixtures import fake_discord  # noqa: F401
from tests.fakes.fixtures import fake_telegram, telegram_bot  # noqa: F401

# Property tests judge behaviour, never speed: on a loaded 2-core CI machine a deadline or a
# "too slow" health check would fail a correct test.
settings.register_profile("homegroup", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("homegroup")

START = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
"""Tests run at a fixed instant: noon UTC on 29 November 2026."""


BACKENDS: dict[str, Callable[[Path], Awaitable[Store]]] = {
    "sqlite": lambda folder: SqliteStore.open(folder / "homegroup.db"),
}
"""Every storage backend, by name, opened in an empty folder: the contract suite (and every
test that takes the ``store`` fixture) runs once on each. A new backend joins with one line."""


@pytest.fixture(params=list(BACKENDS))
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """A new, empty store of each backend in ``BACKENDS``."""
    opened = await BACKENDS[request.param](tmp_path)
    yield opened
    await opened.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "homegroup.db"


@pytest.fixture
async def app(database: Path, clock: ManualClock) -> AsyncIterator[App]:
    built = await bootstrap(
        Settings(database=str(database)), platforms=every_platform(), clock=clock
    )
    yield built
    await built.close()


def sections(output: str) -> list[tuple[str, str]]:
    """Split console output into (header, body) pairs, one per bot message."""
    parts = re.split(r"^── (.+?) ──$", output, flags=re.MULTILINE)
    return list(zip(parts[1::2], parts[2::2], strict=True))


def group_text(output: str) -> str:
    """Everything the bot said in the group."""
    return "\n".join(body for header, body in sections(output) if header.startswith("in the group"))


def private_to(output: str, name: str) -> str:
    """Everything the bot said privately to ``name``."""
    return "\n".join(
        body for header, body in sections(output) if header.startswith(f"privately to {name}")
    )


class Transcript:
    """Type lines into the console as a member would, and read what the bot printed."""

    def __init__(self, console: Console, out: io.StringIO) -> None:
        self.console = console
        self._out = out
        self._read = 0

    async def say(self, *lines: str) -> str:
        """Type each line; return everything printed since the last call."""
        for line in lines:
            await self.console.line(line)
        return self.output()

    async def cleandate(self, args: str, *, share: bool = True, where: str = "") -> str:
        """Set a clean date as a member who says yes to keeping it, and, the first time in
        the group, to celebrating it there (``share``); ``where="/dm "`` types it privately."""
        said = await self.say(f"{where}/cleandate {args}")
        if "May I keep it?" in said:
            said += await self.say("/tap 1")
        if "Would you like your group to celebrate" in said:
            said += await self.say("/tap 1" if share else "/tap 2")
        return said

    async def contact(self, text: str) -> str:
        """Save a contact in the private chat, saying yes to keeping it if asked."""
        said = await self.say(f"/dm /contact {text}")
        if "May I keep it?" in said:
            said += await self.say("/tap 1")
        return said

    def output(self) -> str:
        text = self._out.getvalue()[self._read :]
        self._read = len(self._out.getvalue())
        return text


@pytest.fixture
async def console(app: App, clock: ManualClock) -> Transcript:
    out = io.StringIO()
    session = Console(app, clock, out, first_member="Sam")
    await session.start()
    transcript = Transcript(session, out)
    transcript.output()
    return transcript


async def keep_clean_date(core: Core, key: str, origin: Origin, args: str) -> None:
    """A member sets a clean date and says yes to keeping it and, in a group, to celebrating
    it there; ``key`` makes each step's dedupe key."""
    await core.handle(CommandIssued(f"{key}:consent", origin, "consent", "on"))
    await core.handle(CommandIssued(key, origin, "cleandate", args))
    if origin.community is not None and not origin.private:
        group = community_key(origin.platform, origin.community)
        await core.handle(ButtonPressed(f"{key}:share", origin, "share.celebrate", group))


@pytest.fixture
def debug_logging(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Log as `HOMEGROUP_LOG_LEVEL=DEBUG` does, and put the library levels back afterwards."""
    quiet = {name: logging.getLogger(name).level for name in ("aiosqlite", "httpx", "discord")}
    configure_logging("DEBUG")
    caplog.set_level(logging.DEBUG)
    yield caplog
    for name, level in quiet.items():
        logging.getLogger(name).setLevel(level)
