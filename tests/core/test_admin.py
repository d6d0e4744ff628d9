"""Admin settings: ``/settings`` and ``/set`` from the console, and the pure value checks."""

from __future__ import annotations

import io
import json
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.console import Console
from adapters.telegram.settings import TelegramSettings
from bot.app import bootstrap
from bot.clock import ManualClock
from bot.domain.cleantime import DEFAULT_SCHEDULE
from bot.domain.community import CommunitySettings, Meeting
from bot.domain.settings_keys import (
    DURATIONS,
    KEYS,
    MAX_RESOURCES,
    SettingError,
    apply,
    find_key,
    parse_duration,
    parse_hour,
    parse_meetings,
)
from bot.settings import Settings
from tests.conftest import START, Transcript

TODAY = START.date()
STATE_TABLES = ("communities", "memberships", "counters", "timers", "meeting_reminders")


def snapshot(database: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(database) as db:
        return {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall()) for t in STATE_TABLES}


def stored(database: Path) -> dict[str, Any]:
    """The console group's settings as stored (only what differs from the defaults)."""
    with sqlite3.connect(database) as db:
        row = db.execute("SELECT settings FROM communities WHERE key = 'console:group'").fetchone()
    return dict(json.loads(row[0]))


def setting(database: Path, key: str) -> Any:
    return CommunitySettings.from_json(stored(database)).as_json()[key]


def due_at(database: Path, person: str) -> str | None:
    with sqlite3.connect(database) as db:
        row = db.execute(
            "SELECT announce_due_at FROM memberships WHERE person = ?", (f"console:{person}",)
        ).fetchone()
    return None if row is None else row[0]


# -- who may change settings, and where -----------------------------------------------------


async def test_a_member_who_is_not_an_admin_is_refused_and_nothing_changes(
    console: Transcript, database: Path
) -> None:
    await console.say("/settings", "/as Alex")
    assert "Only this group's admins can see its settings" in await console.say("/settings")
    before = snapshot(database)
    answer = await console.say("/set ping_count 4")
    assert "Only this group's admins can change its settings" in answer
    assert "Cravings now ping" not in answer
    assert snapshot(database) == before
    assert setting(database, "ping_count") == 3
    await console.say("/set meetings Mon 19:00 Online NA", "/set resources Call me")
    assert snapshot(database) == before


async def test_set_and_settings_in_a_private_chat_point_to_the_group(
    console: Transcript, database: Path
) -> None:
    await console.say("/settings")
    before = snapshot(database)
    assert "/set works in your group's chat" in await console.say("/dm /set ping_count 4")
    assert "/settings works in your group's chat" in await console.say("/dm /settings")
    assert snapshot(database) == before


async def test_settings_shows_every_key_with_its_value(console: Transcript) -> None:
    answer = await console.say("/settings")
    for key in KEYS:
        assert f"{key}: " in answer, key
    assert "ping_count: 3" in answer
    assert "supporter_rest: 1h" in answer
    assert "milestones: 1d 30d 60d 90d 6m 9m 1y 18m yearly" in answer
    await console.say("/set escalate_after 1h30m", "/set craving_cooldown 0")
    answer = await console.say("/settings")
    assert "escalate_after: 1h30m" in answer
    assert "craving_cooldown: 0 (off)" in answer


async def test_settings_asks_to_shorten_resources_saved_before_the_limit(
    console: Transcript, database: Path
) -> None:
    await console.say("/set resources Call Ana: 555-0100")
    assert "shorten" not in await console.say("/settings")
    older = {**stored(database), "resources": "x" * 1_500}  # saved when 1,500 were allowed
    with sqlite3.connect(database) as db:
        db.execute(
            "UPDATE communities SET settings = ? WHERE key = 'console:group'",
            (json.dumps(older),),
        )
    answer = await console.say("/settings")
    assert "(preset international), then your own text, 1,500 characters" in answer
    assert "over the 750 characters your text may have below a preset; please shorten it" in answer
    # Alone, it fits every message: nothing to shorten.
    alone = {**older, "resources_preset": None}
    with sqlite3.connect(database) as db:
        db.execute(
            "UPDATE communities SET settings = ? WHERE key = 'console:group'",
            (json.dumps(alone),),
        )
    answer = await console.say("/settings")
    assert "resources: your own text, 1,500 characters, alone (preset none)" in answer
    assert "shorten" not in answer


