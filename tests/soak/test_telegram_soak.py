"""Telegram soak: three ``homegroup run`` processes behind one webhook URL, on one PostgreSQL
database, take 1,000 updates while 90 SIGKILLs land at random moments.

The fake Bot API stands for Telegram and for the load balancer in front of the processes: it
posts each update to a random process and posts again, anywhere, what did not get a 200. The
traffic is members sharing cravings (half of them claimed by a supporter, the rest escalated by
their timer), asking for calls, setting clean dates and asking for their days; every member who
does something is a new member, so each update's effect can be named by who it is about.

Afterwards, from what the fake received and what the database holds: every update had exactly
one effect; no outbox row was sent twice except again after the process that first sent it
died; every escalation timer fired once; a chat's messages arrived in the order of their rows.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

from tests.fakes import telegram_updates as tg
from tests.fakes.telegram import FakeTelegram, Sent
from tests.harness import eventually
from tests.soak.conftest import Fleet
from tests.telegram_harness import button, free_port

PROCESSES = 3
UPDATES = 1000
KILLS = 90
TRAFFIC = 150.0
"""Seconds over which the updates and the kills are spread."""
SETTLE = 300.0
"""Seconds the last effects may take once the traffic and the kills stopped (generous: the
escalations come a minute after their craving, and the machine is shared)."""
GRACE = 10.0
"""Seconds a transaction may take to commit: a row older than this has been visible to every
process, so no later row of its chat may overtake it."""
GROUPS = 20
"""Groups the traffic is spread over: Telegram lets a group have 20 messages a minute, and the
outbox keeps to that, so fewer groups would make the soak wait on the pacing alone."""
HELPERS = 3
UNSURE = re.compile(r"telegram outbox row (\d+) failed but may have come")
"""What a process logs (WARNING) when it retries a row Telegram may have taken already."""
LOG_LEVEL = {"HOMEGROUP_LOG_LEVEL": os.environ.get("HOMEGROUP_SOAK_LOG_LEVEL", "WARNING")}
"""The processes log at WARNING; ``HOMEGROUP_SOAK_LOG_LEVEL=INFO`` keeps more, to find out why a
run failed (the logs stay in pytest's temporary folder)."""
SECRET = "soak-secret"
HOOK = "https://bot.example.org/telegram"
NOBODY = ", I haven't been able to reach a peer for you yet"
SETUP = {
    "/set escalate_after 1": "If nobody answers a craving within 1 minute",
    "/set max_pings 3": "A craving now pings at most 3 supporters in all",
    "/set supporter_rest 0": "Supporters can now be pinged again right after a ping",
    "/set craving_cooldown 0": "there is no cooldown",
}
"""What each group's admin sets first, and the words that confirm it: each craving pings the
group's three helpers at once, and its escalation a minute later finds nobody left to ask, so it
tells the member so, once."""


Finder = Callable[[], dict[str, Any] | None]


@dataclass(frozen=True, slots=True)
class Effect:
    """Words that must appear in ``count`` of the bot's messages (sent rows, not resends),
    in ``chat`` (None: any chat)."""

    words: str
    chat: int | None
    count: range


@dataclass
class Traffic:
    """The updates pushed, and the effects they must have."""

    fake: FakeTelegram
    pushed: int = 0
    effects: list[Effect] = field(default_factory=list)
    cravings: int = 0
    follow_ups: list[asyncio.Task[None]] = field(default_factory=list)

    def push(self, update: dict[str, Any]) -> None:
        self.pushed += 1
        self.fake.push(update)

    def expect(self, words: str, chat: int | None = None, count: range = range(1, 2)) -> None:
        self.effects.append(Effect(words, chat, count))

    def then(self, found: Finder, press: Callable[[dict[str, Any]], None]) -> None:
        """Once the bot's message ``found`` is there, press one of its buttons (a follow-up)."""

        async def follow() -> None:
            message = await eventually(found, seconds=TRAFFIC + SETTLE)
            press(message)

        self.follow_ups.append(asyncio.create_task(follow()))


def message_with(fake: FakeTelegram, chat: int, words: str) -> Finder:
    def find() -> dict[str, Any] | None:
        for (where, _), message in list(fake.messages.items()):
            if where == chat and words in message.get("text", ""):
                return message
        return None

    return find


SCENARIOS = {
    "claimed": (2, 2),
    "craving": (1, 2),
    "cleandate": (2, 2),
    "call": (1, 1),
    "days": (1, 2),
}
"""Each kind of scenario: how many updates it takes (a claimed craving and a clean date end with
a button pressed), and how often it is chosen."""


def plan(rng: random.Random, budget: int) -> list[str]:
    """Scenarios whose updates add up to ``budget``."""
    kinds: list[str] = []
    while budget > 0:
        fits = [k for k, (size, _) in SCENARIOS.items() if size <= budget]
        kind = rng.choices(fits, [SCENARIOS[k][1] for k in fits])[0]
        kinds.append(kind)
        budget -= SCENARIOS[kind][0]
    return kinds


async def test_three_processes_behind_one_webhook_survive_random_kills(
    fake_telegram: FakeTelegram, soak_database: str, tmp_path: Path, rng: random.Random
) -> None:
    fake = fake_telegram
    ports = [free_port() for _ in range(PROCESSES)]

    def settings(slot: int, name: str) -> dict[str, str]:
        return {
            "HOMEGROUP_DATABASE": soak_database,
            "TELEGRAM_TOKEN": fake.token,
            "TELEGRAM_API_URL": f"{fake.root}/{name}",
            "TELEGRAM_WEBHOOK_URL": HOOK,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_WEBHOOK_LISTEN": f"127.0.0.1:{ports[slot]}",
            **LOG_LEVEL,
        }

    traffic = Traffic(fake)
    groups = [tg.group(-1001000000000 - g, f"Circle {g}") for g in range(GROUPS)]
    helpers = {
        g: [tg.user(5000 + 10 * g + h, f"Helper{g}{h}") for h in range(HELPERS)]
        for g in range(GROUPS)
    }
    members = (tg.user(100000 + i, f"Member{i:04d}") for i in itertools.count())
    started = time.monotonic()

    async with Fleet(PROCESSES, settings, tmp_path) as fleet:
        await fleet.start_all()
        fake.deliver_to([f"http://127.0.0.1:{port}/telegram" for port in ports], seed=rng.random())

        # Each group's admin sets it up and its helpers volunteer, before any kill.
        for g, chat in enumerate(groups):
            admin = tg.user(4000 + g, f"Admin{g}")
            fake.members[(chat["id"], admin["id"])] = "administrator"
            for command, words in SETUP.items():
                traffic.push(tg.command(chat, admin, command))
                traffic.expect(words, chat["id"])
            for helper in helpers[g]:
                traffic.push(tg.command(chat, helper, "/supporter on"))
            traffic.expect("on the supporter list here", chat["id"], range(HELPERS, HELPERS + 1))
        await eventually(lambda: all(_seen(fake, e) for e in traffic.effects), seconds=SETTLE)

        scenarios = plan(rng, UPDATES - traffic.pushed)
        chaos = asyncio.create_task(fleet.chaos(KILLS, TRAFFIC, rng))
        traffic_began = time.monotonic()
        for number, kind in enumerate(scenarios):
            await asyncio.sleep(
                max(0.0, traffic_began + number * TRAFFIC / len(scenarios) - time.monotonic())
            )
            member = next(members)
            name = member["first_name"]
            g = rng.randrange(GROUPS)
            group = groups[g]
            own = tg.private_chat(member)
            if kind in ("craving", "claimed"):
                traffic.cravings += 1
                traffic.push(tg.command(group, member, "/craving rough evening"))
                reply = f"Thank you for saying it, {name}."
                traffic.expect(reply, group["id"])
                if kind == "claimed":
                    helper = rng.choice(helpers[g])
                    traffic.then(
                        message_with(fake, group["id"], reply),
                        lambda m, helper=helper: traffic.push(
                            tg.callback(helper, m, button(m, "craving.claim"))
                        ),
                    )
                    coming = f"{helper['first_name']} is on the way to you"
                    traffic.expect(coming, member["id"])
                    traffic.expect(f"{name}{NOBODY}", None, range(2))
                else:
                    traffic.expect(f"{name}{NOBODY}")
            elif kind == "cleandate":
                traffic.push(tg.command(own, member, "/cleandate 2026-01-01"))
                traffic.expect("May I keep it?", member["id"])
                traffic.then(
                    message_with(fake, member["id"], "May I keep it?"),
                    lambda m, member=member: traffic.push(
                        tg.callback(member, m, button(m, "cleandate.keep"))
                    ),
                )
                traffic.expect(f"Got it, {name}: your clean date is", member["id"])
            elif kind == "call":
                traffic.push(tg.command(group, member, "/call"))
                traffic.expect(f"{name} would like a phone call.", group["id"])
            else:
                traffic.push(tg.command(own, member, "/days"))
                traffic.expect("You haven't set a clean date yet.", member["id"])
        await chaos
        await asyncio.gather(*traffic.follow_ups)
        traffic_took = time.monotonic() - traffic_began
        assert traffic.pushed == UPDATES
        assert not fleet.exited(), fleet.tail()

        async def settled() -> bool:
            if fake.pending or not all(_seen(fake, e) for e in traffic.effects):
                return False
            return await _quiet(soak_database)

        async with asyncio.timeout(SETTLE):
            while not await settled():  # noqa: ASYNC110 - other processes' state: no event
                await asyncio.sleep(1)
        statuses = await fleet.stop()

    print(
        f"soak: {traffic.pushed} updates, {KILLS} kills, {len(fleet.lives)} process starts,"
        f" {len(fake.deliveries)} webhook posts, {len(fake.sent)} messages sent;"
        f" {time.monotonic() - started:.0f} s in all, {traffic_took:.0f} s of traffic"
    )
    assert all(status == 0 for status in statuses.values()), (statuses, fleet.tail())

    rows = await _outbox(soak_database)
    sends = {(s.chat, s.message_id): s for s in fake.sent}
    delivered: dict[int, Sent] = {}
    for row in rows:
        if row["sent_ref"] is not None and row["edit_of"] is None:
            chat, _, message_id = row["sent_ref"].partition(":")
            delivered[row["id"]] = sends[(int(chat), int(message_id))]

    # Every update had exactly one effect: one row, whatever was sent again after a kill.
    wrong = [
        (effect, found)
        for effect in traffic.effects
        if (found := _count(delivered.values(), effect)) not in effect.count
    ]
    assert not wrong, wrong
    assert await _scalar(soak_database, "SELECT count(*) FROM cravings") == traffic.cravings
    assert await _scalar(soak_database, "SELECT count(*) FROM inbox") == 0

    # A message sent again is a row sent again only once the process that sent it first died,
    # or after a send that failed once Telegram may have taken it (a timeout on a loaded
    # machine): sent again by design, since a craving shown twice beats one never shown.
    unsure = _unsure(fleet)
    print(f"soak: {len(unsure)} rows sent again after a send that may have arrived")
    twice = _sent_twice_by_the_living(fake.sent, delivered, fleet, unsure)
    assert not twice, f"{len(twice)} rows sent twice by live processes, e.g. {twice[:5]}"

    # A chat's messages arrive in the order of their rows (of one priority).
    overtaken = _overtaken(rows, delivered)
    assert not overtaken, f"{len(overtaken)} rows overtaken by later ones, e.g. {overtaken[:5]}"

    # And an admin reading the logs finds nothing gone wrong.
    errors = fleet.errors()
    assert not errors, f"{len(errors)} errors logged, e.g.\n" + "\n\n".join(errors[:10])


def _seen(fake: FakeTelegram, effect: Effect) -> bool:
    """Whether the effect's words were sent at least as often as it needs (resends count)."""
    found = sum(
        effect.words in s.text and (effect.chat is None or s.chat == effect.chat) for s in fake.sent
    )
    return found >= effect.count.start


def _count(messages: Any, effect: Effect) -> int:
    return sum(
        effect.words in s.text and (effect.chat is None or s.chat == effect.chat) for s in messages
    )


def _sent_twice_by_the_living(
    sent: list[Sent], delivered: dict[int, Sent], fleet: Fleet, unsure: set[int]
) -> list[str]:
    """Messages that no row records (a row sent again records only its last send) whose row
    was sent, before or after, by a process that was alive at both moments, and not retried
    after an ``unsure`` send; each named by its chat, its two message ids and the processes
    that sent them."""
    recorded = {id(s): row for row, s in delivered.items()}
    by_text: dict[tuple[int, str], list[Sent]] = defaultdict(list)
    for s in delivered.values():
        by_text[(s.chat, s.text)].append(s)
    found: list[str] = []
    for extra in sent:
        if id(extra) in recorded:
            continue
        twins = by_text.get((extra.chat, extra.text), [])
        assert twins, f"a message no outbox row records: {extra}"
        if not any(
            _after_a_death(extra, twin, fleet) or recorded[id(twin)] in unsure for twin in twins
        ):
            twin = twins[0]
            found.append(
                f"chat {extra.chat}: {extra.message_id} by {extra.caller},"
                f" {twin.message_id} by {twin.caller} (row {recorded[id(twin)]})"
            )
    return found


def _unsure(fleet: Fleet) -> set[int]:
    """The rows a process retried after a send that failed once Telegram may have taken it,
    as their processes logged them."""
    return {
        int(found)
        for slot in range(fleet.slots)
        if fleet.log(slot).exists()
        for found in UNSURE.findall(fleet.log(slot).read_text(errors="replace"))
    }


def _after_a_death(one: Sent, other: Sent, fleet: Fleet) -> bool:
    first, second = sorted((one, other), key=lambda s: s.at)
    return not fleet.alive(first.caller, second.at)


def _overtaken(rows: list[asyncpg.Record], delivered: dict[int, Sent]) -> list[tuple[int, int]]:
    """Pairs (earlier row, later row) of one chat and priority where the later arrived first,
    though the earlier had been committed (``GRACE``) before it arrived."""
    lanes: dict[tuple[int, int], list[asyncpg.Record]] = defaultdict(list)
    for row in rows:
        if row["id"] in delivered:
            lanes[(delivered[row["id"]].chat, row["priority"])].append(row)
    found = []
    for lane in lanes.values():
        lane.sort(key=lambda r: r["id"])
        for i, earlier in enumerate(lane):
            created: datetime = earlier["created_at"]
            for later in lane[i + 1 :]:
                arrived = delivered[later["id"]]
                if (
                    arrived.at < delivered[earlier["id"]].at
                    and arrived.wall > created.timestamp() + GRACE
                ):
                    found.append((earlier["id"], later["id"]))
    return found


async def _outbox(database: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(database)
    try:
        return await connection.fetch(
            "SELECT id, priority, created_at, sent_ref, edit_of FROM outbox"
            " WHERE platform = 'telegram'"
        )
    finally:
        await connection.close()


async def _scalar(database: str, sql: str) -> Any:
    connection = await asyncpg.connect(database)
    try:
        return await connection.fetchval(sql)
    finally:
        await connection.close()


async def _quiet(database: str) -> bool:
    """Nothing left to do: no update waiting, no row unsent, no timer due."""
    connection = await asyncpg.connect(database)
    try:
        return not await connection.fetchval(
            "SELECT (SELECT count(*) FROM inbox)"
            " + (SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL)"
            " + (SELECT count(*) FROM timers WHERE due_at <= now())"
        )
    finally:
        await connection.close()
