"""Discord roles in the core: a supporter role, milestone roles, and the roles members hold."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.discord.platform import ROLES
from bot.app import App
from bot.clock import ManualClock
from bot.dialect import PlainDialect
from bot.domain.community import CommunitySettings
from bot.domain.inbound import ButtonPressed, CommandIssued, Origin, RolesChanged
from bot.domain.replies import RoleGrant, Target
from bot.domain.settings_keys import MAX_MILESTONE_ROLES, SettingError, apply
from bot.flows.milestones import T as MilestoneT
from bot.render import Renderer
from tests.conftest import Transcript

GUILD = "900000000000000009"
CHAT = "900000000000000090"
SUPPORTERS = "1100000000000000001"
ONE_MONTH = "1100000000000000002"
OTHER_ROLE = "1100000000000000003"
ADMIN = "100000000000000001"
SAM = "100000000000000002"
ANA = "100000000000000003"
BEN = "100000000000000004"
NAMES = {ADMIN: "Admin", SAM: "Sam", ANA: "Ana", BEN: "Ben"}
COMMUNITY = f"discord:{GUILD}"


def origin(person: str, *, roles: tuple[str, ...] | None = None, admin: bool = False) -> Origin:
    return Origin(
        "discord",
        CHAT,
        person,
        NAMES[person],
        community=GUILD,
        is_admin=admin,
        interaction=f"i-{person}",
        roles=roles,
    )


class Server:
    """Members typing commands in one Discord server, as the adapter hands them to the core."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._n = 0

    def _key(self) -> str:
        self._n += 1
        return f"discord:test:{self._n}"

    async def command(
        self,
        person: str,
        text: str,
        *,
        roles: tuple[str, ...] | None = None,
        admin: bool = False,
    ) -> None:
        name, _, args = text.lstrip("/").partition(" ")
        inbound = CommandIssued(self._key(), origin(person, roles=roles, admin=admin), name, args)
        assert await self.app.core.handle(inbound)

    async def clean_date(self, person: str, day: str) -> None:
        """A member sets a clean date, says yes to keeping it and to celebrating it here."""
        await self.command(person, "/consent on")
        await self.command(person, f"/cleandate {day}")
        await self.press(person, "share.celebrate", COMMUNITY)

    async def press(self, person: str, action: str, payload: str) -> None:
        assert await self.app.core.handle(
            ButtonPressed(self._key(), origin(person), action, payload)
        )

    async def roles_changed(self, person: str, roles: tuple[str, ...], guild: str = GUILD) -> None:
        change = RolesChanged(self._key(), "discord", guild, person, roles)
        assert await self.app.core.handle(change)


@pytest.fixture
def server(app: App) -> Server:
    return Server(app)


def rows(database: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database) as db:
        return db.execute(sql, params).fetchall()


def last_answer(database: Path, template: str | None = None) -> str:
    """The latest message the bot queued (of ``template``, if given), rendered as plain text."""
    where, params = ("WHERE template = ?", (template,)) if template else ("", ())
    found = rows(
        database,
        f"SELECT template, context, mentions FROM outbox {where} ORDER BY id DESC LIMIT 1",
        params,
    )
    assert found, f"no {template or 'message'} was queued"
    key, context, _ = found[0]
    return Renderer(PlainDialect()).render(key, json.loads(context))


def settings_of(database: Path, key: str = COMMUNITY) -> CommunitySettings:
    (stored,) = rows(database, "SELECT settings FROM communities WHERE key = ?", (key,))[0]
    return CommunitySettings.from_json(json.loads(stored))


def pinged(database: Path) -> set[str]:
    return {p for (p,) in rows(database, "SELECT person FROM craving_pings")}


# -- a supporter role -----------------------------------------------------------------------


