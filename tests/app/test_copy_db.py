"""``homegroup copy-db FROM TO``: a group's whole SQLite history moved to PostgreSQL reads the
same there, every table of it; a copy that cannot be made as asked changes nothing."""

from __future__ import annotations

import asyncio
import io
import re
import sqlite3
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from adapters.console import Console
from adapters.platforms import every_platform
from adapters.telegram.sender import PACE
from bot.app import App, bootstrap
from bot.clock import ManualClock
from bot.domain.inbound import CommandIssued, Origin, RolesChanged
from bot.domain.model import community_key, person_key
from bot.domain.records import OutboxMessage
from bot.settings import Settings
from bot.storage.postgres import PostgresStore
from bot.storage.sqlite import SqliteStore, migrations
from tests.app.test_cli import homegroup
from tests.conftest import START, TEST_POSTGRES, need_postgres
from tests.harness import eventually, stop

HISTORY = (
    "/cleandate 2026-01-01",
    "/tap 1",  # yes, keep it
    "/tap 1",  # celebrate with the group
    "/timezone Europe/London",
    "/cleandate nicotine 2026-06-01",
    "/tap 1",
    "/meetings remind on",
    "/dm /contact call me on 555 0100",
    "/as Alex",
    "/cleandate 29 days ago",
    "/tap 1",
    "/tap 1",
    "/supporter on",
    "/phonelist on",
    "/as Sam",
    "/craving rough night",
    "/as Alex",
    "/tap 1",  # I'm here
    "/as Sam",
    "/call",
    "/as Alex",
    "/tap 1",  # I'll call
    "/as Sam",
    "/dm /relapse",
    "/tap 1",  # yes, restart my count
    "/wait 2d",  # Alex's 30 days are announced; the check-in follows up
    "/craving again",  # open: its timers wait
)
"""A group's life through the console, touching every feature that keeps a row."""

READS = (
    "/days",
    "/days nicotine",
    "/milestones",
    "/together",
    "/dm /mydata",
    "/dm /history",
    "/dm /cravings",
    "/dm /calls",
    "/dm /consent",
    "/as Alex",
    "/days",
    "/dm /mydata",
)
"""What members read back of their history."""

DISCORD_GUILD, DISCORD_MEMBER, DISCORD_ROLE = "300000000000000001", "100000000000000001", "4000001"


class _Recording(Console):
    """The console, printing a file sent with a message too (``/mydata``'s whole content)."""

    def show(self, message: OutboxMessage) -> None:
        super().show(message)
        if message.attachment is not None:
            self._out.write(f"{message.attachment.filename}: {message.attachment.data!r}\n")


class _Taken:
    """Telegram, as the outbox worker sees it, taking every message."""

    platform = "telegram"
    pace = PACE

    def __init__(self) -> None:
        self.sent: list[int] = []

    async def deliver(self, message: OutboxMessage) -> str | None:
        self.sent.append(message.id)
        return str(message.id)


async def typed(app: App, lines: tuple[str, ...]) -> str:
    """Type the lines in a new console session over the app; return what it printed."""
    out = io.StringIO()
    assert isinstance(app.clock, ManualClock)
    session = _Recording(app, app.clock, out, first_member="Sam")
    await session.start()
    for line in lines:
        await session.line(line)
    return out.getvalue()


async def sqlite_app(database: Path) -> App:
    settings = Settings(database=str(database))
    return await bootstrap(settings, platforms=every_platform(), clock=ManualClock(START))


async def postgres_app(url: str) -> App:
    store = await PostgresStore.open(url)
    settings = Settings(database=url)
    return await bootstrap(
        settings, platforms=every_platform(), clock=ManualClock(START), store=store
    )


