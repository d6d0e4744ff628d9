"""(f) Urgency under backlog and (g) a flood in one group, through the whole Telegram stack.

Both run python-telegram-bot → ``TelegramAdapter`` → ``Core.handle`` → SQLite → the outbox
worker as deployed (its pace: 30 messages a second overall, one a second in a chat, 20 a minute
in a group, announcements kept to 15 of them) against the fake Bot API in a process of its own
(``bench.fake_process``), which enforces the same limits with 429s and notes when each call
arrived. Times run from the push of an update to the moment the fake accepted the message.

(f): ``members`` members, 20 a group in ``groups`` groups with three supporters each, are
bulk-loaded with a milestone due an hour ago; then ``others`` answers (``/together``) are queued
across those groups and the milestone run is armed: it announces everyone, 500 members a run,
one digest a group and run, as the core makes them. Once every digest is queued, a member
posts ``/craving`` in one group, then another 3 s later in another, ``PROBES`` in all, while
the backlog drains. Figures: how soon each craving's answer, which pings its supporters, was
accepted; and the time to drain everything beside the floor the fake's
limits impose on exactly the messages it accepted (the slowest of: all of them at 30 a second,
the busiest chat at one a second and, for a group, 20 a minute).

(g): ``cravings`` members post ``/craving`` in one group, evenly over ``seconds``; at a
quarter, half and three quarters of the way, a member asks ``/days`` in their private chat.
Figure: how soon each private answer was accepted.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import telegram

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.sender import PACE
from adapters.telegram.settings import TelegramSettings
from adapters.telegram.translate import PLATFORM
from bench.fake_process import Arrival, RemoteFake, fake_in_its_own_process
from bench.support import NOW, TODAY, bulk_loading, stamp, until_done
from bot.app import App, bootstrap
from bot.clock import ShiftedClock
from bot.domain.announcing import next_announcement
from bot.domain.community import CommunitySettings
from bot.domain.model import PRIMARY, community_key, person_key
from bot.domain.replies import Reply, Target, Template
from bot.domain.timers import MilestoneRun
from bot.flows.milestones import MILESTONES_TIMER
from bot.samples import all_samples
from bot.settings import Settings
from bot.storage.sqlite import SqliteStore
from bot.turn import UTC_ZONE
from tests.fakes.fixtures import loopback_request
from tests.fakes.telegram import LIMITED, Limits
from tests.fakes.telegram_updates import command, group, private_chat, user

GROUP_BASE = -1003000000000
FIRST_USER = 300_000
GROUP_SIZE = 20
SUPPORTERS = 3
"""The first members of every group opted in to craving pings."""
CLEAN_DAYS = 30
"""Every member is 30 days clean today: their milestone is due at 09:00, an hour ago."""
LIMITS = Limits(
    overall=PACE.overall,
    per_chat=PACE.per_chat,
    group_per_minute=PACE.group_per_minute or 20,
)
"""What the fake enforces: Telegram's limits, the same the outbox worker keeps to."""
WAIT = 1800.0
"""Longest any wait here may take before the benchmark gives up with an error."""
PROBES = 3
"""Cravings posted while the backlog drains (f), private /days asked during the flood (g)."""
PROBE_GAP = 3.0
"""Seconds between two of (f)'s cravings."""
REPLY = "Thank you for saying it"
"""How the craving's answer starts; it mentions the supporters it pings."""
SAMPLES = all_samples()

T = TypeVar("T")


def _chat(number: int) -> int:
    return GROUP_BASE - number


def _user(number: int) -> int:
    return FIRST_USER + number


def _member_name(number: int) -> str:
    return f"Member {number}"