async def test_set_alone_lists_the_keys(console: Transcript) -> None:
    answer = await console.say("/set")
    assert "Send /set KEY VALUE" in answer
    assert "craving_cooldown" in answer


# -- bad values: a kind answer naming the key, and nothing changes ----------------------------


@pytest.mark.parametrize(
    ("line", "kind_words"),
    [
        ("/set pingcount 4", "Did you mean ping_count?"),
        ("/set frobnicate 4", "I don't have a setting called frobnicate"),
        ("/set ping_count", "/set ping_count needs a value"),
        ("/set ping_count 0", "from 1 to 10"),
        ("/set ping_count 500", "from 1 to 10"),
        ("/set ping_count four", "ping_count takes a whole number"),
        ("/set max_pings 2", "from 3 (the ping_count now) to 30"),
        ("/set max_pings 31", "from 3 (the ping_count now) to 30"),
        ("/set timezone Mars/Base", "I don't know that time zone"),
        ("/set timezone London", "Did you mean Europe/London?"),
        ("/set timezone " + "x" * 5_000, "I don't know that time zone"),
        ("/set announcement_hour 24", "from 0 to 23"),
        ("/set announcement_hour 9:30", "takes a whole hour"),
        ("/set announcement_hour noon", "couldn't read that as an hour"),
        ("/set escalate_after soon", "couldn't read that as a length of time"),
        ("/set escalate_after 3h", "from 1 minute to 2 hours"),
        ("/set escalate_after 0", "from 1 minute to 2 hours"),
        ("/set followup_after 2m", "from 5 minutes to 24 hours"),
        ("/set craving_cooldown 25h", "up to 24 hours"),
        ("/set call_expiry 1.5h", "couldn't read that as a length of time"),
        ("/set supporter_rest -5", "couldn't read that as a length of time"),
        ("/set milestones 1d banana", "Milestone 2 isn't a number"),
        ("/set milestones 12m 1y", "same day as an earlier one"),
        ("/set milestones yearly 1d", '"yearly" goes at the end'),
        ("/set locale fr", "a language I have messages in: en, es."),
        (
            "/set resources " + "x" * (MAX_RESOURCES + 1),
            f"longer than the {MAX_RESOURCES} characters resources can hold",
        ),
        ("/set resources preset narnia", "I don't have crisis lines for narnia"),
        ("/set resources preset none", "no lines of its own yet"),
        ("/set meetings", "/set meetings needs a value"),
        ("/set meetings Funday 19:00 Online NA", "Meeting 1 should start with a weekday"),
        ("/set meetings Mon 19:00 Online NA; Thu 25:00 Basement", "Meeting 2 needs a 24-hour"),
        ("/set meetings Mon 7pm Online NA", "Meeting 1 needs a 24-hour time"),
        ("/set meetings Mon 19:00", "Meeting 1 needs a title"),
        ("/set meetings Mon 19:00 NA ftp://example.org", "full web address"),
        ("/set meetings Mon 19:00 NA https://a.org https://b.org", "Meeting 1 has two links"),
        ("/set announcement_channel #general", "couldn't tell which chat"),
        ("/set announcement_channel 1234567890", "send /set announcement_channel here in it"),
    ],
)
async def test_a_bad_value_is_answered_kindly_and_changes_nothing(
    console: Transcript, database: Path, line: str, kind_words: str
) -> None:
    await console.cleandate("2026-03-01")
    await console.say("/meetings remind on")
    await console.say("/set meetings Tue 18:00 Lunchtime group")
    before = snapshot(database)
    answer = await console.say(line)
    assert kind_words in answer
    assert "Nothing has changed." in answer
    assert "Traceback" not in answer
    key = line.split()[1]
    assert key in answer
    assert snapshot(database) == before


