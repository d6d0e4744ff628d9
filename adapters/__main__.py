"""The ``homegroup`` command: ``run``, ``console``, ``migrate``, ``backup`` and ``copy-db``.

It lives with the adapters because it starts them: the core in ``bot/`` never names one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import sqlite3
import sys
from pathlib import Path

from adapters.platforms import every_platform, every_sample, load_settings
from bot.app import bootstrap
from bot.clock import ShiftedClock
from bot.overrides import check_overrides
from bot.settings import Settings, SettingsError, configure_logging
from bot.storage.backends import open_store, shown
from bot.storage.errors import DatabaseUnreachable
from bot.storage.sqlite import BackupError, MigrationError, backup

log = logging.getLogger("bot")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="homegroup", description="A chat bot for addiction-recovery peer groups."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run", help="start the platforms whose tokens are set, else the console"
    )
    run.add_argument(
        "--check", action="store_true", help="check the settings and templates, then exit"
    )
    run.add_argument(
        "--service",
        action="store_true",
        help="as a service (the image, systemd): with no token, open the console only on a"
        " terminal, else refuse",
    )
    console = commands.add_parser("console", help="try Homegroup in a simulated group")
    console.add_argument("--as", dest="member", default="Sam", help="who types first (the admin)")
    console.add_argument(
        "--fresh", action="store_true", help="start over: forget the console's earlier tries"
    )
    commands.add_parser("migrate", help="apply database migrations and exit")
    copy = commands.add_parser("backup", help="copy the database, live, into a new file")
    copy.add_argument("path", help="the file to write (it must not exist yet)")
    move = commands.add_parser(
        "copy-db", help="copy a SQLite database, whole, into an empty PostgreSQL database"
    )
    move.add_argument("source", metavar="FROM", help="the SQLite file")
    move.add_argument("target", metavar="TO", help="the postgresql:// URL")
    args = parser.parse_args(argv)

    if args.command == "copy-db":
        return asyncio.run(_copy_db(args.source, args.target))

    try:
        settings = load_settings()
    except SettingsError as error:
        for problem in error.problems:
            print(f"homegroup: {problem}", file=sys.stderr)
        return 2

    if args.command == "backup":
        return _backup(settings, args.path)

    if args.command != "migrate" and settings.templates is not None:
        # Before the database or any platform: a broken override stops the start, not an answer.
        from adapters.serve import dialects

        broken = check_overrides(settings.templates, dialects(settings), samples=every_sample())
        for override in broken:
            print(f"homegroup: HOMEGROUP_TEMPLATES: {override}", file=sys.stderr)
        if broken:
            return 2

    nothing_to_serve = getattr(args, "service", False) and not settings.platforms
    if getattr(args, "check", False):
        # Before anything opens the database or reaches a platform: what an admin wants to know
        # after editing the settings or an override, and what an installed image can prove.
        # A service is checked as it will run, with no terminal (`docker compose up -d`,
        # systemd), even when the check itself is typed at one.
        if nothing_to_serve:
            return _refuse_to_serve_nothing()
        print("homegroup: the settings and templates are in order")
        return 0

    if nothing_to_serve and not sys.stdin.isatty():
        # A console reading no terminal ends at once, and its container would restart forever.
        return _refuse_to_serve_nothing()

    quiet_console = args.command != "migrate" and not settings.platforms
    level = settings.log_level if settings.log_level_set or not quiet_console else "WARNING"
    # discord.py at DEBUG logs every event and body (members' text, interaction tokens).
    configure_logging(level, quiet=("discord",), log_format=settings.log_format)

    if getattr(args, "fresh", False):
        _forget(Path(settings.console_database))
    try:
        return _start(args.command, settings, getattr(args, "member", "Sam"))
    except (MigrationError, DatabaseUnreachable) as error:
        print(f"homegroup: {shown(settings.database)}: {error}", file=sys.stderr)
        return 2


def _refuse_to_serve_nothing() -> int:
    print(
        "homegroup: no platform token is set, and no terminal for the console: set"
        " TELEGRAM_TOKEN or DISCORD_TOKEN (or TELEGRAM_TOKEN_FILE, DISCORD_TOKEN_FILE)",
        file=sys.stderr,
    )
    return 2


def _start(command: str, settings: Settings, member: str) -> int:
    if command == "migrate":
        return asyncio.run(_migrate(settings))
    if command == "run" and settings.platforms:
        return asyncio.run(_serve(settings))
    if command == "run":
        print("homegroup: no TELEGRAM_TOKEN or DISCORD_TOKEN is set, so here is the console.")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_console(settings, member))
    return 0


def _backup(settings: Settings, path: str) -> int:
    if "://" in settings.database:
        print(
            "homegroup: HOMEGROUP_DATABASE is a PostgreSQL server: back it up with pg_dump"
            " (README, Backups)",
            file=sys.stderr,
        )
        return 2
    try:
        backup(settings.database, path)
    except (BackupError, sqlite3.Error) as error:
        print(f"homegroup: backup: {error}", file=sys.stderr)
        return 2
    print(f"homegroup: {settings.database} copied into {path}")
    return 0


async def _copy_db(source: str, target: str) -> int:
    """Copy, then name each table with its count of rows: never a row's content."""
    from bot.storage.copy import CopyRefused, copy_database

    try:
        copied = await copy_database(source, target)
    except (CopyRefused, MigrationError, DatabaseUnreachable) as error:
        print(f"homegroup: copy-db: {error}", file=sys.stderr)
        return 2
    print(f"homegroup: copied {source} into {shown(target)}, checked row for row:")
    width = max(len(table.table) for table in copied)
    for table in sorted(copied, key=lambda copy: copy.table):
        print(f"  {table.table:<{width}}  {table.rows:>8}")
    return 0


async def _migrate(settings: Settings) -> int:
    store = await open_store(settings.database)
    await store.close()
    log.info("database is up to date")
    return 0


async def _serve(settings: Settings) -> int:
    from adapters.serve import serve

    observer = None
    if settings.http is not None:
        from adapters.http import Metrics

        observer = Metrics()
    app = await bootstrap(settings, platforms=every_platform(), observer=observer)
    try:
        return await serve(app, settings)
    finally:
        await app.close()


def _forget(database: Path) -> None:
    """Delete the console's database with SQLite's journal files beside it."""
    for path in (database, *(database.with_name(database.name + end) for end in ("-wal", "-shm"))):
        path.unlink(missing_ok=True)


async def _console(settings: Settings, member: str) -> None:
    """The console on its own database (``HOMEGROUP_CONSOLE_DATABASE``), never the one a real
    group's bot uses, so what someone types while trying it stays out of the group's history."""
    from adapters.console import run_console

    clock = ShiftedClock()
    app = await bootstrap(
        dataclasses.replace(settings, database=settings.console_database),
        platforms=every_platform(),
        clock=clock,
    )
    try:
        await run_console(app, clock, first_member=member)
    finally:
        await app.close()


if __name__ == "__main__":
    sys.exit(main())
