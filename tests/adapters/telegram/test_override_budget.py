"""A runaway override is stopped within its budget, falls back, and holds nobody else up.

The worker processes are found in ``/proc``, so that "stopped" means the process is gone, not
that the bot stopped waiting for it.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import App, bootstrap
from bot.clock import ManualClock
from bot.dialect import PlainDialect
from bot.overrides import check_overrides
from bot.render import Renderer
from bot.render_sandbox import Budget
from bot.samples import WHO
from bot.settings import Settings
from tests.app.test_cli import homegroup
from tests.conftest import START
from tests.core.test_overrides import write
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram import FakeTelegram
from tests.harness import eventually, rows
from tests.telegram_harness import in_chat, running, said

BUDGET = Budget(seconds=0.5)
MARGIN = 5.0
"""Generous: the machine is shared, and a worker takes a moment to start."""
_LETTERS = '"' + "x" * 1000 + '"'
SPINS = "".join(f"{{% for {v} in {_LETTERS} %}}" for v in "abc") + "{% endfor %}" * 3
"""A billion turns of loops that call nothing: no sandbox hook sees them, only a kill stops it."""
NESTED_RANGES = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
DAYS_NONE = "You haven't set a clean date yet."
SAM = tg.user(101, "Sam")
ANA = tg.user(202, "Ana")
GROUP = tg.group()


def render_workers() -> dict[int, float]:
    """The render workers this test process has running now, with the CPU seconds each used."""
    found: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue  # it ended while we looked
        if int(stat[1]) == os.getpid() and b"bot.render_worker" in command:
            found[int(entry.name)] = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
    return found


def spinning() -> int | None:
    """A render worker well past the CPU a start takes (about 0.1 s): one rendering in a loop."""
    return next((pid for pid, cpu in render_workers().items() if cpu > 0.5), None)


def alive(pid: int) -> bool:
    """Whether the process is there at all (a killed worker is also reaped at once)."""
    return Path(f"/proc/{pid}").exists()


def budget_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "past its budget" in r.getMessage()]


async def test_a_looping_override_falls_back_within_its_budget_and_its_worker_is_killed(
    tmp_path: Path,
) -> None:
    write(tmp_path, {"en/help.j2": "Our own help.", "en/days_none.j2": SPINS})
    renderer = Renderer(PlainDialect(), tmp_path, budget=BUDGET)
    try:
        assert await renderer.render_async("help", {}) == "Our own help."
        [worker] = render_workers()
        started = time.monotonic()
        text = await renderer.render_async("days_none", {"who": WHO})
        took = time.monotonic() - started
        assert text.startswith(DAYS_NONE), "the bundled answer"
        assert took < BUDGET.seconds + MARGIN
        assert not alive(worker), "killed, not left spinning"
        assert renderer.render("help", {}) == "Our own help.", "by the worker started in its place"
        assert len(render_workers()) == 1
    finally:
        renderer.close()
    assert not render_workers()


@pytest.mark.parametrize(
    "override",
    [
        "{{ 'x' * 10**9 }}",
        "{{ lipsum(n=1000000) }}",
        "{{ 'x'|center(10**9) }}",
        "{{ 'x'.ljust(10**9) }}",
        "{{ '%0999999999d' % 1 }}",
        "{{ '{:>999999999}'.format(1) }}",
        "{{ 2 ** 1000000000 }}",
        "{% for i in range(100000) %}{{ 'one day at a time ' * 5 }}{% endfor %}",
        "{% set ns = namespace(s='x' * 1000) %}{% for i in range(40) %}"
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
        NESTED_RANGES,
    ],
    ids=[
        "multiply",
        "lipsum",
        "center",
        "ljust",
        "percent",
        "format",
        "power",
        "output",
        "doubling",
        "ranges",
    ],
)
def test_an_override_past_its_budget_falls_back_and_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, override: str
) -> None:
    write(tmp_path, {"en/days_none.j2": override})
    renderer = Renderer(PlainDialect(), tmp_path, budget=BUDGET)
    try:
        started = time.monotonic()
        first = renderer.render("days_none", {"who": WHO})
        took = time.monotonic() - started
        again = renderer.render("days_none", {"who": WHO})
    finally:
        renderer.close()
    assert first.startswith(DAYS_NONE)
    assert again == first
    assert took < BUDGET.seconds + MARGIN
    [warning] = budget_warnings(caplog)
    assert warning.startswith("template days_none (en): the override ran past its budget (")


async def test_the_bot_answers_others_while_an_override_runs_away(
    fake_telegram: FakeTelegram,
    database: Path,
    clock: ManualClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Sam's craving answer renders in a worker that spins until it is killed; meanwhile
    Ana's private /days is received and answered by the core. Were the render holding the
    event loop, the test could not even see the worker spin."""
    budget = Budget(seconds=3.0)  # time to watch it spin on a busy machine
    made = App.renderer
    monkeypatch.setattr(
        App,
        "renderer",
        lambda app, dialect, contexts=None: replace(made(app, dialect, contexts), budget=budget),
    )
    templates = write(tmp_path / "templates", {"en/craving_reply.j2": SPINS})
    async with running(fake_telegram, database, clock, templates=templates):
        started = time.monotonic()
        fake_telegram.push(tg.command(GROUP, SAM, "/craving rough night"))
        runaway = await eventually(spinning)
        fake_telegram.push(tg.command(tg.private_chat(ANA), ANA, "/days"))
        await eventually(
            lambda: rows(database, "SELECT 1 FROM outbox WHERE template = 'days_none'")
        )
        assert alive(runaway), "Ana was answered while Sam's render ran"
        await said(fake_telegram, GROUP["id"], "Thank you for saying it, Sam.")
        took = time.monotonic() - started
        await said(fake_telegram, ANA["id"], DAYS_NONE)
    assert took < budget.seconds + MARGIN
    assert not alive(runaway), "killed, not left spinning"
    answers = [m["text"] for m in in_chat(fake_telegram, GROUP["id"])]
    assert any("A craving passes if you ride it out" in text for text in answers)


