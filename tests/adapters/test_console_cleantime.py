"""Clean time from the console, as a member would use it: type a line, read the answer."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.clock import ManualClock
from tests.conftest import START, Transcript, group_text, private_to

TODAY = START.date()


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


async def test_a_year_ago_is_365_days(console: Transcript) -> None:
    await console.cleandate(f"{ago(365)}")
    answer = await console.say("/days")
    assert "365 days clean — 1 year." in answer
    assert "── in the group ──" in answer


async def test_the_30_day_milestone_is_announced_once(console: Transcript) -> None:
    await console.cleandate(f"{ago(29)}")
    after_two_days = await console.say("/wait 2d")
    assert after_two_days.count("has 30 days clean today") == 1
    assert "@Sam" in after_two_days
    assert "has" not in await console.say("/wait 3d")


async def test_day_zero_is_just_for_today(console: Transcript) -> None:
    answer = await console.cleandate("today") + await console.say("/days")
    assert "0 days — just for today." in answer
    assert "Next: 1 day tomorrow" in answer


async def test_every_accepted_form(console: Transcript) -> None:
    cases = {
        "2026-03-01": "1 March 2026",
        "today": "29 November 2026",
        "yesterday": "28 November 2026",
        "3 days ago": "26 November 2026",
        "1 March 2026": "1 March 2026",
    }
    for typed, shown in cases.items():
        answer = await console.cleandate(f"{typed}")
        assert f"your clean date is {shown}" in answer, typed


async def test_named_counters_are_shown_privately_and_not_announced(
    console: Transcript,
) -> None:
    await console.cleandate(f"{ago(100)}")
    set_named = await console.cleandate(f"{ago(29)} gambling")
    assert "gambling" in private_to(set_named, "Sam")
    assert "gambling" not in group_text(set_named)
    days = await console.say("/days")
    group, private = days.split("── privately to Sam ──")
    assert "Sam, since" in group
    assert "100 days clean" in group
    assert "gambling" not in group
    assert "gambling since" in private
    assert "29 days clean" in private
    assert "30 days clean today" not in await console.say("/wait 2d")


async def test_a_member_who_does_not_share_is_answered_privately(console: Transcript) -> None:
    await console.cleandate(f"{ago(10)}", share=False)
    answer = await console.say("/days")
    assert "── privately to Sam ──" in answer
    assert "10 days clean" in answer.split("── in the group ──")[0]
    assert "sent you the answer privately" in answer
    assert "10 days" not in answer.split("── in the group ──")[1]
    assert "has 30 days" not in await console.say("/wait 25d")


async def test_dm_answers_in_the_private_chat(console: Transcript) -> None:
    answer = await console.cleandate("yesterday", where="/dm ")
    assert "── privately to Sam ──" in answer
    assert "in the group" not in answer


async def test_as_switches_member(console: Transcript) -> None:
    await console.cleandate(f"{ago(5)}")
    answer = await console.say("/as Alex", "/days")
    assert "Now typing: Alex." in answer
    assert "haven't set a clean date" in answer


async def test_together_sums_members_who_share(console: Transcript) -> None:
    await console.cleandate(f"{ago(400)}")
    await console.say("/as Alex")
    await console.cleandate(f"{ago(400)}")
    await console.say("/as Kim")
    await console.cleandate(f"{ago(50)}", share=False)
    answer = await console.say("/together")
    assert "Together, 2 of you have 2 years, 2 months clean." in answer


async def test_milestones_lists_behind_and_ahead(console: Transcript) -> None:
    await console.cleandate("2026-01-31")
    answer = await console.say("/milestones")
    assert "• 6 months — 31 July 2026" in answer
    assert "• 9 months — 31 October 2026" in answer
    assert "• 1 year — 31 January 2027, in 63 days" in answer


async def test_timezone_changes_the_day_counted(console: Transcript, clock: ManualClock) -> None:
    clock.advance(timedelta(hours=11, minutes=30))  # 23:30 UTC: already tomorrow in Auckland
    await console.cleandate("2026-11-01")
    assert "28 days clean" in await console.say("/days")
    answer = await console.say("/timezone Pacific/Auckland")
    assert "Pacific/Auckland" in answer
    assert "30 November 2026" in answer
    assert "29 days clean" in await console.say("/days")


async def test_share_and_together_need_a_group(console: Transcript) -> None:
    assert "works in your group's chat" in await console.say("/dm /share on")
    assert "works in your group's chat" in await console.say("/dm /together")


async def test_unknown_command_points_to_help(console: Transcript) -> None:
    assert "/help lists what I can do" in await console.say("/frobnicate")
    assert "/cleandate" in await console.say("/help")


async def test_console_meta_commands_explain_themselves(console: Transcript) -> None:
    assert "no button to tap" in await console.say("/tap 1")
    assert "How long?" in await console.say("/wait soon")
    assert "Who is typing?" in await console.say("/as")
    assert await console.say("just chatting with friends") == ""


async def test_moving_to_a_zone_a_day_behind_shows_day_zero(
    console: Transcript, clock: ManualClock
) -> None:
    clock.advance(timedelta(hours=11, minutes=30))  # 23:30 UTC: 30 November in Auckland
    await console.say("/timezone Pacific/Auckland")
    await console.cleandate("today")
    await console.say("/timezone America/New_York")  # still 29 November there
    assert "0 days — just for today." in await console.say("/days")


async def test_help_names_every_command_a_member_uses(console: Transcript, app: App) -> None:
    answer = await console.say("/help")
    for command in app.core.commands - {"help", "start", "cleantime", "restart", "reset"}:
        assert f"/{command}" in answer, command
