"""Render a deployment's template overrides where a runaway one is stopped, not waited for.

Bundled templates are ours and render in the bot's own process. An override is the deployment's
code, and rendering runs on the event loop that polls the platforms and keeps their heartbeats. So
overrides render in worker processes (a fresh Python each, started, not forked), spoken to in
JSON lines over their standard input and output, under a :class:`Budget`:

* the worker's sandbox (``bot.render_sandbox``) refuses the common blow-ups at once and stops
  an override that runs past the deadline while it calls, reads or prints anything;
* the worker's address space is capped, so an allocation the caps miss fails there with
  MemoryError instead of taking the machine's memory;
* the bot kills the worker when the time budget runs out, which is the only stop for a loop
  that calls nothing, and starts another in its place.

A member's words cross to the worker as JSON, never pickled; only the dialect (our own code) is.
The worker's environment carries no tokens.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import json
import os
import pickle
import selectors
import subprocess
import sys
import time
import weakref
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any, NoReturn

from bot.dialect import Dialect
from bot.render_sandbox import Budget, OverrideSpent

STARTUP = 20.0
"""Seconds a new worker may take to start (Python and Jinja import): not the render budget."""
_BOOT = (
    "import json, sys; config = json.loads(sys.argv[1]); sys.path[:0] = config['path']; "
    "from bot.render_worker import serve; serve(config)"
)


class OverrideFailed(Exception):
    """An override raised an error while rendering in its worker."""

    def __init__(
        self,
        error: str,
        kind: str = "other",
        message: str = "",
        missing: str | None = None,
        frames: tuple[tuple[str, int], ...] = (),
    ) -> None:
        super().__init__(f"{error}: {message}" if message else error)
        self.error = error
        """The error's type, like ``UndefinedError``."""
        self.kind = kind
        """``security``, ``missing`` (a template), ``template`` or ``other``."""
        self.message = message
        self.missing = missing
        self.frames = frames


class OverrideGuard:
    """A small pool of render workers for one override folder; a worker that overruns is killed.

    Used from one thread: ``render`` blocks that thread up to the budget (for the console, the
    start-time check and any caller that cannot await); ``render_async`` waits on the event
    loop without blocking it.
    """

    def __init__(self, overrides: Path, budget: Budget | None = None, *, workers: int = 2) -> None:
        self.overrides = overrides
        self.budget = budget or Budget()
        self._size = workers
        self._all: set[_Worker] = set()
        self._idle: list[_Worker] = []
        self._waiting: collections.deque[asyncio.Future[_Worker]] = collections.deque()
        self._dialects: dict[Dialect, str] = {}
        weakref.finalize(self, _stop_all, self._all)

    @property
    def pids(self) -> list[int]:
        """The process ids of the workers alive now."""
        return sorted(worker.pid for worker in self._all)

    def render(
        self, dialect: Dialect, template: str, context: Mapping[str, Any], locale: str
    ) -> str:
        """Render an override in a worker, waiting here; raise OverrideSpent or OverrideFailed."""
        request = self._request(dialect, template, context, locale)
        # Every worker may be busy with an awaited render that this wait would hold up: an
        # extra one then, which goes when it is given back.
        worker = self._idle_one() or self._spawn()
        try:
            reply = worker.ask(request, self.budget.seconds)
        except BaseException as error:
            self._lost(worker, error)
        return self._answered(worker, reply)

    async def render_async(
        self, dialect: Dialect, template: str, context: Mapping[str, Any], locale: str
    ) -> str:
        """Render an override in a worker without holding up the event loop meanwhile."""
        request = self._request(dialect, template, context, locale)
        worker = await self._take()
        try:
            reply = await worker.ask_async(request, self.budget.seconds)
        except BaseException as error:
            self._lost(worker, error)
        return self._answered(worker, reply)

    def close(self) -> None:
        """Stop every worker."""
        self._idle.clear()
        _stop_all(self._all)

    def _request(
        self, dialect: Dialect, template: str, context: Mapping[str, Any], locale: str
    ) -> bytes:
        shipped = self._dialects.get(dialect)
        if shipped is None:
            shipped = base64.b64encode(pickle.dumps(dialect)).decode()
            self._dialects[dialect] = shipped
        request = {"dialect": shipped, "template": template, "locale": locale, "context": context}
        return json.dumps(request, default=_jsonable).encode() + b"\n"

    def _answered(self, worker: _Worker, reply: dict[str, Any]) -> str:
        """Keep a worker that answered, unless it ran out of memory; read its answer."""
        if reply.get("spent") == "memory":
            self._replace(worker)  # its heap may sit near the cap now
        else:
            self._give_back(worker)
        return _read_reply(reply)

    def _lost(self, worker: _Worker, error: BaseException) -> NoReturn:
        """A worker that did not answer is killed and replaced; say why as the caller's error."""
        if not isinstance(error, TimeoutError | EOFError | OSError):
            # Cancelled mid-render (the bot stopping, most likely): its answer would reach the
            # next asker, so it goes, and another starts only when someone needs it.
            self._replace(worker, successor=False)
            raise error
        self._replace(worker)
        if not worker.started:
            raise OverrideFailed("the render worker did not start") from None
        raise OverrideSpent("time" if isinstance(error, TimeoutError) else "crash") from None

    async def _take(self) -> _Worker:
        idle = self._idle_one()
        if idle is not None:
            return idle
        if len(self._all) < self._size:
            return self._spawn()
        waiter: asyncio.Future[_Worker] = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._give_back(waiter.result())
            raise

    def _idle_one(self) -> _Worker | None:
        """A waiting worker whose process is still there (someone may have killed one)."""
        while self._idle:
            worker = self._idle.pop()
            if worker.alive:
                return worker
            self._all.discard(worker)
            worker.kill()
        return None

    def _give_back(self, worker: _Worker) -> None:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(worker)
                return
        if worker in self._all and len(self._idle) < self._size:
            self._idle.append(worker)
        else:  # an extra one that a blocking render started while every worker was busy
            self._all.discard(worker)
            worker.kill()

    def _replace(self, worker: _Worker, *, successor: bool = True) -> None:
        """Kill a worker and start its successor, which imports while nobody waits for it."""
        self._all.discard(worker)
        worker.kill()
        waited_for = any(not waiter.done() for waiter in self._waiting)
        if (successor or waited_for) and len(self._all) < self._size:
            self._give_back(self._spawn())

    def _spawn(self) -> _Worker:
        config = {
            "path": sys.path,
            "overrides": str(self.overrides),
            "budget": asdict(self.budget),
            "parent": os.getpid(),
        }
        worker = _Worker([sys.executable, "-I", "-c", _BOOT, json.dumps(config)])
        self._all.add(worker)
        return worker


