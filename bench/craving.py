"""(c) ``/craving`` through ``Core.handle`` on a SQLite file of many groups with supporters.

1,000 groups of 50 members are bulk-loaded, 10 supporters opted in to craving pings in each,
into a file on the ordinary disk (a folder made in the current directory; the run names its
filesystem). Every ``/craving`` comes from a different member who is not a supporter, in a
group of its own turn: one craving in every group makes a round, and the clock moves on by the
supporters' rest between rounds, so each craving finds three rested supporters. Each one
therefore does the whole work: a new craving, a round of three pings, an escalation and a
follow-up timer, and the reply and the ping in the outbox, committed durably
(``synchronous=FULL``).

They are sent one at a time (each awaited before the next), then ``AT_ONCE`` at a time (as
many handlers as an adapter has updates in hand), which the store commits in groups. A last,
small part counts what one ``/days``, ``/cleandate`` and ``/craving`` cost the database: the
statements sent to aiosqlite's thread (one call each) and the trips the event loop waited for.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bench.support import NOW, bulk_loading, filesystem, megabytes, ms, on_disk, quantile, stamp
from bot.app import bootstrap
from bot.clock import ManualClock
from bot.core import Core
from bot.domain.community import CommunitySettings
from bot.domain.inbound import ButtonPressed, CommandIssued, Origin
from bot.domain.model import community_key, person_key
from bot.flows.craving import ESCALATE, FOLLOW_UP
from bot.flows.craving import T as Template
from bot.settings import Settings
from bot.storage.sqlite import SqliteStore

PLATFORM = "console"
COMMUNITIES = 1000
COMMUNITY_SIZE = 50
SUPPORTERS = 10
"""The first ``SUPPORTERS`` members of every group opted in to craving pings."""
PEOPLE = COMMUNITIES * COMMUNITY_SIZE
AT_ONCE = 16
"""Cravings in flight together in the second run."""
NOTE = "rough night"
"""The craving's note: no words of danger, so it takes the ordinary path."""
DEFAULTS = CommunitySettings()
REST = timedelta(minutes=DEFAULTS.supporter_rest)

Row = tuple[object, ...]


@dataclass(frozen=True, slots=True)
class Timing:
    """Cravings sent: the wall time of all, each one's latency, and the process's CPU time."""

    total: float
    latencies: list[float]
    handled: int
    cpu: float

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.total


@dataclass(frozen=True, slots=True)
class Written:
    """What the commands left in the file, read back after the run."""

    people: int
    communities: int
    memberships: int
    cravings: int
    fully_pinged: int
    pings: int
    escalations: int
    follow_ups: int
    replies: int
    ping_posts: int
    outbox: int


def _community_id(community: int) -> str:
    return f"c{community:04d}"


def _person_id(community: int, member: int) -> str:
    return f"p{community:04d}-{member:02d}"


def _name(community: int, member: int) -> str:
    return f"Member {community}-{member}"


def _people(created: str) -> Iterator[Row]:
    for c in range(COMMUNITIES):
        for m in range(COMMUNITY_SIZE):
            pid = _person_id(c, m)
            yield person_key(PLATFORM, pid), PLATFORM, pid, _name(c, m), created


def _memberships(created: str) -> Iterator[Row]:
    for c in range(COMMUNITIES):
        group = community_key(PLATFORM, _community_id(c))
        for m in range(COMMUNITY_SIZE):
            yield group, person_key(PLATFORM, _person_id(c, m)), created


def _supporters() -> Iterator[Row]:
    for c in range(COMMUNITIES):
        group = community_key(PLATFORM, _community_id(c))
        for m in range(SUPPORTERS):
            yield group, person_key(PLATFORM, _person_id(c, m))


def load(path: Path) -> int:
    """Insert every group, person, membership and supporter in one transaction; return rows."""
    created = stamp(NOW - timedelta(hours=1))
    groups = [
        (community_key(PLATFORM, _community_id(c)), PLATFORM, _community_id(c), created)
        for c in range(COMMUNITIES)
    ]
    with bulk_loading(path) as db:
        db.executemany(
            "INSERT INTO communities (key, platform, platform_id, chat, settings, created_at)"
            " VALUES (?1, ?2, ?3, ?3, '{}', ?4)",
            groups,
        )
        db.executemany(
            "INSERT INTO people (key, platform, platform_id, name, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            _people(created),
        )
        db.executemany(
            "INSERT INTO memberships (community, person, joined_at) VALUES (?, ?, ?)",
            _memberships(created),
        )
        db.executemany(
            "INSERT INTO supporters (community, person, cravings) VALUES (?, ?, 1)",
            _supporters(),
        )
    return COMMUNITIES + 2 * PEOPLE + COMMUNITIES * SUPPORTERS


