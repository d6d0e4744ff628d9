"""(h) Rendering: a bundled template in process, and a deployment's override through its worker.

The template is ``craving_reply`` in Telegram's dialect with its sample context: the answer
every ``/craving`` gets, with its partials. The override is the bundled text under one line of
the deployment's own, so it includes the same (bundled) partials. Each figure is the median,
over the runs, of the mean time of one render in a run:

* bundled, as every deployment without overrides renders; then with an override folder that
  overrides other templates (this one reads none, so it still renders in process);
* the override in this process, in the capped sandbox a worker uses (no process boundary);
* the override through its worker, blocking (the console, the start check), awaited one at a
  time (a sender), and 16 awaited at once (the outbox sending to many chats).

Last, a runaway override (loops that call nothing) is rendered once: how long until the bundled
answer comes back (the budget), and whether the spinning worker is gone.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, cast

from adapters.telegram.dialect import TelegramDialect
from bot.render import Renderer, bundled_messages
from bot.render_sandbox import render_override
from bot.samples import as_sent
from bot.samples.craving import REPLY

KEY = "craving_reply"
AT_ONCE = 16
SPINS = "".join(f'{{% for {v} in "{"x" * 1000}" %}}' for v in "abc") + "{% endfor %}" * 3


def _overrides(root: Path, files: dict[str, str]) -> Path:
    (root / "en").mkdir(parents=True)
    for name, text in files.items():
        (root / "en" / name).write_text(text, encoding="utf-8")
    return root


async def _mean(renders: int, at_once: int, once: Callable[[], object]) -> float:
    """Seconds a render over ``renders`` renders, ``at_once`` awaited together (0: not awaited)."""
    started = time.perf_counter()
    if at_once == 0:
        for _ in range(renders):
            once()
        return (time.perf_counter() - started) / renders
    batches = max(renders // at_once, 1)
    for _ in range(batches):
        await asyncio.gather(*(cast(Awaitable[object], once()) for _ in range(at_once)))
    return (time.perf_counter() - started) / (batches * at_once)


async def run(renders: int, runs: int) -> None:
    dialect = TelegramDialect()
    context: dict[str, Any] = as_sent(REPLY)
    with tempfile.TemporaryDirectory(prefix="homegroup-render-") as folder:
        bundled_text = bundled_messages().joinpath("en", f"{KEY}.j2").read_text(encoding="utf-8")
        root = _overrides(
            Path(folder) / "ours",
            {f"{KEY}.j2": "Our circle's own words.\n" + bundled_text, "days_none.j2": SPINS},
        )
        others = _overrides(Path(folder) / "others", {"help.j2": "Our own help."})
        bundled = Renderer(dialect)
        elsewhere = Renderer(dialect, others)
        overridden = Renderer(dialect, root)
        try:
            assert bundled.render(KEY, context) != overridden.render(KEY, context)
            assert elsewhere.render("help", {}) == "Our own help."  # its worker, started once
            values = {**context, "_allowed_mentions": set()}
            first = time.perf_counter()
            Renderer(dialect, root).render(KEY, context)
            started_in = time.perf_counter() - first
            ways: list[tuple[str, int, Callable[[], object]]] = [
                ("bundled, in process", 0, lambda: bundled.render(KEY, context)),
                (
                    "bundled, with other templates overridden",
                    0,
                    lambda: elsewhere.render(KEY, context),
                ),
                (
                    "override in process (capped sandbox)",
                    0,
                    lambda: render_override(overridden, KEY, values, "en"),
                ),
                (
                    "override through its worker, blocking",
                    0,
                    lambda: overridden.render(KEY, context),
                ),
                (
                    "override through its worker, awaited",
                    1,
                    lambda: overridden.render_async(KEY, context),
                ),
                (
                    f"override through 2 workers, {AT_ONCE} awaited at once",
                    AT_ONCE,
                    lambda: overridden.render_async(KEY, context),
                ),
            ]
            # Side by side: each run measures every way in turn, so a noisy neighbour lands
            # on all of them, and each ratio is taken within its run.
            seconds: list[list[float]] = [[] for _ in ways]
            for _ in range(runs):
                for taken, (_, at_once, once) in zip(seconds, ways, strict=True):
                    taken.append(await _mean(renders, at_once, once))
            print(
                f"(h) rendering {KEY} in Telegram's dialect: medians of {runs} runs of"
                f" {renders:,} renders each way, side by side"
            )
            for (label, _, _), taken in zip(ways, seconds, strict=True):
                ratio = statistics.median(t / b for t, b in zip(taken, seconds[0], strict=True))
                print(
                    f"  {label:<46} {statistics.median(taken) * 1e6:7.1f} µs a render"
                    f"  ({ratio:5.2f}x bundled)"
                )
            here, blocking, awaited = (statistics.median(seconds[i]) for i in (2, 3, 4))
            print(
                f"  worker overhead: {(blocking - here) * 1e6:.0f} µs a render blocking,"
                f" {(awaited - here) * 1e6:.0f} µs awaited; a first render, starting its"
                f" worker: {started_in * 1000:.0f} ms"
            )
            await _runaway(overridden)
        finally:
            for renderer in (bundled, elsewhere, overridden):
                renderer.close()


def _killed(pids: set[int]) -> bool:
    """Whether these workers were there and are gone now, reaped too."""
    return bool(pids) and not any(Path(f"/proc/{pid}").exists() for pid in pids)


async def _runaway(renderer: Renderer) -> None:
    assert renderer.guard is not None
    before = set(renderer.guard.pids)
    logging.getLogger("bot.render").setLevel(logging.ERROR)  # its one warning: said below
    try:
        started = time.perf_counter()
        text = await renderer.render_async("days_none", {"who": {"id": "7", "name": "Sam"}})
        took = time.perf_counter() - started
    finally:
        logging.getLogger("bot.render").setLevel(logging.NOTSET)
    gone = _killed(before - set(renderer.guard.pids))
    print(
        f"  a runaway override: the bundled answer after {took:.2f} s (budget"
        f" {renderer.budget.seconds:g} s), {'bundled' if 'clean date' in text else 'WRONG'}"
        f" text; its worker {'killed' if gone else 'STILL THERE'}, another in its place"
    )
