"""Discord delivery: rate limits, refusals and failures, long messages, and the bot leaving."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.discord import sender as sender_module
from adapters.discord.commands import COMMANDS
from adapters.discord.sender import T
from adapters.discord.translate import PLATFORM
from bot.app import App
from bot.clock import ManualClock
from bot.dialect import Dialect
from bot.domain.replies import Priority, Reply, Target
from bot.render import Renderer
from bot.render_sandbox import Budget
from tests.adapters.telegram.test_override_budget import MARGIN, SPINS, alive, spinning
from tests.core.test_overrides import write
from tests.discord_harness import (
    ALEX,
    GENERAL,
    GUILD,
    KIM,
    KIM_ID,
    MILESTONES,
    SAM,
    SAM_ID,
    Stack,
    circle,
    custom_id,
    running,
)
from tests.fakes import discord_payloads as dp
from tests.fakes.discord import FakeDiscord
from tests.harness import eventually, rows
from tests.process import homegroup_run, terminate

CHANNEL_MESSAGES = "/channels/{channel}/messages"


async def digest_day(bot: Stack, clock: ManualClock) -> None:
    clock.advance(timedelta(days=1))  # 30 November, noon: Sam's day 30, past the 09:00 run
    bot.app.timers.wake.set()


async def test_a_429_is_waited_out_by_discord_py_and_the_message_arrives_once(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    circle(fake_discord)
    async with running(fake_discord, database, clock) as bot:
        await bot.keep_clean_date(SAM, "2026-10-31")
        fake_discord.rate_limit("POST", CHANNEL_MESSAGES, retry_after=0.05)
        await digest_day(bot, clock)
        await bot.said(GENERAL, "has 30 days clean today")
        await bot.settle()

    digests = [m for m in fake_discord.messages_in(GENERAL) if "30 days" in m["content"]]
    assert len(digests) == 1
    assert len(fake_discord.of("POST", CHANNEL_MESSAGES)) == 2


async def test_an_answer_to_a_command_never_waits_behind_posts_that_use_up_the_global_limit(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    circle(fake_discord)
    monkeypatch.setattr(sender_module, "GLOBAL_LIMIT", 1)  # Discord's 50 a second, as 1
    async with running(fake_discord, database, clock) as bot:
        async with bot.app.store.transaction() as tx:
            for channel in (GENERAL, MILESTONES, GENERAL):
                posted = Reply(
                    T.POSTED, Target(PLATFORM, chat=str(channel)), priority=Priority.URGENT
                )
                await tx.outbox.enqueue(posted, "en", clock.now())
        bot.app.wake({PLATFORM})
        await fake_discord.wait_for("POST", CHANNEL_MESSAGES)  # this second's budget is spent
        days = await bot.slash("days", SAM)
        answer = await fake_discord.callback_for(days.id)
        posts = await fake_discord.wait_for("POST", CHANNEL_MESSAGES, count=3, within=10)

    # Discord does not count interaction answers against its global limit: the answer went
    # at once, between posts that waited their turn, and needed no "thinking…".
    assert answer["type"] == 4
    (callback,) = fake_discord.of("POST", f"/interactions/{days.id}/{{token}}/callback")
    order = [id(call) for call in fake_discord.calls]
    assert order.index(id(callback)) < order.index(id(posts[-1]))


async def test_a_refused_message_is_recorded_once_and_never_retried(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    circle(fake_discord)
    async with running(fake_discord, database, clock) as bot:
        await bot.keep_clean_date(SAM, "2026-10-31")
        missing_access = {"message": "Missing Access", "code": 50001}
        fake_discord.fail("POST", CHANNEL_MESSAGES, 403, missing_access, times=5)
        await digest_day(bot, clock)
        await eventually(lambda: fake_discord.of("POST", CHANNEL_MESSAGES))
        await eventually(
            lambda: rows(database, "SELECT failure FROM outbox WHERE failed_at IS NOT NULL")
        )
        for _ in range(3):
            clock.advance(timedelta(minutes=10))
            bot.app.wake({"discord"})
        await bot.settle()

    assert len(fake_discord.of("POST", CHANNEL_MESSAGES)) == 1
    ((failure,),) = rows(database, "SELECT failure FROM outbox WHERE failed_at IS NOT NULL")
    assert "403" in failure or "forbidden" in failure


async def test_a_server_error_is_retried_later_and_the_message_arrives_once(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    circle(fake_discord)
    async with running(fake_discord, database, clock) as bot:
        await bot.keep_clean_date(SAM, "2026-10-31")
        # discord.py raises a 503 at once; the outbox tries again after its backoff.
        fake_discord.fail("POST", CHANNEL_MESSAGES, 503)
        await digest_day(bot, clock)
        await eventually(lambda: len(fake_discord.of("POST", CHANNEL_MESSAGES)) >= 1)
        await eventually(
            lambda: rows(
                database, "SELECT attempts FROM outbox WHERE attempts > 0 AND sent_at IS NULL"
            )
        )
        clock.advance(timedelta(minutes=5))
        bot.app.wake({"discord"})
        await bot.said(GENERAL, "has 30 days clean today")

    digests = [m for m in fake_discord.messages_in(GENERAL) if "30 days" in m["content"]]
    assert len(digests) == 1


async def test_a_long_answer_is_split_into_messages_discord_accepts(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock, tmp_path: Path
) -> None:
    """A deployment's own wording may run long: it arrives whole, in parts, buttons last."""
    overrides = tmp_path / "templates"
    (overrides / "en").mkdir(parents=True)
    lines = [f"Line {n}: call 555 01{n:02d} any time, day or night." for n in range(90)]
    (overrides / "en" / "help.j2").write_text("\n".join(lines) + "\n")
    circle(fake_discord)
    async with running(fake_discord, database, clock, templates=overrides) as bot:
        ref = await bot.slash("help", SAM)
        first = await bot.answer(ref)
        await bot.settle()
        parts = [first, *fake_discord.followups_for(ref.token)]

    assert len(parts) == 3
    assert all(len(p["content"]) <= 2000 for p in parts)
    assert "\n".join(p["content"] for p in parts).split("\n") == lines


