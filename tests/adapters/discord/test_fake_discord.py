"""The fake Discord answers the real discord.py as Discord does: gateway, commands, interactions."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.app_commands import Choice

from tests.fakes import discord_payloads as dp
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord_fixtures import client_options, running

GUILD = 500_000_000_000_000_001
GENERAL = 500_000_000_000_000_010
SUPPORTER = 500_000_000_000_000_020
SAM = dp.user(101_000_000_000_000_001, "sam", "Sam")
ALEX = dp.user(102_000_000_000_000_002, "alex", "Alex")
SAM_ID, ALEX_ID = int(SAM["id"]), int(ALEX["id"])


class Claim(discord.ui.View):
    """A persistent view: no timeout, a fixed custom_id, registered in ``setup_hook``."""

    def __init__(self, pressed: list[tuple[int, str]]) -> None:
        super().__init__(timeout=None)
        self.pressed = pressed

    @discord.ui.button(label="I can call", custom_id="claim:7")
    async def claim(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        self.pressed.append((interaction.user.id, str(button.custom_id)))
        await interaction.response.send_message("Thank you for calling", ephemeral=True)


class Circle(discord.Client):
    """The smallest bot with slash commands, a persistent view and counters of its events."""

    def __init__(self, intents: discord.Intents | None = None) -> None:
        super().__init__(intents=intents or discord.Intents.default(), **client_options())
        self.tree = app_commands.CommandTree(self)
        self.readies = 0
        self.readied = asyncio.Event()
        self.resumed = asyncio.Event()
        self.pressed: list[tuple[int, str]] = []
        self.notes: list[str] = []
        here = discord.Object(GUILD)

        @self.tree.command(name="days", description="Your clean time", guild=here)
        async def days(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("hi", ephemeral=True)

        @self.tree.command(name="note", description="Leave a note", guild=here)
        @app_commands.describe(text="What to say")
        async def note(interaction: discord.Interaction, text: str) -> None:
            self.notes.append(text)
            await interaction.response.send_message(f"noted: {len(text)} characters")

        @self.tree.command(name="slow", description="Takes a while", guild=here)
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await interaction.followup.send("done", ephemeral=True)
            await interaction.followup.send("and more", ephemeral=True)

        @self.tree.command(name="loud", description="Defers in public", guild=here)
        async def loud(interaction: discord.Interaction) -> None:
            await interaction.response.defer()
            await interaction.followup.send(
                f"<@{ALEX_ID}>, only you should see this",
                ephemeral=True,
                allowed_mentions=discord.AllowedMentions(users=True),
            )

        async def zones(interaction: discord.Interaction, typed: str) -> list[Choice[str]]:
            names = ["Europe/London", "Europe/Lisbon", "America/Lima"]
            return [Choice(name=n, value=n) for n in names if n.lower().startswith(typed.lower())]

        @self.tree.command(name="timezone", description="Set your time zone", guild=here)
        @app_commands.autocomplete(zone=zones)
        async def timezone(interaction: discord.Interaction, zone: str) -> None:
            await interaction.response.send_message(f"zone {zone}", ephemeral=True)

        @self.tree.command(name="mydata", description="Everything we keep about you")
        async def mydata(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True)
            data = discord.File(io.BytesIO(b'{"clean_since": "2026-01-02"}'), "mydata.json")
            await interaction.followup.send("Your data", file=data, ephemeral=True)

    async def setup_hook(self) -> None:
        self.add_view(Claim(self.pressed))
        await self.tree.sync(guild=discord.Object(GUILD))
        await self.tree.sync()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Skip discord.py's 5 s wait before a repeated IDENTIFY (Discord's rate limit)."""

    async def on_ready(self) -> None:
        self.readies += 1
        self.readied.set()

    async def on_resumed(self) -> None:
        self.resumed.set()


def _world(fake: FakeDiscord) -> None:
    fake.guild(
        GUILD,
        "Sunday Circle",
        channels=[dp.text_channel(GENERAL, "general")],
        members=[dp.member(SAM), dp.member(ALEX, roles=[SUPPORTER])],
        roles=[dp.role(SUPPORTER, "Supporter", position=1)],
    )


