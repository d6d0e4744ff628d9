"""One dispatch path: every event is looked up in the flows' table, and platforms' abilities are
what their adapters declared."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest

from adapters.console.platform import CAPABILITIES as CONSOLE
from adapters.discord.platform import CAPABILITIES as DISCORD
from adapters.discord.platform import ROLES
from adapters.platforms import every_platform
from adapters.telegram.platform import CAPABILITIES as TELEGRAM
from bot.clock import ManualClock
from bot.core import Core
from bot.dispatch import Flows
from bot.domain.inbound import MembershipChanged, RolesChanged
from bot.domain.platforms import Capabilities, Platforms
from bot.flows import all_flows
from bot.storage.sqlite import SqliteStore
from bot.turn import Turn


@dataclass(frozen=True, slots=True)
class Waved:
    """An event no platform reports, to show the core takes any event a flow registers."""

    dedupe_key: str
    platform: str


async def test_an_event_a_flow_registers_is_handled_once(
    store: SqliteStore, clock: ManualClock
) -> None:
    seen: list[tuple[Waved, bool]] = []

    async def waved(turn: Turn, event: Waved) -> None:
        seen.append((event, turn.capabilities(event.platform).roles is not None))

    core = Core(store, clock, platforms=every_platform(), flows=Flows(events={Waved: waved}))
    assert await core.handle(Waved("w:1", "discord"))  # type: ignore[arg-type]
    assert not await core.handle(Waved("w:1", "discord")), "the same event twice: one effect"  # type: ignore[arg-type]
    assert seen == [(Waved("w:1", "discord"), True)]


async def test_an_event_no_flow_registers_is_dropped_loudly(
    store: SqliteStore, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    core = Core(store, clock, platforms=Platforms(), flows=Flows())
    with caplog.at_level(logging.ERROR):
        assert not await core.handle(RolesChanged("r:1", "discord", "9", "7", ("1",)))
    assert "no flow for RolesChanged" in caplog.text


async def test_the_outbox_is_told_at_construction_what_a_commit_queued(
    store: SqliteStore, clock: ManualClock
) -> None:
    told: list[tuple[set[str], bool]] = []
    core = Core(store, clock, platforms=Platforms(), on_outbox=lambda p, t: told.append((p, t)))
    await core.handle(MembershipChanged("m:1", "console", "group", None, present=True, chat="g"))
    assert told == [({"console"}, False)], "the welcome, and no timer (no member yet)"


def test_membership_and_roles_are_in_the_table_like_any_other_event() -> None:
    events = all_flows().events
    assert {kind.__name__ for kind in events} == {
        "MembershipChanged",
        "RolesChanged",
        "PrivateChatChanged",
    }


def test_an_event_registered_twice_is_a_bug() -> None:
    async def handler(turn: Turn, event: Waved) -> None:
        return None

    table = Flows(events={Waved: handler})
    with pytest.raises(ValueError, match="Waved"):
        table.add(Flows(events={Waved: handler}))


def test_roles_are_read_as_the_platform_names_them() -> None:
    role = "1100000000000000001"
    assert ROLES.read(f"<@&{role}>") == role
    assert ROLES.read(role) == role
    for typed in ("@Supporters", "12345", f"<@{role}>", f"<#{role}>", f"<@&{role}> x", ""):
        assert ROLES.read(typed) is None, typed


def test_only_ids_are_kept_of_the_roles_reported_and_a_bounded_number() -> None:
    reported = [str(10**17 + n) for n in range(300)] + ["", "x1", "1" * 21, "١٢"]
    kept = ROLES.held(reported)
    assert len(kept) == ROLES.most == 250
    assert kept <= set(reported[:300])
    assert DISCORD.held_roles(["5", "y"]) == {"5"}


def test_a_platform_without_roles_keeps_none() -> None:
    assert TELEGRAM.roles is None
    assert CONSOLE.roles is None
    assert TELEGRAM.held_roles(["5"]) == set()
    assert Platforms().of("anything") == Capabilities("anything")
    assert every_platform().of("discord") == DISCORD
