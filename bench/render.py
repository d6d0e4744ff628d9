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
from typing import Any

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


def _median(runs: int, renders: int, once: Callable[[], object]) -> float:
    """Seconds a render, the median of ``runs`` runs of ``renders`` renders each."""
    means = []
    for _ in range(runs):
        started = time.perf_counter()
        for _ in range(renders):
            once()
        means.append((time.perf_counter() - started) / renders)
    return statistics.median(means)


async def _median_async(
    runs: int, renders: int, at_once: int, once: Callable[[], Awaitable[object]]
) -> float:
    batches = max(renders // at_once, 1)
    means = []
    for _ in range(runs):
        started = time.perf_counter()
        for _ in range(batches):
            await asyncio.gather(*(once() for _ in range(at_once)))
        means.append((time.perf_counter() - started) / (batches * at_once))
    return statistics.median(means)


def _line(label: str, seconds: float, base: float) -> None:
    print(f"  {label:<44} {seconds * 1e6:8.1f} µs a render  ({seconds / base:5.2f}x bundled)")


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
            print(
                f"(h) rendering {KEY} in Telegram's dialect: the median of {runs} runs of"
                f" {renders:,} renders each"
            )
            base = _median(runs, renders, lambda: bundled.render(KEY, context))
            _line("bundled, in process", base, base)
            routed = _median(runs, renders, lambda: elsewhere.render(KEY, context))
            _line("bundled, with other templates overridden", routed, base)
            here = _median(runs, renders, lambda: render_override(overridden, KEY, values, "en"))
            _line("override in process (capped sandbox)", here, base)
            blocking = _median(runs, renders, lambda: overridden.render(KEY, context))
            _line("override through its worker, blocking", blocking, base)
            awaited = await _median_async(
                runs, renders, 1, lambda: overridden.render_async(KEY, context)
            )
            _line("override through its worker, awaited", awaited, base)
            together = await _median_async(
                runs, renders, AT_ONCE, lambda: overridden.render_async(KEY, context)
            )
            _line(f"override through 2 workers, {AT_ONCE} awaited at once", together, base)
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
