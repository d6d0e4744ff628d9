"""What every soak test shares: a PostgreSQL database of its own, and a fleet of real
``homegroup run`` processes that are killed (SIGKILL) at random moments and started again.

Soak tests run only under ``make soak`` (``pytest -m soak tests/soak``): everything in this
folder is marked ``soak``, and the suite's own run leaves that mark out, so ``make test`` stays
fast. A platform's soak is one module here (``test_<platform>_soak.py``) that starts a fake of its
platform, a ``Fleet`` pointed at it, drives traffic while ``Fleet.chaos`` kills processes, then
reads what the fake received and what the database holds. A process's name (``Life.name``) is
new at each start, so the fake can say which process sent what (give it in the platform's URL),
and ``Fleet.alive`` says whether that process still lived at a given moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import TEST_POSTGRES, fresh_database, postgres_answers
from tests.process import homegroup_run, terminate

SOAK = Path(__file__).resolve().parent
_RECORD = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
"""How a logged record's first line starts (its time): any other line continues the record."""


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder ``soak`` before ``-m`` chooses what runs."""
    for item in items:
        if SOAK in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.soak)


@pytest.fixture
async def soak_database() -> AsyncIterator[str]:
    """The URL of a new PostgreSQL database for one soak's processes. The soak needs one:
    ``make soak`` fails without it, where the suite's own PostgreSQL tests skip."""
    if not postgres_answers():
        pytest.fail(f"the soak needs PostgreSQL; none answers at {urlsplit(TEST_POSTGRES).netloc}")
    async with fresh_database() as url:
        yield url


@dataclass
class Life:
    """One run of one process: from its start to its SIGKILL (or the end of the soak)."""

    name: str
    slot: int
    started: float
    """``time.monotonic()`` at its start."""
    ended: float | None = None
    """``time.monotonic()`` once it was seen dead, None while it runs."""
    killed: bool = False


Settings = Callable[[int, str], dict[str, str]]
"""A process's environment, given its slot and its name (new at each start)."""


class Fleet:
    """``slots`` processes of ``homegroup run``, each started with ``settings(slot, name)``;
    their output goes to one log per slot in ``folder``."""

    def __init__(self, slots: int, settings: Settings, folder: Path) -> None:
        self._settings = settings
        self._folder = folder
        self._processes: dict[int, asyncio.subprocess.Process] = {}
        self._current: dict[int, Life] = {}
        self._stopped: list[tuple[str, int]] = []
        self.lives: list[Life] = []
        self.slots = slots

    def log(self, slot: int) -> Path:
        return self._folder / f"process-{slot}.log"

    def errors(self) -> list[str]:
        """What the processes logged at ERROR or above (each process logs at WARNING), each
        with the lines that belong to it (its traceback), named by the log it is in: a failing
        soak says which exception it was, not only that one was raised."""
        found = []
        for slot in range(self.slots):
            if not self.log(slot).exists():
                continue
            entry: list[str] | None = None
            for line in self.log(slot).read_text(errors="replace").splitlines():
                if entry is not None and not _RECORD.match(line):
                    entry.append(line)  # a traceback's line, or a message's next line
                    continue
                if entry is not None:
                    found.append("\n".join(entry))
                    entry = None
                if " ERROR " in line or " CRITICAL " in line or line.startswith("Traceback"):
                    entry = [f"[{self.log(slot).name}] {line}"]
            if entry is not None:
                found.append("\n".join(entry))
        return found

    def tail(self, characters: int = 2000) -> str:
        """The end of each process's output (for a failing soak's message)."""
        return "\n".join(
            f"--- process {slot} ({self.log(slot)}) ---\n"
            + self.log(slot).read_text(errors="replace")[-characters:]
            for slot in range(self.slots)
            if self.log(slot).exists()
        )

    async def start(self, slot: int) -> Life:
        """Start the slot's process under a new name."""
        life = Life(f"s{slot}n{len(self.lives)}", slot, time.monotonic())
        self._processes[slot] = await homegroup_run(self._settings(slot, life.name), self.log(slot))
        self._current[slot] = life
        self.lives.append(life)
        return life

    async def start_all(self) -> None:
        for slot in range(self.slots):
            await self.start(slot)

    async def kill(self, slot: int) -> None:
        """SIGKILL the slot's process: no cleanup of any kind, as a power cut or the OOM killer."""
        process = self._processes.pop(slot)
        life = self._current.pop(slot)
        if process.returncode is not None:  # it had stopped by itself
            self._stopped.append((life.name, process.returncode))
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        life.ended, life.killed = time.monotonic(), True

    async def restart(self, slot: int) -> Life:
        await self.kill(slot)
        return await self.start(slot)

    def current(self, slot: int) -> Life:
        return self._current[slot]

    def named(self, name: str) -> Life:
        return next(life for life in self.lives if life.name == name)

    def alive(self, name: str, at: float) -> bool:
        """Whether the process of that name had started and not yet died at ``at``."""
        life = self.named(name)
        return life.started <= at and (life.ended is None or at < life.ended)

    def exited(self) -> list[tuple[str, int]]:
        """Processes that stopped by themselves (name, status): none should."""
        return self._stopped + [
            (self._current[slot].name, process.returncode)
            for slot, process in self._processes.items()
            if process.returncode is not None
        ]

    async def chaos(self, kills: int, seconds: float, rng: random.Random) -> None:
        """Kill ``kills`` times over about ``seconds``, at random moments, a random slot's
        process (whether it is serving or still starting), and start it again at once."""
        moments = sorted(rng.uniform(0, seconds) for _ in range(kills))
        began = time.monotonic()
        for moment in moments:
            await asyncio.sleep(max(0.0, began + moment - time.monotonic()))
            await self.restart(rng.randrange(self.slots))

    async def stop(self) -> dict[str, int]:
        """SIGTERM every process, as a service manager stops it; their exit statuses by name."""
        statuses: dict[str, int] = {}
        for slot in list(self._processes):
            process = self._processes.pop(slot)
            life = self._current.pop(slot)
            statuses[life.name] = (
                process.returncode if process.returncode is not None else await terminate(process)
            )
            life.ended = time.monotonic()
        return statuses

    async def __aenter__(self) -> Fleet:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for slot in list(self._processes):
            await self.kill(slot)


@pytest.fixture
def rng() -> random.Random:
    """The soak's randomness: ``HOMEGROUP_SOAK_SEED``, else a new seed, printed so a failing
    run can be replayed (as far as the scheduler allows)."""
    given = os.environ.get("HOMEGROUP_SOAK_SEED")
    seed = int(given) if given else random.SystemRandom().randrange(2**32)
    print(f"soak seed: {seed}")
    return random.Random(seed)
