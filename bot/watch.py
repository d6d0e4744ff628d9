"""The schema watch: a process stops when a newer one migrated the database past its code.

Migrations run at start, once, under a lock; a process already running on the old schema would
go on writing rows the new one may not expect. It looks every few seconds, and stops."""

from __future__ import annotations

import asyncio
import logging
from typing import NoReturn

from bot.storage import Store

log = logging.getLogger(__name__)

EVERY = 10.0
"""Seconds between looks: each one reads the newest of a few rows."""


class SchemaMoved(Exception):
    """Another process migrated the database past this process's code."""


async def watch_schema(store: Store) -> NoReturn:
    """Raise ``SchemaMoved`` once the database's schema is newer than this code's."""
    while True:
        await asyncio.sleep(EVERY)
        try:
            version = await store.schema_moved()
        except Exception as error:  # the database is away: the loops that need it say so
            log.debug("schema not checked: %s", type(error).__name__)
            continue
        if version is not None:
            raise SchemaMoved(
                f"the database has migration {version:04d}, which this version of Homegroup"
                " does not know: a newer version migrated it while this one ran, so this one"
                " stops"
            )