@pytest.fixture
async def circle(fake_discord: FakeDiscord) -> Any:
    _world(fake_discord)
    async with running(Circle(), fake_discord) as client:
        yield client


# -- connecting ---------------------------------------------------------------------------------


async def test_connects_identifies_and_is_ready_with_the_guild(
    circle: Circle, fake_discord: FakeDiscord
) -> None:
    guild = circle.get_guild(GUILD)

    assert guild is not None
    assert guild.name == "Sunday Circle"
    assert [c.name for c in guild.text_channels] == ["general"]
    assert guild.get_role(SUPPORTER) is not None
    assert guild.default_role.id == GUILD  # @everyone
    assert circle.user is not None
    assert circle.user.id == fake_discord.app_id
    assert circle.application_id == fake_discord.app_id
    assert (circle.readies, fake_discord.identifies, fake_discord.resumes) == (1, 1, 0)
    (connection,) = fake_discord.connections
    assert connection.path == "/gateway"
    assert (connection.query["v"], connection.query["encoding"]) == ("10", "json")
    assert fake_discord.heartbeats >= 1  # discord.py beats at once on HELLO, and got an ACK
    assert circle.latency < 1.0
    # Without the presences intent, GUILD_CREATE carries only the bot as a member:
    assert [m.id for m in guild.members] == [fake_discord.app_id]


async def test_the_members_intent_loads_members_by_chunk(fake_discord: FakeDiscord) -> None:
    _world(fake_discord)
    intents = discord.Intents.default()
    intents.members = True

    async with running(Circle(intents), fake_discord) as client:
        guild = client.get_guild(GUILD)
        assert guild is not None
        member = guild.get_member(ALEX_ID)
        assert member is not None
        assert [r.id for r in member.roles[1:]] == [SUPPORTER]

    assert any(p.get("op") == 8 for p in fake_discord.gateway.received)


async def test_a_privileged_intent_the_app_may_not_use_stops_the_client(
    fake_discord: FakeDiscord,
) -> None:
    _world(fake_discord)
    fake_discord.gateway.disallowed_intents = dp.PRIVILEGED_INTENTS
    intents = discord.Intents.default()
    intents.members = True

    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with running(Circle(intents), fake_discord):
            pass


async def test_json_answers_have_exactly_the_content_type_discord_py_reads(
    fake_discord: FakeDiscord,
) -> None:
    headers = {"Authorization": f"Bot {fake_discord.token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{fake_discord.api_url}/users/@me", headers=headers) as answer,
    ):
        assert answer.headers["Content-Type"] == "application/json"
        assert (await answer.json())["id"] == str(fake_discord.app_id)


async def test_a_wrong_token_fails_login(fake_discord: FakeDiscord) -> None:
    client = discord.Client(intents=discord.Intents.default(), **client_options())
    try:
        with pytest.raises(discord.LoginFailure):
            await client.login("not-the-token")
    finally:
        await client.close()


