"""Phone calls from the console: ask, ping the phone list, one volunteer takes it, contact kept."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path
from typing import Any

from bot.app import App
from bot.domain.inbound import ButtonPressed, Origin
from bot.storage.sqlite import SqliteStore
from tests.conftest import START, Transcript

CONTACT = "+1 555 0100"
_HEADER = re.compile(r"^── (.*) ──$", re.MULTILINE)


def sections(transcript: str) -> list[tuple[str, str]]:
    """Each bot message as (where it went, what it said)."""
    parts = _HEADER.split(transcript)
    return list(zip(parts[1::2], parts[2::2], strict=True))


def query(database: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database) as db:
        return db.execute(sql, params).fetchall()


def in_group(transcript: str) -> str:
    return "".join(body for where, body in sections(transcript) if where.startswith("in the group"))


def privately(transcript: str, name: str) -> str:
    """What ``name`` read in their private chat, edited messages included."""
    to_them = (f"privately to {name}", f"privately to {name} (edited)")
    return "".join(body for where, body in sections(transcript) if where in to_them)


async def phone_list(console: Transcript, *lines: str) -> None:
    """Alex and Kim join the phone list (plus any extra lines typed as Kim); Sam types next."""
    await console.say("/as Alex", "/phonelist on", "/as Kim", "/phonelist on", *lines, "/as Sam")


def request_row(database: Path) -> tuple[Any, ...]:
    rows = query(database, "SELECT id, message, claimed_by, expired_at FROM call_requests")
    assert len(rows) == 1
    return rows[0]


async def test_a_call_is_taken_and_the_contact_goes_to_the_claimer_only(
    console: Transcript, database: Path
) -> None:
    await phone_list(console)
    saved = await console.contact(CONTACT)
    assert f"Saved: {CONTACT}" in privately(saved, "Sam")

    asked = await console.say("/call <b>after 6pm</b> is best")
    group = in_group(asked)
    assert "Sam would like a phone call." in group
    assert "“<b>after 6pm</b> is best”" in group
    assert "@Alex, @Kim: could one of you call?" in group
    assert "[1] I'll call" in group

    taken = await console.say("/as Alex", "/tap 1")
    assert "── in the group (edited) ──" in taken
    assert "Alex is calling Sam." in in_group(taken)
    assert f"How to reach them: {CONTACT}" in privately(taken, "Alex")
    assert "Alex will call you." in privately(taken, "Sam")
    assert "I've given Alex the contact you saved, and nobody else." in privately(taken, "Sam")

    late = await console.say("/as Kim", "/tap 1")
    assert "Alex is already calling Sam. Thank you for being ready." in privately(late, "Kim")

    after_saving = asked + taken + late
    for where, body in sections(after_saving):
        assert (CONTACT in body) == (where == "privately to Alex"), where
    assert CONTACT not in in_group(saved + after_saving)
    assert request_row(database)[2] == "console:alex"
    assert query(database, "SELECT person FROM call_pings ORDER BY person") == [
        ("console:alex",),
        ("console:kim",),
    ]


async def test_a_practice_call_pings_practice_volunteers_and_passes_a_later_contact(
    console: Transcript, database: Path
) -> None:
    await phone_list(console, "/phonelist practice on")
    asked = await console.say("/practice")
    group = in_group(asked)
    assert "Sam would like a practice call" in group
    assert "Nothing has to be wrong." in group
    assert "@Kim: could you call?" in group
    assert "Alex" not in group
    assert "save your number here, in this private chat: /contact" in privately(asked, "Sam")

    taken = await console.say("/as Kim", "/tap 1")
    assert "Kim is taking Sam's practice call." in in_group(taken)
    to_kim = privately(taken, "Kim")
    assert "They haven't saved a number with me yet." in to_kim
    assert "It's a practice call" in to_kim
    to_sam = privately(taken, "Sam")
    assert "Kim will take your practice call." in to_sam
    assert "There's nothing to get right." in to_sam

    await console.say("/as Sam")
    saved = await console.contact(CONTACT)
    assert f"has just saved how to reach them, for the call you took: {CONTACT}" in privately(
        saved, "Kim"
    )
    assert "I've passed it to Kim, who took your call." in privately(saved, "Sam")
    for where, _body in sections(saved):
        assert where in ("privately to Kim", "privately to Sam")
    assert query(database, "SELECT practice, claimed_by FROM call_requests") == [(1, "console:kim")]


async def test_an_untaken_call_closes_kindly_with_other_ways(
    console: Transcript, database: Path
) -> None:
    await phone_list(console)
    await console.say("/call")
    closed = await console.say("/wait 30m")
    assert "Sam's request for a call has closed." in in_group(closed)
    to_sam = privately(closed, "Sam")
    assert "Nobody was free to take your call in the last 30 minutes." in to_sam
    assert "That's timing, not you." in to_sam
    assert "/call" in to_sam
    assert "any 12-step meeting" in to_sam
    assert "If it can't wait, these lines are there for you:" in to_sam
    assert "findahelpline.com" in to_sam
    expired_at = request_row(database)[3]
    assert expired_at is not None

    late = await console.say("/as Alex", "/tap 1")
    assert "has already closed, so there's nothing to take" in privately(late, "Alex")
    assert request_row(database)[2:] == (None, expired_at)


async def test_a_taken_call_does_not_close(console: Transcript, database: Path) -> None:
    await phone_list(console)
    await console.say("/call", "/as Alex", "/tap 1")
    later = await console.say("/wait 31m")
    assert "closed" not in later
    assert "Nobody was free" not in later
    assert request_row(database)[2:] == ("console:alex", None)


async def test_contact_in_the_group_is_refused_and_nothing_is_stored(
    console: Transcript, database: Path
) -> None:
    answer = await console.say(f"/contact {CONTACT}")
    assert CONTACT not in answer
    assert "I haven't saved anything from the group" in privately(answer, "Sam")
    assert "you may want to delete it" in privately(answer, "Sam")
    assert "Sam, I've sent you the answer privately." in in_group(answer)
    assert query(database, "SELECT COUNT(*) FROM contacts") == [(0,)]


async def test_contact_is_saved_shown_bounded_and_cleared_in_private(
    console: Transcript, database: Path
) -> None:
    assert "You haven't saved a contact." in await console.say("/dm /contact")
    await console.contact(f"  {CONTACT}  ")
    assert query(database, "SELECT person, contact FROM contacts") == [("console:sam", CONTACT)]
    assert f"Your saved contact: {CONTACT}" in await console.say("/dm /contact")

    too_long = await console.say("/dm /contact " + "9" * 101)
    assert "That's longer than I keep (100 characters)." in too_long
    assert "Nothing was saved." in too_long
    assert query(database, "SELECT contact FROM contacts") == [(CONTACT,)]

    assert "Removed." in await console.say("/dm /contact clear")
    assert query(database, "SELECT COUNT(*) FROM contacts") == [(0,)]
    assert "nothing to remove" in await console.say("/dm /contact clear")


async def test_two_volunteers_tapping_at_once_make_exactly_one_claim(
    console: Transcript, app: App, database: Path
) -> None:
    await phone_list(console)
    await console.contact(CONTACT)
    await console.say("/call")
    request, message, _, _ = request_row(database)

    def press(member: str, name: str) -> ButtonPressed:
        origin = Origin("console", "group", member, name, community="group")
        return ButtonPressed(f"race:{member}", origin, "call.take", str(request), int(message))

    handled = await asyncio.gather(
        app.core.handle(press("alex", "Alex")), app.core.handle(press("kim", "Kim"))
    )
    assert handled == [True, True]
    claimer = request_row(database)[2]
    assert claimer in ("console:alex", "console:kim")
    sent = dict(
        query(
            database,
            "SELECT template, COUNT(*) FROM outbox WHERE template IN"
            " ('call_handoff', 'call_covered', 'call_claimed', 'call_coming') GROUP BY template",
        )
    )
    assert sent == {"call_handoff": 1, "call_covered": 1, "call_claimed": 1, "call_coming": 1}
    handoff = query(database, "SELECT target, context FROM outbox WHERE template = 'call_handoff'")
    target, context = handoff[0]
    assert f'"person": "{claimer.removeprefix("console:")}"' in str(target)
    assert CONTACT in str(context)
    contexts = query(database, "SELECT template FROM outbox WHERE context LIKE ?", f"%{CONTACT}%")
    assert [t for (t,) in contexts if t != "contact_saved"] == ["call_handoff"]


async def test_a_claim_is_taken_once_and_a_taken_call_cannot_expire(store: SqliteStore) -> None:
    async with store.transaction() as tx:
        for name in ("sam", "alex", "kim"):
            await tx.people.upsert(f"console:{name}", "console", name, name, START)
        await tx.communities.upsert("console:group", "console", "group", "group", START)
        taken = await tx.calls.add("console:group", "console:sam", "group", False, START)
        untaken = await tx.calls.add("console:group", "console:sam", "group", True, START)
    async with store.transaction() as tx:
        assert await tx.calls.claim(taken, "console:alex", START)
        assert not await tx.calls.claim(taken, "console:kim", START)
        assert not await tx.calls.expire(taken, START)
        assert await tx.calls.expire(untaken, START)
        assert not await tx.calls.claim(untaken, "console:kim", START)
        first, second = await tx.calls.get(taken), await tx.calls.get(untaken)
    assert first is not None
    assert (first.claimed_by, first.expired_at) == ("console:alex", None)
    assert second is not None
    assert (second.claimed_by, second.expired_at) == (None, START)


async def test_a_volunteer_in_quiet_hours_is_not_pinged(
    console: Transcript, database: Path
) -> None:
    await console.say("/as Alex", "/phonelist on", "/supporter hours 01:00-02:00")
    await console.say("/as Kim", "/phonelist on", "/as Sam")
    group = in_group(await console.say("/call"))
    assert "@Kim: could you call?" in group
    assert "Alex" not in group
    assert query(database, "SELECT person FROM call_pings") == [("console:kim",)]


async def test_calls_counts_what_was_asked_answered_and_taken(console: Transcript) -> None:
    await phone_list(console, "/phonelist practice on")
    await console.say("/call", "/as Alex", "/tap 1", "/as Sam", "/call", "/wait 30m")
    await console.say("/practice", "/as Kim", "/tap 1", "/as Sam")
    counts = await console.say("/calls")
    assert "You've asked for 2 calls (1 answered) and 1 practice call (1 answered)." in privately(
        counts, "Sam"
    )
    assert "2 calls" not in in_group(counts)
    assert "You've taken 1 call for others." in await console.say("/as Alex", "/dm /calls")
    assert "You haven't asked for a call yet." in await console.say("/as Lee", "/dm /calls")


async def test_the_member_cannot_take_their_own_call(console: Transcript, database: Path) -> None:
    await phone_list(console)
    answer = await console.say("/call", "/tap 1")
    assert "This is your own request" in privately(answer, "Sam")
    assert request_row(database)[2] is None


async def test_only_the_phone_list_can_take_a_call(console: Transcript, database: Path) -> None:
    await console.say("/as Kim", "/phonelist practice on", "/as Sam")
    asked = await console.say("/call")
    assert "If you're on the phone list, tap I'll call" in in_group(asked)
    answer = await console.say("/as Lee", "/tap 1", "/as Kim", "/tap 1")
    assert "Calls go to volunteers on this group's phone list" in privately(answer, "Lee")
    assert "To join: /phonelist on." in privately(answer, "Kim")
    assert request_row(database)[2] is None


async def test_a_forged_or_foreign_button_changes_nothing(
    console: Transcript, app: App, database: Path
) -> None:
    await phone_list(console)
    await console.say("/call")
    before = query(database, "SELECT * FROM call_requests")
    request = str(request_row(database)[0])
    origin = Origin("console", "group", "alex", "Alex", community="group")
    elsewhere = Origin("console", "other", "alex", "Alex", community="other")
    presses = [
        ButtonPressed("forged:1", origin, "call.take", "999"),
        ButtonPressed("forged:2", origin, "call.take", "1; DROP TABLE call_requests"),
        ButtonPressed("forged:3", origin, "call.take", ""),
        ButtonPressed("forged:4", origin, "call.take", "²"),
        ButtonPressed("forged:5", origin, "call.take", "9" * 40),
        ButtonPressed("forged:6", elsewhere, "call.take", request),
    ]
    for pressed in presses:
        assert await app.core.handle(pressed)
    assert query(database, "SELECT * FROM call_requests") == before
    unknown = query(database, "SELECT COUNT(*) FROM outbox WHERE template = 'call_unknown'")
    assert unknown == [(len(presses),)]


async def test_call_in_a_private_chat_before_any_group_points_to_the_group(
    console: Transcript, database: Path
) -> None:
    answer = await console.say("/dm /call")
    assert "I don't know your group yet. Send /call in your group's chat" in answer
    assert "/contact and your number saves how a volunteer can reach you" in answer
    assert "in the group" not in answer
    assert "Send /practice in your group's chat" in await console.say("/dm /practice")
    assert query(database, "SELECT COUNT(*) FROM call_requests") == [(0,)]


def button(transcript: str, label: str) -> str:
    """The number of the button called ``label`` in the last message that shows one."""
    found = re.findall(rf"\[(\d+)\] {re.escape(label)}", transcript)
    assert found, label
    return str(found[-1])


async def test_a_call_asked_privately_is_never_posted_in_the_group(
    console: Transcript, database: Path
) -> None:
    await phone_list(console)
    await console.say("/help")  # Sam belongs to the group
    await console.contact(CONTACT)
    asked = await console.say("/dm /call after 6pm is best")
    assert in_group(asked) == ""
    to_sam = privately(asked, "Sam")
    assert "I've asked 2 volunteers from your group's phone list" in to_sam
    assert "nobody else in the group sees it" in to_sam
    for name in ("Alex", "Kim"):
        ask = privately(asked, name)
        assert "Sam would like a phone call." in ask
        assert "“after 6pm is best”" in ask
        assert "Please keep it to yourself." in ask
        assert "[1] I'll call" in ask
    assert query(database, "SELECT message, claimed_by FROM call_requests") == [(None, None)]

    taken = await console.say("/as Alex", "/tap 1")
    assert "── privately to Alex (edited) ──" in taken
    assert "You're taking Sam's call. Thank you." in privately(taken, "Alex")
    assert f"How to reach them: {CONTACT}" in privately(taken, "Alex")
    assert "Alex will call you." in privately(taken, "Sam")
    late = await console.say("/as Kim", "/tap 1")
    assert "Alex is already calling Sam." in privately(late, "Kim")
    later = await console.say("/wait 31m")

    everything = asked + taken + late + later
    assert in_group(everything) == ""
    for where, body in sections(everything):
        assert where.startswith("privately to"), where
        assert CONTACT not in body or where == "privately to Alex", where
    assert request_row(database)[1:] == (None, "console:alex", None)


async def test_call_me_on_a_private_craving_asks_volunteers_privately(
    console: Transcript, database: Path
) -> None:
    await phone_list(console)
    await console.say("/help")
    shared = await console.say("/dm /craving")
    assert in_group(shared) == ""
    asked = await console.say(f"/tap {button(shared, 'Call me')}")
    assert "would like a phone call" not in in_group(asked)
    assert in_group(asked) == ""
    assert "I've asked 2 volunteers" in privately(asked, "Sam")
    assert "Sam would like a phone call." in privately(asked, "Kim")
    assert "Sam would like a phone call." in privately(asked, "Alex")
    assert query(database, "SELECT message FROM call_requests") == [(None,)]
    taken = await console.say("/as Kim", "/tap 1")
    assert in_group(taken) == ""
    to_kim = privately(taken, "Kim")
    assert "Send them a private message to ask how to reach them." in to_kim
    assert "in the group" not in to_kim


async def test_a_private_request_nobody_takes_closes_without_a_group_post(
    console: Transcript, database: Path
) -> None:
    await phone_list(console, "/phonelist practice on")
    await console.say("/help")
    asked = await console.say("/dm /practice")
    assert "I've asked 1 volunteer" in privately(asked, "Sam")
    assert "save your number here: /contact" in privately(asked, "Sam")
    closed = await console.say("/wait 30m")
    assert in_group(asked + closed) == ""
    assert "Nobody was free for your practice call this time." in privately(closed, "Sam")
    late = await console.say("/as Kim", "/tap 1")
    assert "has already closed, so there's nothing to take" in privately(late, "Kim")
    assert request_row(database)[2] is None
    assert request_row(database)[3] is not None


async def test_a_private_request_with_nobody_free_says_so_and_keeps_nothing_open(
    console: Transcript, database: Path
) -> None:
    await console.say("/help")
    answer = await console.say("/dm /call")
    assert in_group(answer) == ""
    to_sam = privately(answer, "Sam")
    assert "Nobody on your group's phone list is free right now" in to_sam
    assert "If it can't wait, these lines are there for you:" in to_sam
    assert "findahelpline.com" in to_sam
    assert query(database, "SELECT COUNT(*) FROM call_requests") == [(0,)]


async def test_only_the_volunteers_asked_can_take_a_private_request(
    console: Transcript, app: App, database: Path
) -> None:
    await console.say("/as Alex", "/phonelist on", "/as Lee", "/phonelist on")
    await console.say("/supporter hours 01:00-02:00", "/as Sam", "/help")
    await console.say("/dm /call")
    request = str(request_row(database)[0])
    assert query(database, "SELECT person FROM call_pings") == [("console:alex",)]
    in_private = Origin("console", "dm:lee", "lee", "Lee", private=True)
    in_the_group = Origin("console", "group", "lee", "Lee", community="group")
    presses = [
        ButtonPressed("lee:1", in_private, "call.take", request),
        ButtonPressed("lee:2", in_the_group, "call.take", request),
    ]
    for pressed in presses:
        assert await app.core.handle(pressed)
    assert request_row(database)[2] is None
    unknown = query(database, "SELECT COUNT(*) FROM outbox WHERE template = 'call_unknown'")
    assert unknown == [(2,)]


async def test_asking_twice_keeps_one_open_request(console: Transcript, database: Path) -> None:
    await phone_list(console)
    await console.say("/call")
    again = await console.say("/wait 10m", "/call")
    assert "still open" in privately(again, "Sam")
    assert "It stays open for 20 more minutes" in privately(again, "Sam")
    assert "would like a phone call" not in again
    assert query(database, "SELECT COUNT(*) FROM call_requests") == [(1,)]


async def test_phonelist_joins_and_leaves_each_list(console: Transcript, database: Path) -> None:
    joined = await console.say("/phonelist on")
    assert "You're on this group's phone list" in joined
    assert "/supporter hours 09:00-22:00" in joined
    assert "You'll be asked for practice calls here" in await console.say("/phonelist practice on")
    assert query(database, "SELECT calls, practice FROM supporters") == [(1, 1)]
    assert "You're off this group's phone list." in await console.say("/phonelist off")
    assert "Right now: calls off, practice calls on." in await console.say("/phonelist maybe")
    assert "Send /phonelist on in your group's chat" in await console.say("/dm /phonelist on")
    assert query(database, "SELECT calls, practice FROM supporters") == [(0, 1)]