# -- each key's happy path --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "says", "key", "value"),
    [
        ("/set announcement_channel here", "posted in this chat", "announce_chat", "group"),
        (
            "/set timezone europe/london",
            "time zone is now Europe/London",
            "timezone",
            "Europe/London",
        ),
        ("/set announcement_hour 21", "celebrated at 21:00", "announcement_hour", 21),
        ("/set announcement_hour 7:00", "celebrated at 7:00", "announcement_hour", 7),
        ("/set announcement_hour 9pm", "celebrated at 21:00", "announcement_hour", 21),
        ("/set ping_count 4", "Cravings now ping 4 supporters at a time.", "ping_count", 4),
        ("/set max_pings 12", "at most 12 supporters in all", "max_pings", 12),
        ("/set escalate_after 15", "within 15 minutes", "escalate_after", 15),
        ("/set followup_after 1h30m", "1 hour 30 minutes after", "followup_after", 90),
        ("/set craving_cooldown 0", "there is no cooldown", "craving_cooldown", 0),
        ("/set call_expiry 2h", "expires after 2 hours", "call_expiry", 120),
        ("/set supporter_rest 90 min", "rests 1 hour 30 minutes", "supporter_rest", 90),
        (
            "/set milestones 1d 30d 1y yearly",
            "1 day, 30 days, 1 year, then every year",
            "milestones",
            "1d 30d 1y yearly",
        ),
        ("/set locale EN", "now in en", "locale", "en"),
        (
            "/set resources Call Ana: 555-0100",
            "/resources now shows the crisis lines for any country, then your text",
            "resources",
            "Call Ana: 555-0100",
        ),
        (
            "/set resources preset United Kingdom",
            "/resources now shows the crisis lines for the United Kingdom",
            "resources_preset",
            "uk",
        ),
        ("/set Ping-Count 5", "ping 5 supporters", "ping_count", 5),
    ],
)
async def test_each_key_changes_and_says_so_in_plain_words(
    console: Transcript, database: Path, line: str, says: str, key: str, value: object
) -> None:
    answer = await console.say(line)
    assert says in answer
    assert "Nothing has changed" not in answer
    assert setting(database, key) == value


async def test_a_ping_count_above_max_pings_raises_max_pings(
    console: Transcript, database: Path
) -> None:
    answer = await console.say("/set ping_count 10")
    assert "Cravings now ping 10 supporters at a time." in answer
    assert "I raised max_pings to 10" in answer
    assert setting(database, "max_pings") == 10


async def test_default_and_none_go_back(console: Transcript, database: Path) -> None:
    await console.say(
        "/set milestones 1d 2d", "/set resources Ana", "/set announcement_channel here"
    )
    await console.say("/set meetings Mon 19:00 Online NA")
    assert "back to the usual list" in await console.say("/set milestones default")
    assert "your own lines are gone" in await console.say("/set resources default")
    assert "group's own chat" in await console.say("/set announcement_channel default")
    assert "The meeting list is empty now." in await console.say("/set meetings none")
    settings = CommunitySettings.from_json(stored(database))
    assert settings.milestones == DEFAULT_SCHEDULE
    assert settings.resources is None
    assert settings.announce_chat is None
    assert settings.meetings == ()


async def test_meetings_are_stored_in_order(console: Transcript, database: Path) -> None:
    line = "/set meetings Thu 20:00 Basement group; Mon 19:00 Online NA https://example.org/join"
    assert "Saved 2 meetings." in await console.say(line)
    assert CommunitySettings.from_json(stored(database)).meetings == (
        Meeting(0, "19:00", "Online NA", "https://example.org/join"),
        Meeting(3, "20:00", "Basement group", ""),
    )


async def test_a_spanish_admin_lists_meetings_in_spanish(
    console: Transcript, database: Path
) -> None:
    await console.say("/set locale es")
    line = "/set meetings miércoles 8:05 Grupo del barrio; lunes 19:00 NA en línea"
    assert "2 reuniones" in await console.say(line)
    assert CommunitySettings.from_json(stored(database)).meetings == (
        Meeting(0, "19:00", "NA en línea", ""),
        Meeting(2, "08:05", "Grupo del barrio", ""),
    )
    listed = await console.say("/meetings")
    assert "• lunes 19:00 — NA en línea\n• miércoles 8:05 — Grupo del barrio" in listed
    await console.say("/set meetings Lun. 19:00 NA; MIERCOLES 20:00 Grupo; Sunday 10:00 Paseo")
    days = [m.weekday for m in CommunitySettings.from_json(stored(database)).meetings]
    assert days == [0, 2, 6]


