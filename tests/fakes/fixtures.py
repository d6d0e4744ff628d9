"""Fixtures that connect the real python-telegram-bot to the fake Bot API.

Enable them for the whole suite with one line in ``tests/conftest.py``::

    from tests.fakes.fixtures import fake_telegram, telegram_bot  # noqa: F401

Two facts of PTB 22 shape them:

* ``HTTPXRequest`` builds an ``httpx.AsyncClient`` with ``trust_env`` left on, and
  ``proxy=None`` (its default) does not turn proxies off: httpx then reads ``HTTP_PROXY``,
  ``HTTPS_PROXY``, ``ALL_PROXY`` and ``NO_PROXY`` from the environment, so on a machine with a
  proxy the loopback requests would go to the proxy (and a ``socks5://`` ``ALL_PROXY`` makes the
  request class fail to build without ``socksio``). ``httpx_kwargs={"trust_env": False}`` is
  the only switch that ignores the environment. ``Bot`` builds a second request object for
  getUpdates, so both ``request`` and ``get_updates_request`` must be given.
* Since PTB 22.2 reading a time period such as ``RetryAfter.retry_after`` warns
  ``PTBDeprecationWarning`` ("In a future major version attribute `retry_after` will be of type
  `datetime.timedelta`...") unless ``PTB_TIMEDELTA`` is true, and ``RetryAfter.__init__`` reads
  it itself: under ``filterwarnings = error`` a 429 would surface as that warning instead of
  ``RetryAfter``. The fixture opts in, so ``retry_after`` is a ``timedelta`` in tests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from tests.fakes.telegram import FakeTelegram


async def _loopback_only(request: httpx.Request) -> None:
    """Refuse anything but loopback, so no test can reach the real Telegram."""
    if request.url.host != "127.0.0.1":
        raise RuntimeError(f"a test tried to reach {request.url.host}")


def loopback_request(**options: Any) -> HTTPXRequest:
    """A PTB request object that ignores proxy variables and talks only to 127.0.0.1."""
    return HTTPXRequest(
        httpx_kwargs={"trust_env": False, "event_hooks": {"request": [_loopback_only]}},
        **options,
    )


def bot_for(fake: FakeTelegram) -> Bot:
    """A real ``telegram.Bot`` (no rate limiter) pointed at ``fake``; use it with ``async with``."""
    return Bot(
        token=fake.token,
        base_url=fake.base_url,
        request=loopback_request(),
        get_updates_request=loopback_request(connection_pool_size=1),
    )


@pytest.fixture
async def fake_telegram(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeTelegram]:
    """A started fake Bot API; also opts PTB into timedelta periods (see the module docstring)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def telegram_bot(fake_telegram: FakeTelegram) -> AsyncIterator[Bot]:
    """An initialized real ``telegram.Bot`` talking to ``fake_telegram``."""
    async with bot_for(fake_telegram) as bot:
        yield bot
