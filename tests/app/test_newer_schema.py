"""``homegroup run`` and ``homegroup migrate`` on a database a newer version of Homegroup has
migrated: each refuses with one line saying so, and exit status 2, before it reaches any
platform (SQLite and PostgreSQL). Running on, it would read and write a schema its code does not
know; the operator is told to run the newer version instead."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from bot.storage.postgres import PostgresStore
from bot.storage.sqlite import SqliteStore, migrations

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bot_api() -> Iterator[socket.socket]:
    """Where the Telegram Bot API would be: a socket that notes each connection and answers
    none, so a process that got as far as Telegram would show here."""
    with socket.create_server(("127.0.0.1", 0)) as listening:
        listening.setblocking(False)
        yield listening


def reached(bot_api: socket.socket) -> bool:
    """Whether any process connected to ``bot_api``."""
    try:
        connection, _ = bot_api.accept()
    except BlockingIOError:
        return False
    connection.close()
    return True


def homegroup(
    command: str, database: str, bot_api: socket.socket, cwd: Path
) -> subprocess.CompletedProcess[str]:
    """``homegroup command`` on ``database``, as a bot with a Telegram token, in ``cwd``."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HOMEGROUP_", "TELEGRAM_", "DISCORD_"))
    }
    port = bot_api.getsockname()[1]
    return subprocess.run(
        [sys.executable, "-m", "adapters", command],
        capture_output=True,
        text=True,
        env={
            **base,
            "PYTHONPATH": str(ROOT),
            "HOMEGROUP_DATABASE": database,
            "TELEGRAM_TOKEN": "123456:" + "B" * 35,
            "TELEGRAM_API_URL": f"http://127.0.0.1:{port}",
        },
        cwd=cwd,
        timeout=60,
        check=False,
    )


def refused_in_one_line(done: subprocess.CompletedProcess[str], newer: int) -> None:
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [done.stderr.rstrip("\n")], "exactly one line"
    assert done.stderr.startswith("homegroup: ")
    assert done.stderr.rstrip("\n").endswith(
        f": the database has migration {newer:04d}, which this version of Homegroup does not"
        " know: it was made by a newer version"
    )
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize("command", ["run", "migrate"])
async def test_a_sqlite_file_a_newer_version_migrated_is_refused_in_one_line(
    command: str, tmp_path: Path, bot_api: socket.socket
) -> None:
    database = tmp_path / "homegroup.db"
    store = await SqliteStore.open(database)
    await store.close()
    newer = migrations("sqlite")[-1][0] + 1
    with sqlite3.connect(database) as db:
        db.execute(
            "INSERT INTO schema_migrations VALUES (?, '2030-01-01 00:00:00.000000')", (newer,)
        )

    done = homegroup(command, str(database), bot_api, tmp_path)

    refused_in_one_line(done, newer)
    assert not reached(bot_api), "nothing started: Telegram was never asked"
    with sqlite3.connect(database) as db:
        versions = [v for (v,) in db.execute("SELECT version FROM schema_migrations")]
    assert max(versions) == newer, "the newer version's schema is left as it was"


@pytest.mark.parametrize("command", ["run", "migrate"])
async def test_a_postgresql_database_a_newer_version_migrated_is_refused_in_one_line(
    command: str, postgres_database: str, bot_api: socket.socket, tmp_path: Path
) -> None:
    store = await PostgresStore.open(postgres_database)
    await store.close()
    newer = migrations("postgres")[-1][0] + 1
    connection = await asyncpg.connect(postgres_database)
    try:
        await connection.execute("INSERT INTO schema_migrations VALUES ($1, now())", newer)
    finally:
        await connection.close()

    done = homegroup(command, postgres_database, bot_api, tmp_path)

    refused_in_one_line(done, newer)
    assert not reached(bot_api), "nothing started: Telegram was never asked"