async def test_a_spanish_admin_with_a_bad_weekday_is_told_in_spanish_and_nothing_changes(
    console: Transcript, database: Path
) -> None:
    await console.say("/set locale es", "/set meetings lunes 19:00 NA en línea")
    before = snapshot(database)
    answer = await console.say("/set meetings lunez 19:00 NA en línea")
    assert "La reunión 1 tiene que empezar con un día de la semana, como lunes" in answer
    assert "/set meetings lunes 19:00" in answer
    assert "Mon" not in answer
    assert snapshot(database) == before


# -- settings that move milestones recompute every member's ---------------------------------


async def test_a_new_announcement_hour_moves_every_members_next_milestone(
    console: Transcript, database: Path
) -> None:
    ago_29 = (TODAY - timedelta(days=29)).isoformat()
    await console.cleandate(f"{ago_29}")
    await console.say("/as Alex")
    await console.cleandate(f"{ago_29}")
    await console.say("/as Sam")
    assert due_at(database, "sam") == "2026-11-30 09:00:00.000000"
    await console.say("/set announcement_hour 20")
    assert due_at(database, "sam") == "2026-11-30 20:00:00.000000"
    assert due_at(database, "alex") == "2026-11-30 20:00:00.000000"
    assert "30 days clean today" not in await console.say("/wait 1d")  # past 09:00, not 20:00
    celebrated = await console.say("/wait 9h")
    assert celebrated.count("has 30 days clean today") == 2


async def test_a_new_group_zone_moves_the_milestones_of_members_without_their_own(
    console: Transcript, database: Path
) -> None:
    ago_29 = (TODAY - timedelta(days=29)).isoformat()
    await console.cleandate(f"{ago_29}")
    await console.say("/as Alex")
    await console.cleandate(f"{ago_29}")
    await console.say("/timezone America/New_York", "/as Sam")
    await console.say("/set timezone Pacific/Auckland")
    assert due_at(database, "sam") == "2026-11-29 20:00:00.000000"  # 09:00 on 30 Nov in Auckland
    assert due_at(database, "alex") == "2026-11-30 14:00:00.000000"  # Alex keeps New York


async def test_new_milestones_apply_at_once(console: Transcript, database: Path) -> None:
    await console.cleandate(f"{(TODAY - timedelta(days=6)).isoformat()}")
    await console.say("/set milestones 1w")  # unreadable: nothing moves
    assert due_at(database, "sam") == "2026-12-23 09:00:00.000000"  # 30 days
    await console.say("/set milestones 7d 30d yearly")
    assert due_at(database, "sam") == "2026-11-30 09:00:00.000000"
    assert "has 7 days clean today" in await console.say("/wait 1d")


# -- template overrides in a running console -------------------------------------------------


async def test_an_override_folder_replaces_a_template_and_cannot_reach_beyond_its_context(
    tmp_path: Path, clock: ManualClock
) -> None:
    token = "123456789:" + "S" * 35
    overrides = tmp_path / "overrides"
    (overrides / "en").mkdir(parents=True)
    (overrides / "en" / "resources.j2").write_text("Our own list: call Ana on 555-0100.")
    (overrides / "en" / "meetings.j2").write_text(
        "{{ who.__class__.__mro__ }}{{ ''.__class__.__subclasses__() }}"
    )
    database = tmp_path / "homegroup.db"
    app = await bootstrap(
        Settings(
            database=str(database),
            templates=overrides,
            sections=(TelegramSettings(token=token),),
        ),
        clock=clock,
    )
    try:
        out = io.StringIO()
        session = Console(app, clock, out)
        await session.start()
        await session.line("/resources")
        await session.line("/meetings")
        await session.line("/days")  # the console carries on after a broken override
        printed = out.getvalue()
    finally:
        await app.close()
    assert "Our own list: call Ana on 555-0100." in printed
    assert "SAMHSA" not in printed
    assert "class" not in printed
    assert "subclasses" not in printed
    assert token not in printed
    assert "haven't set a clean date" in printed
    with sqlite3.connect(database) as db:
        failed = db.execute(
            "SELECT template, failure FROM outbox WHERE failed_at IS NOT NULL"
        ).fetchall()
    assert failed == [], "a broken override falls back to the bundled template"
    assert "No meetings are listed for this group yet." in printed


