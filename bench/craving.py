"""(c) ``/craving`` through ``Core.handle`` on a SQLite file of many groups with supporters.

1,000 groups of 50 members are bulk-loaded, 10 supporters opted in to craving pings in each.
Every ``/craving`` comes from a different member who is not a supporter, in a group of its own
turn: one craving in every group makes a round, and the clock moves on by the supporters' rest
between rounds, so each craving finds three rested supporters. Each one therefore does the
whole work: a new craving, a round of three pings, an escalation and a follow-up timer, and the
reply and the ping in the outbox, committed durably (``synchronous=FULL``) command by command.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bench.cleantime import Timing
from bench.support import NOW, bulk_loading, megabytes, ms, quantile, stamp
from bot.app import bootstrap
from bot.clock import ManualClock
from bot.core import Core
from bot.domain.community import CommunitySettings
from bot.domain.inbound import CommandIssued, Origin
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
NOTE = "rough night"
"""The craving's note: no words of danger, so it takes the ordinary path."""
DEFAULTS = CommunitySettings()
REST = timedelta(minutes=DEFAULTS.supporter_rest)

Row = tuple[object, ...]


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


async def _time_cravings(core: Core, clock: ManualClock, commands: int) -> Timing:
    """Send ``commands`` cravings round by round, moving the clock on between rounds."""
    latencies: list[float] = []
    handled = 0
    started = time.perf_counter()
    for number in range(commands):
        if number and number % COMMUNITIES == 0:
            clock.advance(REST)
        command = _command(number)
        before = time.perf_counter()
        handled += await core.handle(command)
        latencies.append(time.perf_counter() - before)
    return Timing(time.perf_counter() - started, latencies, handled)


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


def _report(timing: Timing) -> None:
    print(
        f"  /craving    {len(timing.latencies):,} commands in {timing.total:.2f} s"
        f" = {timing.per_second:,.0f} commands/s;"
        f" latency p50 {ms(quantile(timing.latencies, 0.50))},"
        f" p99 {ms(quantile(timing.latencies, 0.99))}"
        f" ({timing.handled:,} handled)"
    )


def _report_written(written: Written) -> None:
    print(
        f"  written: {written.cravings:,} cravings ({written.fully_pinged:,} with"
        f" {DEFAULTS.ping_count} pings and a reply), {written.pings:,} craving_pings,"
        f" {written.escalations + written.follow_ups:,} timers ({written.escalations:,}"
        f" {ESCALATE}, {written.follow_ups:,} {FOLLOW_UP}), {written.outbox:,} outbox rows"
        f" ({written.replies:,} {Template.REPLY}, {written.ping_posts:,} {Template.PING})"
    )
    print(
        f"  afterwards: {written.people:,} people, {written.communities:,} communities,"
        f" {written.memberships:,} memberships (loaded: {PEOPLE:,}, {COMMUNITIES:,}, {PEOPLE:,})"
    )


async def run(commands: int) -> None:
    most = COMMUNITIES * (COMMUNITY_SIZE - SUPPORTERS)
    if not 0 < commands <= most:
        raise ValueError(f"commands must be between 1 and {most:,}, one per non-supporter")
    print(
        f"(c) /craving through core.handle, {commands:,} commands from different members;"
        f" {COMMUNITIES:,} groups x {COMMUNITY_SIZE} members ({PEOPLE:,} people),"
        f" {SUPPORTERS} supporters each; clock +{DEFAULTS.supporter_rest} min every"
        f" {COMMUNITIES:,} commands (the supporters' rest)"
    )
    with tempfile.TemporaryDirectory(prefix="homegroup-bench-") as folder:
        path = Path(folder) / "craving.db"
        await (await SqliteStore.open(path)).close()  # the migrations create the schema
        started = time.perf_counter()
        rows = load(path)
        load_seconds = time.perf_counter() - started
        print(
            f"  bulk load {load_seconds:.1f} s ({rows / load_seconds:,.0f} rows/s),"
            f" file {megabytes(path.stat().st_size)}"
        )
        clock = ManualClock(NOW)
        app = await bootstrap(Settings(database=str(path)), clock=clock)
        try:
            timing = await _time_cravings(app.core, clock, commands)
        finally:
            await app.close()
        _report(timing)
        _report_written(_written(path))
