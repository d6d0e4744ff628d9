"""The danger path: nobody in danger gets the wrong answer, and nobody waits in silence.

Each test replays, as a member would type it, one of the moments where the craving flow used
to let people down, and checks what they read now.
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.clock import ManualClock
from bot.domain.inbound import ButtonPressed, CommandIssued, Origin, PrivateChatChanged
from tests.conftest import Transcript, group_text, private_to, sections

EMERGENCY = "If you or anyone may be in immediate danger, call your local emergency number now."
FULL_CRISIS_BLOCK = "findahelpline.com lists free, confidential helplines in your country"
DISTRACTIONS = ("walk", "sweet", "A craving passes", "literature", "tape forward")


async def supporters(console: Transcript, *names: str) -> None:
    for name in names:
        await console.say(f"/as {name}", "/supporter on")
    await console.say("/as Sam")


def mentioned(text: str) -> set[str]:
    return set(re.findall(r"@(\w+)", text))


# -- danger gets the right answer first ---------------------------------------------------------


async def test_an_overdose_note_leads_with_the_emergency_number_not_a_walk(
    console: Transcript,
) -> None:
    await supporters(console, "Ana", "Ben")
    answer = await console.say("/craving I took too much and I'm scared")
    (first_header, first_body), *_ = sections(answer)
    assert first_header == "privately to Sam", "the crisis lines come first, privately"
    assert "call your local emergency number" in first_body
    assert FULL_CRISIS_BLOCK in first_body
    group = group_text(answer)
    assert group.strip().startswith(EMERGENCY)
    for distraction in DISTRACTIONS:
        assert distraction not in group
    assert "this is urgent" in group
    assert mentioned(group) == {"Ana", "Ben"}
    assert "I've sent you the crisis lines privately." in group


@pytest.mark.parametrize(
    "note",
    [
        "i wanna die",
        "took too many pills",
        "he isn't breathing",
        "kill me",
        "don't want to be here anymore",
    ],
)
async def test_common_phrasings_of_danger_take_the_danger_path(
    console: Transcript, note: str
) -> None:
    await supporters(console, "Ana")
    answer = await console.say(f"/craving {note}")
    assert sections(answer)[0][0] == "privately to Sam"
    assert group_text(answer).strip().startswith(EMERGENCY)
    assert "this is urgent" in group_text(answer)


async def test_ordinary_craving_talk_keeps_the_ordinary_answer(console: Transcript) -> None:
    await supporters(console, "Ana")
    answer = await console.say("/craving I'm dying for a drink")
    assert EMERGENCY not in answer
    assert "A craving passes if you ride it out" in group_text(answer)
    assert "privately to Sam" not in answer


async def test_a_bare_craving_can_say_it_is_an_emergency_with_a_button(
    console: Transcript,
) -> None:
    await supporters(console, "Ana")
    answer = await console.say("/craving")
    assert "[4] I'm in danger" in answer
    tapped = await console.say("/tap 4")
    (first_header, first_body), *_ = sections(tapped)
    assert first_header == "privately to Sam"
    assert FULL_CRISIS_BLOCK in first_body
    edited = [body for header, body in sections(tapped) if "(edited)" in header]
    assert edited, "the group answer is replaced by the danger version"
    assert edited[0].strip().startswith(EMERGENCY)
    assert "walk" not in edited[0]
    pings = [body for header, body in sections(tapped) if header == "in the group"]
    assert any("@Ana: urgent." in body for body in pings), "Ana is told it is urgent now"
    assert "not a crisis counsellor" in "".join(pings)


async def test_an_urgent_ping_says_what_a_peer_can_do(console: Transcript) -> None:
    await supporters(console, "Ana")
    group = group_text(await console.say("/as Kim", "/craving"))
    assert "urgent" not in group
    await console.say("/wait 2h")
    await console.say("/as Sam", "/help")  # Sam is a member of the group
    answer = await console.say("/dm /craving i want to end it all")
    ping = private_to(answer, "Ana")
    assert ping.strip().startswith("Urgent: Sam may be in danger and asked for support.")
    assert "call your local emergency number or ask them to" in ping
    assert "You're a peer, not a crisis counsellor: staying in touch is enough." in ping
    assert "end it all" not in ping, "a private craving's note is never passed on"


async def test_urgent_pings_ignore_rest_and_max_pings(console: Transcript) -> None:
    await supporters(console, *[f"S{n}" for n in range(4)])
    await console.say("/set max_pings 3")
    await console.say("/as Kim", "/craving")  # S0..S2 pinged: resting now, and max_pings reached
    answer = await console.say("/as Sam", "/craving took too many pills")
    first = mentioned(group_text(answer))
    assert len(first) == 3
    assert len(first & {"S0", "S1", "S2"}) == 2, "resting supporters are pinged when it's urgent"
    more = await console.say("/craving i want to die")  # the same episode: still urgent
    assert mentioned(group_text(more)) == {"S0", "S1", "S2", "S3"} - first, (
        "max_pings does not stop an urgent round"
    )


async def test_quiet_hours_hold_only_for_supporters_who_did_not_accept_urgent_pings(
    console: Transcript,
) -> None:
    await console.say("/as Owl", "/supporter on", "/supporter hours 22:00-06:00")
    opted = await console.say("/supporter urgent on")
    assert "I'll ping you even outside your hours (22:00-06:00)" in opted
    await console.say("/as Lark", "/supporter on", "/supporter hours 22:00-06:00")
    ordinary = await console.say("/as Sam", "/craving")
    assert not mentioned(group_text(ordinary)) & {"Owl", "Lark"}, "12:00 is quiet for both"
    urgent = await console.say("/wait 1h", "/craving I overdosed")
    assert "Owl" in mentioned(group_text(urgent))
    assert "Lark" not in mentioned(group_text(urgent))


async def test_a_call_note_that_speaks_of_danger_takes_the_danger_path(
    console: Transcript,
) -> None:
    await console.say("/as Ana", "/phonelist on", "/supporter on", "/as Sam")
    answer = await console.say("/call i want to kill myself")
    (first_header, first_body), *_ = sections(answer)
    assert first_header == "privately to Sam"
    assert FULL_CRISIS_BLOCK in first_body
    assert EMERGENCY in group_text(answer)
    assert "would like a phone call" in group_text(answer), "the call is still asked for"


async def test_a_restart_note_that_speaks_of_danger_takes_the_danger_path(
    console: Transcript,
) -> None:
    await console.say("/cleandate 2026-01-01", "/dm /relapse", "/tap 1")
    answer = await console.say("/dm /relapse note I used again and I want to die")
    (first_header, first_body), *_ = sections(answer)
    assert first_header == "privately to Sam"
    assert FULL_CRISIS_BLOCK in first_body
    assert "in the group" not in answer, "a private note stays private"


# -- honesty when nobody is coming ---------------------------------------------------------------


async def test_a_craving_nobody_can_answer_says_so_at_once_with_the_crisis_lines(
    console: Transcript,
) -> None:
    await console.say(
        "/set meetings Mon 19:00 Online NA https://example.org/join; Thu 20:00 Basement group"
    )
    answer = await console.say("/craving")
    group = group_text(answer)
    assert "No peer is free to reach out right now, and I'm sorry. I'll keep trying." in group
    assert FULL_CRISIS_BLOCK in group
    assert "Next meeting: Monday at 19:00, Online NA" in group
    assert "I've asked" not in group
    await console.say("/as Ana", "/supporter on", "/as Sam")
    later = await console.say("/wait 10m")
    assert "Ana" in mentioned(group_text(later)), "escalation still tries in case someone is free"


async def test_when_every_supporter_is_resting_the_member_is_told_nobody_is_free(
    console: Transcript,
) -> None:
    await supporters(console, "Ana")
    await console.say("/as Kim", "/craving")  # Ana is pinged and rests for an hour
    answer = await console.say("/as Sam", "/craving")
    assert "No peer is free to reach out right now" in group_text(answer)
    assert "Ana" not in mentioned(group_text(answer))


async def test_a_private_craving_from_someone_in_no_group_is_told_plainly(
    console: Transcript,
) -> None:
    answer = await console.say("/as Zed", "/dm /craving")
    told = private_to(answer, "Zed")
    assert "This chat has no peers yet" in told
    assert FULL_CRISIS_BLOCK in told
    assert "I've asked" not in told


async def test_a_private_craving_reaches_supporters_of_every_group_by_name_only(
    app: App, database: Path
) -> None:
    def in_group(person: str, group: str) -> Origin:
        return Origin("console", group, person, person.title(), community=group)

    await app.core.handle(CommandIssued("1", in_group("ana", "north"), "supporter", "on"))
    await app.core.handle(CommandIssued("2", in_group("ben", "south"), "supporter", "on"))
    for n, group in enumerate(("north", "south")):
        await app.core.handle(CommandIssued(f"h{n}", in_group("sam", group), "help"))
    private = Origin("console", "dm:sam", "sam", "Sam", private=True)
    await app.core.handle(CommandIssued("c", private, "craving", "rough night at the bar"))
    with sqlite3.connect(database) as db:
        pings = db.execute(
            "SELECT person, target, context FROM outbox WHERE template = 'craving_ping'"
        ).fetchall()
    assert sorted(person for person, _, _ in pings) == ["console:ana", "console:ben"]
    for _, target, context in pings:
        assert json.loads(target)["person"] in ("ana", "ben")
        assert json.loads(target).get("chat") in (None, "north", "south")
        assert "rough night" not in context
        assert "north" not in context
        assert "south" not in context


async def test_a_repeat_craving_after_a_claim_names_who_is_on_it(console: Transcript) -> None:
    await supporters(console, "Ana", "Ben")
    await console.say("/craving")
    await console.say("/as Ana", "/tap 1", "/as Sam")
    again = await console.say("/craving")
    assert "Ana is on it and will reach out to Sam." in group_text(again)
    assert "still on their way" not in again
    assert not mentioned(group_text(again))


# -- crisis lines once, emergency number always --------------------------------------------------


async def test_the_crisis_block_comes_once_an_episode_and_the_emergency_number_always(
    console: Transcript,
) -> None:
    await supporters(console, "Ana")
    said = [await console.say("/craving I took too much")]
    said.append(await console.say("/wait 10m"))  # nobody claimed and nobody else is free
    nobody = private_to(said[-1], "Sam")
    assert "I haven't been able to reach a peer for you yet" in nobody
    assert "call your local emergency number" in nobody
    assert "The crisis lines I sent you earlier are still there" in nobody
    said.append(await console.say("/wait 10m"))  # the follow-up asks how it went
    said.append(await console.say("/tap 2"))  # still struggling
    struggling = private_to(said[-1], "Sam")
    assert "call your local emergency number" in struggling
    assert "The crisis lines I sent you earlier are still there" in struggling
    assert "".join(said).count(FULL_CRISIS_BLOCK) == 1


# -- a member who never opened a private chat with the bot ---------------------------------------


async def test_crisis_lines_go_in_the_group_answer_when_the_private_chat_is_not_open(
    app: App, database: Path, clock: ManualClock
) -> None:
    group = Origin("telegram", "-100", "7", "Sam", community="-100")
    await app.core.handle(CommandIssued("a", group, "craving", "I want to die"))
    await app.core.handle(
        CommandIssued("b", Origin("telegram", "7", "7", "Sam", private=True), "start")
    )
    clock.advance(timedelta(days=2))
    await app.core.handle(CommandIssued("c", group, "craving", "I want to die"))
    await app.core.handle(PrivateChatChanged("d", "telegram", "7", open=False))  # blocked
    clock.advance(timedelta(days=2))
    await app.core.handle(CommandIssued("e", group, "craving", "I want to die"))
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT template, target, context FROM outbox"
            " WHERE template IN ('craving_reply', 'craving_crisis') ORDER BY id"
        ).fetchall()
    story = [
        (template, json.loads(target).get("person"), json.loads(context).get("crisis"))
        for template, target, context in rows
    ]
    assert story == [
        ("craving_reply", None, "full"),  # never opened: the lines are in the group answer
        ("craving_crisis", "7", None),  # after /start: privately, first
        ("craving_reply", None, "sent"),
        ("craving_reply", None, "full"),  # blocked the bot: in the group answer again
    ]


# -- the acceptance, in the console --------------------------------------------------------


async def test_took_too_many_pills_right_after_another_members_craving(
    console: Transcript,
) -> None:
    await supporters(console, "Ana", "Ben", "Cy")
    before = await console.say("/as Kim", "/craving")
    assert mentioned(group_text(before)) == {"Ana", "Ben", "Cy"}
    answer = await console.say("/as Sam", "/craving took too many pills")
    headers = [header for header, _ in sections(answer)]
    private = [n for n, header in enumerate(headers) if header.startswith("privately to Sam")]
    assert private[0] == 0, "the crisis lines come before anything else"
    assert FULL_CRISIS_BLOCK in sections(answer)[0][1]
    group = group_text(answer)
    assert EMERGENCY in group
    assert "walk" not in group
    assert "sweet" not in group
    assert "this is urgent" in group
    assert mentioned(group) == {"Ana", "Ben", "Cy"}, "resting supporters are pinged urgently"


async def test_danger_in_a_private_chat_with_no_group_promises_nobody(console: Transcript) -> None:
    answer = await console.say("/as Zed", "/dm /craving i want to kill myself")
    (first_header, first_body), *_ = sections(answer)
    assert first_header == "privately to Zed"
    assert FULL_CRISIS_BLOCK in first_body
    told = private_to(answer, "Zed")
    assert "This chat has no peers yet, so please don't wait for one." in told
    assert "I'll keep trying" not in told
    assert told.count(FULL_CRISIS_BLOCK) == 1


async def test_a_day_later_the_crisis_block_is_given_whole_again(console: Transcript) -> None:
    await supporters(console, "Ana")
    first = await console.say("/craving I took too much")
    assert FULL_CRISIS_BLOCK in private_to(first, "Sam")
    later = await console.say("/wait 25h", "/craving I took too much")
    assert FULL_CRISIS_BLOCK in private_to(later, "Sam"), "a new episode after a day"


# -- what a careful review of the danger path found ----------------------------------------------


def outbox(database: Path, template: str) -> list[tuple[dict[str, object], dict[str, object]]]:
    """(target, context) of every row of ``template``, oldest first."""
    with sqlite3.connect(database) as db:
        found = db.execute(
            "SELECT target, context FROM outbox WHERE template = ? ORDER BY id", (template,)
        ).fetchall()
    return [(json.loads(target), json.loads(context)) for target, context in found]


TELEGRAM_GROUP = Origin("telegram", "-100", "7", "Sam", community="-100")


async def test_a_claim_keeps_the_crisis_lines_the_group_answer_alone_carried(
    app: App, database: Path
) -> None:
    ana = Origin("telegram", "-100", "8", "Ana", community="-100")
    await app.core.handle(CommandIssued("a", ana, "supporter", "on"))
    await app.core.handle(CommandIssued("b", TELEGRAM_GROUP, "craving", "i wanna die"))
    await app.core.handle(ButtonPressed("c", ana, "craving.claim", "1", message=None))
    replies = outbox(database, "craving_reply")
    assert replies[0][1]["crisis"] == "full", "Sam never opened a private chat"
    (_, edit_context), *_ = [r for r in replies if r[0].get("edit_of")]
    assert edit_context["crisis"] == "full", "the claim's edit keeps the block Sam can read"
    assert edit_context["claimed_by"] == {"id": "8", "name": "Ana"}


async def test_nobody_coming_is_said_in_the_group_to_a_member_with_no_private_chat(
    app: App, database: Path, clock: ManualClock
) -> None:
    ana = Origin("telegram", "-100", "8", "Ana", community="-100")
    await app.core.handle(CommandIssued("a", ana, "supporter", "on"))
    await app.core.handle(CommandIssued("b", TELEGRAM_GROUP, "craving"))
    clock.advance(timedelta(minutes=10))
    await app.timers.fire_due()
    ((target, context),) = outbox(database, "craving_nobody")
    assert target["person"] is None, "posted where Sam can read it"
    assert target["chat"] == "-100"
    assert context["again"] is False, "with the whole crisis block"
    assert context["who"] == {"id": "7", "name": "Sam"}


async def test_repeated_cravings_nobody_can_answer_give_the_crisis_block_once(
    console: Transcript,
) -> None:
    first = await console.say("/craving")
    again = await console.say("/wait 2m", "/craving")
    assert FULL_CRISIS_BLOCK in group_text(first)
    assert FULL_CRISIS_BLOCK not in again
    assert "No peer is free to reach out right now" in group_text(again)
    assert "The crisis lines I gave you earlier still help." in group_text(again)


async def test_a_private_danger_craving_after_a_group_one_never_reaches_the_group(
    console: Transcript,
) -> None:
    await supporters(console, "Eve")
    await console.say("/craving i want to kill myself")
    later = await console.say("/wait 30m", "/dm /craving i want to kill myself")
    assert "in the group" not in later
    assert FULL_CRISIS_BLOCK not in later, "the block Sam got privately an hour ago still counts"
    assert "call your local emergency number" in private_to(later, "Sam")


async def test_danger_at_the_end_of_a_long_note_is_heard(console: Transcript) -> None:
    await supporters(console, "Ana")
    note = "it has been such a long day " * 25 + "and i want to kill myself"
    answer = await console.say(f"/craving {note}")
    assert sections(answer)[0][0] == "privately to Sam"
    assert group_text(answer).strip().startswith(EMERGENCY)


async def test_an_urgent_mention_in_the_group_says_what_a_peer_can_do(
    console: Transcript,
) -> None:
    await supporters(console, "Ana")
    group = group_text(await console.say("/craving took too many pills"))
    assert "call your local emergency number or ask them to" in group
    assert "You're a peer, not a crisis counsellor: staying in touch is enough." in group


async def test_im_in_danger_in_a_private_chat_with_no_group_promises_nobody(
    console: Transcript,
) -> None:
    await console.say("/as Zed", "/dm /craving")
    tapped = await console.say("/tap 3")  # It passed, Call me, I'm in danger
    edited = [body for header, body in sections(tapped) if "(edited)" in header]
    assert edited
    assert "This chat has no peers yet" in edited[0]
    assert "I'll keep trying" not in edited[0]