# -- the pure checks --------------------------------------------------------------------------


def test_keys_are_forgiving_and_unknown_ones_get_close_suggestions() -> None:
    assert find_key("Ping-Count") == "ping_count"
    assert find_key("time zone") == "timezone"
    assert find_key("tz") == "timezone"
    with pytest.raises(SettingError) as caught:
        find_key("escalate_afer")
    assert caught.value.reason == "unknown_key"
    assert caught.value.details["suggestions"][0] == "escalate_after"
    with pytest.raises(SettingError) as caught:
        find_key("x" * 500)
    assert len(caught.value.key) <= 32


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("10", 10),
        ("0", 0),
        ("10m", 10),
        ("2h", 120),
        ("1h30m", 90),
        ("1h 30m", 90),
        ("1h30", 90),
        ("90 min", 90),
        ("2 hours", 120),
        ("1 hour 5 minutes", 65),
        ("45 mins", 45),
        ("1hr", 60),
    ],
)
def test_durations_read_as_admins_write_them(text: str, minutes: int) -> None:
    assert parse_duration(text) == minutes


@pytest.mark.parametrize(
    "text", ["", "h", "m", "soon", "1.5h", "-5", "10s", "1d", "30m1h", "1 h m"]
)
def test_unreadable_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="unreadable"):
        parse_duration(text)


@given(
    st.integers(0, 999),
    st.integers(0, 59),
    st.sampled_from(["{h}h{m}m", "{h}h {m}m", "{h} hours {m} minutes", "{h}h{m}"]),
)
def test_hours_and_minutes_always_add_up(hours: int, minutes: int, form: str) -> None:
    assert parse_duration(form.format(h=hours, m=minutes)) == hours * 60 + minutes


@given(st.text(max_size=40))
def test_any_duration_text_is_read_or_refused_cleanly(text: str) -> None:
    try:
        minutes = parse_duration(text)
    except ValueError:
        return
    assert minutes >= 0


@given(st.text(max_size=40))
def test_any_hour_text_is_an_hour_or_a_setting_error(text: str) -> None:
    try:
        hour = parse_hour(text)
    except SettingError as error:
        refused = error.key
    else:
        refused = "announcement_hour"
        assert 0 <= hour <= 23
    assert refused == "announcement_hour"


@pytest.mark.parametrize(
    ("text", "hour"), [("0", 0), ("9", 9), ("09:00", 9), ("12am", 0), ("12pm", 12), ("11pm", 23)]
)
def test_hours(text: str, hour: int) -> None:
    assert parse_hour(text) == hour


def test_every_duration_key_takes_its_bounds_and_refuses_beyond_them() -> None:
    for key, (low, high) in DURATIONS.items():
        for good in (low, high):
            change = apply(CommunitySettings(), key, f"{good}m", chat="g", locales=["en"])
            assert getattr(change.settings, key) == good
        for bad in (low - 1, high + 1):
            if bad < 0:
                continue
            with pytest.raises(SettingError) as caught:
                apply(CommunitySettings(), key, str(bad), chat="g", locales=[])
            assert (caught.value.key, caught.value.reason) == (key, "out_of_range")


@pytest.mark.parametrize("value", ["<#1234567890>", "1234567890", "#milestones", "555"])
def test_a_channel_named_by_mention_or_id_is_refused(value: str) -> None:
    # A named channel could be another server's; only the chat the admin is in is vouched for.
    with pytest.raises(SettingError) as caught:
        apply(CommunitySettings(), "announcement_channel", value, chat="555", locales=["en"])
    assert (caught.value.key, caught.value.reason) == ("announcement_channel", "bad_channel")