async def test_a_server_that_removed_the_bot_gets_nothing_more(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    circle(fake_discord)
    async with running(fake_discord, database, clock) as bot:
        await bot.keep_clean_date(SAM, "2026-10-31")
        await fake_discord.dispatch("GUILD_DELETE", {"id": str(GUILD)})
        await eventually(lambda: rows(database, "SELECT 1 FROM communities WHERE active = 0"))
        await digest_day(bot, clock)
        await bot.settle()

    assert all("30 days" not in m["content"] for m in fake_discord.messages_in(GENERAL))


async def test_homegroup_run_serves_discord_and_stops_cleanly_on_sigterm(
    fake_discord: FakeDiscord, database: Path, tmp_path: Path
) -> None:
    """The real process: ``python -m adapters run`` with a Discord token, stopped by SIGTERM."""
    circle(fake_discord)
    log = tmp_path / "homegroup.log"
    settings = {
        "DISCORD_TOKEN": fake_discord.token,
        "DISCORD_API_URL": fake_discord.api_url,
        "DISCORD_GATEWAY_URL": fake_discord.gateway_url,
        "HOMEGROUP_DATABASE": str(database),
    }
    process = await homegroup_run(settings, log)
    try:
        await eventually(lambda: fake_discord.gateway.connected, seconds=30)
        ref = await fake_discord.slash("help", SAM, channel_id=GENERAL)
        assert "/craving" in (await fake_discord.callback_for(ref.id, within=10))["data"]["content"]
    finally:
        status = await terminate(process)
    assert status == 0, log.read_text()
    assert fake_discord.token not in log.read_text()


async def test_where_the_bot_may_not_post_a_slow_public_answer_follows_up_instead(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    circle(fake_discord)
    fake_discord.fail("POST", CHANNEL_MESSAGES, 403, {"message": "Missing Access", "code": 50001})
    async with running(fake_discord, database, clock) as bot:
        async with bot.app.store.transaction():  # the database is busy for 2 s
            craving = await bot.slash("craving", SAM)
            await asyncio.sleep(2.0)
        deferred = await fake_discord.callback_for(craving.id)  # kept first, then deferred
        answer = await bot.followup(craving, "Thank you for saying it, Sam")
        placeholder = await bot.answer(craving)

    assert deferred["type"] == 5
    assert not answer["flags"] & dp.EPHEMERAL
    assert answer in fake_discord.messages_in(GENERAL)
    assert placeholder["content"] == "Posted for the channel below."


async def test_a_private_answer_whose_interaction_expired_arrives_by_dm(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    circle(fake_discord)
    async with running(fake_discord, database, clock) as bot:
        await bot.answer(await bot.slash("supporter", ALEX, pings="on"))
        asked = await bot.answer(await bot.slash("craving", SAM))
        await fake_discord.press(custom_id(asked, "craving.claim"), ALEX, message=int(asked["id"]))
        expired = {"message": "Invalid Webhook Token", "code": 50027}
        fake_discord.fail("POST", "/webhooks/{app}/{token}", 401, expired)
        await fake_discord.press(custom_id(asked, "craving.claim"), KIM, message=int(asked["id"]))
        covered = await bot.dm(KIM_ID, "Alex has got this one")

    assert "Alex has got this one" in covered["content"]


async def test_a_failing_command_gets_a_kind_word_instead_of_silence(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    circle(fake_discord)
    async with running(fake_discord, database, clock) as bot:

        async def broken(inbound: object) -> bool:
            raise RuntimeError("the disk is full")

        monkeypatch.setattr(bot.app.core, "handle", broken)
        ref = await bot.slash("days", SAM)
        sorry = await fake_discord.callback_for(ref.id)

    assert sorry["data"]["flags"] & dp.EPHEMERAL
    assert "try again" in sorry["data"]["content"]


async def test_refused_commands_leave_the_bot_running_and_old_servers_are_emptied(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    circle(fake_discord)
    async with running(fake_discord, database, clock, guild_ids=(GUILD,)):
        pass
    fake_discord.fail("PUT", "/applications/{app}/commands", 403, times=1)
    async with running(fake_discord, database, clock) as bot:  # refused: runs on
        assert (await bot.answer(await bot.slash("help", SAM))) is not None
    async with running(fake_discord, database, clock):  # now globally, and no longer there
        pass

    in_guild = fake_discord.of("PUT", "/applications/{app}/guilds/{guild}/commands")
    assert [len(call.json) for call in in_guild] == [len(COMMANDS), 0]
    assert len(fake_discord.of("PUT", "/applications/{app}/commands")) == 2


async def test_nothing_a_member_wrote_nor_any_token_reaches_the_log_even_at_debug(
    fake_discord: FakeDiscord,
    database: Path,
    clock: ManualClock,
    debug_logging: pytest.LogCaptureFixture,
) -> None:
    """As with HOMEGROUP_LOG_LEVEL=DEBUG: the adapter holds discord.py's logger at INFO."""
    caplog = debug_logging
    note = "fragile-tuesday-evening"
    circle(fake_discord)
    async with running(fake_discord, database, clock) as bot:
        await bot.answer(await bot.slash("supporter", ALEX, pings="on"))
        asked = await bot.answer(await bot.slash("craving", SAM, note=note))
        claim = await fake_discord.press(
            custom_id(asked, "craving.claim"), ALEX, message=int(asked["id"])
        )
        await bot.dm(SAM_ID, "Alex is on the way to you")
        await bot.settle()

    assert any(record.levelno == logging.DEBUG for record in caplog.records)
    secrets = [note, fake_discord.token, claim.token, "2026-"]
    for record in caplog.records:
        line = record.getMessage() + (record.exc_text or "")
        for secret in secrets:
            assert secret not in line, f"{record.name} logged a secret"


async def test_a_button_label_whose_override_runs_away_holds_up_no_other_member(
    fake_discord: FakeDiscord,
    database: Path,
    clock: ManualClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A label on Sam's craving answer renders in a worker that spins until it is killed;
    meanwhile Alex's /days is received and answered. Were the label rendered on the event
    loop, nothing could even be received until the worker was stopped."""
    budget = Budget(seconds=4.0)  # time to watch it spin on a busy machine
    made = App.renderer

    def renderer(
        app: App, dialect: Dialect, contexts: Mapping[str, type] | None = None
    ) -> Renderer:
        found = made(app, dialect, contexts)
        if found.budget != budget:  # kept by the app, so its workers close with it
            found = app.renderers[dialect.name] = replace(found, budget=budget)
        return found

    monkeypatch.setattr(App, "renderer", renderer)
    templates = write(tmp_path / "templates", {"en/label_craving_passed.j2": SPINS})
    circle(fake_discord)
    async with running(fake_discord, database, clock, templates=templates) as bot:
        await bot.slash("craving", SAM)
        runaway = await eventually(spinning)
        days = await bot.answer(await bot.slash("days", ALEX))
        assert alive(runaway), "Alex was answered while the label's render ran"
        posted = await bot.said(
            GENERAL, "Thank you for saying it, Sam", within=budget.seconds + MARGIN
        )

    assert "You haven't set a clean date yet." in days["content"]
    assert not alive(runaway), "killed, not left spinning"
    labels = [button["label"] for row in posted["components"] for button in row["components"]]
    assert "It passed" in labels, "the bundled label, in place of the runaway override"