async def test_a_supporter_role_holder_is_pinged_without_supporter_on(
    server: Server, database: Path
) -> None:
    await server.command(ANA, "/days", roles=(SUPPORTERS,))
    await server.command(SAM, "/craving")
    assert pinged(database) == set(), "a role means nothing until the admins name it"

    await server.command(ADMIN, f"/set supporter_role <@&{SUPPORTERS}>", admin=True)
    assert "now count as craving supporters here" in last_answer(database, "set_done")
    await server.command(BEN, "/craving")
    assert pinged(database) == {f"discord:{ANA}"}
    (mentions,) = rows(
        database, "SELECT mentions FROM outbox WHERE template = 'craving_reply' ORDER BY id DESC"
    )[0]
    assert [person for person, _ in json.loads(mentions)] == [ANA], "a real ping, to Ana only"


async def test_a_role_holder_who_said_supporter_off_is_not_pinged(
    server: Server, database: Path
) -> None:
    await server.command(ADMIN, f"/set supporter_role {SUPPORTERS}", admin=True)
    await server.command(ANA, "/supporter off", roles=(SUPPORTERS,))
    said = last_answer(database, "supporter_set")
    assert "You hold this group's supporter role, but I won't ping you" in said
    await server.command(BEN, "/days", roles=(SUPPORTERS,))
    await server.command(SAM, "/craving")
    assert pinged(database) == {f"discord:{BEN}"}

    await server.command(ANA, "/supporter on", roles=(SUPPORTERS,))
    await server.command(ADMIN, "/craving")
    assert f"discord:{ANA}" in pinged(database), "/supporter on takes the no back"


async def test_a_role_holders_quiet_hours_still_apply(server: Server, database: Path) -> None:
    await server.command(ADMIN, f"/set supporter_role {SUPPORTERS}", admin=True)
    await server.command(ANA, "/supporter hours 01:00-02:00", roles=(SUPPORTERS,))  # UTC; noon now
    await server.command(BEN, "/days", roles=(SUPPORTERS,))
    await server.command(SAM, "/craving")
    assert pinged(database) == {f"discord:{BEN}"}


async def test_roles_taken_away_stop_the_pings(
    server: Server, database: Path, clock: ManualClock
) -> None:
    await server.command(ADMIN, f"/set supporter_role {SUPPORTERS}", admin=True)
    await server.command(ANA, "/days", roles=(SUPPORTERS, OTHER_ROLE))
    await server.roles_changed(ANA, (OTHER_ROLE,))
    await server.command(SAM, "/craving")
    assert pinged(database) == set()
    assert rows(database, "SELECT role FROM member_roles") == [(OTHER_ROLE,)]

    await server.roles_changed(ANA, (OTHER_ROLE, SUPPORTERS))
    await server.command(BEN, "/craving")
    assert pinged(database) == {f"discord:{ANA}"}


async def test_an_interaction_that_does_not_report_roles_keeps_them(
    server: Server, database: Path
) -> None:
    await server.command(ADMIN, f"/set supporter_role {SUPPORTERS}", admin=True)
    await server.command(ANA, "/days", roles=(SUPPORTERS,))
    await server.command(ANA, "/together", roles=None)
    await server.command(SAM, "/craving")
    assert pinged(database) == {f"discord:{ANA}"}


async def test_roles_from_an_unknown_server_or_person_store_nothing(
    server: Server, database: Path
) -> None:
    await server.roles_changed(ANA, (SUPPORTERS,), guild="123456789012345678")
    assert rows(database, "SELECT key FROM communities") == []
    await server.command(SAM, "/days")
    await server.roles_changed(ANA, (SUPPORTERS,))  # never used the bot here
    assert rows(database, "SELECT * FROM member_roles") == []
    assert rows(database, "SELECT key FROM people") == [(f"discord:{SAM}",)]


async def test_a_member_who_left_keeps_no_roles(server: Server, database: Path) -> None:
    from bot.domain.inbound import MembershipChanged

    await server.command(ANA, "/days", roles=(SUPPORTERS,))
    await server.app.core.handle(MembershipChanged("left", "discord", GUILD, ANA, present=False))
    assert rows(database, "SELECT * FROM member_roles") == []


