"""Discord's global limit as the sender keeps it: never more than the limit in any second, the
most urgent request first when the budget is short, and a request that stops waiting gives way."""

from __future__ import annotations

import asyncio
import time

import pytest

from adapters.discord import budget as budget_module
from adapters.discord.budget import GlobalBudget
from bot.domain.replies import Priority
from bot.storage import Store

WINDOW = 0.2
"""The tests' second: short, so they run quickly."""


@pytest.fixture(autouse=True)
def short_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(budget_module, "WINDOW", WINDOW)


async def test_requests_never_exceed_the_limit_in_any_window() -> None:
    budget = GlobalBudget(2)
    loop = asyncio.get_running_loop()
    spans: list[tuple[float, float]] = []

    async def request(row: int) -> None:
        async with budget.slot(Priority.ANSWER, row):
            started = loop.time()
            await asyncio.sleep(0.01)
            spans.append((started, loop.time()))

    await asyncio.gather(*(request(row) for row in range(6)))

    spans.sort()
    # The third request starts only once the first has stopped counting, a window after it
    # was answered; and so on down the line.
    for earlier, later in zip(spans, spans[2:], strict=False):
        assert later[0] >= earlier[1] + WINDOW


async def test_when_the_budget_is_short_the_most_urgent_request_goes_first() -> None:
    budget = GlobalBudget(1)
    order: list[str] = []
    release = asyncio.Event()

    async def request(name: str, priority: Priority, row: int) -> None:
        async with budget.slot(priority, row):
            order.append(name)
            if name == "first":
                await release.wait()

    first = asyncio.create_task(request("first", Priority.ANSWER, 1))
    await asyncio.sleep(0)
    waiting = [
        asyncio.create_task(request("digest", Priority.BACKGROUND, 2)),
        asyncio.create_task(request("older answer", Priority.ANSWER, 3)),
        asyncio.create_task(request("newer answer", Priority.ANSWER, 4)),
        asyncio.create_task(request("craving ping", Priority.URGENT, 5)),
    ]
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(first, *waiting)

    assert order == ["first", "craving ping", "older answer", "newer answer", "digest"]


async def test_a_request_stopped_while_waiting_gives_its_turn_to_the_next() -> None:
    budget = GlobalBudget(1)
    order: list[int] = []
    release = asyncio.Event()

    async def request(row: int) -> None:
        async with budget.slot(Priority.ANSWER, row):
            order.append(row)
            if row == 1:
                await release.wait()

    first = asyncio.create_task(request(1))
    await asyncio.sleep(0)
    stopped = asyncio.create_task(request(2))
    last = asyncio.create_task(request(3))
    await asyncio.sleep(0)
    stopped.cancel()
    release.set()
    await asyncio.gather(first, last)

    assert stopped.cancelled()
    assert order == [1, 3]


async def test_a_request_stopped_just_as_its_turn_came_gives_the_slot_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(budget_module, "WINDOW", 0.0)  # a slot is free again once answered
    budget = GlobalBudget(1)
    order: list[int] = []
    release = asyncio.Event()
    tasks: dict[int, asyncio.Task[None]] = {}

    async def request(row: int) -> None:
        async with budget.slot(Priority.ANSWER, row):
            order.append(row)
            if row == 1:
                await release.wait()
        if row == 1:
            tasks[2].cancel()  # its turn has just been given, and it has not started yet

    tasks[1] = asyncio.create_task(request(1))
    await asyncio.sleep(0)
    tasks[2] = asyncio.create_task(request(2))
    tasks[3] = asyncio.create_task(request(3))
    await asyncio.sleep(0)  # both wait for the slot
    release.set()
    async with asyncio.timeout(1):
        await asyncio.gather(tasks[1], tasks[3])

    assert tasks[2].cancelled()
    assert order == [1, 3]


async def test_processes_on_one_database_keep_to_the_limit_together(store: Store) -> None:
    limit = 12
    processes = [GlobalBudget(limit, across=store) for _ in range(2)]
    started: list[float] = []

    async def request(budget: GlobalBudget, row: int) -> None:
        async with budget.slot(Priority.ANSWER, row):
            started.append(time.time())  # the wall clock, as the shared budget counts
            await asyncio.sleep(0.005)

    await asyncio.gather(*(request(budget, row) for budget in processes for row in range(10)))

    assert len(started) == 20
    # Alone, each would start its twelve in a moment: together, twelve a second at most.
    for start in started:
        assert len([at for at in started if start <= at < start + 1.0]) <= limit
