"""A render worker's whole life: read requests, render overrides, answer, until told to stop.

Started by ``bot.render_guard`` as a fresh Python; it alone of the render modules needs the
renderer itself, so the pool that starts it does not.
"""

from __future__ import annotations

import base64
import json
import os
import pickle
import signal
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import jinja2
from jinja2.exceptions import SecurityError

from bot.render import Renderer
from bot.render_sandbox import Budget, OverrideSpent, render_override


def serve(config: dict[str, Any]) -> None:
    """Answer render requests from standard input until it closes: a worker's whole life."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the bot, which stops us
    _leave_with(int(config["parent"]))
    budget = Budget(**config["budget"])
    overrides = Path(config["overrides"])
    renderers: dict[str, Renderer] = {}
    _cap_memory(budget.memory)
    out = sys.stdout.buffer
    _write(out, {"ready": True})
    for line in sys.stdin.buffer:
        request = json.loads(line)
        renderer = renderers.get(request["dialect"])
        if renderer is None:
            dialect = pickle.loads(base64.b64decode(request["dialect"]))  # noqa: S301 - from the bot
            renderer = Renderer(dialect, overrides, budget=budget)
            renderers[request["dialect"]] = renderer
        _write(out, _render_request(renderer, request, overrides))


def _render_request(renderer: Renderer, request: dict[str, Any], overrides: Path) -> dict[str, Any]:
    try:
        text = render_override(renderer, request["template"], request["context"], request["locale"])
    except OverrideSpent as spent:
        return {"spent": spent.what, "frames": _frames(spent.__traceback__, overrides)}
    except MemoryError:
        return {"spent": "memory"}
    except Exception as error:  # the override's own error, told to the bot as data
        reply: dict[str, Any] = {
            "failed": type(error).__name__,
            "frames": _frames(error.__traceback__, overrides),
        }
        if isinstance(error, SecurityError):
            reply.update(kind="security", message=str(error))
        elif isinstance(error, jinja2.TemplateNotFound):
            reply.update(kind="missing", missing=str(error.name))
        elif isinstance(error, jinja2.TemplateError):
            reply.update(kind="template", message=error.message or "")
        else:
            reply.update(kind="other", message=str(error))
        return reply
    return {"text": text}


def _frames(trace: TracebackType | None, overrides: Path) -> list[tuple[str, int]]:
    """The override files and lines in a traceback (Jinja rewrites it to template lines)."""
    root = os.path.realpath(overrides) + os.sep
    found: list[tuple[str, int]] = []
    while trace is not None:
        file = trace.tb_frame.f_code.co_filename
        if os.path.realpath(file).startswith(root):
            found.append((file, trace.tb_lineno))
        trace = trace.tb_next
    return found


def _write(out: IO[bytes], reply: dict[str, Any]) -> None:
    out.write(json.dumps(reply).encode() + b"\n")
    out.flush()


def _leave_with(parent: int) -> None:
    """Exit when the bot is gone, even mid-render: nobody would kill a spinning orphan."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="render-worker-watch", daemon=True).start()


def _cap_memory(extra: int) -> None:
    """Let this process grow by ``extra`` bytes at most; past that, allocating fails."""
    try:
        import resource

        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[0])
    except (ImportError, OSError, ValueError):
        return  # no cap here (not Linux): the deadline still holds
    size = pages * os.sysconf("SC_PAGE_SIZE") + extra
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        size = min(size, hard)
    resource.setrlimit(resource.RLIMIT_AS, (size, hard))