async def test_forgetme_erases_the_roles_kept(server: Server, database: Path) -> None:
    await server.command(ANA, "/days", roles=(SUPPORTERS, OTHER_ROLE))
    await server.command(SAM, "/days", roles=(SUPPORTERS,))
    assert len(rows(database, "SELECT * FROM member_roles")) == 3
    await server.command(ANA, "/forgetme")
    await server.press(ANA, "privacy.erase", f"discord:{ANA}")
    assert rows(database, "SELECT person, role FROM member_roles") == [
        (f"discord:{SAM}", SUPPORTERS)
    ]


# -- setting the roles ----------------------------------------------------------------------


async def test_roles_are_refused_kindly_outside_discord(
    console: Transcript, database: Path
) -> None:
    await console.say("/settings")
    before = rows(database, "SELECT settings FROM communities")
    for line in (
        f"/set milestone_role 30d <@&{ONE_MONTH}>",
        f"/set supporter_role <@&{SUPPORTERS}>",
    ):
        answer = await console.say(line)
        assert "Roles are a Discord feature" in answer
        assert "Nothing has changed." in answer
    assert rows(database, "SELECT settings FROM communities") == before
    shown = await console.say("/settings")
    assert "supporter_role" not in shown
    assert "milestone_role" not in await console.say("/set")
    assert "Did you mean supporter_rest?" in await console.say("/set supporter_rol x")


async def test_roles_are_refused_on_telegram_too(app: App, database: Path) -> None:
    telegram = Origin("telegram", "-100", "7", "Admin", community="-100", is_admin=True)
    await app.core.handle(CommandIssued("t1", telegram, "set", f"milestone_role 1y {ONE_MONTH}"))
    assert "Roles are a Discord feature" in last_answer(database)
    assert settings_of(database, "telegram:-100") == CommunitySettings()


@pytest.mark.parametrize(
    ("value", "kind_words"),
    [
        ("supporter_role @Supporters", "I couldn't tell which role that is."),
        ("supporter_role 12345", "I couldn't tell which role that is."),
        (f"supporter_role <@{ANA}>", "I couldn't tell which role that is."),
        (f"supporter_role <#{CHAT}>", "I couldn't tell which role that is."),
        (f"supporter_role <@&{SUPPORTERS}> <@&{ONE_MONTH}>", "I couldn't tell which role"),
        ("supporter_role", "/set supporter_role needs a value after it."),
        (f"milestone_role 30x <@&{ONE_MONTH}>", "starts with one milestone, like 30d, 6m or 1y"),
        (f"milestone_role yearly <@&{ONE_MONTH}>", "starts with one milestone"),
        (f"milestone_role 0d <@&{ONE_MONTH}>", "starts with one milestone"),
        (f"milestone_role <@&{ONE_MONTH}>", "starts with one milestone"),
        ("milestone_role 30d", "/set milestone_role needs a value after it."),
        ("milestone_role 30d Month", "I couldn't tell which role that is."),
    ],
)
async def test_bad_role_values_are_refused_kindly(
    server: Server, database: Path, value: str, kind_words: str
) -> None:
    await server.command(ADMIN, f"/set milestone_role 1y <@&{ONE_MONTH}>", admin=True)
    before = settings_of(database)
    await server.command(ADMIN, f"/set {value}", admin=True)
    answer = last_answer(database, "set_invalid")
    assert kind_words in answer
    assert "Nothing has changed." in answer
    assert settings_of(database) == before


async def test_a_non_admin_cannot_set_a_role(server: Server, database: Path) -> None:
    await server.command(SAM, f"/set supporter_role {SUPPORTERS}", roles=(SUPPORTERS,))
    assert "Only this group's admins" in last_answer(database)
    assert settings_of(database).supporter_role is None


