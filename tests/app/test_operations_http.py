"""``HOMEGROUP_HTTP``: ``/healthz`` and ``/metrics`` over real HTTP, and a whole session's metrics
and JSON logs scanned for anything a member said or is known by."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.http import Metrics, serve_http
from bot.app import App
from bot.domain.inbound import CommandIssued, Origin
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram import FakeTelegram
from tests.process import homegroup_run, terminate
from tests.telegram_harness import button, free_port, keep_clean_date, said

SAM = tg.user(7300011, "Samwise Quillfeather")
ANA = tg.user(7300022, "Anabel Fenwright")
GROUP = tg.group(-1009988776655, "Thursday Lantern Circle")
NOTE = "the corner store on Halsey keeps calling me"
CONTACT = "+1 555 0142, ring twice after nine"
CLEAN_DATE = "2024-02-29"
SECRETS = [
    SAM["first_name"],
    ANA["first_name"],
    GROUP["title"],
    NOTE,
    "Halsey",
    CONTACT,
    "0142",
    CLEAN_DATE,
    str(SAM["id"]),
    str(ANA["id"]),
    str(GROUP["id"]),
    "9988776655",
]


async def get(port: int, path: str) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}{path}") as response,
    ):
        return response.status, await response.text()


async def until(check: Callable[[], Awaitable[Any]], seconds: float = 30) -> Any:
    """Ask (an HTTP endpoint) until ``check`` gives something truthy; return it."""
    async with asyncio.timeout(seconds):
        while not (result := await check()):  # noqa: ASYNC110 - a server is asked, not awaited
            await asyncio.sleep(0.05)
    return result


def sample(metrics: str, name: str, **labels: str) -> float:
    """The value of one sample in the Prometheus text; 0 when it is not there."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    pattern = rf"^{re.escape(name)}(?:\{{{re.escape(wanted)}\}})? (\S+)$" if wanted else None
    for line in metrics.splitlines():
        if pattern is not None and re.match(pattern, line):
            return float(line.rpartition(" ")[2])
        if pattern is None and line.startswith(f"{name} "):
            return float(line.rpartition(" ")[2])
    return 0.0


@contextlib.asynccontextmanager
async def homegroup(fake: FakeTelegram, tmp_path: Path, port: int) -> AsyncIterator[Path]:
    """``homegroup run`` against the fake, serving HTTP on ``port``, logging JSON lines at
    INFO; yields the log file once /healthz answers."""
    log = tmp_path / "homegroup.log"
    process = await homegroup_run(
        {
            "TELEGRAM_TOKEN": fake.token,
            "TELEGRAM_API_URL": fake.root,
            "HOMEGROUP_DATABASE": str(tmp_path / "homegroup.db"),
            "HOMEGROUP_HTTP": f"127.0.0.1:{port}",
            "HOMEGROUP_LOG_FORMAT": "json",
            "HOMEGROUP_LOG_LEVEL": "INFO",
        },
        log,
    )

    async def healthy() -> bool:
        with contextlib.suppress(aiohttp.ClientError):
            return (await get(port, "/healthz"))[0] == 200
        return False

    try:
        await until(healthy)
        yield log
    finally:
        status = await terminate(process)
        assert status == 0, log.read_text()


async def test_a_whole_session_is_counted_and_nothing_of_it_is_in_metrics_or_logs(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    port = free_port()
    async with homegroup(fake_telegram, tmp_path, port) as log:
        fake_telegram.push(tg.command(GROUP, ANA, "/supporter on"))
        await said(fake_telegram, GROUP["id"], "on the supporter list")
        await keep_clean_date(fake_telegram, GROUP, SAM, CLEAN_DATE)
        private = tg.private_chat(SAM)
        fake_telegram.push(tg.command(private, SAM, f"/contact {CONTACT}"))
        await said(fake_telegram, SAM["id"], "Saved:")  # kept at once: they agreed before
        fake_telegram.push(tg.command(GROUP, SAM, f"/craving {NOTE}"))
        answer = await said(fake_telegram, GROUP["id"], "Thank you for saying it")
        fake_telegram.push(tg.callback(ANA, answer, button(answer, "craving.claim")))
        await said(fake_telegram, SAM["id"], "is on the way to you")

        async def settled() -> str | None:
            """The metrics once the last sends are marked and nothing waits to leave."""
            status, text = await get(port, "/metrics")
            assert status == 200
            waiting = sample(text, "homegroup_outbox_depth", platform="telegram", priority="urgent")
            done = sample(text, "homegroup_claims_total", platform="telegram") == 1
            return text if done and not waiting and "homegroup_pings_total{" in text else None

        metrics = await until(settled)
        health_status, health = await get(port, "/healthz")

    assert health_status == 200
    assert json.loads(health)["failed"] == []
    telegram = {"platform": "telegram"}
    assert sample(metrics, "homegroup_cravings_total", **telegram) == 1
    assert sample(metrics, "homegroup_claims_total", **telegram) == 1
    assert sample(metrics, "homegroup_pings_total", **telegram) == 1
    commands = sample(metrics, "homegroup_updates_handled_total", kind="command", **telegram)
    assert commands == 4, "supporter, cleandate, contact, craving"
    assert sample(metrics, "homegroup_updates_handled_total", kind="button", **telegram) >= 2
    assert sample(metrics, "homegroup_sends_total", outcome="sent", **telegram) >= 8
    assert sample(metrics, "homegroup_handling_seconds_count", **telegram) >= 7
    assert "homegroup_outbox_depth" in metrics
    assert "homegroup_timers_due" in metrics

    logged = log.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in logged.splitlines() if line.startswith("{")]
    assert lines, "the process logged at INFO"
    assert all(set(line) >= {"time", "level", "logger", "message"} for line in lines)
    for secret in SECRETS:
        assert secret not in metrics, secret
        assert secret not in logged, secret
    labels = set(re.findall(r'(\w+)="', metrics))
    assert labels <= {"platform", "kind", "priority", "outcome", "le"}


