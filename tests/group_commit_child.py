"""A process that handles many ``/craving`` at once through ``Core.handle``, 16 at a time, so
that they commit in groups; it prints ``acked KEY`` as each one's handling returns (the moment
an adapter would confirm the update to its platform). ``tests/storage/test_group_commit_crash.py``
kills it with SIGKILL mid-stream.

Usage: ``python -m tests.group_commit_child DATABASE FIRST LAST``: the cravings of members
FIRST to LAST - 1, in that order.
"""

from __future__ import annotations

import asyncio
import sys

from bot.app import bootstrap
from bot.clock import ManualClock
from bot.domain.inbound import CommandIssued, Origin
from bot.settings import Settings
from tests.conftest import START

AT_ONCE = 16
GROUPS = 8


def craving(member: int) -> CommandIssued:
    """Member ``member``'s one craving, in group ``member % GROUPS``; its dedupe key names it."""
    group = f"group{member % GROUPS}"
    origin = Origin(
        platform="console",
        chat=group,
        person=f"m{member}",
        person_name=f"Member {member}",
        community=group,
    )
    return CommandIssued(f"craving:{member}", origin, "craving", "rough night")


async def main(database: str, first: int, last: int) -> None:
    app = await bootstrap(Settings(database=database), clock=ManualClock(START))
    members = iter(range(first, last))

    async def worker() -> None:
        for member in members:
            command = craving(member)
            handled = await app.core.handle(command)
            print(f"{'acked' if handled else 'again'} {command.dedupe_key}", flush=True)

    try:
        await asyncio.gather(*(worker() for _ in range(AT_ONCE)))
    finally:
        await app.close()
    print("done", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