async def test_settings_shows_the_roles_and_set_takes_them_away(
    server: Server, database: Path
) -> None:
    await server.command(ADMIN, "/settings", admin=True)
    shown = last_answer(database, "settings_show")
    assert "supporter_role: none" in shown
    assert "milestone_role: none" in shown
    await server.command(ADMIN, "/set", admin=True)
    assert (
        "supporter_rest, milestones, locale, resources, emergency_number, meetings,"
        " supporter_role, milestone_role" in (last_answer(database, "set_usage"))
    )
    await server.command(ADMIN, "/set suporter_role x", admin=True)
    assert "Did you mean supporter_role or supporter_rest?" in last_answer(database, "set_invalid")

    await server.command(ADMIN, f"/set supporter_role <@&{SUPPORTERS}>", admin=True)
    await server.command(ADMIN, f"/set milestone_role 1y <@&{ONE_MONTH}>", admin=True)
    assert "reaches 1 year, I'll give them role " in last_answer(database, "set_done")
    await server.command(ADMIN, f"/set milestone-role 30d {OTHER_ROLE}", admin=True)
    await server.command(ADMIN, "/settings", admin=True)
    shown = last_answer(database, "settings_show")
    assert f"supporter_role: role {SUPPORTERS}" in shown
    assert f"milestone_role: 30d role {OTHER_ROLE}, 1y role {ONE_MONTH}" in shown

    await server.command(ADMIN, f"/set milestone_role 12m {OTHER_ROLE}", admin=True)
    assert settings_of(database).milestone_roles == (("30d", OTHER_ROLE), ("12m", OTHER_ROLE))
    await server.command(ADMIN, "/set milestone_role 30d none", admin=True)
    assert "Reaching 30 days no longer gives a role" in last_answer(database, "set_done")
    await server.command(ADMIN, "/set supporter_role none", admin=True)
    assert "There's no supporter role here now" in last_answer(database, "set_done")
    assert settings_of(database).supporter_role is None
    assert settings_of(database).milestone_roles == (("12m", OTHER_ROLE),)


async def test_a_role_for_a_milestone_the_group_does_not_celebrate_is_kept_with_a_note(
    server: Server, database: Path
) -> None:
    await server.command(ADMIN, f"/set milestone_role 45d {ONE_MONTH}", admin=True)
    assert "This group doesn't celebrate 45 days now" in last_answer(database, "set_done")
    await server.command(ADMIN, f"/set milestone_role 3y {ONE_MONTH}", admin=True)
    assert "doesn't celebrate" not in last_answer(database, "set_done"), "every year after 18m"


def test_milestone_roles_are_limited() -> None:
    settings = CommunitySettings()
    for days in range(1, MAX_MILESTONE_ROLES + 1):
        settings = apply(
            settings,
            "milestone_role",
            f"{days}d {SUPPORTERS}",
            chat=CHAT,
            locales=[],
            roles=ROLES,
        ).settings
    with pytest.raises(SettingError) as refused:
        apply(
            settings,
            "milestone_role",
            f"99d {SUPPORTERS}",
            chat=CHAT,
            locales=[],
            roles=ROLES,
        )
    assert refused.value.reason == "too_many_roles"
    changed = apply(
        settings, "milestone_role", f"5d {ONE_MONTH}", chat=CHAT, locales=[], roles=ROLES
    )
    assert changed.settings.milestone_role("5d") == ONE_MONTH, "replacing one is always fine"


def test_milestone_roles_survive_storage_and_match_the_same_day() -> None:
    settings = replace(
        CommunitySettings(), supporter_role=SUPPORTERS, milestone_roles=(("12m", ONE_MONTH),)
    )
    stored = json.loads(json.dumps(settings.as_json()))
    assert stored["milestone_roles"] == {"12m": ONE_MONTH}
    back = CommunitySettings.from_json(stored)
    assert back == settings
    assert back.milestone_role("1y") == ONE_MONTH
    assert back.milestone_role("365d") is None
    assert CommunitySettings.from_json({}).milestone_roles == ()


# -- milestone roles --------------------------------------------------------------------------