async def test_a_request_to_any_other_host_fails_loudly(
    fake_discord: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(discord.http.Route, "BASE", "https://discord.com/api/v10")
    client = discord.Client(intents=discord.Intents.default(), **client_options())
    try:
        with pytest.raises(RuntimeError, match=r"tried to reach discord\.com"):
            await client.login(fake_discord.token)
    finally:
        await client.close()
    assert fake_discord.calls == []


# -- commands and interactions ------------------------------------------------------------------


async def test_commands_are_synced_with_put(circle: Circle, fake_discord: FakeDiscord) -> None:
    (guild_put,) = fake_discord.of(
        "PUT", f"/applications/{fake_discord.app_id}/guilds/{GUILD}/commands"
    )
    (global_put,) = fake_discord.of("PUT", "/applications/{app}/commands")

    assert sorted(c["name"] for c in guild_put.json) == ["days", "loud", "note", "slow", "timezone"]
    note = next(c for c in guild_put.json if c["name"] == "note")
    assert note["options"][0] | {"name": "text", "type": 3, "required": True} == note["options"][0]
    assert [c["name"] for c in global_put.json] == ["mydata"]
    fetched = await circle.tree.fetch_commands(guild=discord.Object(GUILD))
    assert sorted(c.name for c in fetched) == ["days", "loud", "note", "slow", "timezone"]


async def test_a_slash_command_is_answered_ephemerally(
    circle: Circle, fake_discord: FakeDiscord
) -> None:
    sent = await fake_discord.slash("days", SAM, channel_id=GENERAL)

    answer = await fake_discord.callback_for(sent.id)

    assert answer["type"] == 4
    assert answer["data"]["content"] == "hi"
    assert answer["data"]["flags"] == 64
    original = fake_discord.original_for(sent.token)
    assert original is not None
    assert original["flags"] & dp.EPHEMERAL
    assert fake_discord.messages_in(GENERAL) == []  # nobody else saw it
    assert fake_discord.pings == []


async def test_options_reach_the_command_and_a_public_answer_is_seen(
    circle: Circle, fake_discord: FakeDiscord
) -> None:
    sent = await fake_discord.slash(
        "note", SAM, channel_id=GENERAL, options=[dp.option("text", "one day at a time")]
    )

    answer = await fake_discord.callback_for(sent.id)

    assert circle.notes == ["one day at a time"]
    assert "flags" not in answer["data"] or not answer["data"]["flags"] & dp.EPHEMERAL
    assert [m["content"] for m in fake_discord.messages_in(GENERAL)] == ["noted: 17 characters"]


async def test_a_deferred_command_is_completed_by_followups(
    circle: Circle, fake_discord: FakeDiscord
) -> None:
    sent = await fake_discord.slash("slow", SAM, channel_id=GENERAL)

    assert await fake_discord.callback_for(sent.id) == {"type": 5, "data": {"flags": 64}}
    await fake_discord.wait_for("POST", "/webhooks/{app}/{token}", count=2)
    first, second = fake_discord.followups_for(sent.token)
    original = fake_discord.original_for(sent.token)

    assert original is not None
    assert original["id"] == first["id"]  # the first follow-up edits the deferred response
    assert (first["content"], second["content"]) == ("done", "and more")
    assert first["flags"] == second["flags"] == dp.EPHEMERAL
    assert fake_discord.messages_in(GENERAL) == []
    (post, _) = fake_discord.of("POST", f"/webhooks/{fake_discord.app_id}/{sent.token}")
    assert (post.json["content"], post.query["wait"]) == ("done", "1")


async def test_the_first_followup_after_a_public_defer_is_public_and_pings_nobody(
    circle: Circle, fake_discord: FakeDiscord
) -> None:
    sent = await fake_discord.slash("loud", SAM, channel_id=GENERAL)

    assert await fake_discord.callback_for(sent.id) == {"type": 5}
    (post,) = await fake_discord.wait_for("POST", "/webhooks/{app}/{token}")

    assert post.json["flags"] == dp.EPHEMERAL  # asked for, and ignored by Discord:
    (shown,) = fake_discord.messages_in(GENERAL)
    assert shown["content"] == f"<@{ALEX_ID}>, only you should see this"
    assert shown["flags"] == 0
    assert fake_discord.pings == []  # it edited the deferred message, and edits never ping


async def test_an_autocomplete_is_answered_with_choices(
    circle: Circle, fake_discord: FakeDiscord
) -> None:
    typing = await fake_discord.autocomplete(
        "timezone", SAM, [dp.focused("zone", "eur")], channel_id=GENERAL
    )

    answer = await fake_discord.callback_for(typing.id)

    assert answer["type"] == 8
    assert [c["value"] for c in answer["data"]["choices"]] == ["Europe/London", "Europe/Lisbon"]


async def test_a_file_sent_as_a_followup_can_be_read_back(
    circle: Circle, fake_discord: FakeDiscord
) -> None:
    sent = await fake_discord.slash("mydata", SAM)  # in a DM with the bot

    await fake_discord.callback_for(sent.id)
    (reply,) = await fake_discord.wait_for("POST", "/webhooks/{app}/{token}")

    (upload,) = reply.files
    assert upload.filename == "mydata.json"
    (attachment,) = fake_discord.followups_for(sent.token)[0]["attachments"]
    assert attachment["url"].startswith("http://127.0.0.1:")
    assert await circle.http.get_from_cdn(attachment["url"]) == b'{"clean_since": "2026-01-02"}'


async def test_an_interaction_answered_late_is_unknown(
    circle: Circle, fake_discord: FakeDiscord
) -> None:
    fake_discord.interactions.ack_deadline = 0.0
    errors: list[BaseException] = []
    circle.tree.on_error = _keep(errors)  # type: ignore[method-assign]

    await fake_discord.slash("days", SAM, channel_id=GENERAL)
    await fake_discord.wait_for("POST", "/interactions/{id}/{token}/callback")
    await asyncio.sleep(0.05)

    (error,) = errors
    assert isinstance(error.__cause__, discord.NotFound)
    assert error.__cause__.code == 10062


def _keep(errors: list[BaseException]) -> Any:
    async def on_error(interaction: discord.Interaction, error: BaseException) -> None:
        errors.append(error)

    return on_error


async def test_a_button_on_a_persistent_view_works_after_a_restart(
    fake_discord: FakeDiscord,
) -> None:
    _world(fake_discord)
    async with running(Circle(), fake_discord) as first:
        channel = first.get_channel(GENERAL)
        assert isinstance(channel, discord.TextChannel)
        asking = await channel.send("Sam asks for a call", view=Claim(first.pressed))

    async with running(Circle(), fake_discord) as second:
        sent = await fake_discord.press("claim:7", ALEX, message=asking.id)
        answer = await fake_discord.callback_for(sent.id)

    assert second.pressed == [(ALEX_ID, "claim:7")]
    assert answer == {
        "type": 4,
        "data": {"tts": False, "content": "Thank you for calling", "flags": 64},
    }
    (stored,) = fake_discord.messages_in(GENERAL)
    assert stored["components"][0]["components"][0]["custom_id"] == "claim:7"
    with pytest.raises(LookupError, match="no component"):
        await fake_discord.press("claim:8", ALEX, message=asking.id)


# -- messages -----------------------------------------------------------------------------------


async def test_a_channel_message_records_allowed_mentions_as_sent(
    circle: Circle, fake_discord: FakeDiscord
) -> None:
    channel = circle.get_channel(GENERAL)
    assert isinstance(channel, discord.TextChannel)
    only_alex = discord.AllowedMentions(
        everyone=False, users=[discord.Object(ALEX_ID)], roles=False, replied_user=False
    )

    sent = await channel.send(
        f"<@{ALEX_ID}> <@{SAM_ID}> <@&{SUPPORTER}> @everyone, Sam asks for a call",
        allowed_mentions=only_alex,
    )

    (call,) = fake_discord.of("POST", f"/channels/{GENERAL}/messages")
    assert call.json["allowed_mentions"] == {"parse": [], "users": [ALEX_ID]}
    (ping,) = fake_discord.pings
    assert (ping.users, ping.roles, ping.everyone) == (frozenset({ALEX_ID}), frozenset(), False)
    assert [u.id for u in sent.mentions] == [ALEX_ID]

    await sent.edit(content="edited")
    assert fake_discord.messages_in(GENERAL)[0]["content"] == "edited"
    assert len(fake_discord.pings) == 1  # an edit notifies nobody


async def test_a_dm_is_sent_and_closed_dms_raise_forbidden(
    circle: Circle, fake_discord: FakeDiscord
) -> None:
    alex = await circle.fetch_user(ALEX_ID)

    await alex.send("Sam's number is in your DMs")
    fake_discord.dms_closed.add(ALEX_ID)
    with pytest.raises(discord.Forbidden) as refused:
        await alex.send("again")

    assert (refused.value.status, refused.value.code) == (403, 50007)
    assert [m["content"] for m in fake_discord.dms_to(ALEX_ID)] == ["Sam's number is in your DMs"]
    dm = fake_discord.dm_channel_of(ALEX_ID)
    assert dm is not None
    assert fake_discord.channels[dm]["type"] == 1
    assert len(fake_discord.of("POST", "/users/@me/channels")) == 1  # discord.py caches the DM


async def test_an_injected_failure_raises_as_discord_would(
    circle: Circle, fake_discord: FakeDiscord
) -> None:
    channel = circle.get_channel(GENERAL)
    assert isinstance(channel, discord.TextChannel)
    closed = {"code": 50007, "message": "Cannot send messages to this user"}
    fake_discord.fail("POST", "/channels/{id}/messages", 403, closed)

    with pytest.raises(discord.Forbidden) as refused:
        await channel.send("one")
    await channel.send("two")

    assert refused.value.code == 50007
    assert [m["content"] for m in fake_discord.messages_in(GENERAL)] == ["two"]


async def test_a_429_is_retried_only_when_it_comes_from_discords_edge(
    circle: Circle, fake_discord: FakeDiscord
) -> None:
    channel = circle.get_channel(GENERAL)
    assert isinstance(channel, discord.TextChannel)

    fake_discord.rate_limit("POST", "/channels/{id}/messages", retry_after=0.02)
    await channel.send("waited")
    fake_discord.fail("POST", "/channels/{id}/messages", 429, {"message": "banned", "code": 0})
    with pytest.raises(discord.HTTPException) as banned:
        await channel.send("not retried")

    assert banned.value.status == 429
    assert len(fake_discord.of("POST", "/channels/{id}/messages")) == 3
    assert [m["content"] for m in fake_discord.messages_in(GENERAL)] == ["waited"]


async def test_a_message_discord_refuses_is_refused(
    circle: Circle, fake_discord: FakeDiscord
) -> None:
    channel = circle.get_channel(GENERAL)
    assert isinstance(channel, discord.TextChannel)

    with pytest.raises(discord.HTTPException) as too_long:
        await channel.send("x" * 2001)

    assert (too_long.value.status, too_long.value.code) == (400, 50035)
    assert "content" in too_long.value.text


async def test_a_role_is_granted_only_with_manage_roles_above_it(
    fake_discord: FakeDiscord,
) -> None:
    milestone, helper = 500_000_000_000_000_030, 500_000_000_000_000_031
    fake_discord.guild(
        GUILD,
        "Sunday Circle",
        members=[SAM],
        roles=[
            dp.role(milestone, "30 days", position=1),
            dp.role(helper, "Homegroup", permissions=dp.MANAGE_ROLES, position=2),
        ],
    )
    async with running(Circle(), fake_discord) as client:
        guild = client.get_guild(GUILD)
        assert guild is not None
        sam = await guild.fetch_member(SAM_ID)
        role = guild.get_role(milestone)
        assert role is not None

        with pytest.raises(discord.Forbidden) as refused:
            await sam.add_roles(role)
        fake_discord.guilds[GUILD].members[fake_discord.app_id]["roles"] = [str(helper)]
        await sam.add_roles(role)

    assert refused.value.code == 50013
    assert fake_discord.guilds[GUILD].members[SAM_ID]["roles"] == [str(milestone)]


# -- the gateway dropping -----------------------------------------------------------------------


@pytest.mark.parametrize("code", [4000, None], ids=["close-4000", "no-close-frame"])
async def test_a_dropped_gateway_is_resumed_by_the_same_client(
    circle: Circle, fake_discord: FakeDiscord, code: int | None
) -> None:
    await fake_discord.drop_gateway(code)
    missed = await fake_discord.slash("days", SAM, channel_id=GENERAL)  # sent while away

    async with asyncio.timeout(3):
        await circle.resumed.wait()
    answer = await fake_discord.callback_for(missed.id)

    assert (fake_discord.identifies, fake_discord.resumes) == (1, 1)
    assert [c.path for c in fake_discord.connections] == ["/gateway", "/gateway/resume"]
    assert circle.readies == 1
    assert circle.is_ready()
    assert answer["type"] == 4


async def test_an_invalidated_session_identifies_again_and_is_ready_again(
    circle: Circle, fake_discord: FakeDiscord
) -> None:
    circle.readied.clear()

    await fake_discord.invalidate_session()
    async with asyncio.timeout(3):
        await circle.readied.wait()

    assert (fake_discord.identifies, circle.readies) == (2, 2)

    assert fake_discord.resumes == 0
    assert [c.path for c in fake_discord.connections] == ["/gateway", "/gateway"]
    assert circle.get_guild(GUILD) is not None