def _command(number: int) -> CommandIssued:
    """The ``number``th craving: group ``number % 1000``, its next member not a supporter."""
    rounds, community = divmod(number, COMMUNITIES)
    member = SUPPORTERS + rounds
    group = _community_id(community)
    origin = Origin(
        platform=PLATFORM,
        chat=group,
        person=_person_id(community, member),
        person_name=_name(community, member),
        community=group,
    )
    return CommandIssued(f"craving:{number}", origin, "craving", NOTE)


async def _time_cravings(
    core: Core, clock: ManualClock, numbers: range, at_once: int = 1
) -> Timing:
    """Send the cravings ``numbers``, ``at_once`` in flight at a time, round by round, moving
    the clock on between rounds; time each from its call to its return (its commit)."""
    latencies: list[float] = []
    handled = 0
    started = time.perf_counter()
    cpu = time.process_time()
    first = numbers.start
    while first < numbers.stop:
        if first and first % COMMUNITIES == 0:
            clock.advance(REST)
        end = min(numbers.stop, (first // COMMUNITIES + 1) * COMMUNITIES)
        pending = iter(range(first, end))
        first = end

        async def sender(pending: Iterator[int]) -> None:
            nonlocal handled
            for number in pending:
                before = time.perf_counter()
                done = await core.handle(_command(number))
                latencies.append(time.perf_counter() - before)
                handled += done

        await asyncio.gather(*(sender(pending) for _ in range(at_once)))
    return Timing(time.perf_counter() - started, latencies, handled, time.process_time() - cpu)


def _count(db: sqlite3.Connection, sql: str, params: tuple[object, ...] = ()) -> int:
    return int(db.execute(sql, params).fetchone()[0])


def _written(path: Path) -> Written:
    ping_count = DEFAULTS.ping_count
    with closing(sqlite3.connect(path)) as db:
        return Written(
            people=_count(db, "SELECT COUNT(*) FROM people"),
            communities=_count(db, "SELECT COUNT(*) FROM communities"),
            memberships=_count(db, "SELECT COUNT(*) FROM memberships"),
            cravings=_count(db, "SELECT COUNT(*) FROM cravings"),
            fully_pinged=_count(
                db,
                "SELECT COUNT(*) FROM cravings c WHERE c.pinged AND c.message IS NOT NULL"
                " AND (SELECT COUNT(*) FROM craving_pings p WHERE p.craving = c.id) = ?",
                (ping_count,),
            ),
            pings=_count(db, "SELECT COUNT(*) FROM craving_pings"),
            escalations=_count(db, "SELECT COUNT(*) FROM timers WHERE kind = ?", (ESCALATE,)),
            follow_ups=_count(db, "SELECT COUNT(*) FROM timers WHERE kind = ?", (FOLLOW_UP,)),
            replies=_count(
                db, "SELECT COUNT(*) FROM outbox WHERE template = ?", (str(Template.REPLY),)
            ),
            ping_posts=_count(
                db, "SELECT COUNT(*) FROM outbox WHERE template = ?", (str(Template.PING),)
            ),
            outbox=_count(db, "SELECT COUNT(*) FROM outbox"),
        )


def _report(label: str, timing: Timing) -> None:
    print(
        f"  /craving {label}: {len(timing.latencies):,} commands in {timing.total:.2f} s"
        f" = {timing.per_second:,.0f} commands/s;"
        f" latency p50 {ms(quantile(timing.latencies, 0.50))},"
        f" p99 {ms(quantile(timing.latencies, 0.99))};"
        f" CPU {ms(timing.cpu / len(timing.latencies))} a command, both threads"
        f" ({timing.handled:,} handled)"
    )


def _report_written(written: Written, commands: int) -> None:
    print(
        f"  written for {commands:,} commands: {written.cravings:,} cravings"
        f" ({written.fully_pinged:,} with {DEFAULTS.ping_count} pings and a reply),"
        f" {written.pings:,} craving_pings,"
        f" {written.escalations + written.follow_ups:,} timers ({written.escalations:,}"
        f" {ESCALATE}, {written.follow_ups:,} {FOLLOW_UP}), {written.outbox:,} outbox rows"
        f" ({written.replies:,} {Template.REPLY}, {written.ping_posts:,} {Template.PING})"
    )
    print(
        f"  afterwards: {written.people:,} people, {written.communities:,} communities,"
        f" {written.memberships:,} memberships (loaded: {PEOPLE:,}, {COMMUNITIES:,}, {PEOPLE:,})"
    )


async def run(commands: int) -> None:
    """Time ``commands`` cravings one at a time, then as many ``AT_ONCE`` at a time."""
    most = COMMUNITIES * (COMMUNITY_SIZE - SUPPORTERS)
    if not 0 < 2 * commands <= most:
        raise ValueError(f"commands must be between 1 and {most // 2:,}: two runs of members")
    print(
        f"(c) /craving through core.handle, {commands:,} commands one at a time, then"
        f" {commands:,} with {AT_ONCE} at once, each from a different member;"
        f" {COMMUNITIES:,} groups x {COMMUNITY_SIZE} members ({PEOPLE:,} people),"
        f" {SUPPORTERS} supporters each; clock +{DEFAULTS.supporter_rest} min every"
        f" {COMMUNITIES:,} commands (the supporters' rest)"
    )
    with on_disk("craving.db") as path:
        await (await SqliteStore.open(path)).close()  # the migrations create the schema
        started = time.perf_counter()
        rows = load(path)
        load_seconds = time.perf_counter() - started
        print(
            f"  database {path.name} in {path.parent.parent} ({filesystem(path)});"
            f" bulk load {load_seconds:.1f} s ({rows / load_seconds:,.0f} rows/s),"
            f" file {megabytes(path.stat().st_size)}"
        )
        clock = ManualClock(NOW)
        app = await bootstrap(Settings(database=str(path)), clock=clock)
        try:
            single = await _time_cravings(app.core, clock, range(commands))
            wave = await _time_cravings(app.core, clock, range(commands, 2 * commands), AT_ONCE)
        finally:
            await app.close()
        _report("one at a time", single)
        _report(f"{AT_ONCE} at once   ", wave)
        print(f"  {AT_ONCE} at once / one at a time: {wave.per_second / single.per_second:.2f}x")
        _report_written(_written(path), 2 * commands)
    with on_disk("trips.db") as path:
        await _report_trips(path)


async def _report_trips(path: Path) -> None:
    """What one event of each kind costs the database, in a group with four supporters."""
    clock = ManualClock(NOW)
    app = await bootstrap(Settings(database=str(path)), clock=clock)
    store = app.store
    assert isinstance(store, SqliteStore)

    def member(name: str) -> Origin:
        return Origin(PLATFORM, "group", name, name.title(), community="group")

    async def step(key: str, who: str, name: str, args: str = "") -> None:
        await app.core.handle(CommandIssued(key, member(who), name, args))

    try:
        for supporter in ("ana", "ben", "cat", "dan"):
            await step(f"on:{supporter}", supporter, "supporter", "on")
        await step("yes:sam", "sam", "consent", "on")
        await step("date:sam", "sam", "cleandate", "2026-03-01")
        await app.core.handle(
            ButtonPressed("share:sam", member("sam"), "share.celebrate", "console:group")
        )
        await step("yes:tom", "tom", "consent", "on")
        counted = []
        for label, key, who, name, args in (
            ("/days", "days:sam", "sam", "days", ""),
            ("/cleandate", "date:tom", "tom", "cleandate", "2026-05-01"),
            ("/craving", "craving:zoe", "zoe", "craving", NOTE),
        ):
            calls, trips = store.calls, store.trips
            await step(key, who, name, args)
            counted.append(f"{label} {store.calls - calls} calls in {store.trips - trips} trips")
    finally:
        await app.close()
    print(
        "  the database, one event at a time (calls to aiosqlite's thread, one statement each;"
        " trips the event loop waited for): " + ", ".join(counted)
    )
