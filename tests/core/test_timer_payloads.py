"""Timer payloads: each kind's payload is stored and read back whole; a row that does not read is
dropped and logged by kind alone, and the other timers still fire."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

import pytest

from bot.clock import ManualClock
from bot.core import Core
from bot.dispatch import Flows, on_timer
from bot.domain.platforms import Platforms
from bot.domain.timers import (
    CallExpiry,
    ConsentNotice,
    CravingEscalation,
    CravingFollowUp,
    FarewellSweep,
    Housekeeping,
    MeetingReminder,
    MilestoneRun,
    TimerPayload,
    UnreadableTimer,
)
from bot.flows import all_flows
from bot.storage.sqlite import SqliteStore
from bot.timers import TimerLoop
from bot.turn import Turn
from tests.conftest import START

EXAMPLES: list[TimerPayload] = [
    CravingEscalation(7),
    CravingFollowUp(7),
    CallExpiry(12),
    FarewellSweep(40, START + timedelta(hours=1)),
    MeetingReminder("console:group", START),
    ConsentNotice(),
    MilestoneRun(),
    Housekeeping(),
]

SECRET = "a member wrote this"


@dataclass(frozen=True, slots=True)
class Works(TimerPayload):
    kind: ClassVar[str] = "works"
    n: int


@dataclass(frozen=True, slots=True)
class Garbled(TimerPayload):
    """Stores whatever text it is given under the kind ``works``, as a corrupt row would."""

    kind: ClassVar[str] = "works"
    text: str

    def dump(self) -> str:
        return self.text


def test_every_timer_kind_has_an_example() -> None:
    assert sorted(p.kind for p in EXAMPLES) == sorted(all_flows().timers)


@pytest.mark.parametrize("payload", EXAMPLES, ids=lambda p: p.kind)
async def test_each_payload_round_trips_through_the_store(
    store: SqliteStore, payload: TimerPayload
) -> None:
    async with store.transaction() as tx:
        await tx.timers.schedule(payload, START)
        (due,) = await tx.timers.due(START, 10)
    assert due.kind == payload.kind
    assert all_flows().timers[due.kind].payload.load(due.payload) == payload


@pytest.mark.parametrize(
    ("stored", "read"),
    [
        ('{"craving": 7}', CravingEscalation(7)),
        ('{"request": 12}', CallExpiry(12)),
        (
            '{"outbox": 40, "until": "2026-11-29T13:00:00+00:00"}',
            FarewellSweep(40, START + timedelta(hours=1)),
        ),
        (
            '{"community": "console:group", "since": "2026-11-29T12:00:00+00:00"}',
            MeetingReminder("console:group", START),
        ),
        ("{}", MilestoneRun()),
    ],
)
def test_rows_written_before_the_types_still_read(stored: str, read: TimerPayload) -> None:
    assert type(read).load(stored) == read


@pytest.mark.parametrize(
    ("kind", "stored"),
    [
        (CravingEscalation, f"not json: {SECRET}"),
        (CravingEscalation, f'["{SECRET}"]'),
        (CravingEscalation, "{}"),
        (CravingEscalation, f'{{"craving": "{SECRET}"}}'),
        (CravingEscalation, '{"craving": true}'),
        (MeetingReminder, f'{{"community": "g", "since": "{SECRET}"}}'),
        (MeetingReminder, '{"community": "g", "since": "2026-11-29T12:00:00"}'),
        (FarewellSweep, '{"outbox": 40, "until": 1764417600}'),
    ],
)
def test_a_payload_that_does_not_fit_its_kind_is_refused_without_its_content(
    kind: type[TimerPayload], stored: str
) -> None:
    with pytest.raises(UnreadableTimer) as refused:
        kind.load(stored)
    assert kind.kind in str(refused.value)
    assert SECRET not in str(refused.value)


async def test_an_unreadable_row_is_dropped_and_logged_by_kind_while_the_others_fire(
    store: SqliteStore, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    fired: list[Works] = []

    async def works(turn: Turn, timer: Works) -> None:
        fired.append(timer)

    core = Core(store, clock, platforms=Platforms(), flows=Flows(timers=on_timer(Works, works)))
    timers = TimerLoop(store, core, clock)
    async with store.transaction() as tx:
        await tx.timers.schedule(Garbled(f"not json: {SECRET}"), START)
        await tx.timers.schedule(Garbled(f'{{"n": "{SECRET}"}}'), START)
        await tx.timers.schedule(Works(1), START)
        await tx.timers.schedule(Garbled("{}"), START)
        await tx.timers.schedule(Works(2), START + timedelta(minutes=1))
    caplog.set_level(logging.DEBUG)
    await timers.fire_due()
    clock.advance(timedelta(minutes=1))
    await timers.fire_due()
    assert fired == [Works(1), Works(2)]
    dropped = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(dropped) == 3
    assert all("works" in r.getMessage() for r in dropped)
    assert not [r for r in caplog.records if SECRET in r.getMessage() or r.exc_info]
    async with store.transaction() as tx:
        assert await tx.timers.next_due() is None, "the unreadable rows are gone, not retried"
