"""``/resources`` and ``/meetings`` from the console, and when meeting reminders fall due."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.app import App
from bot.core import MAX_NAME
from bot.domain.cleantime import wall_instant
from bot.domain.community import CommunitySettings, Meeting
from bot.domain.inbound import CommandIssued, Origin
from bot.domain.meetings import REMIND_BEFORE, due_reminders, next_reminder, occurrences
from bot.domain.settings_keys import (
    DURATIONS,
    MAX_LINK,
    MAX_MEETINGS,
    MAX_RESOURCES,
    MAX_TITLE,
    apply,
)
from bot.render import PlainDialect, Renderer
from tests.conftest import Transcript
from tests.test_render import HtmlDialect

MEETINGS = "/set meetings Mon 19:00 Online NA https://example.org/join; Thu 20:00 Basement group"
ONLINE_REMINDER = "Meeting at 19:00: Online NA — https://example.org/join"
BASEMENT_REMINDER = "Meeting at 20:00: Basement group"

# What MESSAGES.md says we state, exactly as a member must read it.
REQUIRED_FACTS = (
    "SAMHSA National Helpline (US): 1-800-662-4357",
    "Free, confidential, 24/7, in English and Spanish",
    "referrals, not counselling",
    "988 Suicide & Crisis Lifeline (US): call or text 988",
    "covers substance-use crises",
    "Overdose in progress",
    "call 911 or your local emergency number",
    "Never Use Alone (US): 1-800-484-3731",
    "Carry naloxone and never use alone",
    "Everywhere else: findahelpline.com",
    "any 12-step meeting",
)


def reminder_timers(database: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(database) as db:
        return db.execute(
            "SELECT kind, key, due_at FROM timers WHERE kind = 'meetings.remind'"
        ).fetchall()


# -- /resources -------------------------------------------------------------------------------


async def test_resources_default_states_each_fact_exactly(console: Transcript) -> None:
    answer = await console.say("/resources")
    assert "── in the group ──" in answer
    for fact in REQUIRED_FACTS:
        assert fact in answer, fact
    text = answer.split("──\n", 1)[1]
    assert len(text) < 700  # a short list that fits a phone screen


async def test_the_admins_text_replaces_the_defaults_and_is_shown_as_typed(
    console: Transcript,
) -> None:
    typed = '<b>Ana</b> & Co: 555-0100 <a href="tg://user?id=1">@everyone</a>'
    await console.say(f"/set resources {typed}")
    answer = await console.say("/as Alex", "/resources")
    assert typed in answer
    assert "SAMHSA" not in answer
    assert "findahelpline.com" not in answer


def test_the_admins_text_is_escaped_for_the_platform() -> None:
    typed = '<b>Ana</b> & <a href="tg://user?id=1">x</a>'
    text = Renderer(HtmlDialect()).render("resources", {"resources": typed})
    assert "&lt;b&gt;Ana&lt;/b&gt; &amp; &lt;a href=" in text
    assert "<b>" not in text
    assert "<a " not in text


def test_other_flows_can_include_the_resources(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "nobody_came.j2").write_text(
        'Nobody answered yet.\n{% include "_resources.j2" %}'
    )
    renderer = Renderer(PlainDialect(), overrides=tmp_path)
    bundled = renderer.render("nobody_came", {"resources": None})
    assert bundled.startswith("Nobody answered yet.")
    for fact in REQUIRED_FACTS:
        assert fact in bundled, fact
    assert "SAMHSA" in renderer.render("nobody_came", {"resources": "  "})
    assert "SAMHSA" in renderer.render("nobody_came", {})
    own = renderer.render("nobody_came", {"resources": "Call Ana: 555-0100"})
    assert own == "Nobody answered yet.\nCall Ana: 555-0100"


async def test_resources_in_a_private_chat_are_the_members_groups(console: Transcript) -> None:
    assert "SAMHSA" in await console.say("/dm /resources")  # no group yet: the defaults
    await console.say("/set resources Call Ana: 555-0100")
    answer = await console.say("/dm /resources")
    assert "── privately to Sam ──" in answer
    assert "Call Ana: 555-0100" in answer


# -- what a member waiting alone gets: short enough to send -------------------------------------

DISCORD_LIMIT = 2_000
"""The shortest message limit of our platforms (Telegram allows 4,096)."""


def worst_case_settings() -> CommunitySettings:
    """Every meeting allowed, each with the longest title and link, and resources at the cap."""
    link = "https://example.org/" + "j" * (MAX_LINK - len("https://example.org/"))
    meetings = "; ".join(f"Wed 19:30 {'T' * MAX_TITLE} {link}" for _ in range(MAX_MEETINGS))
    settings = CommunitySettings()
    for key, value in (
        ("meetings", meetings),
        ("resources", "r" * MAX_RESOURCES),
        ("call_expiry", f"{DURATIONS['call_expiry'][1]}m"),
    ):
        settings = apply(settings, key, value, chat="g", locales=["en"]).settings
    return settings


@pytest.mark.parametrize("practice", [False, True])
def test_messages_to_a_member_waiting_alone_fit_the_shortest_limit(practice: bool) -> None:
    settings = worst_case_settings()
    assert len(settings.meetings) == MAX_MEETINGS
    assert settings.resources is not None
    meetings = [m.as_context() for m in settings.meetings]
    who = {"id": "1", "name": "N" * MAX_NAME}
    renderer = Renderer(PlainDialect())
    nobody = renderer.render(
        "craving_nobody", {"who": who, "resources": settings.resources, "meetings": meetings}
    )
    expired = renderer.render(
        "call_expired",
        {
            "who": who,
            "practice": practice,
            "minutes": settings.call_expiry,
            "resources": settings.resources,
            "meetings": meetings,
        },
    )
    for text in (nobody, expired):
        assert settings.resources in text  # the admin's lines whole, never cut
        assert text.count("• Wednesdays at 19:30") == 3
        assert "/meetings lists all 20, with their links." in text
        assert len(text) < DISCORD_LIMIT, len(text)


def test_a_few_meetings_are_listed_whole_and_point_to_their_links() -> None:
    renderer = Renderer(PlainDialect())
    online = Meeting(0, "19:00", "Online NA", "https://example.org/join").as_context()
    hall = Meeting(3, "20:00", "Basement group").as_context()
    text = renderer.render(
        "call_expired", {"practice": False, "minutes": 30, "resources": None, "meetings": [online]}
    )
    assert "• Mondays at 19:00: Online NA" in text
    assert "/meetings has their links." in text
    plain = renderer.render(
        "craving_nobody",
        {"who": {"id": "1", "name": "Sam"}, "resources": None, "meetings": [hall]},
    )
    assert "• Thursdays at 20:00: Basement group" in plain
    assert "/meetings" not in plain


# -- /meetings --------------------------------------------------------------------------------


async def test_no_meetings_yet_says_how_an_admin_adds_them(console: Transcript) -> None:
    answer = await console.say("/meetings")
    assert "No meetings are listed for this group yet." in answer
    assert "/set meetings Mon 19:00" in answer


async def test_meetings_are_listed_with_day_time_title_and_link(console: Transcript) -> None:
    await console.say("/set timezone Europe/London", MEETINGS)
    answer = await console.say("/as Alex", "/meetings")
    assert "This group's meetings (times in Europe/London):" in answer
    monday = answer.index("• Monday 19:00 — Online NA: https://example.org/join")
    thursday = answer.index("• Thursday 20:00 — Basement group")
    assert monday < thursday
    assert "/meetings remind on" in answer


async def test_in_a_private_chat_a_member_of_several_groups_sees_their_first(
    app: App, database: Path
) -> None:
    def origin(group: str | None) -> Origin:
        if group is None:
            return Origin("console", "dm:sam", "sam", "Sam", private=True)
        return Origin("console", group, "sam", "Sam", community=group, is_admin=True)

    commands = [
        (origin("b"), "set", "meetings Tue 18:00 Group B lunch"),
        (origin("a"), "set", "meetings Mon 19:00 Group A online"),
        (origin(None), "meetings", ""),
        (origin(None), "meetings", "remind on"),
    ]
    for number, (where, name, args) in enumerate(commands):
        assert await app.core.handle(CommandIssued(f"c{number}", where, name, args))
    with sqlite3.connect(database) as db:
        listed = db.execute("SELECT target, context FROM outbox WHERE template = 'meetings'")
        (target, context), *_ = listed.fetchall()
        reminded = db.execute("SELECT community FROM meeting_reminders").fetchall()
    assert '"person": "sam"' in target
    assert "Group A online" in context
    assert "Group B" not in context
    assert reminded == [("console:a",)]


async def test_meetings_usage(console: Transcript) -> None:
    answer = await console.say("/meetings remind maybe")
    assert "/meetings remind on" in answer
    assert "Right now they are off for you." in answer


# -- reminders --------------------------------------------------------------------------------


async def test_each_meeting_is_reminded_once_only_to_those_who_asked(
    console: Transcript, database: Path
) -> None:
    # 29 November 2026 is a Sunday; the group's zone is UTC.
    await console.say(MEETINGS, "/as Alex", "/meetings")
    answer = await console.say("/as Kim", "/meetings remind on")
    assert "I'll remind you privately an hour before each" in answer
    assert reminder_timers(database) == [
        ("meetings.remind", "meetings:console:group", "2026-11-30 18:00:00.000000")
    ]
    assert "Meeting at" not in await console.say("/wait 29h")  # Monday 17:00
    monday = await console.say("/wait 90m")  # Monday 18:30: the reminder went at 18:00
    assert monday.count(ONLINE_REMINDER) == 1
    assert "── privately to Kim ──" in monday
    assert "Sam" not in monday
    assert "Alex" not in monday
    assert "Meeting at" not in await console.say("/wait 2h")  # the meeting itself: no repeat
    week = await console.say("/wait 7d")
    assert week.count(BASEMENT_REMINDER) == 1
    assert week.count(ONLINE_REMINDER) == 1
    assert week.index(BASEMENT_REMINDER) < week.index(ONLINE_REMINDER)


async def test_opting_out_stops_the_reminders(console: Transcript, database: Path) -> None:
    await console.say(MEETINGS, "/meetings remind on")
    assert ONLINE_REMINDER in await console.say("/wait 31h")
    answer = await console.say("/meetings remind off")
    assert "no more meeting reminders" in answer
    assert reminder_timers(database) == []
    assert "Meeting at" not in await console.say("/wait 14d")


async def test_only_members_still_opted_in_are_reminded(console: Transcript) -> None:
    await console.say(MEETINGS, "/meetings remind on", "/as Alex", "/meetings remind on")
    await console.say("/meetings remind off")
    answer = await console.say("/wait 31h")
    assert answer.count(ONLINE_REMINDER) == 1
    assert "── privately to Sam ──" in answer
    assert "privately to Alex" not in answer


async def test_opting_in_privately_works_for_the_members_only_group(console: Transcript) -> None:
    await console.say(MEETINGS)
    answer = await console.say("/dm /meetings remind on")
    assert "── privately to Sam ──" in answer
    assert "I'll remind you privately" in answer
    assert ONLINE_REMINDER in await console.say("/wait 31h")


async def test_a_new_zone_moves_the_reminders(console: Transcript, database: Path) -> None:
    await console.say(MEETINGS, "/meetings remind on", "/set timezone America/New_York")
    # Monday 19:00 in New York is 00:00 UTC on Tuesday; reminded at 23:00 UTC on Monday.
    assert reminder_timers(database)[0][2] == "2026-11-30 23:00:00.000000"
    assert "Meeting at" not in await console.say("/wait 34h")  # Monday 22:00 UTC
    answer = await console.say("/wait 90m")
    assert answer.count(ONLINE_REMINDER) == 1
    assert "America/New_York time" in answer


async def test_new_meetings_move_the_reminders_and_none_clears_them(
    console: Transcript, database: Path
) -> None:
    await console.say(MEETINGS, "/meetings remind on")
    await console.say("/set meetings Sun 13:30 Sunday lunch")
    assert reminder_timers(database)[0][2] == "2026-11-29 12:30:00.000000"
    assert "Meeting at 13:30: Sunday lunch" in await console.say("/wait 1h")
    await console.say("/set meetings none")
    assert reminder_timers(database) == []
    assert "Meeting at" not in await console.say("/wait 8d")


async def test_reminders_wait_for_meetings_when_none_are_listed(
    console: Transcript, database: Path
) -> None:
    answer = await console.say("/meetings remind on")
    assert "None are listed yet" in answer
    assert reminder_timers(database) == []
    await console.say(MEETINGS)
    assert reminder_timers(database)[0][2] == "2026-11-30 18:00:00.000000"


# -- when meetings fall, in the group's zone ---------------------------------------------------

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")


def test_a_meeting_in_a_spring_gap_is_held_when_the_clocks_jump() -> None:
    # 14 March 2027, New York: 02:00 EST jumps to 03:00 EDT (07:00 UTC).
    assert wall_instant(date(2027, 3, 14), time(2, 30), NEW_YORK) == datetime(
        2027, 3, 14, 7, 0, tzinfo=UTC
    )


def test_a_meeting_in_an_autumn_fold_is_its_first_occurrence() -> None:
    # 7 November 2027, New York: 01:30 happens in EDT (05:30 UTC), then again in EST.
    assert wall_instant(date(2027, 11, 7), time(1, 30), NEW_YORK) == datetime(
        2027, 11, 7, 5, 30, tzinfo=UTC
    )


def test_the_reminder_follows_daylight_saving() -> None:
    monday = (Meeting(0, "19:00", "Online NA"),)
    # Monday 23 March 2026: London on GMT; Monday 30 March: on BST.
    before_change = datetime(2026, 3, 23, 0, 0, tzinfo=UTC)
    assert next_reminder(monday, LONDON, before_change) == datetime(2026, 3, 23, 18, 0, tzinfo=UTC)
    after_change = datetime(2026, 3, 24, 0, 0, tzinfo=UTC)
    assert next_reminder(monday, LONDON, after_change) == datetime(2026, 3, 30, 17, 0, tzinfo=UTC)


def test_next_reminder_is_strictly_after_and_none_without_meetings() -> None:
    sunday = (Meeting(6, "13:30", "Sunday lunch"),)
    at = datetime(2026, 11, 29, 12, 30, tzinfo=UTC)
    assert next_reminder(sunday, ZoneInfo("UTC"), at - timedelta(seconds=1)) == at
    assert next_reminder(sunday, ZoneInfo("UTC"), at) == at + timedelta(days=7)
    assert next_reminder((), ZoneInfo("UTC"), at) is None


def test_a_late_timer_still_reminds_before_the_meeting_but_not_after_it() -> None:
    monday = (Meeting(0, "19:00", "Online NA"),)
    due = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
    late = due + timedelta(minutes=40)
    assert [o.meeting.title for o in due_reminders(monday, ZoneInfo("UTC"), due, late)] == [
        "Online NA"
    ]
    too_late = due + timedelta(hours=1, minutes=5)
    assert due_reminders(monday, ZoneInfo("UTC"), due, too_late) == []


def test_two_meetings_at_once_are_reminded_together() -> None:
    both = (Meeting(0, "19:00", "Online NA"), Meeting(0, "19:00", "Big book study"))
    due = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
    titles = [o.meeting.title for o in due_reminders(both, ZoneInfo("UTC"), due, due)]
    assert titles == ["Big book study", "Online NA"]


ZONES = st.sampled_from(
    [ZoneInfo(n) for n in ("UTC", "Europe/London", "America/New_York", "Australia/Lord_Howe")]
)
MEETING = st.builds(
    Meeting,
    weekday=st.integers(0, 6),
    time=st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59)),
    title=st.just("Meeting"),
)
INSTANTS = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)


@given(st.lists(MEETING, min_size=1, max_size=5), ZONES, INSTANTS)
def test_the_next_reminder_is_within_a_week_and_an_hour_before_a_meeting(
    meetings: list[Meeting], zone: ZoneInfo, after: datetime
) -> None:
    at = next_reminder(meetings, zone, after)
    assert at is not None
    assert after < at <= after + timedelta(days=7, hours=2)
    local = (at + REMIND_BEFORE).astimezone(zone).date()
    starts = occurrences(meetings, zone, local - timedelta(days=1), local + timedelta(days=1))
    assert any(o.starts_at - REMIND_BEFORE == at for o in starts)
    # Fired exactly then, its meetings are due, and none is due twice across firings.
    due = due_reminders(meetings, zone, at, at)
    assert due
    assert all(o.starts_at - REMIND_BEFORE == at for o in due)
    following = next_reminder(meetings, zone, at)
    assert following is not None
    assert following > at


@pytest.mark.parametrize("stored", ["25:00", "noon", ""])
def test_an_unreadable_stored_meeting_is_skipped(stored: str) -> None:
    meetings = (Meeting(0, stored, "Broken"), Meeting(0, "19:00", "Online NA"))
    at = next_reminder(meetings, ZoneInfo("UTC"), datetime(2026, 11, 29, tzinfo=UTC))
    assert at == datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
