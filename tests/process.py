"""``python -m adapters run`` as a separate process, for the tests of a real start and stop."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROXIES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


async def homegroup_run(settings: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    """Start the bot with these settings (no proxy: the fakes are on loopback; quiet unless they
    set a log level); output to log."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in PROXIES}
    env.update({"HOMEGROUP_LOG_LEVEL": "WARNING", "NO_PROXY": "127.0.0.1", **settings})
    with log.open("ab") as output:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "adapters",
            "run",
            cwd=REPO,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=output,
            stderr=output,
        )


async def terminate(process: asyncio.subprocess.Process, within: float = 10) -> int:
    """Stop it with SIGTERM, as a service manager does; fail if it does not stop in time."""
    process.terminate()
    try:
        return await asyncio.wait_for(process.wait(), within)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(f"SIGTERM did not stop homegroup within {within} s") from None
