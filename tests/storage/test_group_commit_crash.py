"""SIGKILL during group commits: every acknowledged effect survives, and none is doubled.

A child process handles 300 ``/craving`` from different members, 16 at a time, so that they
commit in groups (``tests/group_commit_child.py``), printing each one's key as its handling
returns: the moment an adapter confirms the update to its platform. The child is killed with
SIGKILL mid-stream, three times at different depths, each time started again on every key from
the first (as a platform redelivers what it was never told arrived, and a careless one what it
was); a last run goes to the end.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.harness import rows
from tests.process import REPO

MEMBERS = 300
KILL_AFTER = (20, 90, 170)
"""How many new acknowledgements each killed run reads before the SIGKILL."""


async def _run(database: Path, *, kill_after: int | None) -> list[str]:
    """Run the child over every member; kill it after ``kill_after`` new acknowledgements.
    Return every line it printed before it ended."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOMEGROUP_")}
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.group_commit_child",
        str(database),
        "0",
        str(MEMBERS),
        cwd=REPO,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdout is not None
    printed: list[str] = []
    try:
        async with asyncio.timeout(120):
            while line := (await child.stdout.readline()).decode().strip():
                printed.append(line)
                if kill_after is not None and line.startswith("acked"):
                    kill_after -= 1
                    if kill_after == 0:
                        child.kill()  # SIGKILL: no cleanup of any kind
            await child.wait()
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    return printed


def _acked(printed: list[str]) -> set[int]:
    return {int(line.split(":")[1]) for line in printed if line.startswith("acked")}


def _recorded(database: Path) -> list[int]:
    """The members whose craving is stored, once per stored craving."""
    return sorted(
        int(person.split(":m")[1]) for (person,) in rows(database, "SELECT person FROM cravings")
    )


def _answers(database: Path) -> list[int]:
    """The members whose craving answer is queued, once per answer."""
    found = rows(
        database, "SELECT person FROM outbox WHERE template = 'craving_reply' ORDER BY person"
    )
    return sorted(int(person.split(":m")[1]) for (person,) in found)


async def test_acknowledged_cravings_survive_sigkill_during_group_commits_once_each(
    tmp_path: Path,
) -> None:
    database = tmp_path / "homegroup.db"
    acknowledged: set[int] = set()
    for depth in KILL_AFTER:
        printed = await _run(database, kill_after=depth)
        assert "done" not in printed, "the child was to be killed before the end"
        acknowledged |= _acked(printed)
        recorded = _recorded(database)
        assert acknowledged <= set(recorded), "an acknowledged craving was lost"
        assert len(recorded) == len(set(recorded)), "a craving was recorded twice"
        assert _answers(database) == recorded, "each recorded craving has one answer"
    printed = await _run(database, kill_after=None)
    assert printed[-1] == "done"
    again = {int(line.split(":")[1]) for line in printed if line.startswith("again")}
    assert acknowledged <= again, "an acknowledged craving was handled a second time"
    assert _recorded(database) == list(range(MEMBERS))
    assert _answers(database) == list(range(MEMBERS))
