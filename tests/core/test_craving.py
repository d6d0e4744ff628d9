"""/craving from the console: the answer, the pings, the claim, escalation and the follow-up."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from datetime import timedelta
from pathlib import Path

from bot.app import App, bootstrap
from bot.clock import ManualClock
from bot.domain.inbound import ButtonPressed, CommandIssued, Origin
from bot.settings import Settings
from tests.conftest import START, Transcript, group_text, private_to, sections


async def supporters(console: Transcript, *names: str) -> None:
    for name in names:
        await console.say(f"/as {name}", "/supporter on")
    await console.say("/as Sam")


async def test_craving_answers_at_once_and_pings_three_supporters(console: Transcript) -> None:
    await supporters(console, "Ana", "Ben", "Cy", "Dee")
    answer = await console.say("/craving rough night")
    group = group_text(answer)
    assert "Thank you for saying it, Sam." in group
    assert "A craving passes if you ride it out and don't act on it." in group
    assert group.count("• ") == 3, "three concrete actions"
    assert len(sections(answer)) == 1, "one message: the answer carries the pings"
    assert len(re.findall(r"@(Ana|Ben|Cy|Dee)", group)) == 3
    assert "could one of you reach out to Sam?" in group
    assert "I'll check in with you privately at 12:20." in group
    assert "[1] I'm here  [2] It passed  [3] Call me" in answer


async def test_the_first_im_here_claims_and_the_member_is_told(console: Transcript) -> None:
    await supporters(console, "Ana", "Ben")
    await console.say("/craving")
    claimed = await console.say("/as Ana", "/tap 1")
    assert "(edited)" in claimed
    assert "Ana is on it and will reach out to Sam." in group_text(claimed)
    assert "Ana is on the way to you" in private_to(claimed, "Sam")
    later = await console.say("/as Ben", "/tap 1")
    assert "Ana has got this one. Thank you for being here." in private_to(later, "Ben")
    assert "in the group" not in later


async def test_escalation_then_crisis_lines_when_nobody_claims(console: Transcript) -> None:
    await supporters(console, *[f"S{n}" for n in range(10)])
    await console.say("/craving")
    escalated = await console.say("/wait 10m")
    assert len(re.findall(r"@S\d", group_text(escalated))) == 3
    await console.say("/wait 10m")
    last = await console.say("/wait 10m")
    nobody = private_to(last, "Sam")
    assert "I haven't been able to reach a peer for you yet" in nobody
    assert "findahelpline.com" in nobody
    assert "@S" not in group_text(last), "max_pings (9) reached: no fourth round"


async def test_follow_up_asks_privately_and_records_the_outcome(console: Transcript) -> None:
    await supporters(console, "Ana")
    await console.say("/craving")
    asked = await console.say("/wait 20m")
    follow_up = private_to(asked, "Sam")
    assert "How did it go with the craving?" in follow_up
    assert "[1] It passed  [2] Still struggling  [3] I used" in asked
    passed = await console.say("/tap 1")
    assert "You rode it out. Remember this one: cravings pass." in passed
    assert "You rode out the craving you logged." in await console.say("/cravings")


async def test_it_passed_on_the_group_message_stops_escalation_and_follow_up(
    console: Transcript,
) -> None:
    await supporters(console, *[f"S{n}" for n in range(6)])
    await console.say("/craving")
    passed = await console.say("/tap 2")
    assert "Sam rode this one out. It passed." in group_text(passed)
    assert await console.say("/wait 1h") == "(1h later)\n"


async def test_a_peer_cannot_answer_for_the_member(console: Transcript) -> None:
    await console.say("/craving")
    answer = await console.say("/as Ana", "/tap 2")
    assert "Only the person who shared this craving can answer" in private_to(answer, "Ana")
    assert "rode this one out" not in answer


async def test_the_member_cannot_claim_their_own(console: Transcript) -> None:
    await supporters(console, "Ana")
    await console.say("/craving")
    answer = await console.say("/tap 1")
    assert "That button is for the peers" in private_to(answer, "Sam")


async def test_twenty_cravings_in_a_minute_ping_once_and_all_get_support(
    console: Transcript, clock: ManualClock
) -> None:
    await supporters(console, *[f"S{n}" for n in range(12)])
    pings = 0
    for _ in range(20):
        answer = await console.say("/craving")
        assert "A craving passes if you ride it out" in answer
        pings += len(re.findall(r"@S\d+", answer))
        clock.advance(timedelta(seconds=3))
    assert pings == 3
    assert "I asked 3 peers a moment ago; nobody has said they're on it yet." in answer


async def test_danger_words_bring_crisis_lines_first_and_ping_despite_cooldown(
    console: Transcript,
) -> None:
    await supporters(console, *[f"S{n}" for n in range(6)])
    await console.say("/craving")
    answer = await console.say("/craving I took too much and feel strange")
    first_header, first_body = sections(answer)[0]
    assert first_header == "privately to Sam"
    assert "findahelpline.com" in first_body
    urgent = group_text(answer)
    assert "this is urgent" in urgent
    assert len(re.findall(r"@S\d", urgent)) == 6, "the first three told it is urgent, three more"


async def test_supporters_in_quiet_hours_are_not_pinged(console: Transcript) -> None:
    await console.say("/as Owl", "/supporter on", "/supporter hours 22:00-06:00")
    await console.say("/as Lark", "/supporter on", "/supporter hours 08:00-20:00", "/as Sam")
    answer = await console.say("/craving")
    assert "@Lark" in answer
    assert "@Owl" not in answer


async def test_a_private_craving_pings_supporters_privately(console: Transcript) -> None:
    await supporters(console, "Ana")
    await console.say("/help")  # Sam is a member of the group
    answer = await console.say("/dm /craving")
    assert "in the group" not in answer
    assert "asked for support privately" in private_to(answer, "Ana")
    assert "I've asked 1 person from your group to reach out to you." in private_to(answer, "Sam")
    assert "Thank you for saying it, Sam." in private_to(answer, "Sam")


async def test_still_struggling_pings_more_and_offers_a_call(console: Transcript) -> None:
    await supporters(console, *[f"S{n}" for n in range(6)])
    await console.say("/craving")
    await console.say("/as S0", "/tap 1", "/as Sam")
    asked = await console.say("/wait 20m")
    assert "How did it go" in asked
    answer = await console.say("/tap 2")
    assert "I've asked 3 more people to reach out to you." in private_to(answer, "Sam")
    assert "[1] Call me" in answer


def _origin(person: str) -> Origin:
    return Origin("console", "group", person, person.title(), community="group")


async def test_two_supporters_tapping_at_once_make_one_claim(app: App, database: Path) -> None:
    for key, person in enumerate(("ana", "ben")):
        await app.core.handle(CommandIssued(f"s{key}", _origin(person), "supporter", "on"))
    await app.core.handle(CommandIssued("c", _origin("sam"), "craving"))
    presses = [ButtonPressed(f"p-{p}", _origin(p), "craving.claim", "1") for p in ("ana", "ben")]
    await asyncio.gather(*(app.core.handle(p) for p in presses))
    with sqlite3.connect(database) as db:
        claims = db.execute("SELECT claimed_by FROM cravings").fetchall()
        told = db.execute(
            "SELECT COUNT(*) FROM outbox WHERE template = 'craving_claimed'"
        ).fetchone()[0]
        covered = db.execute(
            "SELECT COUNT(*) FROM outbox WHERE template = 'craving_covered'"
        ).fetchone()[0]
    assert claims in ([("console:ana",)], [("console:ben",)])
    assert (told, covered) == (1, 1)


async def test_escalation_and_follow_up_survive_a_crash(database: Path) -> None:
    clock = ManualClock(START)
    app = await bootstrap(Settings(database=str(database)), clock=clock)
    for n in range(6):
        await app.core.handle(CommandIssued(f"s{n}", _origin(f"s{n}"), "supporter", "on"))
    await app.core.handle(CommandIssued("c", _origin("sam"), "craving"))
    await app.close()  # the process dies; a new one starts 25 minutes later

    clock.advance(timedelta(minutes=25))
    for _ in range(2):
        app = await bootstrap(Settings(database=str(database)), clock=clock)
        await app.timers.fire_due()
        await app.close()
    with sqlite3.connect(database) as db:
        pings = db.execute("SELECT COUNT(*) FROM craving_pings").fetchone()[0]
        follow_ups = db.execute(
            "SELECT COUNT(*) FROM outbox WHERE template = 'craving_followup'"
        ).fetchone()[0]
    assert pings == 6, "the first round and one escalation, once"
    assert follow_ups == 1


async def test_a_claim_from_another_group_is_refused(app: App, database: Path) -> None:
    await app.core.handle(CommandIssued("s", _origin("ana"), "supporter", "on"))
    await app.core.handle(CommandIssued("c", _origin("sam"), "craving"))
    stranger = Origin("console", "elsewhere", "zed", "Zed", community="elsewhere")
    assert await app.core.handle(ButtonPressed("p", stranger, "craving.claim", "1"))
    forged = ButtonPressed("q", _origin("kim"), "craving.claim", "²")
    assert await app.core.handle(forged), "a forged payload is answered, not an error"
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT claimed_by FROM cravings").fetchall() == [(None,)]
        answers = db.execute(
            "SELECT template FROM outbox WHERE person IN ('console:zed', 'console:kim')"
        ).fetchall()
    assert answers == [("button_unknown",), ("button_unknown",)]


async def test_a_new_craving_after_one_passed_brings_new_pings(console: Transcript) -> None:
    await supporters(console, *[f"S{n}" for n in range(6)])
    await console.say("/craving", "/tap 2")  # it passed
    again = await console.say("/wait 5m", "/craving")
    assert len(re.findall(r"@S\d", group_text(again))) == 3
    assert "still on their way" not in again


async def test_still_struggling_can_still_be_claimed(console: Transcript) -> None:
    await supporters(console, *[f"S{n}" for n in range(6)])
    await console.say("/craving", "/wait 20m", "/tap 2")  # follow-up: still struggling
    claimed = await console.say("/as S5", "/tap 1", "/as S4", "/tap 1")
    assert "is on the way to you" in private_to(claimed, "Sam")


async def test_a_lone_supporter_is_asked_as_one_person(console: Transcript) -> None:
    await supporters(console, "Ana")
    answer = await console.say("/craving")
    assert "@Ana: could you reach out to Sam?" in group_text(answer)