def load(path: Path, groups: int, members: int) -> None:
    """Groups of ``GROUP_SIZE`` members, each 30 days clean and sharing, three supporters a
    group, every milestone due at today's announcement time."""
    created = stamp(NOW - timedelta(days=CLEAN_DAYS + 1))
    defaults = CommunitySettings()
    clean = TODAY - timedelta(days=CLEAN_DAYS)
    due = next_announcement(clean, UTC_ZONE, defaults.announcement_hour, defaults.milestones, TODAY)
    if due is None or due[0] > NOW:
        raise RuntimeError("the milestone must be due when the run starts")
    due_at, milestone, day = stamp(due[0]), due[1], due[2].isoformat()

    def person(number: int) -> str:
        return person_key(PLATFORM, str(_user(number)))

    def community(number: int) -> str:
        return community_key(PLATFORM, str(_chat(number // GROUP_SIZE)))

    with bulk_loading(path) as db:
        db.executemany(
            "INSERT INTO communities (key, platform, platform_id, chat, settings, created_at)"
            " VALUES (?, ?, ?, ?, '{}', ?)",
            [
                (
                    community_key(PLATFORM, str(_chat(g))),
                    PLATFORM,
                    str(_chat(g)),
                    str(_chat(g)),
                    created,
                )
                for g in range(groups)
            ],
        )
        db.executemany(
            "INSERT INTO people (key, platform, platform_id, name, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (person(n), PLATFORM, str(_user(n)), _member_name(n), created)
                for n in range(members)
            ],
        )
        db.executemany(
            "INSERT INTO counters (person, name, clean_since, updated_at) VALUES (?, ?, ?, ?)",
            [(person(n), PRIMARY, clean.isoformat(), created) for n in range(members)],
        )
        db.executemany(
            "INSERT INTO memberships (community, person, share, announce_due_at,"
            " announce_milestone, announce_day, joined_at) VALUES (?, ?, 1, ?, ?, ?, ?)",
            [(community(n), person(n), due_at, milestone, day, created) for n in range(members)],
        )
        db.executemany(
            "INSERT INTO supporters (community, person, cravings) VALUES (?, ?, 1)",
            [(community(n), person(n)) for n in range(members) if n % GROUP_SIZE < SUPPORTERS],
        )


@dataclass(frozen=True, slots=True)
class Drained:
    """The messages the fake accepted in a run, and the least time its limits allow them."""

    messages: int
    seconds: float
    overall_floor: float
    chat_floor: float
    refused: int

    @property
    def floor(self) -> float:
        return max(self.overall_floor, self.chat_floor)


def floor_of(accepted: Sequence[Arrival], limits: Limits) -> tuple[float, float]:
    """The least time from the first to the last of these messages the limits allow: all of
    them at ``overall`` a second, and each chat's at one per ``per_chat`` seconds and, in a
    group, ``group_per_minute`` a minute."""
    overall = float((len(accepted) - 1) // limits.overall)
    busiest = 0.0
    for chat, count in Counter(a.chat for a in accepted).items():
        spaced = (count - 1) * limits.per_chat
        if chat is not None and chat < 0:
            minutes, within = divmod(count - 1, limits.group_per_minute)
            spaced = max(spaced, minutes * 60.0 + within * limits.per_chat)
        busiest = max(busiest, spaced)
    return overall, busiest


def drained(arrivals: Sequence[Arrival], since: float, limits: Limits) -> Drained:
    """What the fake accepted of the messages that arrived after ``since``."""
    limited = [a for a in arrivals if a.method.lower() in LIMITED and a.at >= since]
    accepted = [a for a in limited if a.refused is None]
    overall, chat = floor_of(accepted, limits)
    first, last = min(a.at for a in accepted), max(a.at for a in accepted)
    refused = sum(1 for a in limited if a.refused == 429)
    return Drained(len(accepted), last - first, overall, chat, refused)


async def _until(check: Callable[[], Any], what: str, every: float) -> Any:
    """Look every ``every`` seconds until the awaitable ``check()`` gives something truthy;
    return it."""
    try:
        async with asyncio.timeout(WAIT):
            while not (found := await check()):  # noqa: ASYNC110 - another process: no event
                await asyncio.sleep(every)
    except TimeoutError:
        raise RuntimeError(f"gave up waiting for {what}") from None
    return found


class Stack:
    """The whole bot on one database, against the fake in its own process, and what the fake
    received, read as it comes."""

    def __init__(self, fake: RemoteFake, path: Path) -> None:
        self.fake = fake
        self.path = path
        self.tasks: list[asyncio.Task[None]] = []
        self.arrivals: list[Arrival] = []
        self._app: App | None = None

    @property
    def app(self) -> App:
        assert self._app is not None
        return self._app

    async def __aenter__(self) -> Stack:
        settings = Settings(
            database=str(self.path),
            sections=(TelegramSettings(token=self.fake.token, api_url=self.fake.root),),
        )
        clock = ShiftedClock(NOW - datetime.now(UTC))
        self._app = app = await bootstrap(settings, clock=clock)
        adapter = TelegramAdapter(app, settings, request=loopback_request)
        self.tasks = [asyncio.create_task(adapter.run()), asyncio.create_task(app.timers.run())]

        async def polling() -> bool:
            return any(a.method == "getUpdates" for a in await self.calls())

        await self.wait(polling, "the bot to poll")
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self._app is not None:
            await self._app.close()

    async def calls(self) -> list[Arrival]:
        """Every call the fake received so far (fetching only the new ones)."""
        self.arrivals += await self.fake.calls(len(self.arrivals))
        return self.arrivals

    async def wait(self, check: Callable[[], Any], what: str, every: float = 0.02) -> Any:
        """``_until`` that fails at once, with the cause, if the bot stopped meanwhile."""
        return await until_done(_until(check, what, every), self.tasks)

    def count(self, sql: str) -> int:
        """Read the bot's database beside it (WAL: a reader never blocks its writer)."""
        with closing(sqlite3.connect(self.path)) as db:
            return int(db.execute(sql).fetchone()[0])

    async def unsent(self) -> int:
        return self.count("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL")

    async def announced(self) -> bool:
        return not self.count(
            "SELECT COUNT(*) FROM memberships WHERE announce_due_at <= "
            f"'{stamp(self.app.clock.now())}'"
        )


def _seconds(latencies: Sequence[float]) -> str:
    """Each of a few latencies, and their median."""
    each = ", ".join(f"{t:.2f}" for t in latencies)
    return f"{each} s (median {statistics.median(latencies):.2f} s)"


def _accepted(arrivals: Sequence[Arrival], chat: int, words: str, since: float) -> float | None:
    for arrival in arrivals:
        if (
            arrival.at >= since
            and arrival.chat == chat
            and arrival.refused is None
            and arrival.method == "sendMessage"
            and words in arrival.text
        ):
            return arrival.at
    return None


async def urgency(members: int, groups: int, others: int) -> None:
    """(f): a craving posted while a milestone run's digests and other answers drain."""
    if members != groups * GROUP_SIZE:
        raise ValueError(f"members must be {GROUP_SIZE} a group")
    print(
        f"(f) urgency under backlog: {members:,} members due a milestone in {groups:,} groups"
        f" ({GROUP_SIZE} a group, {SUPPORTERS} supporters each) and {others:,} other answers"
        f" queued across them, then a /craving in a few of the groups as it drains; fake Bot"
        " API in its own process,"
        f" enforcing {LIMITS.overall}/s overall, one a chat every {LIMITS.per_chat:g} s,"
        f" {LIMITS.group_per_minute} a minute a group with 429s"
    )
    with tempfile.TemporaryDirectory(prefix="homegroup-bench-") as folder:
        path = Path(folder) / "urgency.db"
        await (await SqliteStore.open(path)).close()
        loading = time.perf_counter()
        load(path, groups, members)
        loaded = time.perf_counter() - loading
        async with fake_in_its_own_process(LIMITS) as fake, Stack(fake, path) as stack:
            app = stack.app
            answer = SAMPLES[Template.TOGETHER][2]
            cpu = time.process_time()
            started = time.monotonic()
            async with app.store.transaction() as tx:
                for n in range(others):
                    target = Target(PLATFORM, chat=str(_chat(n % groups)))
                    await tx.outbox.enqueue(Reply(Template.TOGETHER, target, answer), "en", NOW)
                await tx.timers.schedule(MilestoneRun(), app.clock.now(), key=MILESTONES_TIMER)
            app.wake({PLATFORM}, timers=True)
            await stack.wait(stack.announced, "the milestone run", every=0.1)
            queued = time.monotonic() - started
            digests = stack.count(
                f"SELECT COUNT(*) FROM outbox WHERE template = '{Template.MILESTONE_DIGEST}'"
            )
            waiting = await stack.unsent()
            latencies = []
            probes = min(PROBES, groups)
            for probe in range(probes):
                at = groups * probe // probes
                member = at * GROUP_SIZE + SUPPORTERS
                chat = group(_chat(at), f"Group {at}")
                pushed = time.monotonic()
                await fake.push(
                    command(chat, user(_user(member), _member_name(member)), "/craving")
                )

                async def pinged(at: int = at, pushed: float = pushed) -> float | None:
                    return _accepted(await stack.calls(), _chat(at), REPLY, pushed)

                latencies.append(await stack.wait(pinged, "the craving's answer") - pushed)
                await asyncio.sleep(max(0.0, pushed + PROBE_GAP - time.monotonic()))

            async def empty() -> bool:
                return await stack.unsent() == 0

            await stack.wait(empty, "the backlog to drain", every=0.5)
            cpu = time.process_time() - cpu
            figures = drained(await stack.calls(), started, LIMITS)
    print(
        f"  loaded in {loaded:.1f} s; the run queued {digests:,} digests in {queued:.1f} s"
        f" (one a group and run, {members:,} members); {waiting:,} messages waiting when the"
        " /craving came"
    )
    print(
        f"  /craving in {len(latencies)} groups, {PROBE_GAP:g} s apart: each answer, pinging"
        f" {SUPPORTERS} supporters, accepted {_seconds(latencies)} after its push"
    )
    print(
        f"  drain: {figures.messages:,} messages in {figures.seconds:.1f} s; the fake's limits"
        f" allow no less than {figures.floor:.1f} s ({figures.messages:,} at"
        f" {LIMITS.overall}/s: {figures.overall_floor:.1f} s; the busiest chat:"
        f" {figures.chat_floor:.1f} s): {figures.seconds / figures.floor:.3f}x the floor;"
        f" {figures.refused} refused with 429; the bot's CPU {cpu:.1f} s"
        f" ({cpu / figures.messages * 1000:.2f} ms a message)"
    )


async def flood(cravings: int, seconds: float) -> None:
    """(g): a private /days in the middle of a flood of /craving in one group."""
    print(
        f"(g) a flood in one group: {cravings:,} /craving from as many members over"
        f" {seconds:g} s, and {PROBES} members asking /days in their private chats during it;"
        " same stack and fake"
    )
    with tempfile.TemporaryDirectory(prefix="homegroup-bench-") as folder:
        path = Path(folder) / "flood.db"
        await (await SqliteStore.open(path)).close()
        load(path, 1, GROUP_SIZE)
        async with fake_in_its_own_process(LIMITS) as fake, Stack(fake, path) as stack:
            chat = group(_chat(0), "Group 0")
            gap = seconds / cravings
            start = time.monotonic()
            asked: dict[int, float] = {}
            asking = {cravings * (k + 1) // (PROBES + 1): k for k in range(PROBES)}
            for n in range(cravings):
                if n in asking:
                    private = user(_user(GROUP_SIZE + cravings + asking[n]), "Private member")
                    asked[private["id"]] = time.monotonic()
                    await fake.push(command(private_chat(private), private, "/days"))
                member = GROUP_SIZE + n
                await fake.push(
                    command(chat, user(_user(member), _member_name(member)), "/craving")
                )
                await asyncio.sleep(max(0.0, start + (n + 1) * gap - time.monotonic()))

            latencies = []
            for person, pushed in asked.items():

                async def answered(person: int = person, pushed: float = pushed) -> float | None:
                    return _accepted(await stack.calls(), person, "", pushed)

                latencies.append(await stack.wait(answered, "a private answer") - pushed)
            arrivals = await stack.calls()
            in_group = sum(
                1
                for a in arrivals
                if a.chat == _chat(0) and a.refused is None and a.method == "sendMessage"
            )
            refused = sum(1 for a in arrivals if a.refused == 429)
            flooded = time.monotonic() - start
    print(
        f"  {len(latencies)} private /days during the flood: each answered"
        f" {_seconds(latencies)} after its push; meanwhile the group got {in_group:,}"
        f" messages in {flooded:.1f} s (its limit: one a second, 20 a minute);"
        f" {refused} refused with 429"
    )


async def run(members: int, groups: int, others: int, cravings: int, seconds: float) -> None:
    os.environ["PTB_TIMEDELTA"] = "true"  # PTB 22.2+ warns on RetryAfter without it
    print(f"    (PTB {telegram.__version__})")
    await urgency(members, groups, others)
    await flood(cravings, seconds)