async def live_a_group(app: App) -> None:
    """Fill the app's database the way a group does: through the flows, never writing rows."""
    await typed(app, HISTORY)
    # A Discord member whose roles the platform reported.
    member = Origin(
        platform="discord",
        chat="200000000000000001",
        person=DISCORD_MEMBER,
        person_name="Robin",
        community=DISCORD_GUILD,
        private=False,
        is_admin=False,
        private_chat_open=True,
    )
    await app.core.handle(CommandIssued("discord:1", member, "supporter", "on"))
    await app.core.handle(
        RolesChanged("discord:2", "discord", DISCORD_GUILD, DISCORD_MEMBER, (DISCORD_ROLE,))
    )
    # A Telegram group's answer, sent: the group's minute of sends outlives its lane's lease.
    taken = _Taken()
    telegram = app.add_sender(taken)
    group = Origin(
        platform="telegram",
        chat="-1001000000001",
        person="200000001",
        person_name="Kim",
        community="-1001000000001",
        private=False,
        is_admin=False,
        private_chat_open=False,
    )
    await app.core.handle(CommandIssued("telegram:1", group, "help", ""))
    sending = asyncio.create_task(telegram.run())  # as a process sends: a lane at a time
    await eventually(lambda: taken.sent)
    await stop([sending])
    # An update stored on receipt that failed to be handled, set aside as the adapters do.
    async with app.store.transaction() as tx:
        await tx.inbox.store("telegram:9", "telegram", "{}", START)
        await tx.inbox.failed("telegram:9", "ValueError", START, retry_at=START, max_tries=1)
    # The Telegram group and the Discord server linked, Robin one person with Kim, a code
    # waiting and a wrong one entered: through the store, as linking keeps them.
    kim, robin = person_key("telegram", "200000001"), person_key("discord", DISCORD_MEMBER)
    server = community_key("discord", DISCORD_GUILD)
    async with app.store.transaction() as tx:
        await tx.communities.link(community_key("telegram", group.community or ""), server)
        await tx.people.link(robin, kim, START)
        await tx.links.issue("person", "d" * 64, kim, kim, START, START + timedelta(minutes=10))
        await tx.links.record_failure([server, robin], START)


async def live_a_group_on_sqlite(database: Path) -> None:
    app = await sqlite_app(database)
    try:
        await live_a_group(app)
    finally:
        await app.close()