async def test_the_milestone_run_asks_to_give_a_sharing_member_the_role(
    server: Server, app: App, database: Path, clock: ManualClock
) -> None:
    await server.command(ADMIN, f"/set milestone_role 30d <@&{ONE_MONTH}>", admin=True)
    await server.clean_date(ANA, "2026-10-31")  # 30 days on 30 November
    await server.clean_date(BEN, "2026-10-31")
    await server.command(BEN, "/share off")
    clock.advance(timedelta(days=1))
    await app.timers.fire_due()

    digest = rows(database, "SELECT mentions FROM outbox WHERE template = 'milestone_digest'")
    assert [[p for p, _ in json.loads(m)] for (m,) in digest] == [[ANA]]
    grants = rows(
        database,
        "SELECT id, target, person, mentions FROM outbox WHERE template = ? ORDER BY id",
        (MilestoneT.MILESTONE_ROLE_FAILED,),
    )
    assert len(grants) == 1, "Ben does not share his milestones: no role, since a role is public"
    outbox_id, target, about, mentions = grants[0]
    assert Target.from_json(json.loads(target)) == Target(
        "discord", chat=CHAT, grant=RoleGrant(GUILD, ANA, ONE_MONTH)
    )
    assert about == f"discord:{ANA}"
    assert json.loads(mentions) == [], "the refusal names Ana without pinging her"

    async with app.store.transaction() as tx:
        pending = {m.id: m for m in await tx.outbox.pending("discord", clock.now(), 100)}
    assert pending[outbox_id].target.grant == RoleGrant(GUILD, ANA, ONE_MONTH)
    refusal = Renderer(PlainDialect()).render(
        pending[outbox_id].template, pending[outbox_id].context
    )
    assert refusal.startswith(f"I couldn't give Ana the role {ONE_MONTH} role for 30 days")
    assert "Manage Roles" in refusal

    clock.advance(timedelta(days=1))
    await app.timers.fire_due()
    count = rows(
        database,
        "SELECT COUNT(*) FROM outbox WHERE template = ?",
        (MilestoneT.MILESTONE_ROLE_FAILED,),
    )
    assert count == [(1,)], "once per milestone"


async def test_no_role_for_a_count_restarted_before_its_milestone(
    server: Server, app: App, database: Path, clock: ManualClock
) -> None:
    await server.command(ADMIN, f"/set milestone_role 30d <@&{ONE_MONTH}>", admin=True)
    await server.clean_date(ANA, "2026-10-31")
    await server.command(ANA, "/relapse")
    await server.press(ANA, "relapse.yes", "2026-11-29 2026-10-31")
    assert rows(database, "SELECT clean_since FROM counters") == [("2026-11-29",)]
    clock.advance(timedelta(days=1))
    await app.timers.fire_due()
    assert rows(database, "SELECT target FROM outbox WHERE target LIKE '%grant\": {%'") == []


async def test_a_milestone_without_a_role_asks_for_none(
    server: Server, app: App, database: Path, clock: ManualClock
) -> None:
    await server.command(ADMIN, f"/set milestone_role 60d <@&{ONE_MONTH}>", admin=True)
    await server.clean_date(ANA, "2026-10-31")
    clock.advance(timedelta(days=1))
    await app.timers.fire_due()
    assert rows(database, "SELECT COUNT(*) FROM outbox WHERE template = 'milestone_digest'") == [
        (1,)
    ]
    assert rows(
        database,
        "SELECT COUNT(*) FROM outbox WHERE template = ?",
        (MilestoneT.MILESTONE_ROLE_FAILED,),
    ) == [(0,)]


def test_a_target_reads_back_with_or_without_a_grant() -> None:
    plain = Target("discord", chat=CHAT)
    granting = Target("discord", chat=CHAT, grant=RoleGrant(GUILD, ANA, ONE_MONTH))
    for target in (plain, granting):
        assert Target.from_json(json.loads(json.dumps(target.as_json()))) == target
    older = {"platform": "discord", "chat": CHAT, "person": None, "interaction": None}
    assert Target.from_json(older).grant is None


def test_the_refusal_shows_the_role_on_discord_and_pings_nobody() -> None:
    from adapters.discord.dialect import DiscordDialect

    text = Renderer(DiscordDialect()).render(
        MilestoneT.MILESTONE_ROLE_FAILED,
        {"who": {"id": ANA, "name": "*Ana*"}, "milestone": "1y", "role": ONE_MONTH},
    )
    assert text.startswith(f"I couldn't give \\*Ana\\* the <@&{ONE_MONTH}> role for 1 year")
    assert f"<@{ANA}>" not in text