class _Worker:
    """One render process: a JSON request on its standard input, a JSON line back."""

    def __init__(self, argv: list[str]) -> None:
        # Nothing a template needs is secret: the worker gets no settings, and so no token.
        quiet = {key: value for key, value in os.environ.items() if _harmless(key)}
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # a traceback there could quote a member's words
            env=quiet,
        )
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._in: IO[bytes] = self._process.stdin
        self._out: IO[bytes] = self._process.stdout
        os.set_blocking(self._out.fileno(), False)
        self._readable = selectors.DefaultSelector()
        self._readable.register(self._out, selectors.EVENT_READ)
        self._buffer = bytearray()
        self.started = False
        """Whether it said it is ready; before that, its time is startup, not the budget's."""

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def ask(self, request: bytes, seconds: float) -> dict[str, Any]:
        if not self.started:
            self._receive(STARTUP)
            self.started = True
        self._in.write(request)
        self._in.flush()
        return self._receive(seconds)

    async def ask_async(self, request: bytes, seconds: float) -> dict[str, Any]:
        if not self.started:
            await self._receive_async(STARTUP)
            self.started = True
        self._in.write(request)  # a request fits the pipe, and an idle worker is reading
        self._in.flush()
        return await self._receive_async(seconds)

    def kill(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        self._readable.close()
        for pipe in (self._in, self._out):
            with contextlib.suppress(OSError):
                pipe.close()

    def _receive(self, seconds: float) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while (line := self._line()) is None:
            left = deadline - time.monotonic()
            if left <= 0 or not self._readable.select(left):
                raise TimeoutError
            self._fill()
        return _loaded(line)

    async def _receive_async(self, seconds: float) -> dict[str, Any]:
        line = self._line()
        if line is None:
            loop = asyncio.get_running_loop()
            arrived: asyncio.Future[bytes] = loop.create_future()

            def readable() -> None:
                if arrived.done():
                    return
                try:
                    self._fill()
                except EOFError as error:
                    arrived.set_exception(error)
                    return
                whole = self._line()
                if whole is not None:
                    arrived.set_result(whole)

            loop.add_reader(self._out.fileno(), readable)
            try:
                async with asyncio.timeout(seconds):
                    line = await arrived
            finally:
                loop.remove_reader(self._out.fileno())
        return _loaded(line)

    def _line(self) -> bytes | None:
        end = self._buffer.find(b"\n")
        if end < 0:
            return None
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 1]
        return line

    def _fill(self) -> None:
        try:
            chunk = os.read(self._out.fileno(), 1 << 16)
        except BlockingIOError:
            return
        if not chunk:
            raise EOFError("the render worker stopped")
        self._buffer += chunk


_HARMLESS = frozenset({"PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "LD_LIBRARY_PATH"})
"""The variables a worker keeps: where programs and libraries are, the locale and the zone.
Any other may be a setting (a platform's token among them), and no template needs one."""


def _harmless(key: str) -> bool:
    return key in _HARMLESS or key.startswith("LC_")


def _read_reply(reply: dict[str, Any]) -> str:
    frames = tuple((str(file), int(line)) for file, line in reply.get("frames", ()))
    if "text" in reply:
        return str(reply["text"])
    if "spent" in reply:
        raise OverrideSpent(str(reply["spent"]), frames)
    raise OverrideFailed(
        str(reply["failed"]),
        str(reply.get("kind", "other")),
        str(reply.get("message", "")),
        reply.get("missing"),
        frames,
    )


def _jsonable(value: object) -> object:
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    raise TypeError(f"{type(value).__name__} cannot reach a render worker")


def _loaded(line: bytes) -> dict[str, Any]:
    reply = json.loads(line)
    if not isinstance(reply, dict):
        raise EOFError("the render worker answered nonsense")
    return reply


def _stop_all(workers: set[_Worker]) -> None:
    for worker in list(workers):
        worker.kill()
    workers.clear()