def test_here_names_the_chat_the_admin_typed_in() -> None:
    here = apply(CommunitySettings(), "announcement_channel", "here", chat="555", locales=[])
    assert here.settings.announce_chat == "555"
    assert here.details == {"where": "here"}
    back = apply(here.settings, "announcement_channel", "default", chat="555", locales=[])
    assert back.settings.announce_chat is None


def test_resources_up_to_the_limit_are_kept_and_one_more_is_refused() -> None:
    text = "x" * MAX_RESOURCES
    change = apply(CommunitySettings(), "resources", text, chat="g", locales=[])
    assert change.settings.resources == text
    with pytest.raises(SettingError) as caught:
        apply(CommunitySettings(), "resources", text + "x", chat="g", locales=[])
    assert caught.value.reason == "too_long"
    assert caught.value.details["limit"] == MAX_RESOURCES
    assert caught.value.details["presets"][0] == "international"


def test_meetings_read_as_admins_write_them() -> None:
    meetings = parse_meetings(
        "Mon 19:00 Online NA https://example.org/join; thursday 8:05 Basement group\n"
        "Sat. 10.30 Saturday morning — https://example.org/sat"
    )
    assert meetings == (
        Meeting(0, "19:00", "Online NA", "https://example.org/join"),
        Meeting(3, "08:05", "Basement group", ""),
        Meeting(5, "10:30", "Saturday morning", "https://example.org/sat"),
    )


def test_too_many_meetings_are_refused() -> None:
    with pytest.raises(SettingError) as caught:
        parse_meetings("; ".join(["Mon 19:00 NA"] * 21))
    assert caught.value.details["problem"] == "too_many"


def test_a_link_that_could_confuse_markup_is_refused() -> None:
    with pytest.raises(SettingError) as caught:
        parse_meetings('Mon 19:00 NA https://example.org/"><b>x')
    assert caught.value.details["problem"] == "bad_link"


_DAYS = ["Mon", "Monday", "tue", "Wednesday", "THU", "fri", "Sunday"]
_TITLE = st.text(
    st.characters(whitelist_categories=("L", "N"), whitelist_characters=" '&()"),
    min_size=1,
    max_size=80,
).filter(lambda t: t.strip() == t and t.strip() and "  " not in t)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(_DAYS),
            st.integers(0, 23),
            st.integers(0, 59),
            _TITLE,
            st.sampled_from(["", "https://example.org/join", "http://meet.example/a?b=1"]),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_meetings_written_out_read_back(items: list[tuple[str, int, int, str, str]]) -> None:
    text = "; ".join(f"{d} {h}:{m:02d} {title} {link}".strip() for d, h, m, title, link in items)
    meetings = parse_meetings(text)
    assert len(meetings) == len(items)
    expected = sorted(
        (
            ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].index(d.lower()[:3]),
            f"{h:02d}:{m:02d}",
            " ".join(title.split()),
            link,
        )
        for d, h, m, title, link in items
    )
    got = [(m.weekday, m.time, m.title, m.link) for m in meetings]
    assert sorted(got) == expected
    assert got == sorted(got, key=lambda g: (g[0], g[1]))


@given(st.text(max_size=300))
def test_any_meeting_text_is_read_or_refused_cleanly(text: str) -> None:
    try:
        meetings = parse_meetings(text)
    except SettingError as error:
        refused = error.key
        meetings = ()
    else:
        refused = "meetings"
    assert refused == "meetings"
    for meeting in meetings:
        assert 0 <= meeting.weekday <= 6
        assert meeting.title
        assert len(meeting.title) <= 80


def test_apply_never_touches_the_settings_it_was_given() -> None:
    before = CommunitySettings()
    change = apply(before, "ping_count", "5", chat="g", locales=["en"])
    assert before.ping_count == 3
    assert change.settings.ping_count == 5
    with pytest.raises(SettingError) as caught:
        apply(before, "locale", "fr", chat="g", locales=["en"])
    assert caught.value.details == {"locales": ["en"]}
