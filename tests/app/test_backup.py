"""``homegroup backup``: a live, consistent copy of the SQLite database, restored by putting it
back in place; a backup never overwrites a file, and PostgreSQL is sent to pg_dump."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from bot.storage.sqlite import SqliteStore
from tests.app.test_cli import homegroup
from tests.conftest import START


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
