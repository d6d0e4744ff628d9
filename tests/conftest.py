"""Fixtures shared by the suite: a store per backend, a manual clock, an app and a console."""

from __future__ import annotations

import contextlib
import functools
import inspect
import io
import logging
import os
import re
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit, urlunsplit

import asyncpg
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
from bot.storage import Store, Transaction
from bot.storage.memory import MemoryStore
from bot.storage.postgres import PostgresStore
from bot.storage.sqlite import SqliteStore
from tests.fakes.discord_fixtures import fake_discord  # noqa: F401
from tests.fakes.fixtures import fake_telegram, telegram_bot  # noqa: F401

# Property tests judge behaviour, never speed: on a loaded 2-core CI machine a deadline or a
# "too slow" health check would fail a correct test.
settings.register_profile("homegroup", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("homegroup")

START = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
"""Tests run at a fixed instant: noon UTC on 29 November 2026."""


async def _memory(folder: Path) -> Store:
    return MemoryStore()


TEST_POSTGRES = os.environ.get(
    "HOMEGROUP_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
"""The PostgreSQL server the postgres backend's tests use; each test has a schema of its own."""


def postgres_server() -> tuple[str, int]:
    """The test PostgreSQL server's host and port: never the user or password in its URL."""
    parts = urlsplit(TEST_POSTGRES)
    return parts.hostname or "127.0.0.1", parts.port or 5432


@functools.cache
def postgres_answers() -> bool:
    """Whether the test PostgreSQL server accepts connections (asked once per run)."""
    try:
        with socket.create_connection(postgres_server(), 2):
            return True
    except OSError:
        return False


class _ThrowawayPostgres(PostgresStore):
    """A store in a schema of its own, dropped when it closes: runs cannot collide."""

    schema = ""

    async def close(self) -> None:
        await super().close()
        connection = await asyncpg.connect(TEST_POSTGRES)
        try:
            await connection.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        finally:
            await connection.close()


def need_postgres() -> None:
    """Skip the test when no PostgreSQL server answers at ``TEST_POSTGRES``; under ``CI=true``,
    which must have one, fail it instead. Every test that needs the server asks here, so the
    rule is kept in one place (``tests/storage/test_postgres_rule.py`` holds it to it)."""
    if not postgres_answers():
        host, port = postgres_server()
        message = f"no PostgreSQL server answers at {host}:{port}"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (under CI=true, PostgreSQL is required)")
        pytest.skip(message)


async def _postgres(folder: Path) -> Store:
    need_postgres()
    schema = f"test_{uuid.uuid4().hex}"
    store = await _ThrowawayPostgres.open(TEST_POSTGRES, schema=schema)
    assert isinstance(store, _ThrowawayPostgres)
    store.schema = schema
    return store


@pytest.fixture
async def postgres_database() -> AsyncIterator[str]:
    """The URL of a new, empty database on the test PostgreSQL server, dropped afterwards:
    for processes of their own (``homegroup run``) to share, and no other test to see."""
    need_postgres()
    async with fresh_database() as url:
        yield url


@contextlib.asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """A new, empty database on the test PostgreSQL server, its URL, dropped on the way out."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(TEST_POSTGRES)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield urlunsplit(urlsplit(TEST_POSTGRES)._replace(path=f"/{name}"))
    admin = await asyncpg.connect(TEST_POSTGRES)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


BACKENDS: dict[str, Callable[[Path], Awaitable[Store]]] = {
    "sqlite": lambda folder: SqliteStore.open(folder / "homegroup.db"),
    "memory": _memory,
    "postgres": _postgres,
}
"""Every storage backend, by name, opened in an empty folder: the contract suite
(``test_store_contract*``) runs once on each. A new backend joins with one line."""

TEST_STORE = os.environ.get("HOMEGROUP_TEST_STORE", "sqlite")
"""The backend every other test's store and app are built on. ``make test`` runs the flow
tests once more with ``HOMEGROUP_TEST_STORE=memory``: those that read no database file."""
if TEST_STORE not in BACKENDS:
    raise pytest.UsageError(f"HOMEGROUP_TEST_STORE={TEST_STORE}: not one of {list(BACKENDS)}")


def is_contract(module: str) -> bool:
    """Whether a test module is part of the storage contract, which every backend passes."""
    return module.rpartition(".")[2].startswith("test_store_contract")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The contract runs on every backend; other tests on the ``TEST_STORE`` alone."""
    if "store" in metafunc.fixturenames:
        names = list(BACKENDS) if is_contract(metafunc.module.__name__) else [TEST_STORE]
        metafunc.parametrize("store", names, indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On another backend than SQLite, run only the tests it changes: those built on the
    ``store`` or the ``app`` fixture, outside the contract (which ran on every backend), that
    read no database file (they take neither ``database`` nor a ``tmp_path`` of their own, and
    never open the app's ``settings.database``)."""
    if TEST_STORE == "sqlite":
        return
    kept, dropped = [], []
    for item in items:
        assert isinstance(item, pytest.Function)
        uses = set(item.fixturenames)
        asks = set(inspect.signature(item.function).parameters)
        switched = bool(uses & {"store", "app"}) and "database" not in uses
        on_disk = "tmp_path" in asks or "settings.database" in inspect.getsource(item.function)
        on_disk = on_disk or is_contract(item.module.__name__)
        (kept if switched and not on_disk else dropped).append(item)
    config.hook.pytest_deselected(items=dropped)
    items[:] = kept


CALLS_FILE = "HOMEGROUP_STORE_CALLS"
"""Set to a file's path, the contract's stores note there every repository method called on
them, a line per call: ``backend area.method`` (read by ``test_store_contract_coverage``)."""


class _Noted:
    """A repository that notes each method called on it, then calls it."""

    def __init__(self, repository: object, note: Callable[[str], None]) -> None:
        self._repository = repository
        self._note = note

    def __getattr__(self, name: str) -> object:
        found = getattr(self._repository, name)
        if not callable(found):
            return found

        def called(*args: object, **kwargs: object) -> object:
            self._note(name)
            return found(*args, **kwargs)

        return called


class _NotingStore:
    """A store whose transactions' repositories note their calls in a set."""

    def __init__(self, store: Store, backend: str, calls: set[str]) -> None:
        self._store = store
        self._backend = backend
        self._calls = calls

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self._store.transaction() as tx:
            yield cast(Transaction, _NotingTransaction(tx, self._backend, self._calls))

    async def close(self) -> None:
        await self._store.close()


class _NotingTransaction:
    def __init__(self, tx: Transaction, backend: str, calls: set[str]) -> None:
        self._tx = tx
        self._backend = backend
        self._calls = calls

    def __getattr__(self, area: str) -> object:
        return _Noted(
            getattr(self._tx, area),
            lambda method: self._calls.add(f"{self._backend} {area}.{method}"),
        )


def _append(path: Path, lines: list[str]) -> None:
    with path.open("a", encoding="utf-8") as out:
        out.writelines(f"{line}\n" for line in lines)


@pytest.fixture
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """A new, empty store of the backend the test is parametrised with."""
    opened = await BACKENDS[request.param](tmp_path)
    noted = os.environ.get(CALLS_FILE)
    if noted and is_contract(request.module.__name__):
        calls: set[str] = set()
        yield _NotingStore(opened, request.param, calls)
        _append(Path(noted), sorted(calls))
    else:
        yield opened
    await opened.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "homegroup.db"


@pytest.fixture
async def app(tmp_path: Path, clock: ManualClock) -> AsyncIterator[App]:
    """The app on a new store of ``TEST_STORE``; on SQLite its file is ``database``."""
    settings = Settings(database=str(tmp_path / "homegroup.db"))
    store = None if TEST_STORE == "sqlite" else await BACKENDS[TEST_STORE](tmp_path)
    built = await bootstrap(settings, platforms=every_platform(), clock=clock, store=store)
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
