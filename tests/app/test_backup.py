"""``homegroup backup``: a live, consistent copy of the SQLite database, restored by putting it
back in place; a backup never overwrites a file, and PostgreSQL is sent to pg_dump, whose lines
in the README are run here as written."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from bot.storage.sqlite import SqliteStore
from tests.app.test_cli import homegroup
from tests.app.test_copy_db import a_database, live_a_group, postgres_app, reads_the_same
from tests.conftest import START

ROOT = Path(__file__).resolve().parents[2]


async def _keep_a_member(store: SqliteStore, name: str) -> None:
    async with store.transaction() as tx:
        await tx.people.upsert("console:sam", "console", "sam", name, START)
        await tx.counters.set("console:sam", "primary", date(2026, 1, 1), START)


async def _member(path: Path) -> tuple[str | None, date | None]:
    store = await SqliteStore.open(path)
    try:
        async with store.transaction() as tx:
            person = await tx.people.get("console:sam")
            counters = await tx.counters.of("console:sam")
    finally:
        await store.close()
    return (person.name if person else None), (counters[0].clean_since if counters else None)


def restore(copy: Path, database: Path) -> None:
    for leftover in database.parent.glob(database.name + "*"):
        leftover.unlink()  # the database and its -wal and -shm files
    shutil.copy(copy, database)


async def test_a_backup_taken_while_the_bot_writes_holds_everything_and_restores(
    tmp_path: Path,
) -> None:
    database = tmp_path / "homegroup.db"
    running = await SqliteStore.open(database)  # the bot, still running, its log not checkpointed
    try:
        await _keep_a_member(running, "Sam")
        done = homegroup(
            "backup", "copy.db", env={"HOMEGROUP_DATABASE": str(database)}, cwd=tmp_path
        )
        assert done.returncode == 0, done.stderr
        await _keep_a_member(running, "Sam after the backup")
    finally:
        await running.close()

    assert not (tmp_path / "copy.db-wal").exists(), "the copy stands alone"
    assert await _member(tmp_path / "copy.db") == ("Sam", date(2026, 1, 1))

    # Restore, as the README says: with the bot stopped, the copy takes the database's place.
    restore(tmp_path / "copy.db", database)
    assert await _member(database) == ("Sam", date(2026, 1, 1))


async def test_a_backup_never_overwrites_a_file(tmp_path: Path) -> None:
    database = tmp_path / "homegroup.db"
    store = await SqliteStore.open(database)
    await _keep_a_member(store, "Sam")
    await store.close()
    older = tmp_path / "monday.db"
    older.write_bytes(b"last week's backup")

    done = homegroup("backup", str(older), env={"HOMEGROUP_DATABASE": str(database)}, cwd=tmp_path)

    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"homegroup: backup: {older} already exists; a backup never overwrites a file"
    ]
    assert older.read_bytes() == b"last week's backup"


def test_a_backup_of_nothing_or_into_nowhere_says_so(tmp_path: Path) -> None:
    missing = homegroup(
        "backup", "copy.db", env={"HOMEGROUP_DATABASE": str(tmp_path / "none.db")}, cwd=tmp_path
    )
    assert missing.returncode == 2
    assert "there is no database at" in missing.stderr
    assert not (tmp_path / "none.db").exists(), "asking for a backup creates no database"
    assert not (tmp_path / "copy.db").exists()


def test_postgresql_is_backed_up_with_pg_dump(tmp_path: Path) -> None:
    done = homegroup(
        "backup",
        "copy.db",
        env={"HOMEGROUP_DATABASE": "postgresql://postgres@127.0.0.1:5432/test"},
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert "pg_dump" in done.stderr
    assert not (tmp_path / "copy.db").exists()


def readme_lines(containing: str) -> list[str]:
    """The shell lines of README's "Backups" section that run ``containing``."""
    section = (ROOT / "README.md").read_text().split("\n## Backups\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```sh\n(.*?)^```$", section, flags=re.MULTILINE | re.DOTALL)
    return [line for block in blocks for line in block.splitlines() if containing in line]


@pytest.fixture
async def databases() -> AsyncIterator[tuple[str, str]]:
    """The URLs of a new PostgreSQL database and of one still to be made; both dropped after."""
    async with a_database() as live, a_database(made=False) as restored:
        yield live, restored


async def test_postgresql_backed_up_and_restored_as_the_readme_says_reads_the_same(
    tmp_path: Path, databases: tuple[str, str]
) -> None:
    live, restored = databases
    app = await postgres_app(live)
    try:
        await live_a_group(app)  # the bot keeps running while the backup is taken
        shell = {
            "PATH": os.environ["PATH"],
            "HOMEGROUP_DATABASE": live,
            "BACKUP": str(tmp_path / "homegroup-2026-11-29.dump"),
            "RESTORED": restored,
        }
        (dump,) = readme_lines("pg_dump --format=custom")
        steps = [dump, *readme_lines("createdb"), *readme_lines("pg_restore --")]
        assert len(steps) == 3
        for step in steps:
            done = await asyncio.to_thread(
                subprocess.run,
                ["sh", "-c", step],
                env=shell,
                cwd=tmp_path,
                capture_output=True,
                text=True,
                check=False,
            )
            assert done.returncode == 0, f"{step}: {done.stderr}"
    finally:
        await app.close()

    before, after = await postgres_app(live), await postgres_app(restored)
    try:
        await reads_the_same(before, after)
    finally:
        await before.close()
        await after.close()
