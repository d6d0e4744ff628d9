"""The composition root: build every part from settings, each one injectable for tests."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.clock import Clock, SystemClock
from bot.core import Core
from bot.dialect import Dialect
from bot.domain.platforms import Platforms
from bot.flows import housekeeping
from bot.observe import Observer, Unobserved
from bot.outbox import OutboxWorker, Sender
from bot.render import Renderer, load_danger_words
from bot.settings import Settings
from bot.storage import Store
from bot.storage.backends import open_store
from bot.timers import TimerLoop


@dataclass
class App:
    """Everything a running Homegroup is made of."""

    settings: Settings
    store: Store
    clock: Clock
    platforms: Platforms
    """What each platform can do, as the adapters declared it."""
    core: Core = field(init=False)
    timers: TimerLoop = field(init=False)
    observer: Observer = field(default_factory=Unobserved)
    """Told what happens, for a deployment's metrics (``bot/observe.py``)."""
    workers: dict[str, OutboxWorker] = field(default_factory=dict)
    renderers: dict[str, Renderer] = field(default_factory=dict)
    """One per dialect: each keeps the worker processes its overrides render in."""

    def __post_init__(self) -> None:
        templates = self.settings.templates
        self.core = Core(
            self.store,
            self.clock,
            platforms=self.platforms,
            on_outbox=self.wake,
            danger_words=functools.cache(lambda locale: load_danger_words(locale, templates)),
            observer=self.observer,
        )
        self.timers = TimerLoop(self.store, self.core, self.clock)

    def add_sender(self, sender: Sender) -> OutboxWorker:
        """Attach a platform's sender; its worker is woken whenever the core queues for it."""
        worker = OutboxWorker(self.store, sender, self.clock, observer=self.core.observer)
        self.workers[sender.platform] = worker
        return worker

    def renderer(self, dialect: Dialect, contexts: Mapping[str, type] | None = None) -> Renderer:
        """The dialect's renderer, made once: its override workers close with the app.
        ``contexts`` are the types of the adapter's own templates, for the first call to give."""
        renderer = self.renderers.get(dialect.name)
        if renderer is None:
            renderer = self.renderers[dialect.name] = Renderer(
                dialect, self.settings.templates, contexts=contexts or {}
            )
        return renderer

    def wake(self, platforms: set[str], timers: bool = False) -> None:
        """Tell the senders of these platforms, and the timer loop if ``timers``, that new
        rows exist (waking the timer loop for every message cost each /days two reads)."""
        for platform in platforms:
            worker = self.workers.get(platform)
            if worker is not None:
                worker.wake.set()
        if timers:
            self.timers.wake.set()

    async def close(self) -> None:
        for renderer in self.renderers.values():
            renderer.close()
        await self.store.close()


async def bootstrap(
    settings: Settings,
    *,
    platforms: Platforms | None = None,
    store: Store | None = None,
    clock: Clock | None = None,
    observer: Observer | None = None,
) -> App:
    """Build the app; open the settings' database unless a store is given. ``platforms`` are
    what the adapters declared they can do (none: no platform can do anything special)."""
    clock = clock or SystemClock()
    store = store or await open_store(settings.database)
    app = App(settings, store, clock, platforms or Platforms(), observer or Unobserved())
    async with store.transaction() as tx:
        await housekeeping.arm(tx, clock.now())
    return app
