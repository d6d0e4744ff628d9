"""Homegroup on Discord, end to end: the real discord.py against the fake Discord on loopback."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

from bot.clock import ManualClock
from tests.discord_harness import (
    ALEX,
    ALEX_ID,
    GENERAL,
    GUILD,
    KIM,
    KIM_ID,
    MILESTONES,
    PEOPLE,
    ROBIN,
    SAM,
    SAM_ID,
    circle,
    custom_id,
    running,
)
from tests.fakes import discord_payloads as dp
from tests.fakes.discord import FakeDiscord
from tests.harness import eventually, rows


async def test_clean_date_and_days_are_answered_where_only_the_member_sees_them(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    circle(fake_discord)
    async with running(fake_discord, database, clock) as bot:
        set_date = await bot.keep_clean_date(SAM, "2026-01-01")
        days = await bot.answer(await bot.slash("days", SAM))

    assert set_date["flags"] & dp.EPHEMERAL
    assert days["flags"] & dp.EPHEMERAL
    assert "332 days" in days["content"]
    assert fake_discord.messages_in(GENERAL) == []


async def test_a_craving_pings_exactly_the_supporters_and_another_member_claims_it(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    circle(fake_discord)
    async with running(fake_discord, database, clock) as bot:
        for supporter in (ALEX, KIM):
            await bot.answer(await bot.slash("supporter", supporter, pings="on"))
        asked = await bot.answer(await bot.slash("craving", SAM, note="rough night"))

        assert not asked["flags"] & dp.EPHEMERAL
        assert f"<@{ALEX_ID}>" in asked["content"]
        assert f"<@{KIM_ID}>" in asked["content"]
        (ping,) = [p for p in fake_discord.pings if p.message_id == int(asked["id"])]
        assert ping.users == {ALEX_ID, KIM_ID}
        assert (ping.roles, ping.everyone) == (frozenset(), False)

        claim = await fake_discord.press(
            custom_id(asked, "craving.claim"), ALEX, message=int(asked["id"])
        )
        assert (await fake_discord.callback_for(claim.id))["type"] == 6
        told = await bot.dm(SAM_ID, "Alex is on the way to you")
        await eventually(
            lambda: "Alex is on it" in fake_discord.messages[int(asked["id"])]["content"]
        )

        late = await fake_discord.press(
            custom_id(asked, "craving.claim"), KIM, message=int(asked["id"])
        )
        covered = await bot.followup(late, "Alex has got this one")

    assert covered["flags"] & dp.EPHEMERAL
    assert "rough night" not in told["content"]
    assert all(
        p.users <= {ALEX_ID, KIM_ID} and not p.everyone and not p.roles for p in fake_discord.pings
    )


async def test_a_call_gives_the_contact_by_dm_to_the_volunteer_who_took_it_and_nobody_else(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    circle(fake_discord)
    async with running(fake_discord, database, clock) as bot:
        asked = await bot.answer(await bot.slash("contact", SAM, channel=None, details="555 0100"))
        assert "May I keep it?" in asked["content"]
        assert "555 0100" not in asked["content"]
        yes = await fake_discord.press(
            custom_id(asked, "contact.keep"), SAM, message=int(asked["id"])
        )
        await bot.followup(yes, "Saved: 555 0100")
        for volunteer in (ALEX, KIM):
            await bot.answer(await bot.slash("phonelist", volunteer, list="on"))
        request = await bot.answer(await bot.slash("call", SAM))
        assert "555 0100" not in request["content"]

        take = custom_id(request, "call.take")
        await fake_discord.press(take, ALEX, message=int(request["id"]))
        handed = await bot.dm(ALEX_ID, "555 0100")
        await bot.dm(SAM_ID, "Alex will call you")
        await bot.settle()

    assert "Sam" in handed["content"]
    seen = [m["content"] for m in fake_discord.messages.values() if "555 0100" in m["content"]]
    # The member's own confirmation (ephemeral, in their DM) and the volunteer's DM: no more.
    assert len(seen) == 2
    assert fake_discord.dms_to(KIM_ID) == []
    assert all("555 0100" not in m["content"] for m in fake_discord.messages_in(GENERAL))


async def test_a_relapse_is_answered_only_to_the_member_and_nothing_reaches_the_channel(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    circle(fake_discord)
    async with running(fake_discord, database, clock) as bot:
        await bot.keep_clean_date(SAM, "2026-01-01")
        ask = await bot.slash("relapse", SAM)
        confirm = await bot.answer(ask)
        assert confirm["flags"] & dp.EPHEMERAL
        await fake_discord.press(custom_id(confirm, "relapse.yes"), SAM, message=int(confirm["id"]))
        done = await eventually(
            lambda: next(
                (
                    m
                    for m in fake_discord.messages.values()
                    if "coming back takes courage" in m["content"]
                ),
                None,
            )
        )
        await bot.settle()
        days = await bot.answer(await bot.slash("days", SAM))

    assert done["flags"] & dp.EPHEMERAL
    assert fake_discord.messages_in(GENERAL) == []
    assert "0 days" in days["content"] or "today" in days["content"].lower()


async def test_a_member_without_manage_server_is_refused_the_settings_and_nothing_changes(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    circle(fake_discord)
    async with running(fake_discord, database, clock) as bot:
        refused = await bot.answer(
            await bot.slash(
                "set", SAM, permissions=dp.EVERYONE_DEFAULT, key="ping_count", value="5"
            )
        )
        shown = await bot.answer(
            await bot.slash("settings", ALEX, permissions=dp.EVERYONE_DEFAULT | dp.MANAGE_GUILD)
        )

    assert "Only this group's admins can change its settings" in refused["content"]
    assert refused["flags"] & dp.EPHEMERAL  # a refusal is nobody else's business
    assert "3" in shown["content"]  # ping_count is still the default


async def test_mydata_arrives_as_a_json_file_only_the_member_sees(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    circle(fake_discord)
    async with running(fake_discord, database, clock) as bot:
        await bot.keep_clean_date(SAM, "2026-01-01")
        answer = await bot.answer(await bot.slash("mydata", SAM))

    assert answer["flags"] & dp.EPHEMERAL
    (attachment,) = answer["attachments"]
    upload = fake_discord.uploads[attachment["id"]]
    data = json.loads(upload.content)
    assert "2026-01-01" in json.dumps(data)
    assert attachment["filename"].endswith(".json")


async def test_the_milestone_digest_goes_to_the_announcement_channel_and_pings_the_member(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    circle(fake_discord)
    admin = dp.EVERYONE_DEFAULT | dp.MANAGE_GUILD
    async with running(fake_discord, database, clock) as bot:
        await bot.answer(
            await bot.slash(
                "set", ALEX, MILESTONES, permissions=admin, key="announcement_channel", value="here"
            )
        )
        await bot.keep_clean_date(SAM, "2026-10-31")  # day 29 today
        clock.advance(timedelta(days=1))  # 30 November, noon: day 30, past the 09:00 run
        bot.app.timers.wake.set()
        digest = await bot.said(MILESTONES, "has 30 days clean today")

    assert digest["content"].startswith(f"<@{SAM_ID}> has 30 days clean today")
    (ping,) = [p for p in fake_discord.pings if p.message_id == int(digest["id"])]
    assert ping.users == {SAM_ID}
    assert all("30 days" not in m["content"] for m in fake_discord.messages_in(GENERAL))


MISCHIEF = "@everyone <@&1> <@2> @here"


async def test_names_and_notes_full_of_mentions_notify_nobody_but_the_supporters(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    trouble = dp.user(105_000_000_000_000_005, "trouble", MISCHIEF)
    trouble_id = int(trouble["id"])
    circle(fake_discord, people=(*PEOPLE, trouble))
    async with running(fake_discord, database, clock) as bot:
        await bot.answer(await bot.slash("supporter", ALEX, pings="on"))
        await bot.keep_clean_date(trouble, "2026-10-31")
        asked = await bot.answer(await bot.slash("craving", trouble, note=MISCHIEF))
        await bot.answer(await bot.slash("call", trouble, note=MISCHIEF))
        await bot.answer(await bot.slash("together", SAM))
        clock.advance(timedelta(days=1))
        bot.app.timers.wake.set()
        await bot.said(GENERAL, "has 30 days clean today")
        await fake_discord.press(custom_id(asked, "craving.claim"), ALEX, message=int(asked["id"]))
        await bot.dm(trouble_id, "Alex is on the way to you")
        await bot.settle()

    sent = [
        c
        for c in fake_discord.calls
        if c.method in ("POST", "PATCH")
        and c.json
        and c.path.startswith(("/channels/", "/interactions/", "/webhooks/"))
        and (c.json.get("type") in (4, 7) or "type" not in c.json)
    ]
    assert len(sent) >= 5
    for call in sent:
        body = call.json.get("data", call.json) if "type" in call.json else call.json
        content = body.get("content") or ""
        allowed = body.get("allowed_mentions")
        assert allowed is not None, f"{call.method} {call.path} has no allowed_mentions"
        assert allowed.get("parse") == [], f"{call.path} lets Discord parse mentions"
        assert not allowed.get("roles"), call.path
        assert {int(u) for u in allowed.get("users", [])} <= {ALEX_ID, trouble_id}
        assert "@everyone" not in content
        assert "@here" not in content
        assert "<@&1>" not in content
        assert "<@2>" not in content
    for ping in fake_discord.pings:
        assert not ping.everyone
        assert not ping.roles
        assert ping.users <= {ALEX_ID, trouble_id}


async def test_a_button_pressed_after_the_bot_restarted_still_works(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    circle(fake_discord)
    async with running(fake_discord, database, clock) as bot:
        await bot.answer(await bot.slash("supporter", ALEX, pings="on"))
        asked = await bot.answer(await bot.slash("craving", SAM))
        await bot.settle()

    async with running(fake_discord, database, clock) as bot:
        press = await fake_discord.press(
            custom_id(asked, "craving.claim"), ALEX, message=int(asked["id"])
        )
        assert (await fake_discord.callback_for(press.id))["type"] == 6
        await bot.dm(SAM_ID, "Alex is on the way to you")
        await eventually(
            lambda: "Alex is on it" in fake_discord.messages[int(asked["id"])]["content"]
        )


async def test_a_forged_button_gets_a_polite_private_answer_and_changes_nothing(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    circle(fake_discord)
    async with running(fake_discord, database, clock) as bot:
        await bot.answer(await bot.slash("supporter", ALEX, pings="on"))
        asked = await bot.answer(await bot.slash("craving", SAM))
        stranger = await fake_discord.press("claim:7", KIM, message=int(asked["id"]), forged=True)
        unknown = await fake_discord.callback_for(stranger.id)
        forged = await fake_discord.press(
            "hg|craving.claim|99999", KIM, message=int(asked["id"]), forged=True
        )
        await fake_discord.callback_for(forged.id)
        await bot.settle()

    assert unknown["type"] == 4
    assert unknown["data"]["flags"] & dp.EPHEMERAL
    assert "doesn't work any more" in unknown["data"]["content"]
    assert "is on it" not in fake_discord.messages[int(asked["id"])]["content"]
    assert fake_discord.dms_to(SAM_ID) == []


async def test_slow_work_is_deferred_within_three_seconds_and_completed_by_a_follow_up(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    circle(fake_discord)
    async with running(fake_discord, database, clock) as bot:
        await bot.keep_clean_date(SAM, "2026-01-01")
        # The database is busy for 2 s: nothing can be kept, so nothing is acknowledged before
        # it is free again, still inside Discord's 3 s.
        async with bot.app.store.transaction():
            days = await bot.slash("days", SAM)
            craving = await bot.slash("craving", KIM)
            await asyncio.sleep(2.0)
        deferred = await fake_discord.callback_for(days.id)
        answer = await bot.answer(days)
        posted = await bot.said(GENERAL, "Thank you for saying it, Kim")
        placeholder = fake_discord.interactions.by_token(craving.token).original
        assert placeholder is not None
        # The "thinking…" only Kim saw is removed once the answer is in the channel.
        await eventually(lambda: int(placeholder["id"]) not in fake_discord.messages)

    assert deferred["type"] == 5
    assert deferred["data"]["flags"] & dp.EPHEMERAL
    assert answer["flags"] & dp.EPHEMERAL
    assert "332 days" in answer["content"]
    assert not posted["flags"] & dp.EPHEMERAL  # a public answer is not hidden by the defer


async def test_a_dropped_gateway_resumes_without_starting_anything_twice(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    circle(fake_discord)
    async with running(fake_discord, database, clock) as bot:
        await bot.keep_clean_date(SAM, "2026-01-01")
        await fake_discord.drop_gateway()
        await eventually(lambda: fake_discord.resumes == 1 and fake_discord.gateway.connected)
        days = await bot.answer(await bot.slash("days", SAM))
        senders = [t for t in asyncio.all_tasks() if t.get_name() == "discord outbox"]

    assert "332 days" in days["content"]
    assert bot.adapter.setups == 1
    assert len(senders) == 1
    assert len(fake_discord.of("PUT", "/applications/{app}/commands")) == 1


SUPPORTERS = 500_000_000_000_000_030
THIRTY = 500_000_000_000_000_031


async def test_a_supporter_role_makes_its_holders_supporters(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    kim = dp.member(KIM, roles=[SUPPORTERS])
    fake_discord.guild(
        GUILD,
        "Sunday Circle",
        channels=[dp.text_channel(GENERAL, "general")],
        members=[dp.member(SAM), dp.member(ALEX), kim],
        roles=[dp.role(SUPPORTERS, "Supporters", position=1)],
    )
    admin = dp.EVERYONE_DEFAULT | dp.MANAGE_GUILD
    async with running(fake_discord, database, clock) as bot:
        await bot.answer(
            await bot.slash(
                "set", ALEX, permissions=admin, key="supporter_role", role=str(SUPPORTERS)
            )
        )
        await bot.answer(await bot.slash("resources", KIM))  # Kim's roles come with it
        asked = await bot.answer(await bot.slash("craving", SAM))

    (ping,) = [p for p in fake_discord.pings if p.message_id == int(asked["id"])]
    assert ping.users == {KIM_ID}


async def test_with_the_members_intent_a_role_taken_away_or_a_member_leaving_stops_pings(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    holders = [dp.member(p, roles=[SUPPORTERS]) for p in (KIM, ROBIN)]
    fake_discord.guild(
        GUILD,
        "Sunday Circle",
        channels=[dp.text_channel(GENERAL, "general")],
        members=[dp.member(SAM), dp.member(ALEX), *holders],
        roles=[dp.role(SUPPORTERS, "Supporters", position=1)],
    )
    admin = dp.EVERYONE_DEFAULT | dp.MANAGE_GUILD
    async with running(fake_discord, database, clock, members_intent=True) as bot:
        await bot.answer(
            await bot.slash(
                "set", ALEX, permissions=admin, key="supporter_role", role=str(SUPPORTERS)
            )
        )
        for holder in (KIM, ROBIN):
            await bot.answer(await bot.slash("resources", holder))
        held = "SELECT person FROM member_roles"
        assert len(rows(bot.app.settings.database, held)) == 2  # both would be pinged now
        await fake_discord.dispatch(
            "GUILD_MEMBER_UPDATE", {**dp.member(KIM, roles=[]), "guild_id": str(GUILD)}
        )
        await fake_discord.dispatch("GUILD_MEMBER_REMOVE", {"guild_id": str(GUILD), "user": ROBIN})
        await eventually(lambda: not rows(bot.app.settings.database, "SELECT 1 FROM member_roles"))
        asked = await bot.answer(await bot.slash("craving", SAM))

    assert fake_discord.gateway.intents & dp.GUILD_MEMBERS_INTENT
    assert [p.users for p in fake_discord.pings if p.message_id == int(asked["id"])] in (
        [],
        [frozenset()],
    )


async def test_a_milestone_role_is_granted_or_its_admins_are_told_why_not(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    bot_role = 500_000_000_000_000_032
    guild = fake_discord.guild(
        GUILD,
        "Sunday Circle",
        channels=[dp.text_channel(GENERAL, "general")],
        members=[dp.member(SAM), dp.member(ALEX), dp.member(KIM)],
        roles=[
            dp.role(THIRTY, "30 days", position=1),
            dp.role(bot_role, "Homegroup", permissions=dp.MANAGE_ROLES, position=2),
        ],
        bot_roles=[bot_role],
    )
    admin = dp.EVERYONE_DEFAULT | dp.MANAGE_GUILD
    async with running(fake_discord, database, clock) as bot:
        await bot.answer(
            await bot.slash(
                "set", ALEX, permissions=admin, key="milestone_role", value="30d", role=str(THIRTY)
            )
        )
        await bot.keep_clean_date(SAM, "2026-10-31")
        clock.advance(timedelta(days=1))
        bot.app.timers.wake.set()
        await bot.said(GENERAL, "has 30 days clean today")
        await eventually(lambda: str(THIRTY) in guild.members[SAM_ID]["roles"])

        guild.roles[bot_role]["permissions"] = "0"  # an admin took Manage Roles away
        await bot.keep_clean_date(KIM, "2026-10-31")
        clock.advance(timedelta(days=1))
        bot.app.timers.wake.set()
        # Kim's 30th day is today, after its 09:00 run: tomorrow's run catches up with it.
        told = await bot.said(GENERAL, "I couldn't give Kim the")

    assert "Manage Roles" in told["content"]
    assert f"<@&{THIRTY}>" in told["content"]
    (ping,) = [p for p in fake_discord.pings if p.message_id == int(told["id"])]
    assert not ping.users
    assert not ping.roles
    assert str(THIRTY) not in guild.members[KIM_ID]["roles"]


async def test_a_member_whose_dms_are_closed_is_asked_neutrally_and_gets_it_once_open(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    circle(fake_discord)
    fake_discord.dms_closed.add(SAM_ID)
    async with running(fake_discord, database, clock) as bot:
        await bot.answer(await bot.slash("supporter", ALEX, pings="on"))
        asked = await bot.answer(await bot.slash("craving", SAM, note="the old bar"))
        await fake_discord.press(custom_id(asked, "craving.claim"), ALEX, message=int(asked["id"]))
        line = await bot.said(GENERAL, "your direct messages are closed to me")

        waiting = "SELECT 1 FROM outbox WHERE attempts > 0 AND sent_at IS NULL"
        await eventually(lambda: rows(bot.app.settings.database, waiting))
        fake_discord.dms_closed.discard(SAM_ID)  # Sam opens their DMs
        clock.advance(timedelta(minutes=10))
        bot.app.wake({"discord"})
        await bot.dm(SAM_ID, "Alex is on the way to you")
        await bot.settle()

    assert line["content"].startswith(f"<@{SAM_ID}>")
    assert "Alex" not in line["content"]
    assert "the old bar" not in line["content"]
    (ping,) = [p for p in fake_discord.pings if p.message_id == int(line["id"])]
    assert ping.users == {SAM_ID}
    asking = [m for m in fake_discord.messages_in(GENERAL) if "closed to me" in m["content"]]
    assert len(asking) == 1


async def test_time_zones_are_suggested_as_the_member_types(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    circle(fake_discord)
    async with running(fake_discord, database, clock):
        typing = await fake_discord.autocomplete(
            "timezone", SAM, [dp.focused("zone", "lond")], channel_id=GENERAL
        )
        suggested = await fake_discord.callback_for(typing.id)

    assert suggested["type"] == 8
    assert suggested["data"]["choices"] == [{"name": "Europe/London", "value": "Europe/London"}]


async def test_slash_commands_are_synced_once_and_not_again_while_unchanged(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    circle(fake_discord)
    async with running(fake_discord, database, clock):
        pass
    async with running(fake_discord, database, clock):
        pass

    (synced,) = fake_discord.of("PUT", "/applications/{app}/commands")
    commands = {c["name"]: c for c in synced.json}
    assert {"craving", "call", "days", "relapse", "set", "settings"} <= commands.keys()
    assert commands["set"]["default_member_permissions"] == str(dp.MANAGE_GUILD)
    assert commands["relapse"]["description"] == "Start a new count, privately"
    assert commands["timezone"]["options"][0]["autocomplete"] is True
    assert "default_member_permissions" not in commands["craving"]


async def test_commands_go_to_the_listed_servers_when_set_for_trying_changes(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    circle(fake_discord)
    async with running(fake_discord, database, clock, guild_ids=(GUILD,)) as bot:
        answer = await bot.answer(await bot.slash("help", SAM))

    assert fake_discord.of("PUT", "/applications/{app}/commands") == []
    assert len(fake_discord.of("PUT", "/applications/{app}/guilds/{guild}/commands")) == 1
    assert "/craving" in answer["content"]


async def test_a_note_on_a_restart_given_in_the_server_is_kept_for_the_member_alone(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    circle(fake_discord)
    async with running(fake_discord, database, clock) as bot:
        await bot.keep_clean_date(SAM, "2026-01-01")
        confirm = await bot.answer(await bot.slash("relapse", SAM))
        yes = await fake_discord.press(
            custom_id(confirm, "relapse.yes"), SAM, message=int(confirm["id"])
        )
        await bot.followup(yes, "coming back takes courage")
        saved = await bot.answer(await bot.slash("relapse", SAM, note="after the wedding"))
        history = await bot.answer(await bot.slash("history", SAM))

    assert saved["flags"] & dp.EPHEMERAL
    assert "after the wedding" in history["content"]
    assert all("wedding" not in m["content"] for m in fake_discord.messages_in(GENERAL))


async def test_mentions_inside_a_web_address_in_a_note_notify_nobody(
    fake_discord: FakeDiscord, database: Path, clock: ManualClock
) -> None:
    note = "https://x.example/@everyone <@&1>"
    circle(fake_discord)
    async with running(fake_discord, database, clock) as bot:
        await bot.answer(await bot.slash("phonelist", ALEX, list="on"))
        request = await bot.answer(await bot.slash("call", SAM, note=note))
        await bot.settle()

    assert not request["flags"] & dp.EPHEMERAL
    # Shown as typed (the zero-width spaces are invisible), and every mention form broken,
    # in the very content Discord received, whatever allowed_mentions says.
    assert f"“{note}”" in request["content"].replace("\u200b", "")
    bodies = [
        c.json.get("data", c.json)
        for c in fake_discord.calls
        if c.method in ("POST", "PATCH") and c.json and "Sam would like" in str(c.json)
    ]
    assert bodies
    for content in [request["content"], *(body.get("content") or "" for body in bodies)]:
        users, roles, everyone = dp.mentioned(content)
        assert (users, roles, everyone) == ({ALEX_ID}, set(), False), content
        assert "@everyone" not in content
        assert "<@&" not in content
