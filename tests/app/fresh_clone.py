"""What the tests of the README's how-to sections share: a fresh clone of the repository, a
section's shell commands as written, the environment of a fresh machine's shell in which the
clone's own code runs, and stopping what a step started."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[2]


def section_commands(title: str) -> list[str]:
    """The shell commands of the README section ``## title``: every line of its ``sh`` blocks,
    unindented, a line ending in a backslash joined with the next."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^ *```sh\n(.*?)^ *```$", section, flags=re.MULTILINE | re.DOTALL)
    script = "\n".join(line.strip() for block in blocks for line in block.splitlines())
    return [line for line in re.sub(r"\s*\\\n", " ", script).splitlines() if line]


async def fresh_clone(into: Path) -> Path:
    """A clone of the repository's committed state, as a newcomer gets it."""
    clone = into / "homegroup"
    cloned = await asyncio.create_subprocess_exec("git", "clone", "--quiet", ROOT, clone)
    assert await cloned.wait() == 0
    return clone


async def start_logged(
    command: Sequence[str], clone: Path, env: Mapping[str, str], log: Path
) -> asyncio.subprocess.Process:
    """Start ``command`` in the clone with no stdin, as a service runs, its output in ``log``,
    in a session of its own so the test can stop all it started."""
    with log.open("w") as output:
        return await asyncio.create_subprocess_exec(
            *command,
            cwd=clone,
            env=dict(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=output,
            stderr=output,
            start_new_session=True,
        )


def shell_env(clone: Path, home: Path, **settings: str) -> dict[str, str]:
    """A fresh machine's shell for the steps: ``homegroup`` on the PATH and the clone's code
    first on the import path (not whatever checkout the test's venv was installed from), no
    settings but ``settings``, and loopback never sent through a proxy."""
    return {
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "PYTHONPATH": str(clone),
        "HOME": str(home),
        "NO_PROXY": "127.0.0.1",
        "PTB_TIMEDELTA": "true",
        **settings,
    }


async def stop_group(leader: int) -> None:
    """SIGTERM the processes a step started (its process group), as a service manager would;
    SIGKILL what is left after 15 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(leader, signal.SIGTERM)
        for _ in range(150):
            await asyncio.sleep(0.1)
            os.killpg(leader, 0)
        os.killpg(leader, signal.SIGKILL)


async def health(session: aiohttp.ClientSession, port: str) -> dict[str, Any] | None:
    """What a process's /healthz says once it answers 200 (None before)."""
    with contextlib.suppress(aiohttp.ClientError):
        async with session.get(f"http://127.0.0.1:{port}/healthz") as answer:
            if answer.status == 200:
                said: dict[str, Any] = await answer.json()
                return said
    return None


async def healthy(port: str, *, seconds: float = 60) -> dict[str, Any]:
    """Wait until the process listening on ``port`` says it is healthy; what it says."""
    async with aiohttp.ClientSession(trust_env=False) as session, asyncio.timeout(seconds):
        while (said := await health(session, port)) is None:  # noqa: ASYNC110 - another process
            await asyncio.sleep(0.2)
    return said
