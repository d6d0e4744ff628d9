"""``HOMEGROUP_HTTP``: ``/healthz`` for a container's health check and ``/metrics`` for Prometheus.

The core counts through ``bot.observe.Observer``; ``Metrics`` is that observer, turning each call
into prometheus-client counters here at the process level, so ``bot/`` imports no metrics
library and a process without the endpoint counts nothing. The gauges (the outbox backlog, the
timers due) are read from the database when scraped, so they agree with what every process
sharing it sees.

No label carries a person, a chat, a title or anything a member wrote: the labels are the
platform, the kind of event, the priority and the outcome, all fixed by the code.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.app import App
from bot.domain.records import Backlog
from bot.domain.replies import Priority
from bot.flows.craving import figures_of_event, pings_in

log = logging.getLogger(__name__)

DATABASE_TIMEOUT = 5.0
"""A database that takes longer than this to answer a health check is failing it."""
TIMERS_COUNTED = 1000
"""The due timers the gauge counts at most: beyond that the figure only needs to be large."""
LATE = 60.0
"""A timer taken this many seconds after it fell due counts as late."""

Check = Callable[[], bool | Mapping[str, bool]]
"""Whether a platform this process serves is connected now: as a whole, or by part (Discord's
shards, each named in the answer), the platform failing when any part is not."""


class Metrics:
    """The core's observer as Prometheus metrics, in a registry of its own (not the global
    one, so tests can run several apps side by side)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.updates = Counter(
            "homegroup_updates_handled",
            "Events that had their effect, by platform and kind of event",
            ["platform", "kind"],
            registry=r,
        )
        self.handling = Histogram(
            "homegroup_handling_seconds",
            "How long handling one event took, its transaction included",
            ["platform"],
            registry=r,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        )
        self.sends = Counter(
            "homegroup_sends",
            "Outbox rows tried, by platform and outcome (sent, retry, given_up)",
            ["platform", "outcome"],
            registry=r,
        )
        self.maybe_twice_sent = Counter(
            "homegroup_outbox_maybe_twice",
            "Outbox rows that may have reached their platform twice, by platform and reason"
            " (unsure: retried after a send that failed once the platform may have taken it;"
            " lost_lane: sent by a worker whose lane another process took over)",
            ["platform", "reason"],
            registry=r,
        )
        self.depth = Gauge(
            "homegroup_outbox_depth",
            "Outbox rows waiting to leave, by platform and priority",
            ["platform", "priority"],
            registry=r,
        )
        self.oldest = Gauge(
            "homegroup_outbox_oldest_seconds",
            "Age of the oldest outbox row waiting to leave, by platform and priority",
            ["platform", "priority"],
            registry=r,
        )
        self.timers_due = Gauge(
            "homegroup_timers_due", "Timers due now and not yet taken", registry=r
        )
        self.timers_overdue = Gauge(
            "homegroup_timers_overdue_seconds",
            "How long the longest-waiting due timer has waited",
            registry=r,
        )
        self.timers_fired = Counter("homegroup_timers_fired", "Timers taken", registry=r)
        self.timers_late = Counter(
            "homegroup_timers_late",
            f"Timers taken more than {LATE:.0f} s after they fell due",
            registry=r,
        )
        self.cravings = Counter(
            "homegroup_cravings", "Cravings members reported", ["platform"], registry=r
        )
        self.pings = Counter(
            "homegroup_pings", "Supporters pinged for a craving", ["platform"], registry=r
        )
        self.claims = Counter(
            "homegroup_claims", "Supporters who pressed I'm here", ["platform"], registry=r
        )

    def handled(self, platform: str, kind: str, name: str, seconds: float) -> None:
        self.updates.labels(platform, kind).inc()
        self.handling.labels(platform).observe(seconds)
        figure = figures_of_event(kind, name)
        if figure == "cravings":
            self.cravings.labels(platform).inc()
        elif figure == "claims":
            self.claims.labels(platform).inc()

    def sent(self, platform: str, template: str, outcome: str, mentions: int) -> None:
        self.sends.labels(platform, outcome).inc()
        if outcome != "sent":
            return
        pings = pings_in(template, mentions)
        if pings:
            self.pings.labels(platform).inc(pings)

    def fired(self, late: float) -> None:
        self.timers_fired.inc()
        if late > LATE:
            self.timers_late.inc()

    def maybe_twice(self, platform: str, reason: str) -> None:
        self.maybe_twice_sent.labels(platform, reason).inc()

    async def refresh(self, app: App) -> None:
        """Read the gauges from the database."""
        now = app.clock.now()
        async with app.store.transaction() as tx:
            backlog = await tx.outbox.backlog()
            due = await tx.timers.due(now, TIMERS_COUNTED)
        self.depth.clear()
        self.oldest.clear()
        for row in backlog:
            labels = (row.platform, _priority(row.priority))
            self.depth.labels(*labels).set(row.count)
            self.oldest.labels(*labels).set(_age(row.oldest, now))
        self.timers_due.set(len(due))
        self.timers_overdue.set(max((_age(t.due_at, now) for t in due), default=0.0))


def application(app: App, metrics: Metrics, checks: Mapping[str, Check]) -> web.Application:
    """The two endpoints; ``checks`` are the platforms this process serves."""

    async def healthz(request: web.Request) -> web.Response:
        failed: list[str] = []
        oldest: float | None = None
        try:
            backlog = await asyncio.wait_for(_backlog(app), DATABASE_TIMEOUT)
        except Exception as error:
            log.warning("health check: the database did not answer (%s)", type(error).__name__)
            failed.append("database")
        else:
            now = app.clock.now()
            oldest = max((_age(row.oldest, now) for row in backlog), default=0.0)
        connected = {platform: check() for platform, check in checks.items()}
        failed += [p for p, up in connected.items() if not _all_up(up)]
        body: dict[str, object] = {
            "status": "failing" if failed else "ok",
            "failed": failed,
            "outbox_oldest_seconds": None if oldest is None else round(oldest, 3),
        }
        parts = {p: up for p, up in connected.items() if not isinstance(up, bool)}
        if parts:
            body["shards"] = parts
        return web.json_response(body, status=503 if failed else 200, dumps=json.dumps)

    async def scrape(request: web.Request) -> web.Response:
        try:
            await metrics.refresh(app)
        except Exception as error:
            log.warning("metrics: the database did not answer (%s)", type(error).__name__)
        body = generate_latest(metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    web_app = web.Application()
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/metrics", scrape)
    return web_app


async def serve_http(
    app: App, listen: tuple[str, int], metrics: Metrics, checks: Mapping[str, Check]
) -> None:
    """Serve the endpoints on ``listen`` until cancelled."""
    runner = web.AppRunner(application(app, metrics, checks), access_log=None)
    await runner.setup()
    try:
        host, port = listen
        await web.TCPSite(runner, host, port).start()
        log.info("health and metrics on http://%s:%d", host, port)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def _all_up(connected: bool | Mapping[str, bool]) -> bool:
    return connected if isinstance(connected, bool) else all(connected.values())


async def _backlog(app: App) -> list[Backlog]:
    async with app.store.transaction() as tx:
        return await tx.outbox.backlog()


def _priority(value: int) -> str:
    try:
        return Priority(value).name.lower()
    except ValueError:
        return str(value)


def _age(since: datetime, now: datetime) -> float:
    return max((now - since).total_seconds(), 0.0)