@pytest.mark.parametrize(
    ("override", "problem"),
    [
        (SPINS, "en/_emergency.j2: the sample messages of"),
        (NESTED_RANGES, "en/_emergency.j2: line 1: the sample messages of"),
    ],
    ids=["killed", "stopped"],
)
def test_a_looping_override_stops_the_check_with_one_line_naming_it(
    tmp_path: Path, override: str, problem: str
) -> None:
    """A partial that a dozen templates include is tried once, not once a template."""
    write(tmp_path, {"en/help.j2": "Our own help.", "en/_emergency.j2": override})
    before = render_workers()
    found = [str(p) for p in check_overrides(tmp_path, [PlainDialect()], BUDGET)]
    [line] = found
    assert line.startswith(problem)
    assert "take longer than 0.5 s to render with it; look for a loop" in line
    assert render_workers().keys() <= before.keys(), "the check's workers are gone"


def test_homegroup_run_stops_at_a_looping_override_with_one_line(tmp_path: Path) -> None:
    root = write(tmp_path / "overrides", {"en/days_none.j2": SPINS})
    done = homegroup("run", stdin="/help\n", env={"HOMEGROUP_TEMPLATES": str(root)}, cwd=tmp_path)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith(
        "homegroup: HOMEGROUP_TEMPLATES: en/days_none.j2: the sample messages of days_none"
        " take longer than 1 s to render with it"
    )
    assert not (tmp_path / "homegroup.db").exists()


def test_an_ordinary_override_renders_in_its_worker_as_it_would_here(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "en/help.j2": "{% for n in range(3) %}Step {{ n + 1 }}, {{ who.name|bold }}.\n"
            "{% endfor %}{{ '-' * 10 }} {{ 'ok'|center(6) }} {{ '%03d' % 7 }}",
        },
    )
    renderer = Renderer(PlainDialect(), tmp_path, budget=BUDGET)
    try:
        text = renderer.render("help", {"who": {"id": "7", "name": "<Sam>"}})
    finally:
        renderer.close()
    assert text == "Step 1, <Sam>.\nStep 2, <Sam>.\nStep 3, <Sam>.\n----------   ok   007"


async def test_other_overrides_render_while_one_runs_away(tmp_path: Path) -> None:
    write(tmp_path, {"en/help.j2": "Our own help, {{ who.name }}.", "en/days_none.j2": SPINS})
    renderer = Renderer(PlainDialect(), tmp_path, budget=Budget(seconds=3.0))
    try:
        runaway = asyncio.create_task(renderer.render_async("days_none", {"who": WHO}))
        await eventually(spinning)
        helped = await asyncio.gather(
            *(
                renderer.render_async("help", {"who": {"id": str(n), "name": f"M{n}"}})
                for n in range(8)
            )
        )
        assert not runaway.done(), "answered by the other worker meanwhile"
        assert helped == [f"Our own help, M{n}." for n in range(8)]
        assert (await runaway).startswith(DAYS_NONE)
    finally:
        renderer.close()


async def test_a_render_cancelled_midway_leaves_no_worker_spinning(tmp_path: Path) -> None:
    write(tmp_path, {"en/days_none.j2": SPINS})
    renderer = Renderer(PlainDialect(), tmp_path, budget=Budget(seconds=30.0))
    try:
        render = asyncio.create_task(renderer.render_async("days_none", {"who": WHO}))
        runaway = await eventually(spinning)
        render.cancel()
        with pytest.raises(asyncio.CancelledError):
            await render
        assert not alive(runaway)
    finally:
        renderer.close()


async def test_closing_the_app_stops_the_workers_its_overrides_rendered_in(tmp_path: Path) -> None:
    write(tmp_path, {"en/help.j2": "Our own help, {{ who.name }}."})
    before = render_workers()
    app = await bootstrap(
        Settings(database=str(tmp_path / "homegroup.db"), templates=tmp_path),
        clock=ManualClock(START),
    )
    try:
        renderer = app.renderer(PlainDialect())
        assert app.renderer(PlainDialect()) is renderer, "one renderer (and pool) a dialect"
        assert await renderer.render_async("help", {"who": WHO}) == "Our own help, Sam."
        assert render_workers().keys() - before.keys(), "the override rendered in a worker"
    finally:
        await app.close()
    assert render_workers().keys() <= before.keys(), "the app's workers are gone"