def sqlite_tables(database: Path) -> dict[str, int]:
    """Each table the SQLite schema holds (as the database lists it), with its count of rows."""
    with closing(sqlite3.connect(database)) as db:
        names = [
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {n: db.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


async def postgres_tables(url: str) -> dict[str, int]:
    connection = await asyncpg.connect(url)
    try:
        names = [
            row["table_name"]
            for row in await connection.fetch(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema()"
            )
        ]
        return {n: await connection.fetchval(f'SELECT count(*) FROM "{n}"') for n in names}
    finally:
        await connection.close()


@asynccontextmanager
async def a_database(*, made: bool = True) -> AsyncIterator[str]:
    """The URL of a new PostgreSQL database of the test's own (``made=False``: a name free for
    a step to create), dropped afterwards whoever made it."""
    need_postgres()
    name = f"homegroup_{uuid.uuid4().hex}"
    server = await asyncpg.connect(TEST_POSTGRES)
    try:
        if made:
            await server.execute(f'CREATE DATABASE "{name}"')
        yield urlsplit(TEST_POSTGRES)._replace(path=f"/{name}").geturl()
    finally:
        await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await server.close()


async def sequences_behind(url: str) -> list[str]:
    """Each identity column whose sequence would give an id its table already holds."""
    connection = await asyncpg.connect(url)
    try:
        behind = []
        for row in await connection.fetch(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND is_identity = 'YES'"
        ):
            table, column = row["table_name"], row["column_name"]
            given = await connection.fetchval(
                "SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence($1, $2)), 0)",
                table,
                column,
            )
            held = await connection.fetchval(f'SELECT max("{column}") FROM "{table}"')
            if held is not None and held > given:
                behind.append(f"{table}.{column}")
        return behind
    finally:
        await connection.close()


@pytest.fixture
async def target() -> AsyncIterator[str]:
    """An empty PostgreSQL database to copy into: a schema of its own, named in the URL."""
    need_postgres()
    schema = f"copy_{uuid.uuid4().hex}"
    connection = await asyncpg.connect(TEST_POSTGRES)
    await connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{TEST_POSTGRES}?search_path={schema}"
    finally:
        await connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await connection.close()


async def reads_the_same(first: App, second: App) -> str:
    """What members read back of their history on each app, the same; return it."""
    said = await typed(first, READS)
    assert said == await typed(second, READS)
    # What the reads showed is the history itself, not two empty answers alike.
    for kept in ("332 days clean", "Your restarts", "555 0100", "'milestone': '30d'"):
        assert kept in said
    return said


async def test_a_group_s_whole_history_reads_the_same_on_postgresql(
    tmp_path: Path, target: str
) -> None:
    database = tmp_path / "homegroup.db"
    await live_a_group_on_sqlite(database)
    before = sqlite_tables(database)

    done = homegroup("copy-db", str(database), target, cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    source = {name: count for name, count in before.items() if name != "schema_migrations"}
    left_empty = sorted(name for name, count in source.items() if count == 0)
    assert left_empty == [], "HISTORY must fill every table, or the copy of one goes untried"
    copied = await postgres_tables(target)
    assert {n: c for n, c in copied.items() if n != "schema_migrations"} == source
    for name, count in source.items():
        assert re.search(rf"^  {name} +{count}$", done.stdout, flags=re.MULTILINE)
    for private in ("555 0100", "rough night", "2026-01-01", "Sam", "Alex"):
        assert private not in done.stdout, "copy-db tells counts, never what members wrote"

    on_sqlite = await sqlite_app(database)
    on_postgres = await postgres_app(target)
    try:
        await reads_the_same(on_sqlite, on_postgres)
    finally:
        await on_sqlite.close()
        await on_postgres.close()
    # The reads wrote rows too (an answer is an outbox row): new ids came past the copied ones.
    assert (await postgres_tables(target))["outbox"] > copied["outbox"]
    assert await sequences_behind(target) == []


async def test_a_database_that_already_holds_data_is_refused(tmp_path: Path, target: str) -> None:
    database = tmp_path / "homegroup.db"
    await live_a_group_on_sqlite(database)
    first = homegroup("copy-db", str(database), target, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    held = await postgres_tables(target)

    again = homegroup("copy-db", str(database), target, cwd=tmp_path)

    assert again.returncode == 2
    (line,) = again.stderr.strip().splitlines()
    assert "already holds data" in line
    assert "copy-db fills only an empty database" in line
    assert await postgres_tables(target) == held


def _at_migration(path: Path, version: int) -> None:
    """A SQLite database as an older Homegroup left it: migrated up to ``version``."""
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at)")
        for number, sql in migrations("sqlite"):
            if number <= version:
                db.executescript(sql)
                db.execute("INSERT INTO schema_migrations VALUES (?, '2026-01-01')", (number,))
        db.commit()


async def test_a_database_from_an_older_version_is_sent_to_migrate_first(
    tmp_path: Path, target: str
) -> None:
    last = migrations("sqlite")[-1][0]
    _at_migration(tmp_path / "old.db", last - 1)

    done = homegroup("copy-db", str(tmp_path / "old.db"), target, cwd=tmp_path)

    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert f"is at migration {last - 1:04d}, older than this Homegroup ({last:04d})" in line
    assert "run `homegroup migrate` on it first" in line
    assert await postgres_tables(target) == {}, "the target is left as it was"


async def test_a_database_from_a_newer_version_is_refused(tmp_path: Path, target: str) -> None:
    database = tmp_path / "new.db"
    await (await SqliteStore.open(database)).close()
    with closing(sqlite3.connect(database)) as db:
        db.execute("INSERT INTO schema_migrations VALUES (9999, '2027-01-01')")
        db.commit()

    done = homegroup("copy-db", str(database), target, cwd=tmp_path)

    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "is at migration 9999, newer than this Homegroup" in line
    assert await postgres_tables(target) == {}


def test_a_missing_source_or_a_target_that_is_not_postgresql_is_refused(tmp_path: Path) -> None:
    missing = homegroup("copy-db", "gone.db", "postgresql://postgres@127.0.0.1/x", cwd=tmp_path)
    sideways = homegroup("copy-db", "gone.db", "postgres+asyncpg://sam:hunter2@db/x", cwd=tmp_path)

    assert missing.returncode == sideways.returncode == 2
    assert missing.stderr == "homegroup: copy-db: there is no SQLite database at gone.db\n"
    assert "is not a postgresql:// URL" in sideways.stderr
    assert "hunter2" not in sideways.stderr  # a URL of another scheme is never echoed
    assert not (tmp_path / "gone.db").exists()
