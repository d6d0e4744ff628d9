"""What the fake platforms share: an aiohttp app served on a free port of 127.0.0.1."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Self

from aiohttp import web

BACKLOG = 4096
"""The listen backlog (the kernel caps it at ``net.core.somaxconn``). Clients open a
connection per request in flight; aiohttp's default of 128 would make the kernel drop the rest
of a burst for a second, which no real platform's edge does."""


@dataclass(frozen=True, slots=True)
class Upload:
    """A file sent in a multipart request."""

    filename: str
    content: bytes
    content_type: str


class LoopbackServer:
    """Serves the app a subclass builds; no access log, since paths hold tokens."""

    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._root: str | None = None

    def application(self) -> web.Application:
        raise NotImplementedError

    async def serve(self, port: int = 0) -> str:
        """Serve on a loopback port (0: a free one); return the root URL."""
        self._runner = web.AppRunner(self.application(), access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", port))
        await web.SockSite(self._runner, sock, backlog=BACKLOG).start()
        self._root = f"http://127.0.0.1:{sock.getsockname()[1]}"
        return self._root

    async def stop_serving(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def start(self) -> object:
        return await self.serve()

    async def close(self) -> None:
        await self.stop_serving()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def root(self) -> str:
        if self._root is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._root
