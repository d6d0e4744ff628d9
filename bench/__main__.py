"""Run every benchmark and print its figures: ``python -m bench [--quick]``."""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sqlite3
import time

from bench import (
    cleantime,
    craving,
    discord_stack,
    milestones,
    render,
    scale,
    telegram_stack,
    urgency,
)
from bench.support import NOW


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    quick = parser.parse_args(argv).quick
    members = 1_000 if quick else 10_000
    sizes = [10_000, 20_000] if quick else [10_000, 100_000, 1_000_000]
    repeats = 3 if quick else 9
    cravings = 2_000 if quick else 5_000
    wave, one_by_one, deployed = (300, 100, 50) if quick else (2_000, 200, 100)
    interactions, answered_singly, burst = (200, 100, 800) if quick else (300, 300, 2_000)
    print(
        f"Homegroup benchmarks{' (--quick)' if quick else ''}:"
        f" Python {platform.python_version()}, SQLite {sqlite3.sqlite_version},"
        f" {os.cpu_count()} CPUs, clock at {NOW:%Y-%m-%d %H:%M} UTC"
    )
    started = time.perf_counter()
    asyncio.run(cleantime.run(members))
    asyncio.run(milestones.run(sizes, repeats))
    asyncio.run(craving.run(cravings))
    asyncio.run(telegram_stack.run(wave, one_by_one, deployed))
    asyncio.run(discord_stack.run(interactions, answered_singly, burst))
    asyncio.run(render.run(200 if quick else 2_000, repeats))
    asyncio.run(urgency.run(*((1_000, 50, 500) if quick else (10_000, 500, 5_000)), 100, 10.0))
    asyncio.run(scale.run(*scale.SIZES[quick]))
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