async def test_healthz_names_a_platform_that_lost_its_connection(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    port = free_port()
    async with homegroup(fake_telegram, tmp_path, port):
        status, body = await get(port, "/healthz")
        assert status == 200
        health = json.loads(body)
        assert health == {"status": "ok", "failed": [], "outbox_oldest_seconds": 0.0}

        fake_telegram.fail("getUpdates", 502, "Bad Gateway", times=1000)
        fake_telegram.push(tg.command(GROUP, SAM, "/help"))  # ends the long poll under way

        async def failing() -> dict[str, Any] | None:
            status, body = await get(port, "/healthz")
            return json.loads(body) if status == 503 else None

        health = await until(failing)
        assert health["status"] == "failing"
        assert health["failed"] == ["telegram"]


class _Unreachable:
    """A store whose database does not answer."""

    def transaction(self) -> Any:
        raise ConnectionError("the database went away")

    async def close(self) -> None:
        pass


@pytest.fixture
async def served(app: App) -> AsyncIterator[tuple[int, Metrics, dict[str, bool]]]:
    """The endpoints of an app with no platform connected but a fake one, on a free port."""
    port = free_port()
    metrics = Metrics()
    connected = {"discord": True}
    checks = {"discord": lambda: connected["discord"]}
    task = asyncio.create_task(serve_http(app, ("127.0.0.1", port), metrics, checks))

    async def up() -> bool:
        with contextlib.suppress(aiohttp.ClientError):
            return (await get(port, "/healthz"))[0] in (200, 503)
        return False

    await until(up)
    yield port, metrics, connected
    task.cancel()
    with contextlib.suppress(BaseException):
        await task


async def test_healthz_says_which_check_failed(
    app: App, served: tuple[int, Metrics, dict[str, bool]]
) -> None:
    port, _, connected = served
    assert (await get(port, "/healthz"))[0] == 200
    connected["discord"] = False
    status, body = await get(port, "/healthz")
    assert (status, json.loads(body)["failed"]) == (503, ["discord"])
    connected["discord"] = True
    store, app.store = app.store, _Unreachable()  # type: ignore[assignment]
    try:
        status, body = await get(port, "/healthz")
        assert (await get(port, "/metrics"))[0] == 200, "what was counted is still served"
    finally:
        app.store = store  # the fixture closes it
    assert status == 503
    assert json.loads(body) == {
        "status": "failing",
        "failed": ["database"],
        "outbox_oldest_seconds": None,
    }


async def test_metrics_count_the_cores_events_through_its_observer(
    app: App, served: tuple[int, Metrics, dict[str, bool]]
) -> None:
    port, metrics, _ = served
    app.core.observer = metrics
    here = Origin("console", "group", "sam", "Sam", community="group")
    await app.core.handle(CommandIssued("c-1", here, "craving", "a note"))
    await app.core.handle(CommandIssued("c-2", here, "nosuchthing", "secret words"))
    await app.core.handle(CommandIssued("c-1", here, "craving", "a note"))  # a duplicate
    status, text = await get(port, "/metrics")
    assert status == 200
    console = {"platform": "console"}
    assert sample(text, "homegroup_updates_handled_total", kind="command", **console) == 2
    assert sample(text, "homegroup_cravings_total", **console) == 1
    assert sample(text, "homegroup_outbox_depth", priority="answer", **console) >= 1
    assert "nosuchthing" not in text
    assert "secret words" not in text


async def test_metrics_count_rows_that_may_have_reached_their_platform_twice(
    served: tuple[int, Metrics, dict[str, bool]],
) -> None:
    port, metrics, _ = served
    metrics.maybe_twice("telegram", "unsure")
    metrics.maybe_twice("telegram", "unsure")
    metrics.maybe_twice("telegram", "lost_lane")
    _, text = await get(port, "/metrics")
    telegram = {"platform": "telegram"}
    assert sample(text, "homegroup_outbox_maybe_twice_total", reason="unsure", **telegram) == 2
    assert sample(text, "homegroup_outbox_maybe_twice_total", reason="lost_lane", **telegram) == 1
