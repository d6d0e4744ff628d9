"""Restarting a count after a relapse: private, confirmed, judgment-free, and never twice."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.clock import ManualClock
from bot.core import Core
from bot.domain.inbound import ButtonPressed, CommandIssued, Origin
from bot.flows import Flows, cleantime, relapse
from bot.flows.relapse import MAX_NOTE, T, offer_restart
from bot.render import PlainDialect, Renderer
from bot.storage.sqlite import SqliteStore
from bot.turn import Turn
from tests.conftest import START, Transcript
from tests.samples.relapse import SAMPLES

TODAY = START.date()
NEUTRAL = "Sam, I've sent you the answer privately."
GROUP = Origin(platform="console", chat="group", person="sam", person_name="Sam", community="group")
DM = Origin(platform="console", chat="dm:sam", person="sam", person_name="Sam", private=True)


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def sections(output: str) -> list[tuple[str, str]]:
    """Split console output into (header, text) per bot message."""
    found: list[tuple[str, str]] = []
    for block in re.split(r"^(── .* ──)$", output, flags=re.MULTILINE)[1:]:
        if block.startswith("── "):
            found.append((block, ""))
        else:
            header, _ = found[-1]
            found[-1] = (header, block.strip())
    return found


def group_texts(output: str) -> list[str]:
    return [text for header, text in sections(output) if "in the group" in header]


def private_text(output: str, name: str = "Sam") -> str:
    return "\n".join(text for header, text in sections(output) if f"privately to {name}" in header)


def rows(database: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database) as db:
        return db.execute(sql, params).fetchall()


def counter(database: Path) -> list[tuple[Any, ...]]:
    return rows(database, "SELECT clean_since FROM counters WHERE person = 'console:sam'")


def restarts(database: Path) -> list[tuple[Any, ...]]:
    return rows(database, "SELECT counter, clean_since, restarted_on, note FROM restarts")


async def test_a_restart_is_confirmed_and_answered_privately(
    console: Transcript, database: Path
) -> None:
    await console.say(f"/cleandate {ago(100)}")
    asked = await console.say("/relapse")
    assert "Do you want to start a new count from today, 29 November 2026?" in private_text(asked)
    assert "[1] Yes, restart my count  [2] Cancel" in asked
    assert counter(database) == [(ago(100),)]  # nothing changes before the member says yes
    done = await console.say("/tap 1")
    answer = private_text(done)
    assert "── privately to Sam (edited) ──" in done
    assert "Done: your new count starts today, 29 November 2026." in answer
    assert "Your milestones stay private for now" in answer
    assert "coming back takes courage" in answer
    assert "Picking yourself up and starting over is what recovery looks like" in answer
    assert "many of us have done it many times" in answer
    assert "a meeting every day" in answer
    assert "phone numbers" in answer
    assert "treatment or long-term rehab" in answer
    assert "Never use alone, carry naloxone, and stay with anyone given naloxone" in answer
    assert "30\N{EN DASH}90 minutes" in answer
    assert "1-800-662-4357" in answer
    assert "[1] Let my supporters know  [2] Add a private note" in done
    assert counter(database) == [(TODAY.isoformat(),)]
    assert restarts(database) == [("", ago(100), TODAY.isoformat(), None)]
    history = await console.say("/history")
    assert "Each one is you coming back." in private_text(history)
    assert "• 21 August 2026 to 29 November 2026: 100 days clean (3 months, 8 days)" in history
    assert "0 days — just for today" in history
    assert group_texts(asked) == [NEUTRAL]
    assert group_texts(done) == []
    assert group_texts(history) == [NEUTRAL]


async def test_the_group_sees_nothing_about_a_restart(console: Transcript) -> None:
    await console.say(f"/cleandate {ago(40)}", "/as Alex", "/supporter on", "/as Sam")
    output = await console.say(
        "/restart yesterday", "/tap 1", "/tap 1", "/history", "/relapse note in the group"
    )
    group = group_texts(output)
    assert group
    for text in group:
        assert text == NEUTRAL
        assert not re.search(r"\d", text)
        assert "relapse" not in text.lower()
        assert "restart" not in text.lower()


async def test_cancel_leaves_the_count_unchanged(console: Transcript, database: Path) -> None:
    await console.say(f"/cleandate {ago(100)}")
    state = "SELECT c.*, m.* FROM counters c JOIN memberships m ON m.person = c.person"
    before = rows(database, state)
    await console.say("/reset")
    answer = await console.say("/tap 2")
    assert "── privately to Sam (edited) ──" in answer
    assert "Your count is unchanged." in answer
    assert rows(database, state) == before
    assert restarts(database) == []


async def pending(database: Path, template: str) -> tuple[int, list[list[str]]]:
    """The newest unsent outbox row of this template: its id and its buttons."""
    found = rows(
        database,
        "SELECT id, buttons FROM outbox WHERE template = ? AND sent_at IS NULL ORDER BY id DESC",
        (template,),
    )
    assert found, template
    return int(found[0][0]), json.loads(found[0][1])


@pytest.mark.parametrize("since", [ago(100), TODAY.isoformat()])
async def test_yes_pressed_twice_restarts_once(app: App, database: Path, since: str) -> None:
    await app.core.handle(CommandIssued("c1", GROUP, "cleandate", since))
    await app.core.handle(CommandIssued("c2", GROUP, "relapse", ""))
    message, buttons = await pending(database, T.RELAPSE_CONFIRM)
    label, action, payload = buttons[0]
    assert label == T.LABEL_RELAPSE_YES
    for key in ("press-1", "press-2", "press-3"):
        assert await app.core.handle(ButtonPressed(key, DM, action, payload, message))
    assert restarts(database) == [("", since, TODAY.isoformat(), None)]
    assert counter(database) == [(TODAY.isoformat(),)]
    templates = [t for (t,) in rows(database, "SELECT template FROM outbox ORDER BY id")]
    assert templates.count(T.RELAPSE_DONE) == 1
    assert templates.count(T.RELAPSE_STALE) == 2


async def test_a_changed_count_makes_an_old_confirmation_do_nothing(
    app: App, database: Path
) -> None:
    await app.core.handle(CommandIssued("c1", GROUP, "cleandate", ago(100)))
    await app.core.handle(CommandIssued("c2", GROUP, "relapse", ""))
    message, buttons = await pending(database, T.RELAPSE_CONFIRM)
    await app.core.handle(CommandIssued("c3", GROUP, "cleandate", ago(50)))
    _, action, payload = buttons[0]
    await app.core.handle(ButtonPressed("p1", DM, action, payload, message))
    await app.core.handle(ButtonPressed("p2", DM, action, "not dates", message))
    assert counter(database) == [(ago(50),)]
    assert restarts(database) == []
    renderer = Renderer(PlainDialect())
    stale = rows(database, "SELECT context FROM outbox WHERE template = ?", (T.RELAPSE_STALE,))
    assert "Your count has changed since I asked" in renderer.render(
        T.RELAPSE_STALE, json.loads(stale[0][0])
    )
    assert rows(database, "SELECT template FROM outbox ORDER BY id DESC LIMIT 1") == [
        ("button_unknown",)
    ]


async def test_the_old_counts_milestone_is_not_announced(
    console: Transcript, database: Path
) -> None:
    await console.say(f"/cleandate {ago(29)}", "/relapse", "/tap 1")
    assert rows(database, "SELECT announce_due_at, share FROM memberships") == [(None, 0)]
    waited = await console.say("/wait 2d")
    assert "30 days" not in waited
    assert "clean today" not in waited


async def test_after_share_on_the_new_count_is_celebrated_not_the_old(
    console: Transcript,
) -> None:
    await console.say(f"/cleandate {ago(29)}", "/relapse", "/tap 1")
    await console.say("/share on")
    waited = await console.say("/wait 2d")
    assert "Sam has 1 day clean today." in waited
    assert "30 days" not in waited


async def test_a_restart_from_a_given_day(console: Transcript, database: Path) -> None:
    await console.say(f"/cleandate {ago(100)}")
    asked = await console.say("/relapse 2 days ago")
    assert "start a new count from 27 November 2026?" in asked
    assert "Your count since 21 August 2026 goes into your private history" in asked
    done = await console.say("/tap 1")
    assert "Done: your new count starts on 27 November 2026." in done
    assert counter(database) == [(ago(2),)]
    assert "2 days clean" in await console.say("/dm /days")


@pytest.mark.parametrize(
    ("args", "kind_words"),
    [
        ("2027-01-01", "hasn't come yet"),
        ("2026-02-30", "isn't on the calendar"),
        ("1899-12-31", "from 1900 onwards"),
        ("banana", "couldn't read that as a date"),
        ("9" * 10_000, "longer than any date"),
        (ago(101), "before your clean date, 21 August 2026"),
    ],
)
async def test_a_bad_date_is_answered_kindly_and_changes_nothing(
    console: Transcript, database: Path, args: str, kind_words: str
) -> None:
    await console.say(f"/cleandate {ago(100)}")
    before = rows(database, "SELECT * FROM counters"), restarts(database)
    answer = await console.say(f"/relapse {args}")
    assert kind_words in private_text(answer)
    assert "Nothing has changed." in answer
    assert "[1]" not in answer
    assert group_texts(answer) == [NEUTRAL]
    assert (rows(database, "SELECT * FROM counters"), restarts(database)) == before


async def test_without_a_clean_date_there_is_nothing_to_restart(
    console: Transcript, database: Path
) -> None:
    answer = await console.say("/relapse")
    assert "there's no count to restart" in private_text(answer)
    assert "/cleandate today" in answer
    assert group_texts(answer) == [NEUTRAL]
    assert restarts(database) == []


async def test_supporters_are_told_privately_once(console: Transcript, database: Path) -> None:
    await console.say("/as Alex", "/supporter on", "/as Kim", "/supporter on", "/as Lee")
    await console.say("/as Sam", "/supporter on", f"/cleandate {ago(60)}", "/relapse", "/tap 1")
    told = await console.say("/tap 1")
    assert group_texts(told) == []
    for name in ("Alex", "Kim"):
        message = private_text(told, name)
        assert "@Sam restarted their count and could use a message from you." in message
        assert not re.search(r"\d", message)
    assert "privately to Lee" not in told
    assert "Sam restarted" not in private_text(told, "Sam")
    assert "I told 2 supporters, privately" in private_text(told)
    again = await console.say("/tap 1")
    assert "Your supporters already know" in again
    assert "privately to Alex" not in again
    assert rows(database, "SELECT supporters_told_at IS NOT NULL FROM restarts") == [(1,)]


async def test_with_no_supporters_the_member_is_told_so(console: Transcript) -> None:
    await console.say(f"/cleandate {ago(60)}", "/relapse", "/tap 1")
    answer = await console.say("/tap 1")
    assert "Nobody is on a supporter list in your groups yet" in answer
    assert group_texts(answer) == []


async def test_a_private_note_is_kept_with_the_restart(console: Transcript, database: Path) -> None:
    await console.say(f"/cleandate {ago(60)}", "/relapse", "/tap 1")
    how = await console.say("/tap 2")
    assert "/relapse note" in private_text(how)
    saved = await console.say("/dm /relapse note Called <Kim> at last & it helped")
    assert "Your note is kept with your restart of 29 November 2026" in saved
    assert restarts(database)[0][3] == "Called <Kim> at last & it helped"
    assert "Your note: Called <Kim> at last & it helped" in await console.say("/dm /history")
    assert "Your note is updated" in await console.say("/dm /relapse note Better words")
    assert restarts(database)[0][3] == "Better words"


async def test_a_note_typed_in_the_group_is_neither_kept_nor_repeated(
    console: Transcript, database: Path
) -> None:
    await console.say(f"/cleandate {ago(60)}", "/relapse", "/tap 1")
    answer = await console.say("/relapse note the thing that happened")
    assert "Notes stay private, so I haven't kept that one" in private_text(answer)
    assert "the thing that happened" not in answer
    assert group_texts(answer) == [NEUTRAL]
    assert restarts(database)[0][3] is None


@pytest.mark.parametrize(
    ("note", "kind_words"),
    [("", "Write your note after the command"), ("x" * (MAX_NOTE + 1), "a little long")],
)
async def test_a_bad_note_changes_nothing(
    console: Transcript, database: Path, note: str, kind_words: str
) -> None:
    await console.say(f"/cleandate {ago(60)}", "/relapse", "/tap 1")
    answer = await console.say(f"/dm /relapse note {note}")
    assert kind_words in answer
    assert "Nothing has changed." in answer
    assert restarts(database)[0][3] is None


async def test_a_note_needs_a_restart(console: Transcript, database: Path) -> None:
    answer = await console.say("/dm /relapse note hello")
    assert "There's no restart to keep a note with" in answer
    assert restarts(database) == []


async def test_history_is_private_and_kind_when_empty(console: Transcript) -> None:
    answer = await console.say("/history")
    assert "There are no restarts in your history" in private_text(answer)
    assert group_texts(answer) == [NEUTRAL]


async def test_history_lists_every_restart_latest_first(console: Transcript) -> None:
    await console.say(f"/cleandate {ago(300)}", f"/relapse {ago(200)}", "/tap 1")
    await console.say(f"/relapse {ago(10)}", "/tap 1")
    answer = await console.say("/dm /history")
    second = answer.index("• 13 May 2026 to 19 November 2026: 190 days clean")
    first = answer.index("• 2 February 2026 to 13 May 2026: 100 days clean")
    assert second < first
    assert "since 19 November 2026, 10 days" in answer


async def test_offer_restart_opens_the_flow_gently(store: SqliteStore, clock: ManualClock) -> None:
    async def used(turn: Turn, args: str) -> None:
        await offer_restart(turn)

    table = Flows(commands={"used": used})
    table.add(cleantime.flows)
    table.add(relapse.flows)
    core = Core(store, clock, flows=table)
    await core.handle(CommandIssued("c1", DM, "used", ""))
    await core.handle(CommandIssued("c2", DM, "cleandate", ago(20)))
    await core.handle(CommandIssued("c3", DM, "used", ""))
    async with store.transaction() as tx:
        sent = await tx.pending_outbox("console", START, 10)
    none, _, confirm = sent
    renderer = Renderer(PlainDialect())
    assert "Thank you for telling me." in renderer.render(none.template, none.context)
    assert confirm.template == T.RELAPSE_CONFIRM
    text = renderer.render(confirm.template, confirm.context)
    assert text.startswith("Thank you for telling me. That took courage")
    assert "start a new count from today, 29 November 2026?" in text
    assert [b.action for b in confirm.buttons] == ["relapse.yes", "relapse.cancel"]
    assert confirm.target.person == "sam"


def test_the_restart_answer_is_short_and_speaks_kindly() -> None:
    renderer = Renderer(PlainDialect())
    who = {"id": "7", "name": "Sam"}
    for context in SAMPLES[T.RELAPSE_DONE]:
        # A name of the longest kind, with the bundled helplines, is the most it can be.
        assert len(renderer.render(T.RELAPSE_DONE, {"who": who, **context})) < 1100
    for key, contexts in SAMPLES.items():
        for context in contexts:
            text = renderer.render(key, {"who": who, **context}).lower()
            for unkind in ("lost", "reset to zero", "broke", "streak", "dirty", "fail", "!"):
                assert unkind not in text, (key, unkind)


async def test_cancel_after_yes_does_not_claim_the_count_is_unchanged(
    app: App, database: Path
) -> None:
    await app.core.handle(CommandIssued("c1", GROUP, "cleandate", ago(100)))
    await app.core.handle(CommandIssued("c2", GROUP, "relapse", ""))
    message, buttons = await pending(database, T.RELAPSE_CONFIRM)
    (_, yes, payload), (_, no, _) = buttons
    await app.core.handle(ButtonPressed("p1", DM, yes, payload, message))
    await app.core.handle(ButtonPressed("p2", DM, no, payload, message))
    assert counter(database) == [(TODAY.isoformat(),)]
    last = rows(database, "SELECT template, context FROM outbox ORDER BY id DESC LIMIT 1")
    assert last[0][0] == T.RELAPSE_STALE
    text = Renderer(PlainDialect()).render(T.RELAPSE_STALE, json.loads(last[0][1]))
    assert text == "That's done already: your count starts on 29 November 2026."
